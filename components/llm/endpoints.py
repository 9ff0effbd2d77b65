"""Z.AI endpoints and the rules for a custom base URL."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# OpenAI-compatible bases. Coding Plan keys work only on the Coding Plan base; the general
# base answers them with business error 1113 ("Insufficient balance").
ENDPOINTS: dict[str, str] = {
    "coding-plan": "https://api.z.ai/api/coding/paas/v4",
    "general": "https://api.z.ai/api/paas/v4",
    "china": "https://open.bigmodel.cn/api/paas/v4",
}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return value.rstrip("/"), None
    if parts.scheme == "http":
        return None, f"plain http:// is allowed only for a loopback host, not {host!r}; use https://"
    return None, f"{value!r} is not allowed; allowed: {allowed}"
