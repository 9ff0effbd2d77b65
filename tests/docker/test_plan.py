import dataclasses
import http.server
import json
import subprocess
import sys
import threading

import pytest

from openhands_zai.docker.plan import browser_url, container_env, container_labels, healthcheck_command, published_ports
from tests.helpers import problems, settings


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
    env = dict(e.split("=", 1) for e in container_env(stack.llm, stack.debug, stack.release.pinned, stack.docker,
                                                       "k", "j", "a"))
    assert env["SANDBOX_STARTUP_GRACE_SECONDS"] == "90" and env["TZ"] == "UTC"
    assert env["LLM_MODEL"] == "zai/glm-5.3"


def test_server_keys_callback_port_and_offline_cost_map():
    stack = settings(docker={"port": 8080})
    env = dict(e.split("=", 1) for e in container_env(stack.llm, stack.debug, stack.release.pinned, stack.docker,
                                                       "k", "jwt-value", "agent-value"))
    assert env["JWT_SECRET"] == "jwt-value"
    # Sandboxes call back on the published port, not the container's 3000.
    assert env["SANDBOX_HOST_PORT"] == "8080"
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    # Agent servers: their secret key and the offline cost map, added by the app to each sandbox.
    assert json.loads(env["OH_AGENT_SERVER_ENV"]) == {"LITELLM_LOCAL_MODEL_COST_MAP": "True",
                                                      "OH_SECRET_KEY": "agent-value"}


@pytest.mark.parametrize("docker, ports", [
    ({}, [("127.0.0.1", 3000, 3000), ("172.17.0.1", 3000, 3000)]),
    ({"sandboxGateway": "172.18.0.1", "port": 8080}, [("127.0.0.1", 8080, 3000), ("172.18.0.1", 8080, 3000)]),
    ({"listenAddress": "0.0.0.0"}, [("0.0.0.0", 3000, 3000)]),  # already reachable from the bridge
])
def test_published_ports(docker, ports):
    stack = settings(docker=docker)
    assert published_ports(stack.release.pinned, stack.docker) == ports


@pytest.mark.parametrize("name", ["JWT_SECRET", "OH_SECRET_KEY", "OH_AGENT_SERVER_ENV", "SANDBOX_HOST_PORT"])
def test_extra_env_cannot_shadow_the_server_keys(name):
    assert problems(docker={"extraEnv": {name: "x"}}) == {
        f"openhands-zai:docker.extraEnv.{name}": "is set by the bundle from the typed settings (profiles, "
        "zaiEndpoint, debug, release); change those instead"}


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
