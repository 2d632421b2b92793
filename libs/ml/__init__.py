"""Machine-learning parts more than one service uses."""
