"""`openhands-zai doctor` on a gateway stack: the gateway ready, a completion through it, and its
answers explained. The fake gateway answers with the bodies the pinned LiteLLM proxy (1.84.1)
sent in front of the stand-in Z.AI (captured from a run; e2e/test_gateway.py runs the real one)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.aws_fixtures import moto_server  # noqa: F401
from tests.cli.test_aws_commands import ops
from tests.cli.test_doctor import GOOD, _project
from tests.fake_zai import FakeZai

GATEWAY_KEY = "sk-gateway-key-4444444444444444"


def _litellm_error(status: int, message: str, kind: str) -> tuple[int, dict]:
    return status, {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}


# What the proxy answered (LiteLLM keeps Z.AI's message, drops its business code).
ANSWERS = {
    "ok": (200, {"id": "x", "object": "chat.completion", "model": "glm-5.3",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}]}),
    "no-db": _litellm_error(400, "No connected db.", "no_db_connection"),
    "1302": _litellm_error(429, "litellm.RateLimitError: RateLimitError: ZaiException - 您当前使用该API的并发数过高，请降低"
                                "并发，或联系客服增加限额。. Received Model Group=glm-5.3-latest\nAvailable Model Group "
                                "Fallbacks=None", "throttling_error"),
    "1113": _litellm_error(429, "litellm.RateLimitError: RateLimitError: ZaiException - 余额不足或无可用资源包,请充值。",
                           "throttling_error"),
    "1308": _litellm_error(429, "litellm.RateLimitError: RateLimitError: ZaiException - Usage limit reached for 5 hour. "
                                "Your limit will reset at 2026-11-25 23:00:00", "throttling_error"),
    "1261": _litellm_error(400, "litellm.BadRequestError: ZaiException - Prompt exceeds max length", "None"),
    "1210": _litellm_error(400, "litellm.BadRequestError: ZaiException - API 调用参数有误，请检查文档。", "None"),
    "no-key": _litellm_error(401, "Authentication Error, No api key passed in.", "auth_error"),
    "rpm": _litellm_error(429, "litellm.RateLimitError: Model rate limit exceeded. RPM limit=3, current usage=4. "
                               "Received Model Group=glm-5.3-latest", "throttling_error"),
}


class FakeGateway:
    def __init__(self):
        self.answer = "ok"
        self.requests: list[tuple[str, str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                if self.path == "/health/readiness":
                    return self._reply(200, {"status": "healthy", "db": "Not connected"})
                return self._reply(404, {})

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                fake.requests.append((self.path, self.headers.get("Authorization", ""), body))
                if self.headers.get("Authorization") != f"Bearer {GATEWAY_KEY}":
                    return self._reply(*ANSWERS["no-db"])
                return self._reply(*ANSWERS[fake.answer])

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # shutdown() waits out one poll; the default 0.5 s would be most of each test.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture(scope="module")
def zai():
    with FakeZai(valid_keys={GOOD}) as server:
        yield server


@pytest.fixture
def gateway():
    found = FakeGateway()
    yield found
    found.server.shutdown()
    found.server.server_close()


def run(moto_server, zai, tmp_path, gateway_url, key=GATEWAY_KEY, target="docker"):
    config = {"openhands-zai:zaiEndpoint": zai.url(), "openhands-zai:gateway": {"port": 4917},
              "openhands-zai:target": target}
    if target == "kubernetes":
        config["openhands-zai:kubernetes"] = {"secretSync": "direct", "namespace": "agents"}
    args = _project(tmp_path, config)
    env = {"ZAI_API_KEY": GOOD, **({"OPENHANDS_ZAI_GATEWAY_KEY": key} if key else {})}
    result = ops("doctor", *args, *(["--gateway-url", gateway_url] if gateway_url else []), "--format", "json",
                 endpoint=moto_server, env_extra=env)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert GOOD not in result.stdout and GATEWAY_KEY not in result.stdout
    report = json.loads(result.stdout)
    return result.returncode, {c["name"]: c for c in report["checks"]}


def test_a_healthy_gateway_passes_with_its_key(moto_server, zai, gateway, tmp_path):
    code, checks = run(moto_server, zai, tmp_path, gateway.url)
    assert code == 0, checks
    assert "through the LLM gateway (glm-5.3-latest)" in checks["settings"]["detail"]
    assert checks["gateway ready"]["status"] == "pass" and "Not connected" in checks["gateway ready"]["detail"]
    assert checks["gateway completion"]["status"] == "pass"
    ((path, auth, body),) = gateway.requests
    assert path == "/chat/completions" and auth == f"Bearer {GATEWAY_KEY}"
    assert body["model"] == "glm-5.3-latest" and body["max_tokens"] == 1


def test_without_the_gateways_key_the_completion_is_skipped_saying_how(moto_server, zai, gateway, tmp_path):
    code, checks = run(moto_server, zai, tmp_path, gateway.url, key=None)
    assert code == 0
    assert checks["gateway completion"]["status"] == "skip"
    assert "pulumi stack output --show-secrets gatewayKey" in checks["gateway completion"]["detail"]
    assert not gateway.requests


@pytest.mark.parametrize(("answer", "key", "needle"), [
    ("ok", "sk-not-the-gateways", "No connected db.\": the gateway refused the key"),
    ("1302", GATEWAY_KEY, "Z.AI error 1302, passed on by the gateway: too many requests in flight"),
    ("1113", GATEWAY_KEY, "Z.AI error 1113, passed on by the gateway: insufficient balance"),
    ("1308", GATEWAY_KEY, "Z.AI error 1308, passed on by the gateway: the plan's usage limit"),
    ("1261", GATEWAY_KEY, "Z.AI error 1261, passed on by the gateway: the prompt is longer"),
    ("1210", GATEWAY_KEY, "Z.AI error 1210, passed on by the gateway: Z.AI refused a request parameter"),
    ("no-key", GATEWAY_KEY, "HTTP 401: the gateway wants its own key (OPENHANDS_ZAI_GATEWAY_KEY"),
    ("rpm", GATEWAY_KEY, "the gateway's own limit (openhands-zai:gateway.rpm or tpm"),
])
def test_the_gateways_answers_are_explained(moto_server, zai, gateway, tmp_path, answer, key, needle):
    gateway.answer = answer
    code, checks = run(moto_server, zai, tmp_path, gateway.url, key=key)
    assert code == 1
    assert checks["gateway completion"]["status"] == "fail"
    assert needle in checks["gateway completion"]["detail"], checks["gateway completion"]["detail"]


def test_an_unreachable_gateway_on_a_cluster_says_how_to_reach_it(moto_server, zai, tmp_path):
    code, checks = run(moto_server, zai, tmp_path, None, target="kubernetes")
    assert code == 1
    detail = checks["gateway ready"]["detail"]
    assert checks["gateway ready"]["status"] == "fail" and "http://127.0.0.1:4917" in detail
    assert "kubectl -n agents port-forward svc/openhands-gateway 4917" in detail
    assert checks["gateway completion"]["status"] == "skip"
