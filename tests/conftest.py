import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# LiteLLM fetches its model-cost map from the internet at import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(autouse=True)
def _component_tests_run_on_their_own_engine():
    """A test that planned a whole program in this process installed that program's mocks; the
    component tests (tests/mock_engine.py) get theirs back before each test."""
    engine = sys.modules.get("tests.mock_engine")
    if engine is not None:
        engine.install()
    yield


def pytest_collection_finish(session):
    """The providers' typed classes and pydantic's schemas, imported at collection, live for the
    whole run: move them out of the collector's sight, as `openhands-zai` itself does (main.py),
    so each collection pass walks only what the tests make."""
    import gc

    gc.collect()
    gc.freeze()
