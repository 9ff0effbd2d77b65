"""The last resort: whatever goes wrong inside a command ends in one line and exit 1, with every key
the command held, and anything shaped like one, scrubbed; never a traceback."""

import pytest

from openhands_zai.cli import main as cli_main
from openhands_zai.cli.redact import remember, scrub

# Shaped like a Z.AI key (32 hex, a dot, 16 characters), built here so that no key-shaped string is
# committed for a secret scanner to flag.
ZAI_SHAPED = "0f" * 16 + "." + "Xy" * 8
HELD = "held-key-5b1d4e2f7f3a9c0e"


@pytest.fixture
def failing(monkeypatch):
    def command_raising(error):
        monkeypatch.setattr(cli_main, "_command", lambda name: (lambda args: (_ for _ in ()).throw(error)))
    return command_raising


def test_an_unexpected_error_is_one_line_exit_1_without_any_key(failing, capsys, monkeypatch):
    monkeypatch.setenv("ZAI_API_KEY", "env-key-0f9e8d7c6b5a4321")
    remember(HELD)
    failing(ValueError(f"Invalid header value b'Bearer {HELD}\\n' after env-key-0f9e8d7c6b5a4321 and {ZAI_SHAPED}"))
    assert cli_main.main(["schema"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: schema failed unexpectedly: ValueError: "), err
    assert HELD not in err and "env-key-0f9e8d7c6b5a4321" not in err and ZAI_SHAPED not in err
    assert "Traceback" not in err and "[secret]" in err


def test_debug_adds_the_scrubbed_traceback(failing, capsys, monkeypatch):
    monkeypatch.setenv("OPENHANDS_ZAI_DEBUG", "1")
    failing(RuntimeError(f"sent Authorization: Bearer sk-litellm-{'9' * 20}"))
    assert cli_main.main(["schema"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "sk-litellm-" not in err


def test_scrub_knows_headers_and_key_shapes():
    assert scrub(f"x-api-key: {ZAI_SHAPED}") == "x-api-key: [secret]"
    assert scrub("Bearer abc.def-ghi, rest") == "Bearer [secret], rest"
    assert scrub("nothing secret here") == "nothing secret here"
