"""One HTTP exchange with a server the operator commands do not trust to behave: it ends within
one deadline, reads a bounded answer, and fails with an exception a caller turns into one line.

urllib's `timeout` bounds each socket operation, not the exchange: a server that sends one byte a
second keeps `read()` going for ever, and one that sends 200 MB fills memory. Here the request
runs in a daemon thread that reads the answer in chunks up to `MAX_BODY`; the caller waits for it
until the deadline and then gives up on it (it cannot outlive the command: it is a daemon, and
it stops reading at the limit). urllib stays, for its proxy settings (HTTPS_PROXY) and TLS.
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

MAX_BODY = 4 * 1024 * 1024  # an API answer of these checks is a few kB; a model list well under 1 MB
CHUNK = 64 * 1024
T = TypeVar("T")


class ExchangeTimeout(TimeoutError):
    """No complete answer within the deadline."""


class AnswerTooLarge(ValueError):
    """The answer is larger than MAX_BODY: not an API answer."""


class NotHttp(ValueError):
    """What came back is not HTTP (or broke off mid-answer)."""


def within(timeout: float, work: Callable[[], T]) -> T:
    """`work()`, or ExchangeTimeout once `timeout` seconds have passed (the work is abandoned)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread as it is
            outcome["error"] = error

    worker = threading.Thread(target=run, name="openhands-zai-exchange", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ExchangeTimeout(f"no complete answer within {timeout:g}s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _bounded(stream: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise AnswerTooLarge(f"more than {limit // (1024 * 1024)} MiB")
        chunks.append(chunk)


def exchange(request: urllib.request.Request, timeout: float, limit: int = MAX_BODY) -> tuple[int, bytes]:
    """(status, body) of `request`, connect to last byte within `timeout` seconds. Raises
    ExchangeTimeout, AnswerTooLarge, NotHttp, or urllib's URLError/OSError for the network."""

    def run() -> tuple[int, bytes]:
        try:
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return response.status, _bounded(response, limit)
            except urllib.error.HTTPError as error:
                with error:
                    return error.code, _bounded(error, limit)
        except http.client.HTTPException as error:  # a status line that is not HTTP, a broken chunk
            raise NotHttp(type(error).__name__) from None

    return within(timeout, run)


def positive_seconds(text: str) -> float:
    """argparse type for `--timeout`: a number of seconds above zero (a bad one exits 2, before
    anything is stored or sent)."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600 or value != value:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 3600 seconds")
    return value
