"""Reading a file the operator named: one line saying why it cannot be read, never a traceback."""

from __future__ import annotations

from pathlib import Path


class UnreadableFile(Exception):
    """The file is missing, a folder, forbidden or not UTF-8 text; the message says which."""


def read_text(path: Path, what: str) -> str:
    """`path` as UTF-8 text; `what` names what it should be ("a stack file")."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path}: is a directory, not {what}") from None
    except PermissionError:
        raise UnreadableFile(f"{path}: not readable (permission denied)") from None
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path}: is not a text file ({what} is UTF-8 text)") from None
