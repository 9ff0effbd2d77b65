"""The Docker target: the server container's settings (`settings.py`), its environment, labels,
healthcheck and URL (`plan.py`, pure) and `OpenHandsContainer` (`component.py`)."""
