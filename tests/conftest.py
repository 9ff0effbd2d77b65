import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# LiteLLM fetches its model-cost map from the internet at import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
