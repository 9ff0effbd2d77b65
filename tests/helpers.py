"""Shared test helpers: settings from a config dict, and a sentinel key that must never leak."""

from components.settings import parse_stack_settings

# Shaped like a real Z.AI key would be in length, but not in form (the repo hook looks for that).
SENTINEL_KEY = "sentinel-zai-key-7f3a9c0e5b1d4e2f"


def settings(**raw):
    return parse_stack_settings(raw)
