"""`openhands-zai rotate-key`: put a new Z.AI key into Secrets Manager without ever making an
unverified key current.

The Secrets Manager rotation contract, driven by hand:
1. read the secret: which version is AWSCURRENT (and stop if the new key already is);
2. store the new key as AWSPENDING, with a client request token derived from the key and the
   current version, so a retried or re-run rotation reuses its version instead of adding one;
3. read the pending version back and verify that value against Z.AI (list models, a one-token
   chat completion);
4. move AWSCURRENT to it, naming the version it was read from: Secrets Manager refuses the move
   if another rotation moved AWSCURRENT meanwhile, so two rotations can never overwrite each
   other blindly, and the old version becomes AWSPREVIOUS (what `--rollback` returns to);
5. remove AWSPENDING.
A failure before step 4 leaves AWSCURRENT untouched and removes AWSPENDING from the new version,
whatever the failure: a rejected key, a server that never answers (each request has one
deadline), Ctrl-C or SIGTERM. A secret with managed rotation (RotationEnabled) is refused: its
rotation Lambda owns AWSPENDING, and a label put here would break a rotation in flight.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import signal
import sys
import uuid
from collections.abc import Callable
from typing import Any

from ..zai_key import key_problem
from .arguments import UsageError
from .aws import AWS_ERRORS, client, describe, error_code
from .redact import remember
from .zai_api import KeyRejected, verify_key

PENDING, CURRENT, PREVIOUS = "AWSPENDING", "AWSCURRENT", "AWSPREVIOUS"
Verifier = Callable[[str], list[str]]
Say = Callable[[str], None]


class RotationFailed(Exception):
    """The rotation stopped; AWSCURRENT is on a key that was verified before (or untouched)."""


def short(version_id: str | None) -> str:
    return (version_id or "none")[:8]


def request_token(new_key: str, secret_arn: str, current_version: str) -> str:
    """Idempotency token: the same key rotated onto the same current version gets the same version id.

    An HMAC keyed with the new key, so the version id reveals nothing usable about the key.
    """
    digest = hmac.new(new_key.encode(), f"{secret_arn}|{current_version}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16]))


def stages(sm: Any, secret_id: str) -> tuple[str, dict[str, list[str]]]:
    described = sm.describe_secret(SecretId=secret_id)
    if described.get("RotationEnabled"):
        raise RotationFailed(f"{described['ARN']} has managed rotation on (RotationEnabled, Lambda "
                             f"{described.get('RotationLambdaARN') or 'unknown'}): its rotation owns AWSPENDING, and "
                             "a manual one would break a rotation in flight. Rotate with `aws secretsmanager "
                             "rotate-secret`, or turn managed rotation off (`aws secretsmanager cancel-rotate-secret`)")
    return described["ARN"], described.get("VersionIdsToStages", {})


def holder(versions: dict[str, list[str]], stage: str) -> str | None:
    return next((version for version, labels in versions.items() if stage in labels), None)


def _read(sm: Any, arn: str, **which: str) -> str | None:
    """The version's text, or None for a binary secret. Always names the version or stage: a bare
    read may return a stale default (moto does)."""
    value = sm.get_secret_value(SecretId=arn, **which).get("SecretString")
    remember(value)
    return value


def _drop_pending(sm: Any, arn: str, version: str, say: Say) -> None:
    """Best effort: AWSPENDING off our version (if another rotation took the label, leave it)."""
    try:
        sm.update_secret_version_stage(SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=version)
        say(f"      removed AWSPENDING from {short(version)}")
    except AWS_ERRORS as error:
        if error_code(error) == "InvalidParameterException":
            return  # the label is no longer on our version
        say(f"      could not remove AWSPENDING from {short(version)} ({describe(error)}); it is not current, "
            "and the next rotation moves the label")


def rotate_key(sm: Any, secret_id: str, new_key: str, verify: Verifier, say: Say) -> str:
    """Rotate; return the new AWSCURRENT version id. Raises RotationFailed (never leaves AWSCURRENT
    on an unverified key)."""
    try:
        arn, versions = stages(sm, secret_id)
        current = holder(versions, CURRENT)
        if current is None:
            raise RotationFailed(f"{arn} has no AWSCURRENT version; create the secret with `pulumi up` first")
        if hmac.compare_digest((_read(sm, arn, VersionStage=CURRENT) or "").encode(), new_key.encode()):
            say(f"[1/5] {arn}: the new key already is AWSCURRENT ({short(current)}); nothing to do")
            return current
    except AWS_ERRORS as error:
        raise RotationFailed(f"read the secret: {describe(error)}") from None
    say(f"[1/5] {arn}: AWSCURRENT is version {short(current)}")

    token = request_token(new_key, arn, current)
    try:
        sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=new_key, VersionStages=[PENDING])
        # A re-run with the same token is a no-op that applies no labels: make sure ours has it.
        _, versions = stages(sm, arn)
        if PENDING not in versions.get(token, []):
            other = holder(versions, PENDING)
            sm.update_secret_version_stage(SecretId=arn, VersionStage=PENDING, MoveToVersionId=token,
                                           **({"RemoveFromVersionId": other} if other else {}))
        stored = _read(sm, arn, VersionId=token)
    except AWS_ERRORS as error:
        _drop_pending(sm, arn, token, say)
        raise RotationFailed(f"store the new key as AWSPENDING: {describe(error)}") from None
    say(f"[2/5] stored the new key as AWSPENDING (version {short(token)})")

    try:
        if stored is None or not hmac.compare_digest(stored.encode(), new_key.encode()):
            raise KeyRejected("the value read back from AWSPENDING differs from the key given")
        passed = verify(stored)
    except KeyRejected as error:
        _drop_pending(sm, arn, token, say)
        raise RotationFailed(f"verify the new key: {error}; AWSCURRENT stays on {short(current)}") from None
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM) or failed in a way nobody foresaw: the unverified key keeps no label.
        _drop_pending(sm, arn, token, say)
        raise
    say(f"[3/5] verified the new key: {'; '.join(passed)}")

    try:
        sm.update_secret_version_stage(SecretId=arn, VersionStage=CURRENT, MoveToVersionId=token,
                                       RemoveFromVersionId=current)
    except AWS_ERRORS as error:
        # The move may have happened with its answer lost: look before concluding.
        try:
            _, versions = stages(sm, arn)
        except AWS_ERRORS:
            raise RotationFailed(f"move AWSCURRENT: {describe(error)}; could not re-read the secret, so it is "
                                 f"unknown whether AWSCURRENT is {short(current)} or the verified "
                                 f"{short(token)}; both keys work. Re-run rotate-key to finish") from None
        now = holder(versions, CURRENT)
        if now != token:
            _drop_pending(sm, arn, token, say)
            why = (f"another rotation moved AWSCURRENT to {short(now)} while this one was verifying; not "
                   "overriding it (re-run rotate-key if this key should win)" if now != current
                   else describe(error))
            raise RotationFailed(f"move AWSCURRENT: {why}") from None
    say(f"[4/5] moved AWSCURRENT to {short(token)}; AWSPREVIOUS is {short(current)}")

    try:
        sm.update_secret_version_stage(SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=token)
        say("[5/5] removed AWSPENDING")
    except AWS_ERRORS as error:
        if error_code(error) != "InvalidParameterException":
            say(f"[5/5] AWSPENDING left on {short(token)} ({describe(error)}); harmless: it is the current version")
        else:
            say("[5/5] AWSPENDING already gone")
    return token


def rollback(sm: Any, secret_id: str, verify: Verifier, say: Say) -> str:
    """Move AWSCURRENT back to AWSPREVIOUS, after checking that the previous key still works."""
    try:
        arn, versions = stages(sm, secret_id)
        current, previous = holder(versions, CURRENT), holder(versions, PREVIOUS)
        if previous is None:
            raise RotationFailed(f"{arn} has no AWSPREVIOUS version to roll back to")
        say(f"[1/3] {arn}: AWSCURRENT is {short(current)}, AWSPREVIOUS is {short(previous)}")
        old_key = _read(sm, arn, VersionId=previous)
    except AWS_ERRORS as error:
        raise RotationFailed(f"read the secret: {describe(error)}") from None
    problem = key_problem(old_key)
    if problem:
        raise RotationFailed(f"AWSPREVIOUS ({short(previous)}) {problem}; not rolling back to it (it was not sent "
                             "anywhere)")
    assert old_key is not None  # key_problem refuses anything but text
    try:
        passed = verify(old_key)
    except KeyRejected as error:
        raise RotationFailed(f"the previous key no longer works ({error}); not rolling back to it") from None
    say(f"[2/3] verified the previous key: {'; '.join(passed)}")
    try:
        sm.update_secret_version_stage(SecretId=arn, VersionStage=CURRENT, MoveToVersionId=previous,
                                       RemoveFromVersionId=current)
    except AWS_ERRORS as error:
        raise RotationFailed(f"move AWSCURRENT back: {describe(error)}") from None
    say(f"[3/3] moved AWSCURRENT to {short(previous)}; AWSPREVIOUS is now {short(current)}")
    return previous


def read_new_key(stream: Any = None) -> str:
    """The new key from standard input: a prompt without echo on a terminal, else one line (the final
    newline `echo` writes is not part of it). Anything else around or inside the key is refused,
    never trimmed: a stored key must be exactly what Z.AI issued."""
    stream = stream or sys.stdin
    if stream.isatty():
        key = getpass.getpass("New Z.AI API key (input hidden): ")
    else:
        text = stream.read()
        key = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
        if "\n" in key.strip():
            raise UsageError("standard input: expected one line with the key, got several")
    remember(key, key.strip())
    if not key.strip():
        raise UsageError("standard input: no key given (pipe it in, e.g. from your password manager's CLI)")
    problem = key_problem(key)
    if problem:
        raise UsageError(f"standard input: the key {problem}")
    return key


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(args: Any) -> int:
    from .arguments import resolve_base_url, resolve_model

    say = lambda line: print(line, flush=True)  # noqa: E731 - progress goes out as it happens
    try:
        base_url = resolve_base_url(args.endpoint)
        model = resolve_model(args.model)
        sm = client("secretsmanager", args.region)
        new_key = None if args.rollback else read_new_key()
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    def verify(key: str) -> list[str]:
        return verify_key(base_url, key, model, timeout=args.timeout)

    previous = signal.signal(signal.SIGTERM, _interrupted)  # a `kill` cleans up as Ctrl-C does
    try:
        if new_key is None:
            rollback(sm, args.secret_id, verify, say)
        else:
            rotate_key(sm, args.secret_id, new_key, verify, say)
    except RotationFailed as error:
        print(f"error: rotation stopped: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: rotation interrupted; AWSCURRENT is unchanged unless step 4 was reported", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    for line in CONSUMERS_PICK_IT_UP:
        say(line)
    return 0


# What happens next, as it really does: nothing re-reads the key by itself (the gateway and
# OpenHands read it from their environment at start).
CONSUMERS_PICK_IT_UP = (
    "done: AWSCURRENT holds the new key. The running servers still use the old one until they restart:",
    "  Docker target: run `pulumi up`; it reads AWSCURRENT and replaces the container that holds the key (the "
    "gateway's, or OpenHands')",
    "  cluster target: the External Secrets Operator copies it into the cluster within its refresh interval (1 h); "
    "to copy it now: kubectl -n <namespace> annotate externalsecret --all force-sync=$(date +%s) --overwrite",
    "    then restart what reads it: kubectl -n <namespace> rollout restart deployment/openhands-gateway (or, "
    "without the gateway, statefulset/openhands); with Stakater Reloader installed, the workloads' "
    "secret.reloader.stakater.com/reload annotation does this when the Secret changes",
    "  keep the old key valid at Z.AI until the restart is done; `--rollback` returns to it",
)


