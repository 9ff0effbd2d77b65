"""A small client for Z.AI's OpenAI-compatible API, for checks only (never for real traffic).

Every answer comes back as an `ApiResult` whose `problem` is one line a person can act on:
HTTP 401/403, Z.AI business errors (1113 on the general endpoint means a Coding Plan key),
unknown models, DNS, TLS and timeouts. The key is sent only in the Authorization header and is
scrubbed from anything the server echoes back.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..llm.endpoints import ENDPOINTS
from .exchange import AnswerTooLarge, ExchangeTimeout, NotHttp, exchange

DEFAULT_TIMEOUT = 20.0
# Z.AI business error codes that the checks explain (Z.AI API reference, "error codes").
INSUFFICIENT_BALANCE = "1113"
MODEL_NOT_FOUND = "1211"
# What the others mean for a Coding Plan user, and fragments of the message Z.AI sends with each
# (Chinese and English): the LLM gateway passes Z.AI's message on but not its code. Matched in this
# order: the weekly/monthly limit (1310) before the 5-hour one (1308), whose fragment it may contain.
ZAI_ERRORS = {
    INSUFFICIENT_BALANCE: (("余额不足", "insufficient balance"),
                           "insufficient balance: the account has no balance or plan quota for this endpoint"),
    "1220": (("无权访问", "do not have permission to access"),
             "this key may not use the model (docs.z.ai: \"You do not have permission to access\"): the Coding Plan "
             "serves its own list, and some models need a higher tier; pick a model the plan lists, or use "
             "zaiEndpoint: general with a pay-as-you-go key"),
    "1302": (("并发数过高", "high concurrency"),
             "too many requests in flight for this key (the Coding Plan allows about one or two at a time); it "
             "clears on retry: keep openhands-zai:gateway.maxParallelRequests at 1-2, or lower concurrency"),
    "1303": (("频率过高", "high frequency"),
             "too many requests per unit of time for this key; it clears when the rate drops: set "
             "openhands-zai:gateway.rpm below it, or fewer agents at a time"),
    "1304": (("当日", "daily"),
             "the key's daily call limit is reached; it resets the next day (Z.AI's time), or raise the limit"),
    "1309": (("套餐已到期", "plan has expired", "subscription has expired"),
             "the GLM Coding Plan subscription has expired: renew it (the key keeps working once it is renewed)"),
    "1310": (("每周", "weekly/monthly limit"),
             "the plan's weekly or monthly limit is used up; Z.AI's message names when it resets (waiting is the only "
             "fix on this key, retries will not help)"),
    "1308": (("使用上限", "usage limit reached"),
             "the plan's usage limit (the Coding Plan's 5-hour quota) is used up; it resets at the time Z.AI "
             "names, or upgrade the plan"),
    "1313": (("公平使用", "fair use"),
             "Z.AI restricted the plan for its fair-use rules (users report it after shared or non-coding use: the "
             "Coding Plan is for one person's coding); see docs.z.ai/devpack/usage-policy and Z.AI support"),
    "1210": (("参数有误", "invalid api parameter"),
             "Z.AI refused a request parameter; with OpenHands usually a prompt past the model's context window: "
             "lower the profile's maxInputTokens so OpenHands condenses sooner"),
    "1261": (("超过最大长度", "exceeds max length"),
             "the prompt is longer than the model's context window: lower the profile's maxInputTokens so "
             "OpenHands condenses sooner, or use a model with a larger window"),
}


def zai_error_code(code: str | None, message: str) -> str | None:
    """Z.AI's business code: the one in the body, or the one whose message this is."""
    if code in ZAI_ERRORS or code == MODEL_NOT_FOUND:
        return code
    text = message.lower()
    return next((known for known, (fragments, _) in ZAI_ERRORS.items() if any(f in text for f in fragments)), None)


@dataclass
class ApiResult:
    ok: bool
    status: int | None
    latency_ms: float
    body: Any = None
    problem: str | None = None  # one line, no secrets
    code: str | None = None  # Z.AI business code, when the body carries one


def is_coding_plan_endpoint(base_url: str) -> bool:
    """Z.AI's Coding Plan bases (and gateways mirroring them) carry `/coding/` in the path."""
    return "/coding/" in urlsplit(base_url).path + "/"


def _scrub(text: str, key: str) -> str:
    return text.replace(key, "[secret]") if key else text


def error_fields(body: Any) -> tuple[str | None, str]:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        return (str(code) if code is not None else None), str(error.get("message") or "")
    return None, ""


def explain(status: int | None, code: str | None, message: str, base_url: str, model: str | None) -> str:
    if code == INSUFFICIENT_BALANCE:
        if not is_coding_plan_endpoint(base_url):
            return ("Z.AI error 1113 (insufficient balance) on a pay-as-you-go endpoint: this is how Z.AI answers a "
                    f"Coding Plan key; use the coding-plan endpoint ({ENDPOINTS['coding-plan']}) "
                    "(or top up the account, if it is a pay-as-you-go key)")
        return "Z.AI error 1113 (insufficient balance): the account has no balance or plan quota left for this endpoint"
    if code in ZAI_ERRORS:
        return f"Z.AI error {code}: {ZAI_ERRORS[code][1]}"
    if code == MODEL_NOT_FOUND or (status == 404 and model):
        return f"model {model!r} is not available to this key on this endpoint (Z.AI error {code or status})"
    if status == 401:
        return "HTTP 401: the key was rejected (wrong, revoked or expired); check the secret's AWSCURRENT version"
    if status == 403:
        return "HTTP 403: the key is valid but not allowed here (plan, region or account restriction)"
    if status == 429:
        return f"HTTP 429: rate limited{f' (Z.AI error {code})' if code else ''}; retry later or lower concurrency"
    if status is not None and status >= 500:
        return f"HTTP {status}: Z.AI server error; retry later"
    detail = f": {message}" if message else ""
    return f"HTTP {status}{f' (Z.AI error {code})' if code else ''}{detail}"


