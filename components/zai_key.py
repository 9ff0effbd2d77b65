"""What a Z.AI key must look like before anything sends it: one run of printable ASCII, nothing
around it. A key read with its trailing newline (`echo` into a file, a copy from a terminal) would
otherwise reach an `Authorization` header, where HTTP clients refuse it with an error that quotes
the whole header, key included. The checks here never name the value.
"""

from __future__ import annotations

MIN_LENGTH, MAX_LENGTH = 16, 512


def key_problem(value: object) -> str | None:
    """Why `value` cannot be a key, or None. The sentence names the flaw, never the value."""
    if not isinstance(value, str):
        return "is not text (a binary secret?): store the key as a string"
    if not value:
        return "is empty"
    if value != value.strip():
        return ("has whitespace around it (a trailing newline from `echo` or a file?): store the key alone, "
                "e.g. `printf %s \"$KEY\"`")
    if not value.isascii():
        return "holds non-ASCII characters; a Z.AI key is printable ASCII"
    if not value.isprintable() or any(ch.isspace() for ch in value):
        return "holds a space or a control character; a Z.AI key is one run of printable ASCII"
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        return f"is {len(value)} characters long; a key is {MIN_LENGTH}-{MAX_LENGTH}"
    return None
