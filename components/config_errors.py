"""Configuration problems, reported with the key as the user writes it.

Every settings parser collects problems instead of stopping at the first one, so a
user fixing a stack file sees the whole list at once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pulumi.errors import RunError

PROJECT = "openhands-zai"


def config_key(*parts: str) -> str:
    """`config_key("profiles", "coding", "temperature")` -> `openhands-zai:profiles.coding.temperature`."""
    return f"{PROJECT}:" + ".".join(parts)


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ConfigError(RunError):
    """Invalid stack configuration.

    A `pulumi.RunError`, so `pulumi up` prints the problems without a Python traceback;
    `ops plan` catches it and exits 2 with one line per problem.
    """

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in self.problems))


class Problems:
    """Collects problems while a parser walks the user's settings."""

    def __init__(self) -> None:
        self.items: list[ConfigProblem] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(ConfigProblem(key, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


def unknown_key_message(key: str, allowed: list[str]) -> str:
    """`unknown key; did you mean `topP`? allowed: ...`; case, "_" and "-" are ignored first."""
    folded = {name.replace("_", "").replace("-", "").lower(): name for name in allowed}
    guess = folded.get(key.replace("_", "").replace("-", "").lower())
    if guess is None:
        close = difflib.get_close_matches(key, allowed, n=1)
        guess = close[0] if close else None
    hint = f"did you mean `{guess}`? " if guess else ""
    return f"unknown key; {hint}allowed: {', '.join(allowed)}"


def checked_map(raw: Any, key: str, allowed: tuple[str, ...] | list[str], problems: Problems) -> dict | None:
    """`raw` if it is a map (each unknown key reported under `key.<name>`), else None and a problem."""
    if not isinstance(raw, dict):
        problems.add(key, f"must be a map with keys {', '.join(allowed)}")
        return None
    for name in raw:
        if name not in allowed:
            problems.add(f"{key}.{name}", unknown_key_message(str(name), list(allowed)))
    return raw