def network_problem(error: BaseException, base_url: str, timeout: float) -> str:
    host = urlsplit(base_url).hostname
    if isinstance(error, ExchangeTimeout):
        return f"timed out: no complete answer from {host} within {timeout:g}s"
    if isinstance(error, AnswerTooLarge):
        return f"{host} sent more than an API answer ({error}); is the endpoint right?"
    if isinstance(error, NotHttp):
        return f"{host} did not answer in HTTP ({error}); is the endpoint right?"
    reason = getattr(error, "reason", error)
    if isinstance(reason, (TimeoutError, socket.timeout)) or isinstance(error, (TimeoutError, socket.timeout)):
        return f"timed out: no answer from {host} within {timeout:g}s"
    if isinstance(reason, socket.gaierror):
        return f"DNS: cannot resolve {host} ({reason.strerror or reason})"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS: certificate of {host} not trusted ({reason.verify_message})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS: handshake with {host} failed ({reason.reason or reason})"
    if isinstance(reason, ConnectionRefusedError):
        return f"connection refused by {host}"
    return f"cannot reach {host}: {reason}"


def call(base_url: str, key: str, method: str, path: str, payload: dict | None = None, *,
         timeout: float = DEFAULT_TIMEOUT, model: str | None = None) -> ApiResult:
    url = base_url.rstrip("/") + path
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": "application/json",
        "User-Agent": "openhands-zai-ops"})
    started = time.monotonic()
    try:
        status, raw = exchange(request, timeout)
    except (urllib.error.URLError, OSError, ValueError) as error:  # the network, the deadline, the answer
        return ApiResult(False, None, (time.monotonic() - started) * 1000,
                         problem=_scrub(network_problem(error, base_url, timeout), key))
    latency = (time.monotonic() - started) * 1000
    body = parse_json(raw)
    if raw and body is None and 200 <= status < 300:
        return ApiResult(False, status, latency, None, f"HTTP {status}, but the answer is not JSON an API sends (or "
                                                        "nested past what a parser takes); is the endpoint right?")
    code, message = error_fields(body)
    # Z.AI answers some business errors with HTTP 200 and an error body.
    if 200 <= status < 300 and code is None:
        return ApiResult(True, status, latency, body)
    return ApiResult(False, status, latency, body, _scrub(explain(status, code, message, base_url, model), key), code)


def parse_json(raw: bytes) -> Any:
    """The answer's JSON, or None when it is not JSON (or nested past what Python parses)."""
    try:
        return json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        return None


def list_models(base_url: str, key: str, *, timeout: float = DEFAULT_TIMEOUT) -> ApiResult:
    return call(base_url, key, "GET", "/models", timeout=timeout)


def model_ids(result: ApiResult) -> list[str]:
    data = result.body.get("data") if isinstance(result.body, dict) else None
    return [str(item["id"]) for item in data or [] if isinstance(item, dict) and item.get("id") is not None]


def chat(base_url: str, key: str, model: str, *, max_tokens: int = 1, tools: list | None = None,
         thinking: bool | None = None, prompt: str = "Reply with OK.", timeout: float = DEFAULT_TIMEOUT) -> ApiResult:
    payload: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": prompt}],
                               "max_tokens": max_tokens, "stream": False}
    if tools:
        payload["tools"] = tools
        payload["tool_choice"] = "auto"
    if thinking is not None:
        payload["thinking"] = {"type": "enabled" if thinking else "disabled"}
    return call(base_url, key, "POST", "/chat/completions", payload, timeout=timeout, model=model)


def first_message(result: ApiResult) -> dict:
    choices = result.body.get("choices") if isinstance(result.body, dict) else None
    if choices and isinstance(choices[0], dict):
        return choices[0].get("message") or {}
    return {}


class KeyRejected(Exception):
    """The key did not pass verification; the message says why (no secrets in it)."""


def verify_key(base_url: str, key: str, model: str, *, timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """List models, then a one-token chat completion. Returns what passed; raises KeyRejected."""
    models = list_models(base_url, key, timeout=timeout)
    if not models.ok:
        raise KeyRejected(f"list models: {models.problem}")
    completion = chat(base_url, key, model, timeout=timeout)
    if not completion.ok:
        raise KeyRejected(f"chat completion with {model}: {completion.problem}")
    if not first_message(completion) and not (completion.body or {}).get("choices"):
        raise KeyRejected(f"chat completion with {model}: the answer has no choices")
    return [f"models listed ({models.latency_ms:.0f} ms)",
            f"one-token chat completion with {model} ({completion.latency_ms:.0f} ms)"]
