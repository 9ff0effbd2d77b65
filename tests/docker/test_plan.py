import dataclasses
import http.server
import subprocess
import sys
import threading

import pytest

from openhands_zai.docker.plan import browser_url, container_env, container_labels, healthcheck_command
from tests.helpers import settings


@pytest.mark.parametrize("docker,url", [
    ({}, "http://127.0.0.1:3000"),
    ({"listenAddress": "0.0.0.0", "port": 8080}, "http://localhost:8080"),
    ({"host": "ssh://ops@build-01", "listenAddress": "0.0.0.0"}, "http://build-01:3000"),
    ({"host": "ssh://ops@build-01"}, "http://127.0.0.1:3000"),  # loopback on the host: via an SSH tunnel
    ({"listenAddress": "::1"}, "http://[::1]:3000"),
])
def test_browser_url(docker, url):
    assert browser_url(settings(docker=docker).docker) == url


def test_extra_env_joins_the_typed_env():
    stack = settings(docker={"extraEnv": {"SANDBOX_STARTUP_GRACE_SECONDS": 90, "TZ": "UTC"}})
    env = dict(e.split("=", 1) for e in container_env(stack.llm, stack.debug, stack.release.pinned, stack.docker, "k"))
    assert env["SANDBOX_STARTUP_GRACE_SECONDS"] == "90" and env["TZ"] == "UTC"
    assert env["LLM_MODEL"] == "zai/glm-4.6"


def test_volume_labels_never_carry_the_settings_hash():
    stack = settings()
    stable, labels = container_labels(stack.llm, stack.release.pinned, stack.debug, {"team": "a"})
    assert "openhands-zai.settings-sha256" in labels and "openhands-zai.settings-sha256" not in stable
    assert stable.items() <= labels.items()


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 - http.server API
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b'"OK"')

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status,healthy", [(200, True), (500, False)])
def test_healthcheck_command_probes_the_health_endpoint(status, healthy):
    # The command runs as Docker would run it inside the container, against a loopback stand-in.
    handler = type("Handler", (_Health,), {"status": status})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        release = dataclasses.replace(settings().release.pinned, port=server.server_address[1])
        command = healthcheck_command(release)
        assert command[:3] == ["CMD", "python", "-c"]
        result = subprocess.run([sys.executable, "-c", command[3]], capture_output=True, timeout=30)
        assert (result.returncode == 0) == healthy
    finally:
        server.shutdown()
        server.server_close()
