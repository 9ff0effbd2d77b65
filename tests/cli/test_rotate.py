"""rotate-key against moto (Secrets Manager) and the fake Z.AI endpoint on loopback."""

from __future__ import annotations

import boto3
import pytest

from openhands_zai.cli.rotate import CURRENT, PENDING, PREVIOUS, RotationFailed, read_new_key, request_token, rollback, rotate_key
from openhands_zai.cli.zai_api import verify_key
from tests.aws_fixtures import REGION, aws_env, create_secret, labels, moto, value_at  # noqa: F401
from tests.fake_zai import GENERAL_BASE, FakeZai

OLD = "zai-old-key-00000000000000000000"
NEW = "zai-new-key-11111111111111111111"
REVOKED = "zai-revoked-key-2222222222222222"
CODING_ONLY = "zai-coding-plan-key-333333333333"


@pytest.fixture
def fake():
    with FakeZai(valid_keys={OLD, NEW}, coding_plan_keys={CODING_ONLY}) as server:
        yield server


@pytest.fixture
def sm(moto):
    return boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def arn(sm):
    return create_secret(sm, "openhands-zai/test/zai-api-key", OLD)


def verifier(url, model="glm-4.6", timeout=5.0):
    return lambda key: verify_key(url, key, model, timeout=timeout)


def test_rotation_makes_the_verified_key_current_and_keeps_the_old_one_previous(sm, arn, fake):
    lines = []
    version = rotate_key(sm, arn, NEW, verifier(fake.url()), lines.append)
    assert value_at(sm, arn, CURRENT) == NEW
    assert value_at(sm, arn, PREVIOUS) == OLD
    assert labels(sm, arn)[version] == [CURRENT]  # AWSPENDING removed at the end
    assert [line.split("]")[0] for line in lines] == ["[1/5", "[2/5", "[3/5", "[4/5", "[5/5"]
    assert NEW not in "\n".join(lines) and OLD not in "\n".join(lines)
    assert ("GET", "/api/coding/paas/v4/models") in fake.requests
    assert ("POST", "/api/coding/paas/v4/chat/completions") in fake.requests


@pytest.mark.parametrize("key,endpoint,model,reason", [
    (REVOKED, "coding", "glm-4.6", "HTTP 401: the key was rejected"),
    (CODING_ONLY, "general", "glm-4.6", "Coding Plan key; use the coding-plan endpoint"),
    (NEW, "coding", "glm-9", "model 'glm-9' is not available"),
])
def test_a_key_that_fails_verification_never_becomes_current(sm, arn, fake, key, endpoint, model, reason):
    url = fake.url(GENERAL_BASE) if endpoint == "general" else fake.url()
    lines = []
    with pytest.raises(RotationFailed) as failed:
        rotate_key(sm, arn, key, verifier(url, model), lines.append)
    assert reason in str(failed.value)
    assert key not in str(failed.value) + "\n".join(lines)
    assert value_at(sm, arn, CURRENT) == OLD
    assert not any(PENDING in stages for stages in labels(sm, arn).values())  # cleaned up


def test_slow_endpoint_times_out_and_changes_nothing(sm, arn, fake):
    fake.delay = 0.5
    with pytest.raises(RotationFailed, match="timed out"):
        rotate_key(sm, arn, NEW, verifier(fake.url(), timeout=0.2), lambda _: None)
    assert value_at(sm, arn, CURRENT) == OLD


def test_outage_is_reported_and_changes_nothing(sm, arn, fake):
    fake.fail_status = 503
    with pytest.raises(RotationFailed, match="HTTP 503"):
        rotate_key(sm, arn, NEW, verifier(fake.url()), lambda _: None)
    assert value_at(sm, arn, CURRENT) == OLD


class Crash(BaseException):
    """The process dies: no cleanup runs."""


def test_rerun_after_a_crash_reuses_the_pending_version(sm, arn, fake):
    def dies(_key):
        raise Crash()

    with pytest.raises(Crash):
        rotate_key(sm, arn, NEW, dies, lambda _: None)
    before = labels(sm, arn)
    assert value_at(sm, arn, CURRENT) == OLD
    version = rotate_key(sm, arn, NEW, verifier(fake.url()), lambda _: None)
    assert set(labels(sm, arn)) == set(before)  # the same version was reused, none added
    assert version == request_token(NEW, arn, next(v for v, s in before.items() if CURRENT in s))
    assert value_at(sm, arn, CURRENT) == NEW and value_at(sm, arn, PREVIOUS) == OLD


def test_rotating_to_the_current_key_is_a_no_op(sm, arn, fake):
    rotate_key(sm, arn, NEW, verifier(fake.url()), lambda _: None)
    lines = []
    rotate_key(sm, arn, NEW, verifier(fake.url()), lines.append)
    assert "nothing to do" in lines[0]
    assert value_at(sm, arn, PREVIOUS) == OLD  # the working old key was not pushed out


def test_rollback_returns_to_the_previous_key_only_if_it_still_works(sm, arn, fake):
    rotate_key(sm, arn, NEW, verifier(fake.url()), lambda _: None)
    fake.valid_keys.discard(OLD)
    with pytest.raises(RotationFailed, match="previous key no longer works"):
        rollback(sm, arn, verifier(fake.url()), lambda _: None)
    assert value_at(sm, arn, CURRENT) == NEW
    fake.valid_keys.add(OLD)
    rollback(sm, arn, verifier(fake.url()), lambda _: None)
    assert value_at(sm, arn, CURRENT) == OLD and value_at(sm, arn, PREVIOUS) == NEW


def test_rollback_without_a_previous_version(sm, arn, fake):
    with pytest.raises(RotationFailed, match="no AWSPREVIOUS"):
        rollback(sm, arn, verifier(fake.url()), lambda _: None)


def test_missing_secret_is_reported_in_one_line(sm, fake):
    with pytest.raises(RotationFailed, match="ResourceNotFoundException"):
        rotate_key(sm, "openhands-zai/none/zai-api-key", NEW, verifier(fake.url()), lambda _: None)


class Stdin:
    def __init__(self, text, tty=False):
        self.text, self.tty = text, tty

    def isatty(self):
        return self.tty

    def read(self):
        return self.text


@pytest.mark.parametrize("text", ["", "\n", "two words here-and-more\n", "short\n", "a" * 20 + "\nb" * 20 + "\n",
                                  "ключ-ключ-ключ-ключ\n"])
def test_bad_key_on_stdin_is_a_usage_error_that_does_not_echo_it(text):
    from openhands_zai.cli.arguments import UsageError

    with pytest.raises(UsageError) as failed:
        read_new_key(Stdin(text))
    assert str(failed.value).startswith("standard input:")
    for word in text.split():
        assert word not in str(failed.value)


def test_key_on_stdin_is_read_from_the_first_line():
    assert read_new_key(Stdin(f"{NEW}\n")) == NEW
