"""`openhands-zai doctor`: why do the model calls fail? One report, each line pass/fail/skip.

Checks, in the order a person would debug: the stack's settings; the secret (AWSCURRENT
readable); DNS; TLS; the key accepted; the key's plan matches the endpoint (Z.AI error 1113);
the model listed by `/models`; a chat completion; tool calling; thinking mode; and with the LLM
gateway, the gateway ready and a completion through it (doctor_gateway.py). A check that
cannot run because an earlier one failed is skipped, naming which. Exit 0 only when none failed.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..llm.catalogue import CATALOGUE
from ..secret.settings import default_secret_name
from ..stack import settings_from_config
from ..zai_key import key_problem
from . import doctor_gateway, zai_api
from .arguments import UsageError, resolve_base_url, resolve_model
from .aws import AWS_ERRORS, client, describe, error_code
from .exchange import within
from .redact import remember
from .stack_files import StackFileError, load_plan_config

TOOL = {"type": "function", "function": {
    "name": "get_current_time", "description": "Returns the current UTC time.",
    "parameters": {"type": "object", "properties": {}, "required": []}}}


@dataclass
class Check:
    name: str
    status: str  # pass | fail | skip
    detail: str
    latency_ms: float | None = None


@dataclass
class Target:
    base_url: str
    model: str
    secret_id: str | None
    region: str | None
    source: str  # where the settings came from
    gateway: doctor_gateway.GatewayTarget | None = None


def _timed(fn):
    started = time.monotonic()
    result = fn()
    return result, (time.monotonic() - started) * 1000


def stack_target(args: Any, checks: list[Check]) -> Target:
    """The endpoint, model and secret: from the stack when given, flags override."""
    base_url = model = secret_id = region = None
    gateway = None
    source = "flags"
    if args.config_file and not args.stack:
        raise UsageError("--config-file: names the stack file of --stack; pass --stack too")
    if args.stack:
        started = time.monotonic()
        try:
            plan_config = load_plan_config(Path(args.project_dir).resolve(), args.stack,
                                           Path(args.config_file) if args.config_file else None)
            settings = settings_from_config(plan_config.config, plan_config.secret_keys)
        except StackFileError as error:
            raise UsageError(f"--stack: {error}") from None
        except ConfigError as error:
            checks.append(Check("settings", "fail", "; ".join(str(p) for p in error.problems),
                                (time.monotonic() - started) * 1000))
        else:
            base_url, model = settings.llm.base_url, settings.llm.default.model
            if settings.secret is not None:
                secret_id = settings.secret.name or default_secret_name(args.stack)
                region = plan_config.config.get("aws:region")
            gateway = doctor_gateway.target_for(settings, args.gateway_url)
            checks.append(Check("settings", "pass", f"stack {args.stack} is valid: profile "
                                f"{settings.llm.default_profile}, model {model}, endpoint {base_url}"
                                + (f", through the LLM gateway ({gateway.model})" if gateway else ""),
                                (time.monotonic() - started) * 1000))
            source = f"stack {args.stack}"
    else:
        checks.append(Check("settings", "skip", "no --stack given: endpoint and model from flags/defaults"))
    return Target(
        base_url=resolve_base_url(args.endpoint) if args.endpoint or not base_url else base_url,
        model=resolve_model(args.model) if args.model or not model else model,
        secret_id=args.secret_id or secret_id,
        region=args.region or region,
        source=source,
        gateway=gateway,
    )


def read_key(target: Target, checks: list[Check]) -> str | None:
    if target.secret_id:
        try:
            sm = client("secretsmanager", target.region)
            answer, latency = _timed(lambda: sm.get_secret_value(SecretId=target.secret_id, VersionStage="AWSCURRENT"))
        except UsageError:
            raise
        except AWS_ERRORS as error:
            hint = ""
            if error_code(error) in ("AccessDeniedException", "AccessDenied"):
                hint = "; the caller needs the reader policy (stack output readerPolicyArn) or a reader role"
            elif error_code(error) == "DecryptionFailure":
                hint = "; the caller may not kms:Decrypt with the secret's key through Secrets Manager"
            checks.append(Check("secret readable", "fail", describe(error) + hint))
            return None
        detail = f"{answer['ARN']}: AWSCURRENT is version {answer['VersionId'][:8]}"
        try:
            versions = sm.describe_secret(SecretId=answer["ARN"]).get("VersionIdsToStages", {})
            pending = [v for v, labels in versions.items() if "AWSPENDING" in labels and "AWSCURRENT" not in labels]
            if pending:  # a rotation that stopped half-way: harmless, but worth knowing on call
                detail += f"; AWSPENDING is on {pending[0][:8]} (an unfinished rotation: re-run or ignore)"
        except AWS_ERRORS:
            pass  # DescribeSecret is in the reader policy, but the check is about reading the value
        value = answer.get("SecretString")
        remember(value if isinstance(value, str) else None)
        problem = key_problem(value)
        if problem:
            # Never sent: a key with a newline fails in the HTTP client with the header quoted whole.
            checks.append(Check("secret readable", "fail", f"{detail}: the value {problem}; it was not sent anywhere. "
                                "Put the key again with `openhands-zai rotate-key`", latency))
            return None
        checks.append(Check("secret readable", "pass", detail, latency))
        return value
    key = os.environ.get("ZAI_API_KEY")
    if key and key_problem(key):
        raise UsageError(f"env ZAI_API_KEY: {key_problem(key)}")
    if key:
        checks.append(Check("secret readable", "skip", "no secret configured: the key comes from env ZAI_API_KEY"))
        return key
    checks.append(Check("secret readable", "fail",
                        "no key to test: pass --secret-id (or --stack with openhands-zai:secret), or set ZAI_API_KEY"))
    return None


def check_dns(host: str, port: int) -> Check:
    try:
        answers, latency = _timed(lambda: socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP))
    except socket.gaierror as error:
        return Check("DNS", "fail", f"cannot resolve {host} ({error.strerror or error})")
    addresses = sorted({answer[4][0] for answer in answers})
    more = f" (+{len(addresses) - 1} more)" if len(addresses) > 1 else ""
    return Check("DNS", "pass", f"{host} -> {addresses[0]}{more}", latency)


def check_tls(host: str, port: int, timeout: float) -> Check:
    def handshake():  # within one deadline: a server that drips it byte by byte cannot hold the check
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                ssl.create_default_context().wrap_socket(raw, server_hostname=host) as tls:
            return tls.version(), tls.getpeercert()

    try:
        (version, cert), latency = _timed(lambda: within(timeout, handshake))
    except ssl.SSLCertVerificationError as error:
        return Check("TLS", "fail", f"certificate of {host} not trusted ({error.verify_message}); behind a "
                                    "TLS-inspecting proxy, point SSL_CERT_FILE at its CA bundle")
    except (ssl.SSLError, OSError) as error:
        return Check("TLS", "fail", zai_api.network_problem(error, f"https://{host}", timeout))
    expires = ssl.cert_time_to_seconds(cert["notAfter"])
    days = int((expires - time.time()) // 86400)
    return Check("TLS", "pass", f"{version}, certificate valid for {days} more days", latency)


def _api_check(name: str, result: zai_api.ApiResult, detail: str) -> Check:
    if result.ok:
        return Check(name, "pass", detail, result.latency_ms)
    return Check(name, "fail", result.problem or "failed", result.latency_ms)


def run_checks(target: Target, key: str | None, timeout: float, checks: list[Check]) -> list[Check]:
    parts = urlsplit(target.base_url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    remaining = ["DNS", "TLS", "key accepted", "plan matches endpoint", "model available", "chat completion",
                 "tool calling", "thinking mode"]

    def skip_rest(reason: str) -> list[Check]:
        done = {c.name for c in checks}
        checks.extend(Check(name, "skip", f"needs {reason}") for name in remaining if name not in done)
        return checks

    checks.append(check_dns(host, port))
    if checks[-1].status == "fail":
        return skip_rest("DNS")
    if parts.scheme == "https":
        checks.append(check_tls(host, port, timeout))
        if checks[-1].status == "fail":
            return skip_rest("TLS")
    else:
        checks.append(Check("TLS", "skip", "plain http (allowed for loopback endpoints only)"))
    if key is None:
        return skip_rest("a key")

    models = zai_api.list_models(target.base_url, key, timeout=timeout)
    listed = zai_api.model_ids(models)
    checks.append(_api_check("key accepted", models, f"GET /models answered with {len(listed)} models"))
    if not models.ok:
        return skip_rest("an accepted key")

    probe = zai_api.chat(target.base_url, key, target.model, timeout=timeout)
    if probe.code == zai_api.INSUFFICIENT_BALANCE:
        checks.append(Check("plan matches endpoint", "fail", probe.problem or "", probe.latency_ms))
    elif probe.ok:
        kind = "Coding Plan" if zai_api.is_coding_plan_endpoint(target.base_url) else "pay-as-you-go"
        checks.append(Check("plan matches endpoint", "pass", f"the {kind} endpoint serves this key", probe.latency_ms))
    else:
        checks.append(Check("plan matches endpoint", "skip", f"inconclusive: {probe.problem}", probe.latency_ms))

    if target.model in listed:
        checks.append(Check("model available", "pass", f"{target.model} is listed by /models"))
    else:
        shown = ", ".join(listed[:8]) + (" ..." if len(listed) > 8 else "")
        checks.append(Check("model available", "fail",
                            f"{target.model} is not listed by this endpoint for this key (listed: {shown or 'none'})"))

    answer = zai_api.chat(target.base_url, key, target.model, max_tokens=16, timeout=timeout)
    content = (zai_api.first_message(answer).get("content") or "").strip()
    checks.append(_api_check("chat completion", answer, f"{target.model} answered ({len(content)} characters)"))
    if not answer.ok:
        return skip_rest("a working chat completion")

    tools = zai_api.chat(target.base_url, key, target.model, max_tokens=128, tools=[TOOL], timeout=timeout,
                         prompt="What is the current UTC time? Use the get_current_time tool.")
    calls = zai_api.first_message(tools).get("tool_calls") or []
    if tools.ok and not calls:
        checks.append(Check("tool calling", "fail", "answered without calling the tool; OpenHands needs native "
                                                    "tool calling (nativeToolCalling) for this model",
                            tools.latency_ms))
    else:
        names = ", ".join(c.get("function", {}).get("name", "?") for c in calls)
        checks.append(_api_check("tool calling", tools, f"called {names}"))

    known = CATALOGUE.get(target.model)
    if known is not None and not known.thinking:
        checks.append(Check("thinking mode", "skip", f"{target.model} has no thinking mode"))
    else:
        thinking = zai_api.chat(target.base_url, key, target.model, max_tokens=64, thinking=True, timeout=timeout)
        said = "with reasoning" if zai_api.first_message(thinking).get("reasoning_content") else \
            "accepted (no reasoning in a short answer)"
        checks.append(_api_check("thinking mode", thinking, f"thinking enabled: {said}"))
    return checks


def report_text(target: Target, checks: list[Check]) -> str:
    lines = [f"openhands-zai doctor: {target.base_url}, model {target.model} ({target.source})"]
    width = max(len(c.name) for c in checks)
    for check in checks:
        latency = f"{check.latency_ms:6.0f} ms" if check.latency_ms is not None else " " * 9
        lines.append(f"  {check.status.upper():4}  {check.name:<{width}}  {latency}  {check.detail}")
    lines.append(summary_line(checks))
    return "\n".join(lines)


def summary_line(checks: list[Check]) -> str:
    counts = {status: sum(c.status == status for c in checks) for status in ("pass", "fail", "skip")}
    verdict = "OK" if not counts["fail"] else "FAILED"
    return f"{verdict}: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"


def main(args: Any) -> int:
    checks: list[Check] = []
    try:
        gateway_key = os.environ.get(doctor_gateway.KEY_ENV)
        if gateway_key and key_problem(gateway_key):
            raise UsageError(f"env {doctor_gateway.KEY_ENV}: {key_problem(gateway_key)}")
        target = stack_target(args, checks)
        key = read_key(target, checks)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    run_checks(target, key, args.timeout, checks)
    if target.gateway is not None:
        checks.extend(doctor_gateway.run_checks(target.gateway, args.timeout, Check))
    for secret in (key, os.environ.get(doctor_gateway.KEY_ENV)):
        if secret:  # nothing a server echoed may carry a key out
            for check in checks:
                check.detail = check.detail.replace(secret, "[secret]")
    failed = any(c.status == "fail" for c in checks)
    if args.format == "json":
        print(json.dumps({"endpoint": target.base_url, "model": target.model, "source": target.source,
                          "ok": not failed,
                          "checks": [{**asdict(c), "latency_ms": None if c.latency_ms is None else round(c.latency_ms, 1)}
                                     for c in checks],
                          "summary": summary_line(checks)}, indent=2))
    else:
        print(report_text(target, checks))
    return 1 if failed else 0
