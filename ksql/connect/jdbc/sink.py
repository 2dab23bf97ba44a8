"""Kafka Connect's JdbcSinkConnector: topics into database tables.

Records are buffered and written `batch.size` at a time, each batch in one transaction that
also stores the task's positions (next offset per topic partition) in the target's
`__ksql_connect_positions` table. `positions()` hands them to the runtime on start, so every
record is written exactly once: a record below a stored position is never written again, and
one written but not yet stored cannot exist. Records the runtime hands again after a
RetriableError are recognised by their offsets and not buffered twice.

Writes go behind: while the database applies one batch (on the task's writer thread), `put`
prepares the next. A record leaves the buffer only once its batch is committed; a batch that
failed is prepared and written again from the buffer on the next call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from ksql.connect.api import (
    RetriableError,
    SinkConnector,
    SinkRecord,
    SinkTask,
    SinkTaskContext,
)
from ksql.connect.jdbc import sink_config, sink_fields
from ksql.connect.jdbc.dialects import RejectedData
from ksql.connect.jdbc.options import open_dialect
from ksql.connect.jdbc.sink_tables import Tables
from ksql.connect.jdbc.sink_writer import TableBatch, Writer, prepare

Partition = tuple[str, Any]  # (topic, partition)
_PARTITION, _OFFSET, _TOPIC = (
    attrgetter("topic", "partition"),
    attrgetter("offset"),
    attrgetter("topic"),
)


@dataclass(slots=True)
class _Write:
    """A batch on its way: the buffered records it holds and the positions it stores."""

    future: Future
    count: int
    batches: list[TableBatch]
    save: Callable[[Any], None]
    positions: dict[Partition, int]


class JdbcSinkTask(SinkTask):
    def start(self, config: Mapping[str, str], context: SinkTaskContext) -> None:
        self.settings = sink_config.parse(config)
        self.dialect = open_dialect(self.settings.values)
        self.context = context
        self._tables = Tables(self.dialect, self.settings)
        self._writer = Writer(self.dialect, context.report)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="jdbc-sink-writer")
        self._conn: Any = None
        self._buffer: list[SinkRecord] = []  # not yet committed, oldest first
        self._write: _Write | None = None  # holds the first `count` records of the buffer
        self._accepted: dict[Partition, int] = {}  # next offset to buffer, per partition
        self._stored: dict[Partition, int] | None = None  # positions in the target

    def positions(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        stored = self._stored_positions()
        return {p: stored[p] for p in partitions if p in stored}

    def put(self, records: Sequence[SinkRecord]) -> None:
        self._stored_positions()
        self._accept(records)
        size = self.settings.batch_size
        while len(self._buffer) - self._in_flight() >= size:
            self._submit(size, {})

    def flush(self, positions: Mapping[tuple[str, int], int]) -> None:
        size = self.settings.batch_size
        while len(self._buffer) - self._in_flight() > size:
            self._submit(size, {})
        self._settle()
        stored = self._stored_positions()
        if self._buffer or any(stored.get(p, -1) < o for p, o in positions.items()):
            self._submit(len(self._buffer), dict(positions))
            self._settle()

    def stop(self) -> None:
        with suppress(Exception):  # stopping: an unfinished batch is written again next time
            self._settle()
        self._write = None
        self._disconnect()
        self._executor.shutdown(wait=True)

    # ------------------------------------------------------------------ the buffer

    def _accept(self, records: Sequence[SinkRecord]) -> None:
        """Buffer the records not buffered before (the runtime may hand them again)."""
        accepted = self._accepted
        partitions = set(map(_PARTITION, records))
        if len(partitions) == 1:  # one partition, offsets rising: skip a prefix
            (partition,) = partitions
            first = accepted.get(partition, 0)
            if records[0].offset >= first:
                self._buffer.extend(records)
                accepted[partition] = max(map(_OFFSET, records)) + 1
                return
        for record in records:
            if record.offset < 0:  # no offset: nothing to recognise it by
                self._buffer.append(record)
                continue
            partition = (record.topic, record.partition)
            if record.offset >= accepted.get(partition, 0):
                accepted[partition] = record.offset + 1
                self._buffer.append(record)

    def _in_flight(self) -> int:
        return self._write.count if self._write is not None else 0

    def _submit(self, count: int, positions: dict[Partition, int]) -> None:
        """Prepare the next `count` buffered records and hand them to the writer thread."""
        start = self._in_flight()
        records = self._buffer[start : start + count]
        after = _positions_after(records, positions)
        stored = self._stored_positions()
        changed = {p: o for p, o in after.items() if o > stored.get(p, -1)}
        batches = self._batches(records)
        self._settle()  # one batch at a time, in order
        connector, conn = self.context.connector_name, self._connection()

        def save(c: Any) -> None:
            if changed:
                self.dialect.save_positions(c, connector, changed)

        future = self._executor.submit(self._writer.apply, conn, batches, save)
        self._write = _Write(future, len(records), batches, save, changed)

    def _settle(self) -> None:
        """Wait for the batch in flight; on success its records leave the buffer."""
        write, self._write = self._write, None
        if write is None:
            return
        try:
            try:
                write.future.result()
            except RejectedData as error:
                self._writer.recover(self._connection(), write.batches, write.save, error)
        except RetriableError:
            self._disconnect()  # reconnect on the next call; the records stay buffered
            raise
        del self._buffer[: write.count]
        assert self._stored is not None
        self._stored.update(write.positions)

    def _batches(self, records: list[SinkRecord]) -> list[TableBatch]:
        """One batch per table; records that cannot be written are reported here."""
        topics = set(map(_TOPIC, records))
        if len(topics) == 1:
            by_table = {self.settings.table_name(topics.pop()): records}
        else:  # several topics may share a table
            by_table = {}
            for record in records:
                by_table.setdefault(self.settings.table_name(record.topic), []).append(record)
        batches = []
        for name, group in by_table.items():
            extracted = sink_fields.extract(group, self.settings, self.context.topic_columns)
            spec, extracted = self._tables.spec(
                self._idle_connection, self.dialect.parse_table(name), extracted
            )
            batch, errors = prepare(spec, extracted, self._tables, self.dialect)
            for index, error in sorted(errors.items()):
                self.context.report(extracted.records[index], error)
            batches.append(batch)
        return batches

    # ------------------------------------------------------------------ the connection

    def _connection(self) -> Any:
        if self._conn is None:
            with self.dialect.errors(f"Connecting to {self.dialect.target.display}"):
                conn = self.dialect.connect()
                try:
                    with self.dialect.transaction(conn):
                        self.dialect.ensure_positions_table(conn)
                except BaseException:
                    self.dialect.close(conn)
                    raise
            self._conn = conn
            self._tables.forget()
        return self._conn

    def _idle_connection(self) -> Any:
        """The connection once no batch is in flight on it."""
        self._settle()
        return self._connection()

    def _disconnect(self) -> None:
        if self._conn is not None:
            self.dialect.close(self._conn)
            self._conn = None

    def _stored_positions(self) -> dict[Partition, int]:
        if self._stored is None:
            try:
                conn = self._idle_connection()
                with self.dialect.errors("Reading the sink's positions"):
                    stored = self.dialect.load_positions(conn, self.context.connector_name)
                    self.dialect.end_read(conn)
            except RetriableError:
                self._disconnect()
                raise
            self._stored = stored
            for partition, offset in stored.items():
                if offset > self._accepted.get(partition, 0):
                    self._accepted[partition] = offset
        return self._stored


def _positions_after(
    records: list[SinkRecord], positions: Mapping[Partition, int]
) -> dict[Partition, int]:
    """The next offset per partition once `records` are written (at least `positions`)."""
    after = dict(positions)
    partitions = set(map(_PARTITION, records))
    if len(partitions) == 1:
        (partition,) = partitions
        after[partition] = max(after.get(partition, -1), max(map(_OFFSET, records)) + 1)
        return after
    for record in records:
        if record.offset >= 0:
            partition = (record.topic, record.partition)
            after[partition] = max(after.get(partition, -1), record.offset + 1)
    return after


class JdbcSinkConnector(SinkConnector):
    task_class = JdbcSinkTask

    def config_def(self) -> Any:
        return sink_config.CONFIG

    def validate(self, config: Mapping[str, str]) -> None:
        open_dialect(sink_config.parse(config).values)

    def start(self, config: Mapping[str, str]) -> None:
        self.validate(config)
        self.config = dict(config)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.config) for _ in range(max(1, max_tasks))]
