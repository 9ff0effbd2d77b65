"""The LLM concern (pure: no resources): the GLM catalogue and Z.AI endpoints, the profiles and
endpoint a stack chooses (`settings.py`), and the renderers that turn them into the settings
file, environment and LiteLLM model strings OpenHands reads (`plan.py`)."""
