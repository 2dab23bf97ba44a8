"""Queries' state files: where each one lives, and whether one is there and opens.

A state file is named after its query (see paths.py). One that DuckDB cannot open is set aside
as `<file>.damaged`, with a warning, for the query to rebuild its state (ksql/runtime/
rebuild.py); so is a write-ahead log left without its database, which would otherwise be
replayed into a new, empty one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

from ksql.storage.paths import child

STATE_SUFFIX = ".duckdb"
WAL_SUFFIX = ".wal"  # DuckDB's write-ahead log beside a database file
DAMAGED_SUFFIX = ".damaged"
# What DuckDB says of a file that is not, or no longer, a database it can read.
_DAMAGE_MESSAGES = ("not a valid DuckDB database", "Corrupt database file", "replaying WAL")

_log = logging.getLogger(__name__)


def state_path(state_dir: Path, query_id: str) -> Path:
    """The state file of the query `query_id` in `state_dir`."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return child(state_dir, query_id, STATE_SUFFIX, spare=len(WAL_SUFFIX))


def usable_state_file(path: Path) -> bool:
    """Whether the state file `path` exists and opens; a damaged one is set aside."""
    wal = path.with_name(path.name + WAL_SUFFIX)
    if not path.exists():
        if wal.exists():
            _set_aside(wal, "a write-ahead log without its database")
        return False
    try:
        con = duckdb.connect(str(path))
        try:
            con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()
        finally:
            con.close()
    except duckdb.Error as e:
        if not any(m in str(e) for m in _DAMAGE_MESSAGES):
            raise
        _set_aside(path, str(e))
        if wal.exists():
            _set_aside(wal, "the write-ahead log of a damaged database")
        return False
    return True


def _set_aside(path: Path, reason: str) -> None:
    aside = path.with_name(path.name + DAMAGED_SUFFIX)
    os.replace(path, aside)
    _log.warning("Set the state file %s aside as %s: %s", path, aside.name, reason)
