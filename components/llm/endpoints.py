"""Z.AI endpoints, which plan each serves, and the rules for a custom base URL."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .catalogue import CODING_PLAN, GENERAL_API

# OpenAI-compatible bases. Coding Plan keys work only on a Coding Plan base; the general base
# answers them with business error 1113 ("Insufficient balance"). Keys are bound to their platform:
# a z.ai key is refused on bigmodel.cn and the other way round.
ENDPOINTS: dict[str, str] = {
    "coding-plan": "https://api.z.ai/api/coding/paas/v4",
    "general": "https://api.z.ai/api/paas/v4",
    "china": "https://open.bigmodel.cn/api/paas/v4",
    "china-coding-plan": "https://open.bigmodel.cn/api/coding/paas/v4",
}
ZAI_HOSTS = frozenset(urlsplit(base).hostname for base in ENDPOINTS.values())
_BASE_PATHS = {urlsplit(base).path: base for base in ENDPOINTS.values()}
# What a client appends to the base; pasted with it, every call goes to `<base>/chat/completions/chat/completions`.
_OPERATION_SUFFIXES = ("/chat/completions", "/completions", "/models", "/embeddings")
# Z.AI's Anthropic-compatible base (Claude Code's): OpenHands speaks the OpenAI-compatible API.
_ANTHROPIC_PATH = "/api/anthropic"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plan_of(base_url: str) -> str | None:
    """Which plan a base URL serves: coding-plan, general, or None (a proxy or stand-in we cannot tell)."""
    path = urlsplit(base_url).path.rstrip("/")
    if path.endswith("/api/coding/paas/v4"):
        return CODING_PLAN
    if path.endswith("/api/paas/v4"):
        return GENERAL_API
    return None


def _path_problem(value: str, host: str, path: str) -> str | None:
    """Why `path` cannot be the API base (with the likely fix), or None."""
    trimmed = path.rstrip("/")
    for suffix in _OPERATION_SUFFIXES:
        if trimmed.endswith(suffix):
            return (f"ends with {suffix!r}, which OpenHands appends itself: use the base without it "
                    f"({value.rstrip('/')[: -len(suffix)]})")
    if host not in ZAI_HOSTS:
        return None  # a proxy or a stand-in of the operator's: its paths are its own
    if trimmed.startswith(_ANTHROPIC_PATH):
        return (f"{_ANTHROPIC_PATH} is Z.AI's Anthropic-compatible API (Claude Code's); OpenHands needs the "
                "OpenAI-compatible base: coding-plan or general (china, china-coding-plan on open.bigmodel.cn)")
    if trimmed not in _BASE_PATHS:
        on_host = sorted(base for base in ENDPOINTS.values() if urlsplit(base).hostname == host)
        return f"{path or '/'} is not a Z.AI API base; on {host} the bases are {', '.join(on_host)}"
    return None


def resolve_endpoint(value: str) -> tuple[str | None, str | None]:
    """Return `(base_url, None)` or `(None, what is allowed)` for an endpoint setting."""
    if value in ENDPOINTS:
        return ENDPOINTS[value], None
    allowed = (
        f"one of {', '.join(ENDPOINTS)}, or an https:// URL "
        "(http:// only for a loopback host such as 127.0.0.1 or localhost)"
    )
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return None, f"{value!r} is not a valid URL; allowed: {allowed}"
    if not host:
        return None, f"{value!r} is not allowed; allowed: {allowed}"
    if parts.username or parts.password:
        return None, "credentials in the URL are not allowed; the key comes from openhands-zai:zaiApiKey"
    if parts.query or parts.fragment:
        return None, f"{value!r} must not carry a query or fragment; allowed: {allowed}"
    if parts.scheme == "http" and not _is_loopback(host):
        return None, f"plain http:// is allowed only for a loopback host, not {host!r}; use https://"
    if parts.scheme not in ("https", "http"):
        return None, f"{value!r} is not allowed; allowed: {allowed}"
    problem = _path_problem(value, host, parts.path)
    if problem:
        return None, problem
    return value.rstrip("/"), None
