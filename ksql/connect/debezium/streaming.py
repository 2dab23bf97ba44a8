"""Streamed changes to Debezium change events: the pgoutput messages of the replication
stream, decoded, become `c`/`u`/`d`/`t` SourceRecords (and tombstones) with their source
block and offsets, transaction by transaction.

It keeps the state of the transaction being read, skips what must not be emitted again
(transactions the snapshot already has, records up to a resumed offset) and knows the
position that is safe to acknowledge: the commit LSN of a transaction still being read
(PostgreSQL sends a transaction again unless its commit starts before the acknowledged
position), else the end of everything read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ksql.connect.api import DataError, SourceRecord
from ksql.connect.debezium.envelope import VERSION, TableSchema
from ksql.connect.debezium.pgoutput import (
    UNCHANGED_TOAST,
    Begin,
    Commit,
    DecodeError,
    Delete,
    Insert,
    PgOutputDecoder,
    Relation,
    Truncate,
    Update,
)
from ksql.connect.debezium.snapshot import SnapshotPoint


class ChangeStream:
    """Turns XLogData frames into records. `table_schema(relation)` gives the schema of a
    captured table, None for a table that is not captured."""

    def __init__(
        self,
        *,
        prefix: str,
        dbname: str,
        partition: dict[str, Any],
        table_schema: Callable[[Relation], TableSchema | None],
        snapshot_lsn: int,
        point: SnapshotPoint | None,
        after: tuple[int, int] | None,
        tombstones: bool,
        skipped: frozenset[str],
    ) -> None:
        self._prefix, self._dbname, self._partition = prefix, dbname, partition
        self._table_schema = table_schema
        self._snapshot_lsn = snapshot_lsn
        self._point = point  # until the stream passes the snapshot
        self._after = after  # the resumed offset: (commit lsn, seq) already written
        self._tombstones = tombstones
        self._skipped = skipped
        self._tables: dict[int, TableSchema | None] = {}
        self._decoder = PgOutputDecoder(self._relation)
        self._handlers: dict[type, Callable[[Any, int, list[SourceRecord]], None]] = {
            Begin: self._begin, Commit: self._commit, Insert: self._insert,
            Update: self._update, Delete: self._delete, Truncate: self._truncate,
        }  # fmt: skip
        self._txn: Begin | None = None
        self._txn_skipped = False
        self._seq = 0
        self._offset_base: dict[str, Any] = {}
        self.read_lsn = 0  # end of the last transaction read
        self.now_ms = 0  # the envelope's ts_ms, set by the task for each batch

    def safe_lsn(self, server_lsn: int) -> int:
        """The position to acknowledge once every record returned so far is written: the
        commit LSN of a transaction still being read, else the end of what was read or
        `server_lsn`, the position the server last reported (it sent all it had before)."""
        if self._txn is not None:
            return self._txn.final_lsn
        return max(self.read_lsn, server_lsn)

    def handle(self, frame: bytes, out: list[SourceRecord]) -> None:
        """Decode one XLogData frame and append its records to `out`."""
        try:
            message = self._decoder.decode(frame, 25)
        except DecodeError as error:
            raise DataError(f"cannot decode a pgoutput message: {error}") from None
        except ValueError as error:  # a converter refused a value
            raise DataError(f"cannot convert a column value: {error}") from None
        handler = self._handlers.get(type(message))
        if handler is not None:  # Relation, Type and Origin need nothing more
            handler(message, int.from_bytes(frame[1:9], "big"), out)

    # -- transactions

    def _relation(self, relation: Relation) -> tuple | None:
        table = self._table_schema(relation)
        self._tables[relation.relid] = table
        return None if table is None else table.converters

    def _begin(self, begin: Begin, _lsn: int, _out: list[SourceRecord]) -> None:
        self._txn, self._seq = begin, 0
        point = self._point
        if point is not None and begin.final_lsn >= point.lsn:
            point = self._point = None
        self._txn_skipped = point is not None and point.has(begin.final_lsn, begin.xid)
        if self._after is not None and begin.final_lsn > self._after[0]:
            self._after = None
        self._offset_base = {
            "lsn": begin.final_lsn, "txId": begin.xid, "ts_usec": begin.commit_ts_us,
            "snapshot_lsn": self._snapshot_lsn,
        }  # fmt: skip
        if point is not None:
            self._offset_base["snapshot_txs"] = point.text

    def _commit(self, commit: Commit, _lsn: int, _out: list[SourceRecord]) -> None:
        self._txn = None
        self.read_lsn = commit.end_lsn

    # -- rows

    def _insert(self, insert: Insert, lsn: int, out: list[SourceRecord]) -> None:
        table = self._tables[insert.relation.relid]
        if table is None or self._txn_skipped or "c" in self._skipped:
            return
        new = insert.new
        assert new is not None  # a captured table's rows are decoded
        self._emit(out, table, "c", table.key(new), None, table.row(new), lsn)

    def _update(self, update: Update, lsn: int, out: list[SourceRecord]) -> None:
        table = self._tables[update.relation.relid]
        if table is None or self._txn_skipped or "u" in self._skipped:
            return
        old, new = update.old, update.new
        assert new is not None
        if old is not None and update.old_is_key:
            old = table.key_only_row(old)
        if UNCHANGED_TOAST in new:
            new = table.fill_unchanged(new, None if update.old_is_key else old)
        key = table.key(new)
        old_key = None if old is None else table.key(old)
        if old is not None and old_key is not None and old_key != key:
            # The key changed: a delete of the old key (and its tombstone), a create of the
            # new one, as Debezium emits it, so compacted topics drop the old key.
            self._emit(out, table, "d", old_key, table.row(old), None, lsn)
            if self._tombstones:
                self._emit(out, table, None, old_key, None, None, lsn)
            self._emit(out, table, "c", key, None, table.row(new), lsn)
            return
        before = None if old is None else table.row(old)
        self._emit(out, table, "u", key, before, table.row(new), lsn)

    def _delete(self, delete: Delete, lsn: int, out: list[SourceRecord]) -> None:
        table = self._tables[delete.relation.relid]
        if table is None or self._txn_skipped or "d" in self._skipped:
            return
        old = delete.old
        assert old is not None  # PostgreSQL refuses deletes without a replica identity
        if delete.old_is_key:
            old = table.key_only_row(old)
        key = table.key(old)
        self._emit(out, table, "d", key, table.row(old), None, lsn)
        if self._tombstones and key is not None:
            self._emit(out, table, None, key, None, None, lsn)

    def _truncate(self, truncate: Truncate, lsn: int, out: list[SourceRecord]) -> None:
        if self._txn_skipped or "t" in self._skipped:
            return
        for relation in truncate.relations:
            table = self._tables.get(relation.relid)
            if table is not None:
                self._emit(out, table, "t", None, None, None, lsn)

    def _emit(
        self,
        out: list[SourceRecord],
        table: TableSchema,
        op: str | None,  # None: a tombstone
        key: dict[str, Any] | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        lsn: int,
    ) -> None:
        self._seq += 1
        txn = self._txn
        assert txn is not None, "a row message outside a transaction"
        if self._after is not None and (txn.final_lsn, self._seq) <= self._after:
            return
        offset = dict(self._offset_base)
        offset["seq"] = self._seq
        if op is None:
            out.append(SourceRecord(
                table.topic, key, None, table.key_schema, None,
                source_partition=self._partition, source_offset=offset,
            ))  # fmt: skip
            return
        source = {
            "version": VERSION, "connector": "postgresql", "name": self._prefix,
            "ts_ms": txn.commit_ts_us // 1000, "snapshot": "false", "db": self._dbname,
            "sequence": None, "schema": table.schema, "table": table.table,
            "txId": txn.xid, "lsn": lsn, "xmin": None,
        }  # fmt: skip
        value = {
            "before": before, "after": after, "source": source, "op": op,
            "ts_ms": self.now_ms, "transaction": None,
        }  # fmt: skip
        out.append(SourceRecord(
            table.topic, key, value, table.key_schema, table.envelope_schema,
            source_partition=self._partition, source_offset=offset,
        ))  # fmt: skip
