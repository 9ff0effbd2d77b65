"""A local fake of Z.AI's OpenAI-compatible API, on loopback, for the operator commands' tests.

It serves both bases, `/api/coding/paas/v4` (Coding Plan) and `/api/paas/v4` (general), and
answers like Z.AI does for the cases the commands must explain:
- a valid key: models, chat completions (tool calls when tools are sent, reasoning when
  thinking is enabled);
- a revoked or unknown key: HTTP 401;
- a Coding Plan key on the general base: completions answer HTTP 429 with business error 1113;
- an unknown model: HTTP 400 with business error 1211;
- `delay` seconds before every answer (slow responses, timeouts); `fail_status` to answer
  every request with that HTTP status (an outage).

Run by hand for the walk-through in docs/secret.md: `python -m tests.fake_zai --port 8099 --key KEY...`.
"""

from __future__ import annotations

import argparse
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CODING_BASE = "/api/coding/paas/v4"
GENERAL_BASE = "/api/paas/v4"
MODELS = ("glm-5.4", "glm-5.3", "glm-5.2", "glm-5.1", "glm-4.7", "glm-4.6", "glm-4.5-air")


class FakeZai:
    def __init__(self, valid_keys=(), coding_plan_keys=(), models=MODELS, delay=0.0, tls_context=None):
        self.valid_keys = set(valid_keys)  # general-API keys: work on both bases
        self.coding_plan_keys = set(coding_plan_keys)  # work on the coding base only
        self.models = list(models)
        self.delay = delay
        self.fail_status: int | None = None
        self.calls_tools = True  # False: a model that answers in prose instead of calling tools
        # Tool calls to make, one per agent turn, before `finish` (e.g. ("terminal", {"command": "env"})).
        self.script: list[tuple[str, dict]] = []
        # Models answered with Z.AI's HTTP 429 / 1302 (too many requests in flight), to exercise fallbacks.
        self.busy_models: set[str] = set()
        # Seconds a model takes to answer (a long agent turn), to hold requests in flight.
        self.slow_models: dict[str, float] = {}
        self.requests: list[tuple[str, str]] = []
        # Every completion request whole (the end-to-end suite checks what OpenHands sent).
        self.completions: list[dict] = []
        self.lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls_context else "http"
        # A short poll: shutdown() waits up to one interval, and the tests start and stop many servers.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, base=CODING_BASE, host="127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{base}"

    def accepts(self, key: str, base: str = CODING_BASE) -> bool:
        return key in self.valid_keys or (base == CODING_BASE and key in self.coding_plan_keys)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, path: str, key: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests.append((method, path))
            if path.endswith("/chat/completions"):
                self.completions.append({"path": path, "key": key, "body": body})
        if self.fail_status:
            return self.fail_status, {"error": {"code": "500", "message": "internal error"}}
        base = next((b for b in (CODING_BASE, GENERAL_BASE) if path.startswith(b + "/")), None)
        if base is None:
            return 404, {"error": {"code": "404", "message": "not found"}}
        route = path[len(base):]
        if key not in self.valid_keys and key not in self.coding_plan_keys:
            return 401, {"error": {"code": "1002", "message": "Authorization Token非法，请确认Authorization Token正确传递。"}}
        if method == "GET" and route == "/models":
            return 200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "z-ai"} for m in self.models]}
        if method == "POST" and route == "/chat/completions":
            # Billing is checked on completions: a Coding Plan key lists models anywhere.
            if base == GENERAL_BASE and key in self.coding_plan_keys and key not in self.valid_keys:
                return 429, {"error": {"code": "1113", "message": "余额不足或无可用资源包,请充值。"}}
            model = body.get("model")
            if model not in self.models:
                return 400, {"error": {"code": "1211", "message": "模型不存在，请检查模型代码。"}}
            if model in self.slow_models:
                time.sleep(self.slow_models[model])
            if model in self.busy_models:
                return 429, {"error": {"code": "1302",
                                       "message": "您当前使用该API的并发数过高，请降低并发，或联系客服增加限额。"}}
            message = {"role": "assistant", "content": "OK"}
            finish = "stop"
            if body.get("tools") and self.calls_tools:
                names = [t["function"]["name"] for t in body["tools"]]
                # An agent (OpenHands) offers `finish`: end its task (after the scripted calls); else
                # call the first tool.
                with self.lock:
                    scripted = self.script.pop(0) if self.script and self.script[0][0] in names else None
                tool, arguments = scripted or (("finish", {"message": "Done."}) if "finish" in names else (names[0], {}))
                call = {"name": tool, "arguments": json.dumps(arguments)}
                message = {"role": "assistant", "content": "", "tool_calls": [
                    {"id": f"call_{len(self.completions)}", "type": "function", "function": call}]}
                finish = "tool_calls"
            if (body.get("thinking") or {}).get("type") == "enabled":
                message["reasoning_content"] = "The user wants a short answer."
            return 200, {"id": "chatcmpl-fake", "object": "chat.completion", "model": model, "created": int(time.time()),
                         "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                         "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}
        return 404, {"error": {"code": "404", "message": "not found"}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method):
                if fake.delay:
                    time.sleep(fake.delay)
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                auth = self.headers.get("Authorization", "")
                key = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
                status, payload = fake.answer(method, self.path, key, body)
                streamed = status == 200 and body.get("stream") and "choices" in payload
                data = (_event_stream(payload) if streamed else json.dumps(payload)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/event-stream" if streamed else "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def do_GET(self):  # noqa: N802 - http.server's method names
                self._serve("GET")

            def do_POST(self):  # noqa: N802
                self._serve("POST")

            def log_message(self, *args):
                pass

        return Handler


def _event_stream(completion: dict) -> str:
    """A completion as OpenAI-style server-sent events (what Z.AI sends when `stream` is true)."""
    choice = completion["choices"][0]
    delta = {key: value for key, value in choice["message"].items() if value not in ("", None)}
    for index, call in enumerate(delta.get("tool_calls", [])):
        call["index"] = index
    base = {key: completion[key] for key in ("id", "model", "created")}
    chunks = [
        {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {},
                                                                  "finish_reason": choice["finish_reason"]}],
         "usage": completion["usage"]},
    ]
    return "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"


def self_signed_tls(directory, host="localhost"):
    """A CA-less self-signed certificate for `host` (and 127.0.0.1): (server context, cert path)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "fake-zai.pem", directory / "fake-zai.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--key", action="append", default=[], help="a valid general-API key (repeatable)")
    parser.add_argument("--coding-plan-key", action="append", default=[], help="a Coding Plan key (repeatable)")
    args = parser.parse_args()
    fake = FakeZai(args.key, args.coding_plan_key)
    fake.server.server_close()
    fake.server = ThreadingHTTPServer(("127.0.0.1", args.port), fake._handler())
    print(f"fake Z.AI on {fake.url()} (coding plan) and {fake.url(GENERAL_BASE)} (general)", flush=True)
    fake.server.serve_forever()


if __name__ == "__main__":
    main()
