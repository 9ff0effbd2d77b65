"""Seed Agent Canvas's agent server with the bundle's LLM profiles, where the server runs.

Runs beside the server (a one-shot container in the server's network namespace on Docker, a Job
on the cluster): the deployer's machine cannot reach a remote host's loopback. Standard library
only, so the Canvas image's own Python runs it; it imports nothing of the bundle.

    SEED_FILE=seed.json CANVAS_URL=http://127.0.0.1:8000 CANVAS_SESSION_API_KEY_FILE=key python3 seed.py

The session key is read from the file CANVAS_SESSION_API_KEY_FILE names (so it is in no process
environment or command line), or from CANVAS_SESSION_API_KEY.

Reads the document `canvas/plan.py` renders, waits for the server, saves every profile (the same
name is overwritten, so a re-run is a no-op and a changed setting re-applies), removes the profiles
an earlier run seeded that the stack no longer has (never one a user made in the UI: only names in
SEED_RECORD are candidates), activates the default and reads the result back. Exits 0 when the
server holds what the plan says, else 1 with one line saying why. Never prints a key.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

FORMAT = 1  # canvas/plan.py SEED_FORMAT
HEADER = "X-Session-API-Key"


class SeedFailed(Exception):
    pass


def _call(base: str, key: str, method: str, path: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={HEADER: key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, _json(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _why(status: int, answer: Any) -> str:
    """The server's reason in one line, without the values it echoes (one may be a key)."""
    detail = answer.get("detail") if isinstance(answer, dict) else None
    if isinstance(detail, list):  # FastAPI's validation errors: where and what, never the input
        parts = [".".join(str(p) for p in item.get("loc", ())[1:]) + ": " + str(item.get("msg", ""))
                 for item in detail if isinstance(item, dict)]
        return f"HTTP {status}: " + "; ".join(parts)[:300]
    return f"HTTP {status}" + (f": {str(detail)[:200]}" if detail else "")


def _expect(status: int, answer: Any, allowed: tuple[int, ...], what: str) -> Any:
    if status in (401, 403):
        raise SeedFailed(f"the server refused the session key ({_why(status, answer)}): the seeder's "
                         "session key is not the server's session API key")
    if status not in allowed:
        raise SeedFailed(f"{what}: {_why(status, answer)}")
    return answer


def wait_until_alive(base: str, deadline: float) -> None:
    end = time.monotonic() + deadline
    last = "no answer"
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(base + "/alive", timeout=5) as answer:
                if answer.status == 200:
                    return
                last = f"HTTP {answer.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except OSError as error:
            last = type(error).__name__
        time.sleep(0.5)
    raise SeedFailed(f"the server did not answer {base}/alive within {deadline:g} s (last: {last})")


def seed(document: dict[str, Any], base: str, key: str, previous: list[str]) -> list[str]:
    """Apply `document`; return the names now seeded (for the record)."""
    if document.get("format") != FORMAT:
        raise SeedFailed(f"the seed document is format {document.get('format')!r}; this seeder reads {FORMAT}")
    names = [entry["name"] for entry in document["profiles"]]
    active = document["active"]
    if active not in names:
        raise SeedFailed(f"the default profile {active!r} is not among the seeded profiles")
    listed = _expect(*_call(base, key, "GET", "/api/profiles"), (200,), "list profiles")
    for entry in document["profiles"]:
        name = urllib.parse.quote(entry["name"], safe="")
        _expect(*_call(base, key, "POST", f"/api/profiles/{name}", entry["request"]), (200, 201),
                f"the server refused profile {entry['name']!r}")
    existing = {p.get("name") for p in (listed or {}).get("profiles", [])}
    for gone in sorted(set(previous) - set(names)):
        if gone in existing:
            status, answer = _call(base, key, "DELETE", f"/api/profiles/{urllib.parse.quote(gone, safe='')}")
            if status == 409:  # still referenced (an agent profile uses it): leave it, say so
                print(f"note: profile {gone!r} is no longer in the stack but still in use; left in place")
            else:
                _expect(status, answer, (200, 204, 404), f"remove profile {gone!r}")
    _expect(*_call(base, key, "POST", f"/api/profiles/{urllib.parse.quote(active, safe='')}/activate"), (200,),
            f"activate profile {active!r}")
    held = _expect(*_call(base, key, "GET", "/api/profiles"), (200,), "read the profiles back")
    found = {p.get("name"): p for p in held.get("profiles", [])}
    missing = [n for n in names if n not in found or not found[n].get("api_key_set")]
    if missing or held.get("active_profile") != active:
        raise SeedFailed(f"the server does not hold what was seeded (missing or keyless: {missing}, "
                         f"active: {held.get('active_profile')!r}, expected {active!r})")
    return names


def _session_key() -> str:
    path = os.environ.get("CANVAS_SESSION_API_KEY_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            key = handle.read().strip()
        if not key:
            raise SeedFailed(f"the session key file {path} is empty")
        return key
    key = os.environ.get("CANVAS_SESSION_API_KEY", "")
    if not key:
        raise SeedFailed("neither CANVAS_SESSION_API_KEY_FILE nor CANVAS_SESSION_API_KEY is set")
    return key


def main() -> int:
    base = os.environ.get("CANVAS_URL", "http://127.0.0.1:8000").rstrip("/")
    record = os.environ.get("SEED_RECORD", "")
    try:
        key = _session_key()
        with open(os.environ.get("SEED_FILE", "/run/openhands-zai/seed.json"), encoding="utf-8") as handle:
            document = json.load(handle)
        previous: list[str] = []
        if record and os.path.exists(record):
            with open(record, encoding="utf-8") as handle:
                previous = list(json.load(handle).get("profiles", []))
        wait_until_alive(base, float(os.environ.get("SEED_DEADLINE", "180")))
        names = seed(document, base, key, previous)
        if record:
            os.makedirs(os.path.dirname(record) or ".", exist_ok=True)
            with open(record, "w", encoding="utf-8") as handle:
                json.dump({"profiles": names}, handle)
    except SeedFailed as failure:
        print(f"error: seeding Agent Canvas's LLM profiles: {failure}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as failure:
        print(f"error: seeding Agent Canvas's LLM profiles: {type(failure).__name__}: {failure}", file=sys.stderr)
        return 1
    print(f"seeded {len(names)} LLM profiles ({', '.join(names)}); active: {document['active']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
