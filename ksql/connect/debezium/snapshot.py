"""The consistent snapshot of the captured tables, and the point in the stream it stands for.

The snapshot is one REPEATABLE READ transaction, opened after the replication slot exists
(when the task streams afterwards). Every transaction that committed before the slot's
consistent point is visible to it, so the stream read from the slot afterwards holds every
change the snapshot lacks; it also holds
changes the snapshot already has (transactions committed between the slot's creation and the
snapshot). `SnapshotPoint` tells them apart by PostgreSQL's own visibility rule: a streamed
transaction is in the snapshot exactly when its xid is visible to the snapshot
(`pg_current_snapshot()`: below xmin, or below xmax and not in progress). Only transactions
that committed before `lsn` (the WAL insert position read after the snapshot was taken) can
be visible, so the check stops there. This works as well for a slot that already existed
(or a snapshot taken again), where an exported snapshot could not be had.

Rows are read with COPY in text form, so the snapshot converts values with the very same
functions as the stream; `synchronize_seqscans` is off so a table read twice without any
change in between (no WAL written) comes back in the same order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ksql.connect.debezium.catalog import Table


@dataclass(frozen=True, slots=True)
class SnapshotPoint:
    lsn: int  # WAL insert position just after the snapshot was taken
    xmin: int  # pg_current_snapshot(), 64-bit transaction ids
    xmax: int
    in_progress: frozenset[int]

    @classmethod
    def parse(cls, lsn: int, text: str) -> SnapshotPoint:
        """From `lsn` and pg_snapshot's text form 'xmin:xmax:xip,xip'."""
        xmin, xmax, xip = text.split(":")
        return cls(lsn, int(xmin), int(xmax), frozenset(int(x) for x in xip.split(",") if x))

    @property
    def text(self) -> str:
        return f"{self.xmin}:{self.xmax}:{','.join(map(str, sorted(self.in_progress)))}"

    def has(self, commit_lsn: int, xid: int) -> bool:
        """Whether the transaction `xid` (32 bits, as pgoutput sends it) committing at
        `commit_lsn` is already in the snapshot."""
        if commit_lsn >= self.lsn:
            return False
        # Widen to 64 bits: the epoch that puts it closest to xmax.
        full = (self.xmax & ~0xFFFFFFFF) | xid
        if full - self.xmax > 2**31:
            full -= 2**32
        elif self.xmax - full > 2**31:
            full += 2**32
        return full < self.xmin or (full < self.xmax and full not in self.in_progress)


class SnapshotReader:
    """A REPEATABLE READ transaction over `tables` (locked against DDL while it runs)."""

    def __init__(self, conninfo: str, tables: Sequence[Table]) -> None:
        self.conn = psycopg.connect(conninfo)
        self.conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        self.conn.read_only = True
        # Step 1. Lock the tables (this takes no snapshot) so their columns cannot change.
        self.conn.execute("SET LOCAL synchronize_seqscans = off")
        self.conn.execute("SET LOCAL lock_timeout = '10s'")
        if tables:
            names = sql.SQL(", ").join(t.identifier for t in tables)
            self.conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(names))
        # Step 2. The first query takes the snapshot; read the WAL position only after it.
        text, lsn = self.conn.execute(
            "SELECT pg_current_snapshot()::text, pg_current_wal_insert_lsn() - '0/0'::pg_lsn"
        ).fetchall()[0]
        self.point = SnapshotPoint.parse(int(lsn), text)
        self.ts_ms = int(time.time() * 1000)

    def rows(self, table: Table, columns: Sequence[str]) -> Iterator[tuple[str | None, ...]]:
        """The rows of `table` as text values of `columns`, streamed."""
        query = sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), table.identifier
        )
        with self.conn.cursor().copy(query) as copy:
            yield from copy.rows()

    def close(self) -> None:
        self.conn.close()
