"""Change data capture from PostgreSQL, as Debezium's PostgresConnector: the connector checks
its configuration and the server; its one task takes a consistent snapshot of the captured
tables (op `r`), then streams their changes from a logical replication slot through
pgoutput (ops `c`, `u`, `d`, `t` and tombstones), on topics `<topic.prefix>.<schema>.<table>`.

Nothing is missed or emitted twice between snapshot and stream (see `snapshot`), and
nothing is lost across crashes: the slot is acknowledged in `commit()`, only up to records
the runtime has written, so after a crash PostgreSQL sends the unacknowledged changes again;
records that were written but whose offsets were not stored are skipped by their offsets
(`offset_order`, see `offsets`).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg

from ksql.connect.api import (
    ConfigError,
    ConnectError,
    DataError,
    RetriableError,
    SourceConnector,
    SourceRecord,
    SourceTask,
    SourceTaskContext,
)
from ksql.connect.debezium import catalog, offsets
from ksql.connect.debezium.envelope import VERSION, TableSchema
from ksql.connect.debezium.pg_types import TypeMapper
from ksql.connect.debezium.pgoutput import Relation
from ksql.connect.debezium.postgres_config import CONFIG_DEF, PostgresConfig, parse
from ksql.connect.debezium.replication import ReplicationStream
from ksql.connect.debezium.snapshot import SnapshotReader
from ksql.connect.debezium.streaming import ChangeStream

log = logging.getLogger(__name__)


def _connect(config: PostgresConfig) -> psycopg.Connection:
    try:
        return psycopg.connect(config.conninfo(connect_timeout=10), autocommit=True)
    except psycopg.OperationalError as error:
        raise ConnectError(
            f"Cannot connect to PostgreSQL at {config.host}:{config.port}/{config.dbname} "
            f"as {config.user}: {str(error).strip()}"
        ) from None


class PostgresSourceTask(SourceTask):
    """Snapshot, then stream. `poll` runs on the task's thread; `stop` may come from another
    one, so both hold `_lock` while they use the connections."""

    def start(self, config: Mapping[str, str], context: SourceTaskContext) -> None:
        self._lock = threading.Lock()
        self._stopping = False
        self.config = cfg = parse(config)
        self.partition = {"server": cfg.prefix}
        self._stream: ReplicationStream | None = None
        self._changes: ChangeStream | None = None
        self._reader: SnapshotReader | None = None
        self._snapshot: Iterator[SourceRecord] | None = None
        self._ack_lsn = 0  # acknowledged by the next commit()
        self._unacked = False  # records returned since the last commit()
        self._meta = _connect(cfg)
        try:
            self._start(context)
        except psycopg.Error as error:
            self._close()
            raise ConnectError(f"PostgreSQL refused the connector's setup: {error}") from None
        except BaseException:
            self._close()
            raise

    def _start(self, context: SourceTaskContext) -> None:
        cfg, meta = self.config, self._meta
        catalog.check_wal_level(meta)
        self._types = TypeMapper(cfg.modes, lambda oid: catalog.type_info(self._meta, oid))
        stored = context.offset(self.partition)
        plan = offsets.resume(stored, cfg.snapshot_mode)
        self._streams = plan.stream
        tables = catalog.list_tables(meta, cfg.tables)
        if plan.stream:
            # Step 1. Publication and slot first: the slot keeps every change from here on.
            catalog.ensure_publication(meta, cfg.publication, cfg.publication_mode, tables)
            slot = catalog.ensure_slot(meta, cfg.slot, cfg.dbname)
            confirmed = slot.confirmed_flush_lsn or 0
            if not plan.snapshot and plan.start_lsn and plan.start_lsn < confirmed:
                log.warning(
                    "slot %s is already past the stored offset (LSN %d < %d): changes in "
                    "between are gone", cfg.slot, plan.start_lsn, confirmed,
                )  # fmt: skip
        # Step 2. The snapshot, taken after the slot exists (see `snapshot`). `_position` is
        # the offset the stream follows: the last record returned, or the snapshot's end.
        self._position: Mapping[str, Any] | None = stored
        if plan.snapshot:
            self._reader = SnapshotReader(cfg.conninfo(), tables)
            self._snapshot = self._snapshot_records(self._reader, tables)
            self._position = offsets.snapshot_offset(self._reader.point, 0, True)
            log.info("snapshot of %d tables at LSN %d", len(tables), self._reader.point.lsn)

    # ------------------------------------------------------------------------- poll

    def poll(self) -> list[SourceRecord]:
        with self._lock:
            if self._stopping:
                return []
            if self._snapshot is not None:
                try:
                    return self._poll_snapshot()
                except psycopg.Error as error:
                    # Its offsets say the snapshot is unfinished: a restarted task redoes it.
                    raise ConnectError(f"The snapshot failed: {error}") from None
            if self._streams:
                try:
                    return self._poll_stream()
                except (psycopg.OperationalError, RetriableError) as error:
                    self._drop_stream()  # the next poll reconnects after the last record
                    raise RetriableError(f"PostgreSQL connection lost: {error}") from None
                except psycopg.Error as error:
                    raise ConnectError(
                        f"PostgreSQL refused a request of the connector: {error}"
                    ) from None
        time.sleep(self.config.poll_interval_s)  # initial_only, after its snapshot
        return []

    def _poll_snapshot(self) -> list[SourceRecord]:
        assert self._snapshot is not None and self._reader is not None
        out = list(itertools.islice(self._snapshot, self.config.max_batch))
        if out:
            self._position = out[-1].source_offset
        if len(out) < self.config.max_batch:  # the snapshot is complete
            self._snapshot = None
            self._reader.close()
            self._reader = None
            log.info("snapshot complete")
        return out

    def _snapshot_records(
        self, reader: SnapshotReader, tables: list[catalog.Table]
    ) -> Iterator[SourceRecord]:
        """Every row of `tables` as an `r` record; the last one is marked as such."""
        cfg, point = self.config, reader.point
        pending: SourceRecord | None = None
        row = 0
        for table in tables:
            schema = self._table_schema(table.oid, table.schema, table.name)
            converters, names = schema.converters, schema.names
            for raw in reader.rows(table, names):
                try:
                    values = [None if v is None else c(v) for c, v in zip(converters, raw)]
                except ValueError as error:
                    raise DataError(f"{table.qualified}: cannot convert a value: {error}") from None
                row += 1
                source = {
                    "version": VERSION, "connector": "postgresql", "name": cfg.prefix,
                    "ts_ms": reader.ts_ms, "snapshot": "true", "db": cfg.dbname,
                    "sequence": None, "schema": table.schema, "table": table.name,
                    "txId": None, "lsn": point.lsn, "xmin": None,
                }  # fmt: skip
                value = {
                    "before": None, "after": schema.row(values), "source": source, "op": "r",
                    "ts_ms": int(time.time() * 1000), "transaction": None,
                }  # fmt: skip
                if pending is not None:
                    yield pending
                offset = offsets.snapshot_offset(point, row, False)
                pending = SourceRecord(
                    schema.topic, schema.key(values), value, schema.key_schema,
                    schema.envelope_schema, source_partition=self.partition,
                    source_offset=offset,
                )  # fmt: skip
        if pending is not None:
            offset["last_snapshot_record"] = True
            source["snapshot"] = "last"
            yield pending

    def _poll_stream(self) -> list[SourceRecord]:
        cfg = self.config
        if self._stream is None:
            self._open_stream()
        stream, changes = self._stream, self._changes
        assert stream is not None and changes is not None
        changes.now_ms = int(time.time() * 1000)
        out: list[SourceRecord] = []
        deadline = time.monotonic() + cfg.poll_interval_s
        while len(out) < cfg.max_batch and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # Wait in short slices, so that stop() need not wait for a whole poll interval.
            frame = stream.read(0 if out else min(remaining, 0.1))
            if frame is None:
                if out:
                    break
                continue
            changes.handle(frame, out)
        safe = changes.safe_lsn(stream.wal_end)
        self._ack_lsn = safe
        if out:
            self._unacked = True
            self._position = out[-1].source_offset
        elif not self._unacked:
            stream.acknowledge(safe)
        stream.keep_alive(cfg.status_interval_s)
        return out

    def _open_stream(self) -> None:
        cfg = self.config
        if self._meta.broken or self._meta.closed:
            try:
                self._meta = _connect(cfg)
            except ConnectError as error:
                raise RetriableError(str(error)) from None
        plan = offsets.stream_from(self._position)
        self._changes = ChangeStream(
            prefix=cfg.prefix, dbname=cfg.dbname, partition=self.partition,
            table_schema=self._relation_schema, snapshot_lsn=plan.snapshot_lsn,
            point=plan.point, after=plan.after, tombstones=cfg.tombstones,
            skipped=cfg.skipped,
        )  # fmt: skip
        self._stream = ReplicationStream(cfg.conninfo(), cfg.slot, cfg.publication, plan.start_lsn)

    def _drop_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream = self._changes = None

    # ------------------------------------------------------------------------- tables

    def _relation_schema(self, relation: Relation) -> TableSchema | None:
        if not self.config.tables(relation.schema, relation.name):
            return None
        columns = [(c.name, c.type_oid, c.type_modifier) for c in relation.columns]
        return self._table_schema(relation.relid, relation.schema, relation.name, columns)

    def _table_schema(
        self,
        relid: int,
        schema: str,
        name: str,
        columns: list[tuple[str, int, int]] | None = None,
    ) -> TableSchema:
        """The table's event schemas; `columns` (name, type OID, modifier) as pgoutput
        describes them, else as the catalog does. Nullability and key come from the
        catalog."""
        found, key = catalog.table_columns(self._meta, relid)
        not_null = {c.name: c.not_null for c in found}
        if columns is None:
            columns = [(c.name, c.type_oid, c.type_modifier) for c in found]
        mapped = [
            (column, self._types.column_type(oid, modifier), not not_null.get(column, False))
            for column, oid, modifier in columns
        ]
        cfg = self.config
        return TableSchema(cfg.prefix, schema, name, mapped, key, cfg.placeholder)

    # ------------------------------------------------------------------------- offsets

    def commit(self) -> None:
        """Acknowledge the slot up to what the records returned so far cover. Called on the
        task's thread between polls, as the API says; from another thread it would wait for
        a running poll and could acknowledge that poll's records before they are written."""
        with self._lock:
            self._unacked = False
            if self._stream is not None:
                try:
                    self._stream.acknowledge(self._ack_lsn)
                except RetriableError:
                    self._drop_stream()  # the next poll reconnects; the ack comes later

    def offset_order(self, source_partition: Mapping[str, Any], offset: Mapping[str, Any]) -> Any:
        return offsets.order(offset)

    def stop(self) -> None:
        self._stopping = True
        if hasattr(self, "_meta"):  # start() got as far as connecting
            with self._lock:
                self._close()

    def _close(self) -> None:
        self._drop_stream()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._snapshot = None
        if self.config.drop_slot_on_stop and not self._meta.closed:
            _drop_slot(self._meta, self.config.slot)
        self._meta.close()


def _drop_slot(conn: psycopg.Connection, slot: str) -> None:
    """Drop `slot`, waiting a little for the walsender that just lost its client to exit."""
    deadline = time.monotonic() + 10
    while True:
        try:
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = %s",
                (slot,),
            )
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class PostgresConnector(SourceConnector):
    """io.debezium.connector.postgresql.PostgresConnector. One task: a slot has one reader."""

    task_class = PostgresSourceTask

    def version(self) -> str:
        return VERSION

    def config_def(self) -> Any:
        return CONFIG_DEF

    def validate(self, config: Mapping[str, str]) -> None:
        """The configuration parses, and the server is reachable with wal_level=logical."""
        cfg = parse(config)
        try:
            with _connect(cfg) as conn:
                catalog.check_wal_level(conn)
        except ConnectError as error:
            raise ConfigError(str(error)) from None
