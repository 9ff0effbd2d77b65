"""`openhands-zai doctor` on a stack with the LLM gateway: is the gateway ready, and does a tiny
completion go through it with the key OpenHands holds?

The gateway's key is read from `OPENHANDS_ZAI_GATEWAY_KEY` (never a flag: it would sit on the
command line), e.g. `OPENHANDS_ZAI_GATEWAY_KEY=$(pulumi stack output --show-secrets gatewayKey)`.
The gateway's refusals and the Z.AI errors it passes on are explained in words: LiteLLM keeps
Z.AI's message but not its business code, so the code is recognised from the message.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from ..gateway.settings import model_name
from . import zai_api
from .exchange import exchange

KEY_ENV = "OPENHANDS_ZAI_GATEWAY_KEY"
READINESS_PATH = "/health/readiness"  # needs no key and calls no model (plain /health would spend quota)


@dataclass(frozen=True)
class GatewayTarget:
    url: str
    model: str  # the gateway's model name for the default profile
    hint: str  # how the operator reaches it (the cluster target: a port-forward)


def target_for(settings: Any, url: str | None) -> GatewayTarget | None:
    """Where the operator reaches the stack's gateway: on the Docker host where it is published; on a
    cluster through a port-forward (or `--gateway-url`)."""
    gateway = settings.llm_gateway
    if gateway is None:
        return None
    served = model_name(settings.default_profile, settings.default)
    if url:
        return GatewayTarget(url.rstrip("/"), served, "")
    if settings.kubernetes is not None:
        return GatewayTarget(
            f"http://127.0.0.1:{gateway.port}", served,
            f" (it runs in the cluster: `kubectl -n {settings.kubernetes.namespace} port-forward "
            f"svc/openhands-gateway {gateway.port}` first, or pass --gateway-url)")
    return GatewayTarget(f"http://127.0.0.1:{gateway.port}", served,
                                        " (on the Docker host: run doctor there, or pass --gateway-url)")


def explain(status: int | None, message: str) -> str:
    """One line for what the gateway answered."""
    if status == 400 and "no connected db" in message.lower():
        return ("HTTP 400 \"No connected db.\": the gateway refused the key. It has no database, so only its own key "
                f"works: set {KEY_ENV} to the stack output gatewayKey")
    if status == 401:
        return f"HTTP 401: the gateway wants its own key ({KEY_ENV}, the stack output gatewayKey)"
    if status == 400 and "invalid model name" in message.lower():
        return ("HTTP 400: the gateway serves no model of that name: OpenHands' settings and the gateway's config "
                "differ; `pulumi up` renders both from the stack again")
    if status == 429 and "model rate limit exceeded" in message.lower():
        return ("HTTP 429 from the gateway's own limit (openhands-zai:gateway.rpm or tpm, per model per minute): "
                "wait a minute or raise the limit")
    code = zai_api.zai_error_code(None, message)
    if code is not None and code in zai_api.ZAI_ERRORS:
        return f"HTTP {status}: Z.AI error {code}, passed on by the gateway: {zai_api.ZAI_ERRORS[code][1]}"
    if status == 429:
        return "HTTP 429: rate limited (by Z.AI, passed on by the gateway); retry later or lower concurrency"
    if status is not None and status >= 500:
        return f"HTTP {status}: the gateway failed to reach Z.AI or errored; see its logs"
    return f"HTTP {status}: {message[:200]}" if message else f"HTTP {status}"


def _request(url: str, key: str | None, payload: dict | None, timeout: float) -> tuple[int | None, Any, float, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "openhands-zai-ops"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=json.dumps(payload).encode() if payload is not None else None,
                                     method="POST" if payload is not None else "GET", headers=headers)
    started = time.monotonic()
    try:
        status, raw = exchange(request, timeout)
    except (urllib.error.URLError, OSError, ValueError) as error:  # the network, the deadline, the answer
        return None, None, (time.monotonic() - started) * 1000, zai_api.network_problem(error, url, timeout)
    return status, zai_api.parse_json(raw), (time.monotonic() - started) * 1000, ""


def run_checks(target: GatewayTarget, timeout: float, check: Any) -> list[Any]:
    """The gateway's checks; `check` builds one (doctor's Check)."""
    status, body, latency, problem = _request(target.url + READINESS_PATH, None, None, timeout)
    if status != 200:
        detail = problem or explain(status, zai_api.error_fields(body)[1])
        return [check("gateway ready", "fail", f"{target.url}: {detail}{target.hint}", latency),
                check("gateway completion", "skip", "needs a ready gateway")]
    database = (body or {}).get("db", "?") if isinstance(body, dict) else "?"
    found = [check("gateway ready", "pass", f"{target.url} is ready (database: {database})", latency)]
    key = os.environ.get(KEY_ENV)
    if not key:
        found.append(check("gateway completion", "skip", f"set {KEY_ENV} to the gateway's key, e.g. "
                                                         f"{KEY_ENV}=$(pulumi stack output --show-secrets gatewayKey)"))
        return found
    payload = {"model": target.model, "messages": [{"role": "user", "content": "Reply with OK."}], "max_tokens": 1}
    status, body, latency, problem = _request(target.url + "/chat/completions", key, payload, timeout)
    if status == 200 and isinstance(body, dict) and body.get("choices"):
        found.append(check("gateway completion", "pass", f"{target.model} answered through the gateway", latency))
    else:
        detail = problem or explain(status, zai_api.error_fields(body)[1])
        found.append(check("gateway completion", "fail", detail.replace(key, "[secret]"), latency))
    return found
