"""Consumer-group committed offsets, kept in a small SQLite file next to the topic log.

SQLite gives atomic multi-partition commits (one transaction per `commit`) and a write-ahead
log whose commits survive a process kill; with `fsync=True` they also survive power loss.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path

from ksql.errors import ExecutionError, StorageError

OFFSETS_FILE = "offsets.sqlite"


class OffsetStore:
    """Committed offsets per (group, topic, partition); the offset is the next one to read."""

    def __init__(self, root_dir: str | Path, *, fsync: bool = False) -> None:
        self.root = Path(root_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(
            self.root / OFFSETS_FILE, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS offsets (grp TEXT NOT NULL, topic TEXT NOT NULL, "
            "part INTEGER NOT NULL, off INTEGER NOT NULL, PRIMARY KEY (grp, topic, part)) "
            "WITHOUT ROWID"
        )

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise ExecutionError("The offset store is closed")
        return self._db

    def commit(self, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
        """Atomically record the next offset to read for each (topic, partition)."""
        rows = [(group, t, int(p), int(o)) for (t, p), o in offsets.items()]
        if not rows:
            return
        with self._lock:
            db = self._conn()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany("INSERT OR REPLACE INTO offsets VALUES (?, ?, ?, ?)", rows)
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:  # e.g. a full disk: the commit changed nothing
                raise StorageError(f"Could not commit offsets of group {group}: {e}") from e

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT off FROM offsets WHERE grp = ? AND topic = ? AND part = ?",
                    (group, topic, int(partition)),
                )
                .fetchone()
            )
        return None if row is None else int(row[0])

    def group_offsets(self, group: str) -> dict[tuple[str, int], int]:
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT topic, part, off FROM offsets WHERE grp = ? ORDER BY topic, part",
                    (group,),
                )
                .fetchall()
            )
        return {(t, int(p)): int(o) for t, p, o in rows}

    def highest_committed(self) -> dict[tuple[str, int], int]:
        """The highest offset any group committed, per (topic, partition)."""
        with self._lock:
            rows = (
                self._conn()
                .execute("SELECT topic, part, max(off) FROM offsets GROUP BY topic, part")
                .fetchall()
            )
        return {(t, int(p)): int(o) for t, p, o in rows}

    def groups(self) -> list[str]:
        with self._lock:
            rows = self._conn().execute("SELECT DISTINCT grp FROM offsets ORDER BY grp").fetchall()
        return [r[0] for r in rows]

    def delete_group(self, group: str) -> None:
        with self._lock:
            self._conn().execute("DELETE FROM offsets WHERE grp = ?", (group,))

    def delete_topic(self, topic: str) -> None:
        """Forget offsets of a deleted topic, as Kafka does when a topic goes away."""
        with self._lock:
            self._conn().execute("DELETE FROM offsets WHERE topic = ?", (topic,))

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
