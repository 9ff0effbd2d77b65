"""`doctor` and `rotate-key` against servers that do not behave, on loopback: one that drips its
answer a byte at a time, one that answers garbage, one that sends 200 MB, one that nests JSON
past Python's parser. Each command ends within its deadline, says what went wrong in one line,
never prints a traceback, keeps its memory bounded, and rotate-key leaves no AWSPENDING behind.

The commands run as users run them (the installed console script, in a subprocess), against a
real socket server and moto's Secrets Manager server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from openhands_zai.cli.rotate import RotationFailed, stages
from tests.aws_fixtures import REGION, create_secret, labels, moto_server, server_client, value_at  # noqa: F401
from tests.helpers import COMMAND

OLD = "zai-old-key-00000000000000000000"
NEW = "zai-new-key-11111111111111111111"
TIMEOUT = 2.0
HUGE = 200 * 1024 * 1024


def _serve(connection: socket.socket, mode: str, stop: threading.Event) -> None:
    try:
        connection.settimeout(1)
        try:
            connection.recv(65536)  # the request; what it says does not matter here
        except OSError:
            pass
        if mode == "slow-drip":
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + b" " * 10_000:
                if stop.is_set():
                    return
                connection.sendall(bytes([byte]))
                time.sleep(0.2)
        elif mode == "garbage":
            connection.sendall(b"\x16\x03\x01 not an HTTP answer at all \xff\xfe\r\n\r\n")
        elif mode == "huge":
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               + f"Content-Length: {HUGE}\r\n\r\n".encode())
            chunk = b"[" * 65536
            for _ in range(HUGE // len(chunk)):
                if stop.is_set():
                    return
                connection.sendall(chunk)
        elif mode == "nested":
            body = b"[" * 200_000 + b"]" * 200_000
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    except OSError:
        pass  # the client gave up on us: that is the point
    finally:
        connection.close()


@pytest.fixture(params=["slow-drip", "garbage", "huge", "nested"])
def hostile(request) -> Iterator[tuple[str, str]]:
    """(mode, base URL) of a loopback server that misbehaves in that mode on every connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=_serve, args=(connection, request.param, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield request.param, f"http://127.0.0.1:{listener.getsockname()[1]}/api/paas/v4"
    stop.set()
    thread.join(5)
    listener.close()


# Runs the command as its only child and writes that child's peak memory (kB) to argv[1].
_MEASURE = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[2:]).returncode; "
            "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
            "sys.exit(code)")


def run_measured(args: list[str], env: dict[str, str], stdin: str | None = None,
                 terminate_when: Callable[[], bool] | None = None,
                 tmp_path=None) -> tuple[int, str, str, float, int | None]:
    """(exit code, stdout, stderr, seconds, peak memory in MiB or None) of the installed command;
    the peak is measured when `tmp_path` is given (in a wrapper whose only child is the command).
    `terminate_when` blocks until the moment to send SIGTERM (an event, not a guessed delay)."""
    started = time.monotonic()
    peak_file = tmp_path / "peak" if tmp_path is not None else None
    argv = [sys.executable, "-c", _MEASURE, str(peak_file), COMMAND, *args] if peak_file else [COMMAND, *args]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    if terminate_when is not None:
        threading.Thread(target=lambda: terminate_when() and process.send_signal(signal.SIGTERM), daemon=True).start()
    out, err = process.communicate(stdin, timeout=300)
    seconds = time.monotonic() - started
    peak = int(peak_file.read_text()) // 1024 if peak_file else None
    return process.returncode, out, err, seconds, peak


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZAI_", "AWS_"))}
    env.update(extra)
    return env


