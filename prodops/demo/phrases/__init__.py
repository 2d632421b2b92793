"""Hand-written feedback texts for the demo data set, one module per family of channels."""
