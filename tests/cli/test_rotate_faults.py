"""rotate-key under faults and races: AWSCURRENT must always hold a key Z.AI accepts, and the
working key must never be lost.

Faults are injected into the real boto3 client through botocore's event hooks, before a call
(the request never reaches AWS) or after it (AWS applied it, the answer is lost), and into the
fake Z.AI endpoint (outage, timeout, a revoked key).
"""

from __future__ import annotations

import itertools
import threading
import uuid

import boto3
import botocore.exceptions
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openhands_zai.cli.rotate import CURRENT, PREVIOUS, RotationFailed, rotate_key
from openhands_zai.cli.zai_api import verify_key
from tests.aws_fixtures import (  # noqa: F401
    REGION,
    aws_env,
    create_secret,
    labels,
    moto,
    moto_server,
    server_client,
    value_at,
)
from tests.fake_zai import FakeZai

OLD = "zai-old-key-00000000000000000000"
GOOD = [f"zai-good-key-{i}-{'x' * 18}" for i in range(8)]
BAD = "zai-revoked-key-2222222222222222"
SM_CALLS = 9  # more than one rotation makes: every call can be hit


class Crash(BaseException):
    """The process dies mid-step: no cleanup code runs."""


def _client_error(operation):
    return botocore.exceptions.ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


AWS_FAULTS = {
    "throttled": ("before", lambda op: _client_error(op)),
    "unreachable": ("before", lambda op: botocore.exceptions.EndpointConnectionError(
        endpoint_url=f"https://secretsmanager.{REGION}.amazonaws.com")),
    "answer-lost": ("after", lambda op: botocore.exceptions.ReadTimeoutError(
        endpoint_url=f"https://secretsmanager.{REGION}.amazonaws.com")),
    "crash-before": ("before", lambda op: Crash()),
    "crash-after": ("after", lambda op: Crash()),
}
ZAI_FAULTS = ("outage", "timeout", "revoked-key")


class FaultInjector:
    """Raises `fault` at the `at`-th Secrets Manager call of the client (0-based)."""

    def __init__(self, client, at, fault):
        self.calls, self.at, self.fired = 0, at, False
        self.when, self.make = AWS_FAULTS[fault]
        client.meta.events.register("before-call.secrets-manager", self.before)
        client.meta.events.register("after-call.secrets-manager", self.after)

    def _maybe(self, when, model):
        if when == self.when and self.calls == self.at and not self.fired:
            self.fired = True
            raise self.make(model.name)

    def before(self, model, **_):
        self._maybe("before", model)

    def after(self, model, **_):
        try:
            self._maybe("after", model)
        finally:
            self.calls += 1


@pytest.fixture(scope="module")
def fake():
    with FakeZai(valid_keys={OLD, *GOOD}) as server:
        yield server


def verifier(fake, timeout=5.0):
    return lambda key: verify_key(fake.url(), key, "glm-4.6", timeout=timeout)


