"""Reading config values the way Pulumi hands them over.

`pulumi config set --path` stores scalars as strings ("0.6", "true"), so numbers and flags
are accepted in both forms. Each function returns None for a value it cannot read; the
caller reports that with the key named.
"""

from __future__ import annotations

import math
from typing import Any


def as_number(value: Any, integer: bool) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value) if not integer else int(value, 10)
        except ValueError:
            return None
    # NaN compares false with every bound, so a range check alone would let it through.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if integer:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value if isinstance(value, int) else None
    return float(value) if isinstance(value, (int, float)) else None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """A whole number (also from a string), or None."""
    number = as_number(value, integer=True)
    return int(number) if number is not None else None
