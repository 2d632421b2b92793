"""The gateway's REST API: its routes by resource (routes/), request and response models, FastAPI dependencies."""
