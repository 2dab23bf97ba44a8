"""File names made from user-given names (sources, query ids, topics), and the check that a path
stays inside its root: the one place where a name becomes part of a path.

A name of letters and digits (any script), `.`, `_`, `-`, `@` and spaces, other than `.` and
`..`, that fits in one file name is used as it is, so data directories written before keep
their names. Any other name (`/`, `\\`, NUL, a newline, `~`, too long, ...) becomes a
readable prefix, each other character replaced by `_`, then `~` and a hash of the whole name.
A name used as it is never contains `~`, so two names never share a file. Names that differ
only in case stay apart on case-sensitive file systems, as Kafka's topic directories do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ksql.errors import StorageError

NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems
HASH_CHARS = 16
_PLAIN_PUNCTUATION = frozenset("._-@ ")


def _plain(char: str) -> str:
    return char if char.isalnum() or char in _PLAIN_PUNCTUATION else "_"


def safe_component(name: str, suffix: str = "", *, spare: int = 0) -> str:
    """`name` + `suffix` as one file name; `spare` bytes are left free for files named after
    it (DuckDB's `<file>.wal`)."""
    limit = NAME_MAX - spare - len(suffix.encode())
    plain = "".join(_plain(c) for c in name)
    if plain == name and name not in ("", ".", "..") and len(name.encode()) <= limit:
        return name + suffix
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    prefix = plain.encode()[: limit - HASH_CHARS - 1].decode(errors="ignore")
    return f"{prefix}~{digest}{suffix}"


def inside(root: Path, path: Path) -> Path:
    """`path`, once checked to resolve (symbolic links followed) to a place inside `root`."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise StorageError(f"Refusing to use {path!r}: it is outside {root}")
    return path


def child(root: Path, name: str, suffix: str = "", *, spare: int = 0) -> Path:
    """The file or directory for `name` (plus `suffix`) directly inside `root`."""
    return inside(root, root / safe_component(name, suffix, spare=spare))
