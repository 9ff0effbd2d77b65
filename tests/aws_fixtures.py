"""AWS emulation for the operator commands' tests: moto in-process, or moto_server on loopback."""

from __future__ import annotations

import socket
import threading

import boto3
import pytest
from moto import mock_aws
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

REGION = "eu-west-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}


@pytest.fixture
def aws_env(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def moto(aws_env):
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def shared_moto():
    """One emulated AWS for a whole module, for tests that each build resources of their own (fresh
    ids, nothing shared): starting moto's EC2 anew costs more than most such tests."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_REGION"):
            patch.delenv(name, raising=False)
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        with mock_aws():
            yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AtomicMotoServer(ThreadedMotoServer):
    """moto_server whose API calls are atomic, as AWS's are: moto's backends check and then change
    (e.g. UpdateSecretVersionStage removes a label, then moves AWSPREVIOUS) without a lock, so two
    concurrent calls can interleave inside one call, which AWS never lets happen. Requests still
    arrive concurrently; each is answered whole before the next is looked at."""

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def atomic(environ, start_response):
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, atomic, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.05)  # stop() waits one poll: 0.5 s by default


@pytest.fixture(scope="module")
def moto_server():
    """moto_server on loopback: what `AWS_ENDPOINT_URL=http://127.0.0.1:PORT` points the CLI at."""
    server = AtomicMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def server_client(endpoint: str, service: str = "secretsmanager"):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def create_secret(sm, name: str, key: str) -> str:
    return sm.create_secret(Name=name, SecretString=key)["ARN"]


def value_at(sm, arn: str, stage: str) -> str | None:
    try:
        return sm.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"]
    except sm.exceptions.ResourceNotFoundException:
        return None


def labels(sm, arn: str) -> dict[str, list[str]]:
    return sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
