"""The Agent Canvas seed documents, checked by the pinned agent server's own models, and the seeder
run against that server itself.

Runs in its own Python 3.12 environment with openhands-agent-server at the version the pinned
Canvas release runs (its config/defaults.json; `make fidelity`), over the seed documents
`fidelity/export_rendered.py` wrote for every shipped stack, straight to Z.AI and behind a gateway.
The server is started as a process on 127.0.0.1 with its state in a temporary HOME; the seeder is
`components/canvas/seed.py` as the bundle uploads it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
from openhands.agent_server.profiles_router import SaveProfileRequest
from openhands.sdk import LLM

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "components" / "canvas" / "seed.py"
RENDERED = json.loads(Path(os.environ["FIDELITY_RENDERED"]).read_text())
SEEDS = RENDERED["canvas_seeds"]
# Each stack's profiles seeded both ways, and what the Canvas stacks' planned seeders really get.
DOCUMENTS = [(f"{s['stack']}-{way}", s[way]) for s in SEEDS for way in ("direct", "gateway")] + [
    (f"{v['stack']}-planned", v["canvas_seed"]) for v in RENDERED["variants"] if "canvas_seed" in v]
SESSION_KEY = "fidelity-session-key-0123456789abcdef"


def test_the_pinned_agent_server_is_installed_and_every_stack_has_seeds():
    assert version("openhands-agent-server") == RENDERED["pins"]["canvas_agent_server"]
    assert {"dev", "canvas", "prod"} <= {s["stack"] for s in SEEDS}
    assert [n for n, _ in DOCUMENTS if n == "canvas-planned"]


@pytest.mark.parametrize(("name", "document"), DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_every_profile_is_a_request_the_server_accepts_field_for_field(name, document):
    assert document["active"] in [p["name"] for p in document["profiles"]]
    for entry in document["profiles"]:
        sent = entry["request"]["llm"]
        request = SaveProfileRequest.model_validate(entry["request"])
        assert request.include_secrets is True
        # Nothing sent is a field the SDK does not have (it would be dropped or refused).
        assert set(sent) <= set(LLM.model_fields), sorted(set(sent) - set(LLM.model_fields))
        llm = request.llm
        assert llm.api_key is not None and llm.api_key.get_secret_value() == sent["api_key"]
        for field in ("model", "base_url", "temperature", "max_input_tokens", "max_output_tokens", "litellm_extra_body",
                      "reasoning_effort", "native_tool_calling", "top_p"):
            if field in sent:
                assert getattr(llm, field) == sent[field], (entry["name"], field)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The pinned agent server on loopback, as the Canvas image starts it (session key, secret key)."""
    home = tmp_path_factory.mktemp("home")
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "OH_SESSION_API_KEYS_0": SESSION_KEY,
           "OH_SECRET_KEY": "fidelity-secret-key-" + "0" * 28, "OH_PERSISTENCE_DIR": str(home / ".openhands"),
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "DO_NOT_TRACK": "1"}
    process = subprocess.Popen([sys.executable, "-m", "openhands.agent_server", "--host", "127.0.0.1", "--port",
                                str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(base + "/alive", timeout=2):
                    break
            except OSError:
                time.sleep(0.25)
        yield base, home
    finally:
        process.terminate()
        process.wait(timeout=30)


def seed(base, home, document, key=SESSION_KEY):
    folder = home / "seed"
    folder.mkdir(exist_ok=True)
    (folder / "seed.json").write_text(json.dumps(document))
    (folder / "key").write_text(key)
    return subprocess.run([sys.executable, str(SEED)], capture_output=True, text=True, timeout=120, env={
        "PATH": os.environ["PATH"], "CANVAS_URL": base, "SEED_FILE": str(folder / "seed.json"),
        "CANVAS_SESSION_API_KEY_FILE": str(folder / "key"), "SEED_RECORD": str(home / "record.json"),
        "SEED_DEADLINE": "30"})


def profiles(base):
    request = urllib.request.Request(base + "/api/profiles", headers={"X-Session-API-Key": SESSION_KEY})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def canvas_document(way="gateway"):
    """The canvas template's planned seed document (behind its gateway), or its profiles sent direct."""
    if way == "gateway":
        return next(v["canvas_seed"] for v in RENDERED["variants"] if v["stack"] == "canvas")
    return next(s[way] for s in SEEDS if s["stack"] == "canvas")


def test_the_seeder_saves_every_profile_activates_the_default_and_is_idempotent(server):
    base, home = server
    document = canvas_document()
    for _ in range(2):
        result = seed(base, home, document)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"seeded {len(document['profiles'])} LLM profiles")
    held = profiles(base)
    assert held["active_profile"] == document["active"]
    assert {p["name"] for p in held["profiles"]} >= {p["name"] for p in document["profiles"]}
    assert all(p["api_key_set"] for p in held["profiles"])
    # Stored encrypted: the key is nowhere in the server's state in plain text.
    key = document["profiles"][0]["request"]["llm"]["api_key"]
    assert not [f for f in home.joinpath(".openhands").rglob("*") if f.is_file() and key.encode() in f.read_bytes()]


def test_a_changed_stack_re_applies_and_leaves_a_profile_made_in_the_ui_alone(server):
    base, home = server
    document = canvas_document()
    assert seed(base, home, document).returncode == 0
    # A profile the user saved in the UI.
    mine = json.dumps({"llm": {"model": "openai/gpt-4o-mini", "api_key": "user-own-key"}, "include_secrets": True})
    request = urllib.request.Request(base + "/api/profiles/mine", data=mine.encode(), method="POST", headers={
        "X-Session-API-Key": SESSION_KEY, "Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()
    kept = [p for p in document["profiles"] if p["name"] == document["active"]]
    smaller = {**document, "profiles": kept}
    result = seed(base, home, smaller)
    assert result.returncode == 0, result.stderr
    names = {p["name"] for p in profiles(base)["profiles"]}
    assert names == {document["active"], "mine"}, names
    assert json.loads((home / "record.json").read_text()) == {"profiles": [document["active"]]}


def test_a_wrong_session_key_fails_in_one_line_without_echoing_it(server):
    base, home = server
    result = seed(base, home, canvas_document(), key="not-the-session-key")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "refused the session key" in result.stderr
    assert "not-the-session-key" not in result.stderr + result.stdout


def test_a_field_the_server_refuses_fails_naming_the_field_never_the_key(server):
    base, home = server
    document = json.loads(json.dumps(canvas_document("direct")))
    document["profiles"][0]["request"]["llm"]["temperature"] = "very hot"
    result = seed(base, home, document)
    assert result.returncode == 1 and "temperature" in result.stderr, result.stderr
    assert document["profiles"][0]["request"]["llm"]["api_key"] not in result.stderr