# One test per fault kind, so the workers share them out; each draws step x key x stale AWSPENDING
# (9 x 2 x 2 = 36 combinations, as many examples): 288 runs in all.
@pytest.mark.parametrize("fault", sorted(AWS_FAULTS) + list(ZAI_FAULTS))
@settings(max_examples=SM_CALLS * 2 * 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(step=st.integers(0, SM_CALLS - 1), new_key_works=st.booleans(), stale_pending=st.booleans())
def test_any_fault_at_any_step_leaves_a_working_key_current(moto, fake, fault, step, new_key_works, stale_pending):
    new_key = GOOD[step % len(GOOD)] if new_key_works else BAD
    sm = boto3.client("secretsmanager", region_name=REGION)
    arn = create_secret(sm, f"openhands-zai/faults/{uuid.uuid4().hex}", OLD)
    old_version = next(v for v, s in labels(sm, arn).items() if CURRENT in s)
    if stale_pending:  # an earlier rotation died after storing its (unverified) key
        sm.put_secret_value(SecretId=arn, SecretString=BAD, VersionStages=["AWSPENDING"])
    timeout = 5.0
    if fault in AWS_FAULTS:
        FaultInjector(sm, step, fault)
    elif fault == "outage":
        fake.fail_status = 502
    elif fault == "timeout":
        fake.delay, timeout = 0.3, 0.05  # the answer comes after the client gave up
    else:
        new_key = BAD

    try:
        rotate_key(sm, arn, new_key, verifier(fake, timeout), lambda _: None)
    except (RotationFailed, Crash):
        pass
    finally:
        fake.fail_status, fake.delay = None, 0.0

    clean = boto3.client("secretsmanager", region_name=REGION)
    current = value_at(clean, arn, CURRENT)
    assert fake.accepts(current), "AWSCURRENT holds a key Z.AI rejects"
    assert OLD in (current, value_at(clean, arn, PREVIOUS)), "the working key was lost"

    # Whatever happened, a fault-free re-run finishes the job (or refuses a bad key) cleanly.
    if fake.accepts(new_key):
        rotate_key(clean, arn, new_key, verifier(fake), lambda _: None)
        assert value_at(clean, arn, CURRENT) == new_key
        assert value_at(clean, arn, PREVIOUS) == OLD
        assert labels(clean, arn)[old_version] == [PREVIOUS]
    else:
        with pytest.raises(RotationFailed):
            rotate_key(clean, arn, new_key, verifier(fake), lambda _: None)
        assert value_at(clean, arn, CURRENT) == OLD


def test_every_step_and_fault_combination_is_reachable(moto, fake):
    """The random test draws from this space; here each AWS fault fires at each call once."""
    fired = set()
    for step, fault in itertools.product(range(SM_CALLS), AWS_FAULTS):
        sm = boto3.client("secretsmanager", region_name=REGION)
        arn = create_secret(sm, f"openhands-zai/grid/{uuid.uuid4().hex}", OLD)
        injector = FaultInjector(sm, step, fault)
        try:
            rotate_key(sm, arn, GOOD[0], verifier(fake), lambda _: None)
        except (RotationFailed, Crash):
            pass
        if injector.fired:
            fired.add(step)
        clean = boto3.client("secretsmanager", region_name=REGION)
        assert fake.accepts(value_at(clean, arn, CURRENT))
        assert OLD in (value_at(clean, arn, CURRENT), value_at(clean, arn, PREVIOUS))
    # A clean rotation makes 7 Secrets Manager calls (describe, read, put, describe, read back,
    # move AWSCURRENT, drop AWSPENDING): a fault can land on each of them.
    assert set(range(7)) <= fired


class Gate:
    """Hold a verification until told to go on: lets a test interleave two rotations exactly."""

    def __init__(self, fake):
        self.fake, self.entered, self.release = fake, threading.Event(), threading.Event()

    def verify(self, key):
        self.entered.set()
        assert self.release.wait(10)
        return verify_key(self.fake.url(), key, "glm-4.6", timeout=5)


@pytest.mark.parametrize("second_key", [GOOD[2], BAD])
def test_two_rotations_at_once_never_leave_an_unverified_key_current(moto_server, fake, second_key):
    setup = server_client(moto_server)
    arn = create_secret(setup, f"openhands-zai/race/{uuid.uuid4().hex}", OLD)
    gate_a = Gate(fake)
    outcome = {}

    def run(name, key, verify):
        try:
            rotate_key(server_client(moto_server), arn, key, verify, lambda _: None)
            outcome[name] = "ok"
        except RotationFailed as error:
            outcome[name] = str(error)

    # A stores its key and waits in verification; B rotates start to finish meanwhile; then A goes on.
    first = threading.Thread(target=run, args=("a", GOOD[1], gate_a.verify))
    first.start()
    assert gate_a.entered.wait(10)
    run("b", second_key, verifier(fake))
    gate_a.release.set()
    first.join(20)

    current = value_at(setup, arn, CURRENT)
    assert fake.accepts(current)
    assert OLD in (current, value_at(setup, arn, PREVIOUS)) or value_at(setup, arn, PREVIOUS) in (GOOD[1], GOOD[2])
    if second_key == BAD:
        assert outcome["b"] != "ok" and outcome["a"] == "ok" and current == GOOD[1]
    else:
        # B won the race; A's verified key does not silently overwrite it.
        assert outcome["b"] == "ok" and current == GOOD[2]
        assert "another rotation moved AWSCURRENT" in outcome["a"]


def test_many_parallel_rotations_end_on_a_working_key(moto_server, fake):
    setup = server_client(moto_server)
    arn = create_secret(setup, f"openhands-zai/crowd/{uuid.uuid4().hex}", OLD)
    keys = [GOOD[i % len(GOOD)] if i % 3 else BAD for i in range(12)]
    threads = [threading.Thread(target=lambda k=k: _quietly(rotate_key, server_client(moto_server), arn, k,
                                                             verifier(fake), lambda _: None)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert fake.accepts(value_at(setup, arn, CURRENT))
    assert fake.accepts(value_at(setup, arn, PREVIOUS))


def _quietly(fn, *args):
    try:
        fn(*args)
    except RotationFailed:
        pass
