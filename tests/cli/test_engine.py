"""The Pulumi SDK's private names: used only by cli/engine.py, and still there in the pinned SDK."""

import importlib
import json
import re

import pytest
from pulumi.runtime import rpc

from openhands_zai.cli.engine import PRIVATE_API
from openhands_zai.testing import SECRET_SIG, SIG_KEY
from tests.conftest import ROOT
from tests.helpers import SENTINEL_KEY

PRIVATE = re.compile(r"\b(_sync_await|set_root_resource|_special_sig_key|_special_secret_sig|runtime\.config\.CONFIG|"
                     r"_SECRET_KEYS)\b")


@pytest.mark.parametrize("module, name", PRIVATE_API)
def test_each_private_name_the_engine_uses_exists_in_the_pinned_sdk(module, name):
    assert callable(getattr(importlib.import_module(module), name, None)), (
        f"{module}.{name} is gone from this pulumi SDK: cli/engine.py must follow it")


def test_the_secret_signature_is_the_wire_protocols():
    assert (SIG_KEY, SECRET_SIG) == (rpc._special_sig_key, rpc._special_secret_sig)


def test_no_other_module_reaches_into_the_sdk():
    users = [path.relative_to(ROOT) for path in [*(ROOT / "components").rglob("*.py"), ROOT / "__main__.py"]
             if PRIVATE.search(path.read_text()) and path.name != "engine.py"]
    assert users == []


def test_the_program_reads_config_as_the_cli_passes_it(monkeypatch):
    # What `pulumi up` hands a Python program: the environment, nothing else. A misspelt key is found there.
    from openhands_zai import read_stack_config

    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"openhands-zai:defaultProfile": "coding",
                                                   "openhands-zai:docker": json.dumps({"port": 3100}),
                                                   "openhands-zai:zaiEndpiont": "general",
                                                   # A well-formed key: its check is an apply that runs
                                                   # on the next program's loop in this worker, and a bad
                                                   # one would fail that program instead of this test.
                                                   "openhands-zai:zaiApiKey": SENTINEL_KEY}))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["openhands-zai:zaiApiKey"]))
    raw = read_stack_config()
    assert raw.values == {"defaultProfile": "coding", "docker": {"port": 3100}, "zaiEndpiont": "general"}
    assert raw.secret_keys == ("zaiApiKey",) and raw.api_key_plaintext is False
