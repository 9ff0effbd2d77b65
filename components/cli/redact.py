"""Replace every secret value with "[secret]" and leave everything around it readable.

Two rules, applied together:
- Any string containing a known secret plaintext (the API key, also JSON-escaped) has that
  text replaced, wherever it sits: a settings file's text, one entry of an env list.
- A scalar Pulumi marks secret that contains none of the known plaintexts is redacted
  whole. A list or map marked secret is walked, so a reviewer still sees every non-secret
  env entry around `LLM_API_KEY=[secret]`. (Every secret of this program derives from a
  secret config value, and every secret config value is a known plaintext.)
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from ..testing import SECRET_SIG, SIG_KEY

REDACTED = "[secret]"
# Every key a command reads (the environment's, standard input's, a secret's value), kept for the
# last-resort handler (main.py), which redacts them from any message of an unexpected error.
_SEEN: set[str] = set()
# Environment variables that hold keys the commands use.
KEY_ENVIRONMENT = ("ZAI_API_KEY", "OPENHANDS_ZAI_GATEWAY_KEY")
# What a key looks like where no plaintext is known: after `Bearer ` or `x-api-key:` in an echoed
# header, a Z.AI key's shape (32 hex, a dot, 16 characters), a LiteLLM key (`sk-...`).
_KEY_SHAPES = (re.compile(r"(?i)(bearer\s+|x-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
               re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{32}\.[0-9A-Za-z]{16}(?![0-9A-Za-z])"),
               re.compile(r"(?<![0-9A-Za-z])sk-[0-9A-Za-z_-]{8,}"))


def remember(*secrets: str | None) -> None:
    """Note keys the command holds, so that nothing it prints on a crash can carry them."""
    _SEEN.update(value for value in secrets if value)


def scrub(text: str) -> str:
    """`text` without any key this process has seen or any text shaped like a key: for messages
    of unexpected errors, where a library may have quoted a header or a request."""
    known = {*_SEEN, *(os.environ.get(name) for name in KEY_ENVIRONMENT)}
    # Also each key without its surroundings: a key read with a newline is quoted stripped, or not.
    text = Redactor({value for value in known if value} | {value.strip() for value in known if value}).text(text)
    text = _KEY_SHAPES[0].sub(lambda match: match.group(1) + REDACTED, text)
    for shape in _KEY_SHAPES[1:]:
        text = shape.sub(REDACTED, text)
    return text


class Redactor:
    def __init__(self, secret_values: set[str]):
        variants: set[str] = set()
        for value in secret_values:
            if value:
                variants.add(value)
                variants.add(json.dumps(value)[1:-1])  # as it appears inside JSON text
        # Longest first, so a secret that contains another is replaced whole.
        self._needles = sorted(variants, key=len, reverse=True)

    def text(self, value: str) -> str:
        for needle in self._needles:
            value = value.replace(needle, REDACTED)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            if value.get(SIG_KEY) == SECRET_SIG:
                return self._secret(value.get("value"))
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _secret(self, inner: Any) -> Any:
        if isinstance(inner, (dict, list)):
            return self.value(inner)
        if isinstance(inner, str):
            redacted = self.text(inner)
            return redacted if redacted != inner else REDACTED
        return REDACTED if inner is not None else None