def test_doctor_ends_within_its_deadline_in_one_line_each(hostile, tmp_path):
    mode, base_url = hostile
    code, out, err, seconds, peak = run_measured(
        ["doctor", "--endpoint", base_url, "--model", "glm-4.7", "--timeout", str(TIMEOUT)],
        _env(ZAI_API_KEY=OLD), tmp_path=tmp_path)
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    assert OLD not in out + err
    # The first request fails, in one line that says how; what needs its answer is skipped.
    failed = [line for line in out.splitlines() if line.strip().startswith("FAIL ")]
    assert len(failed) == 1 and "key accepted" in failed[0], out
    expected = {"slow-drip": "timed out", "garbage": "did not answer in HTTP", "huge": "more than an API answer",
                "nested": "not JSON"}[mode]
    assert expected in failed[0], failed[0]
    # Every request it makes is bounded by the one deadline (it makes at most four after a failure).
    assert seconds < 4 * TIMEOUT + 10, seconds
    assert peak is not None and peak < 150, f"{peak} MiB"  # 200 MB were offered


@pytest.fixture
def secret(moto_server):  # noqa: F811 - the fixture's own name
    sm = server_client(moto_server)
    name = f"hostile-{time.monotonic_ns()}"
    return sm, create_secret(sm, name, OLD), moto_server


def _rotate_env(endpoint: str) -> dict[str, str]:
    return _env(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                AWS_DEFAULT_REGION=REGION)


def test_rotate_key_ends_within_its_deadline_and_leaves_no_pending(hostile, secret, tmp_path):
    mode, base_url = hostile
    sm, arn, endpoint = secret
    code, out, err, seconds, peak = run_measured(
        ["rotate-key", "--secret-id", arn, "--endpoint", base_url, "--model", "glm-4.7", "--timeout", str(TIMEOUT)],
        _rotate_env(endpoint), stdin=NEW + "\n", tmp_path=tmp_path)
    assert code == 1, (out, err)
    assert "Traceback" not in out + err and NEW not in out + err
    (line,) = err.strip().splitlines()
    assert line.startswith("error: rotation stopped: verify the new key: list models:"), line
    assert seconds < TIMEOUT + 15, seconds
    assert peak is not None and peak < 150, f"{peak} MiB"
    assert value_at(sm, arn, "AWSCURRENT") == OLD
    assert not [v for v, stage in labels(sm, arn).items() if "AWSPENDING" in stage], mode


def test_a_killed_rotation_leaves_no_pending(secret):
    sm, arn, endpoint = secret
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, never answers: verification hangs
    held: list[socket.socket] = []

    def verifying() -> bool:  # the command connected: its key is stored as AWSPENDING by now
        held.append(listener.accept()[0])
        return True

    try:
        code, out, err, seconds, _ = run_measured(
            ["rotate-key", "--secret-id", arn, "--endpoint", f"http://127.0.0.1:{listener.getsockname()[1]}/v4",
             "--timeout", "60"], _rotate_env(endpoint), stdin=NEW + "\n", terminate_when=verifying)
    finally:
        for connection in held:
            connection.close()
        listener.close()
    assert code == 130, (out, err)
    assert "Traceback" not in out + err and seconds < 30
    assert "removed AWSPENDING" in out
    assert value_at(sm, arn, "AWSCURRENT") == OLD
    assert not [v for v, stage in labels(sm, arn).items() if "AWSPENDING" in stage]


@pytest.mark.parametrize("timeout", ["-5", "0", "nan", "soon"])
def test_a_bad_timeout_is_refused_before_anything_is_stored(secret, timeout):
    sm, arn, endpoint = secret
    code, out, err, _, _ = run_measured(["rotate-key", "--secret-id", arn, "--timeout", timeout],
                                        _rotate_env(endpoint), stdin=NEW + "\n")
    assert code == 2 and "Traceback" not in err and "--timeout" in err
    assert list(labels(sm, arn).values()) == [["AWSCURRENT"]]


def test_managed_rotation_is_refused_with_the_reason():
    class Managed:
        def describe_secret(self, SecretId):  # noqa: N803 - boto3's parameter name
            return {"ARN": SecretId, "RotationEnabled": True,
                    "RotationLambdaARN": "arn:aws:lambda:eu-west-1:123456789012:function:rotate",
                    "VersionIdsToStages": {"v1": ["AWSCURRENT"]}}

    with pytest.raises(RotationFailed, match="managed rotation on .*function:rotate.*rotate-secret"):
        stages(Managed(), "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x")
