"""The operator commands end to end, as docs/cli.md shows them: `openhands-zai ...` in a
subprocess, AWS_ENDPOINT_URL at moto_server on loopback, the fake Z.AI on loopback."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from tests.aws_fixtures import FAKE_CREDENTIALS, create_secret, moto_server, server_client, value_at  # noqa: F401
from tests.conftest import ROOT
from tests.fake_zai import GENERAL_BASE, FakeZai
from tests.helpers import COMMAND, in_server

OLD = "zai-old-key-00000000000000000000"
NEW = "zai-new-key-11111111111111111111"
REVOKED = "zai-revoked-key-2222222222222222"
CODING_ONLY = "zai-coding-plan-key-333333333333"


@pytest.fixture(scope="module")
def fake():
    with FakeZai(valid_keys={OLD, NEW}, coding_plan_keys={CODING_ONLY}) as server:
        yield server


def ops(*args, endpoint, stdin=None, env_extra=None, drop=()):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("ZAI_API_KEY", "PYTHONDONTWRITEBYTECODE")}
    env.update(FAKE_CREDENTIALS, AWS_ENDPOINT_URL=endpoint, **(env_extra or {}))
    for name in drop:
        env.pop(name, None)
    if stdin is None and args[0] in ("doctor", "verify", "audit"):
        return in_server(list(args), env, ROOT)  # the same main(argv), without a process start each
    return subprocess.run([COMMAND, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, env=env,
                          timeout=120)


def new_secret(endpoint, key=OLD):
    sm = server_client(endpoint)
    return sm, create_secret(sm, f"openhands-zai/cli/{uuid.uuid4().hex[:8]}", key)


def test_rotate_key_reads_stdin_verifies_and_promotes(moto_server, fake):
    sm, arn = new_secret(moto_server)
    result = ops("rotate-key", "--secret-id", arn, "--endpoint", fake.url(), stdin=NEW + "\n", endpoint=moto_server)
    assert result.returncode == 0, result.stderr
    assert value_at(sm, arn, "AWSCURRENT") == NEW and value_at(sm, arn, "AWSPREVIOUS") == OLD
    assert [line[:5] for line in result.stdout.splitlines()[:5]] == ["[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"]
    assert NEW not in result.stdout + result.stderr and OLD not in result.stdout + result.stderr

    back = ops("rotate-key", "--secret-id", arn, "--endpoint", fake.url(), "--rollback", endpoint=moto_server)
    assert back.returncode == 0, back.stderr
    assert value_at(sm, arn, "AWSCURRENT") == OLD


@pytest.mark.parametrize("key,base,expected", [
    (REVOKED, "coding", "HTTP 401"),
    (CODING_ONLY, "general", "use the coding-plan endpoint"),
])
def test_rotate_key_refuses_a_key_that_does_not_work(moto_server, fake, key, base, expected):
    sm, arn = new_secret(moto_server)
    url = fake.url(GENERAL_BASE) if base == "general" else fake.url()
    result = ops("rotate-key", "--secret-id", arn, "--endpoint", url, stdin=key, endpoint=moto_server)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: rotation stopped:") and expected in line
    assert key not in result.stdout + result.stderr
    assert value_at(sm, arn, "AWSCURRENT") == OLD


@pytest.mark.parametrize("args,stdin,expected", [
    (["--endpoint", "http://api.z.ai/api/paas/v4"], NEW, "error: --endpoint:"),
    (["--model", "GLM 4.6"], NEW, "error: --model:"),
    ([], "", "error: standard input: no key given"),
    ([], "not a key", "error: standard input:"),
])
def test_rotate_key_usage_errors_exit_2(moto_server, args, stdin, expected):
    _, arn = new_secret(moto_server)
    result = ops("rotate-key", "--secret-id", arn, *args, stdin=stdin, endpoint=moto_server)
    assert result.returncode == 2 and result.stderr.startswith(expected), result.stderr
    assert "Traceback" not in result.stderr


def test_rotate_key_without_region_is_a_usage_error(moto_server):
    result = ops("rotate-key", "--secret-id", "x", stdin=NEW, endpoint=moto_server,
                 env_extra={"AWS_CONFIG_FILE": os.devnull}, drop=("AWS_DEFAULT_REGION",))
    assert result.returncode == 2 and "error: --region:" in result.stderr


def test_rotate_key_missing_secret_exits_1_in_one_line(moto_server, fake):
    result = ops("rotate-key", "--secret-id", "openhands-zai/nope/zai-api-key", "--endpoint", fake.url(),
                 stdin=NEW, endpoint=moto_server)
    assert result.returncode == 1 and "ResourceNotFoundException" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- keys that cannot go into a header: never sent, never printed, one line ------------------------

def test_doctor_refuses_a_stored_key_with_a_newline_without_sending_it(moto_server, fake):
    _, arn = new_secret(moto_server, key=NEW + "\n")
    before = len(fake.requests)
    result = ops("doctor", "--secret-id", arn, "--endpoint", fake.url(), "--format", "json", endpoint=moto_server)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "has whitespace around it" in result.stdout and "it was not sent anywhere" in result.stdout
    assert len(fake.requests) == before, "the key went out"
    assert NEW not in result.stdout + result.stderr


def test_doctor_refuses_a_binary_secret_in_one_check(moto_server, fake):
    sm = server_client(moto_server)
    arn = sm.create_secret(Name=f"openhands-zai/cli/{uuid.uuid4().hex[:8]}", SecretBinary=NEW.encode())["ARN"]
    result = ops("doctor", "--secret-id", arn, "--endpoint", fake.url(), endpoint=moto_server)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "is not text (a binary secret?)" in result.stdout


def test_rollback_refuses_a_previous_key_with_a_newline_and_moves_nothing(moto_server, fake):
    sm, arn = new_secret(moto_server, key=OLD + "\n")
    sm.put_secret_value(SecretId=arn, SecretString=NEW)  # AWSCURRENT NEW, AWSPREVIOUS the flawed OLD
    before = len(fake.requests)
    result = ops("rotate-key", "--secret-id", arn, "--endpoint", fake.url(), "--rollback", endpoint=moto_server)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: rotation stopped: AWSPREVIOUS (") and "has whitespace around it" in line
    assert len(fake.requests) == before and value_at(sm, arn, "AWSCURRENT") == NEW
    assert OLD not in result.stdout + result.stderr


@pytest.mark.parametrize("stdin,expected", [
    ("  " + NEW + "\n", "error: standard input: the key has whitespace around it"),
    (NEW + " \n", "error: standard input: the key has whitespace around it"),
    (NEW[:6] + "\x07" + NEW[6:], "error: standard input: the key holds a space or a control character"),
])
def test_rotate_key_refuses_a_key_it_would_have_to_trim(moto_server, stdin, expected):
    sm, arn = new_secret(moto_server)
    result = ops("rotate-key", "--secret-id", arn, stdin=stdin, endpoint=moto_server)
    assert result.returncode == 2 and result.stderr.startswith(expected), result.stderr
    assert value_at(sm, arn, "AWSCURRENT") == OLD and NEW not in result.stderr


@pytest.mark.parametrize("name", ["ZAI_API_KEY", "OPENHANDS_ZAI_GATEWAY_KEY"])
def test_doctor_refuses_a_key_in_the_environment_with_a_newline(moto_server, fake, name):
    result = ops("doctor", "--endpoint", fake.url(), endpoint=moto_server,
                 env_extra={"ZAI_API_KEY": NEW, name: (NEW if name == "ZAI_API_KEY" else "sk-gateway-0123456789") + "\n"})
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: env {name}: has whitespace around it"), result.stderr
