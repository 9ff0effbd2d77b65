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
from typing import Any

from ..testing import SECRET_SIG, SIG_KEY

REDACTED = "[secret]"


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
