"""Several named OpenHands servers on one Docker host: their settings (`settings.py`), what each
runs with (`plan.py`, pure) and `OpenHandsInstances` (`component.py`)."""
