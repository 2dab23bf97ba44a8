"""Runs a sink task: read its topics' partitions from their positions, convert and transform
the records and `put` them; every `offset.flush.interval.ms` (1 s) and when the topics run
dry, `flush` and store the positions.

Positions come from the task when it keeps them in the target with the rows (exactly once),
else from the offsets store (at least once, which an upsert by key makes idempotent), else
from the start of each partition (Kafka Connect's `earliest`). A batch the task refuses with
RetriableError is put again after a pause.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ksql.connect.api import ConfigError, RetriableError, SinkRecord, SinkTaskContext
from ksql.connect.dead_letter import ErrorPolicy
from ksql.connect.source_runner import SOURCE_HEADER
from ksql.connect.task_thread import TaskThread

IDLE_WAIT_S = 0.2
FLUSH_INTERVAL_MS = "1000"  # Kafka Connect's offset.flush.interval.ms is 60 s
RETRY_PAUSE_S = 1.0
TOPICS_REFRESH_S = 2.0


class _Context(SinkTaskContext):
    def __init__(self, thread: SinkTaskThread) -> None:
        self.connector_name = thread.connector
        self._thread = thread

    def topic_columns(self, topic: str) -> list[tuple[str, Any, bool]] | None:
        return self._thread.services.topic_columns(topic)

    def report(self, record: SinkRecord, error: BaseException) -> None:
        self._thread.report(record, error)


def sink_topics(config: Mapping[str, str]) -> tuple[list[str], re.Pattern[str] | None]:
    """A sink's `topics` list or `topics.regex`; exactly one must be given."""
    topics = [t.strip() for t in config.get("topics", "").split(",") if t.strip()]
    regex = config.get("topics.regex", "").strip()
    if bool(topics) == bool(regex):
        raise ConfigError(
            "Must configure one of topics or topics.regex" if not topics else
            "topics and topics.regex are mutually exclusive options, but both are set."
        )  # fmt: skip
    return topics, re.compile(regex) if regex else None


class SinkTaskThread(TaskThread):
    def run_task(self) -> None:
        # Plug-in machinery loads when a connector first runs, not when the engine starts.
        from ksql.connect.converters import build_converter
        from ksql.connect.transforms.chain import build_chain

        services = self.services
        self.chain = build_chain(self.config)
        self.keys = build_converter(self.config, True, services.registry)
        self.values = build_converter(self.config, False, services.registry)
        self.errors = ErrorPolicy(self.config, services.log, self.connector, self.task_id)
        self.max_records = int(self.config.get("consumer.override.max.poll.records", "10000"))
        self.topics, self.regex = sink_topics(self.task_config)
        self.raw: dict[int, tuple] = {}  # id of each record put since the last flush -> bytes
        self.positions: dict[tuple[str, int], int] = {}
        task = self.task_class()
        task.start(dict(self.task_config), _Context(self))
        self.task = task
        try:
            self._loop(task)
        finally:
            task.stop()
            self.chain.close()

    def _loop(self, task: Any) -> None:
        """Read, convert and put batches; flush (and store the positions) every
        `offset.flush.interval.ms` and whenever the topics have nothing more, so the target
        writes one batch while the next is read."""
        log = self.services.log
        interval_s = int(self.config.get("offset.flush.interval.ms", FLUSH_INTERVAL_MS)) / 1000
        next_refresh = next_flush = 0.0
        unflushed = False
        while not self.stopping.is_set():
            self.wait_while_paused()
            if time.monotonic() >= next_refresh:
                self._assign(task)
                next_refresh = time.monotonic() + TOPICS_REFRESH_S
            since = log.append_seq
            records, advanced = self._read()
            if advanced:
                self._retrying(lambda: task.put(records))
                self.positions.update(advanced)
                unflushed = True
            if unflushed and (not advanced or time.monotonic() >= next_flush):
                positions = dict(self.positions)
                self._retrying(lambda: task.flush(positions))
                stored = {f"{t}/{p}": o for (t, p), o in positions.items()}
                self.services.offsets.put("sink", self.connector, {"positions": stored})
                self.raw = {}
                unflushed, next_flush = False, time.monotonic() + interval_s
            if not advanced:
                log.wait_for_append(IDLE_WAIT_S, since)

    def _retrying(self, call: Any) -> None:
        while True:
            try:
                call()
                return
            except RetriableError:
                if self.stopping.wait(RETRY_PAUSE_S):
                    raise

    def _assign(self, task: Any) -> None:
        """Add the partitions of topics that exist now (a topic may appear later)."""
        log = self.services.log
        names = list(self.topics)
        if self.regex is not None:
            names = [t.name for t in log.list_topics() if self.regex.fullmatch(t.name)]
        new = []
        for topic in names:
            if not log.topic_exists(topic):
                continue
            for p in range(log.describe_topic(topic).partitions):
                if (topic, p) not in self.positions:
                    new.append((topic, p))
        if not new:
            return
        own = task.positions(new)
        stored = self.services.offsets.get("sink", self.connector).get("positions", {})
        for topic, p in new:
            position = own.get((topic, p))
            if position is None:
                position = stored.get(f"{topic}/{p}", log.start_offset(topic, p))
            self.positions[(topic, p)] = max(int(position), log.start_offset(topic, p))

    def _read(self) -> tuple[list[SinkRecord], dict[tuple[str, int], int]]:
        log = self.services.log
        records: list[SinkRecord] = []
        advanced: dict[tuple[str, int], int] = {}
        for (topic, p), position in list(self.positions.items()):
            batch = log.read(topic, p, position, self.max_records)
            if batch.num_rows == 0:
                continue
            offsets = batch.column("offset").to_pylist()
            advanced[(topic, p)] = offsets[-1] + 1
            rows = zip(
                batch.column("key").to_pylist(), batch.column("value").to_pylist(),
                batch.column("timestamp").to_pylist(), _headers(batch.column("headers")),
                offsets, strict=True,
            )  # fmt: skip
            for key, value, timestamp, headers, offset in rows:
                record = self._convert(topic, p, offset, (key, value, timestamp, headers))
                if record is not None:
                    records.append(record)
        return records, advanced

    def _convert(self, topic: str, partition: int, offset: int, raw: tuple) -> SinkRecord | None:
        key_bytes, value_bytes, timestamp, headers = raw
        try:
            key_schema, key = self.keys.to_connect(topic, key_bytes)
            value_schema, value = self.values.to_connect(topic, value_bytes)
            record = SinkRecord(
                topic, key, value, key_schema, value_schema, timestamp,
                list(headers), partition, offset,
            )  # fmt: skip
            record = self.chain.apply(record)
        except Exception as error:  # noqa: BLE001 - the error policy decides
            self.errors.handle("conversion", error, key=key_bytes, value=value_bytes, topic=topic,
                               partition=partition, offset=offset, timestamp=timestamp)  # fmt: skip
            return None
        if record is not None:
            self.raw[id(record)] = raw
        return record

    def report(self, record: SinkRecord, error: BaseException) -> None:
        """A record the task could not write: the error policy decides, with its raw bytes."""
        key, value, timestamp, _ = self.raw.get(id(record), (None, None, record.timestamp, ()))
        self.errors.handle("task put", error, key=key, value=value, topic=record.topic,
                           partition=record.partition or 0, offset=record.offset,
                           timestamp=timestamp)  # fmt: skip


def _headers(column: pa.Array) -> list[tuple]:
    """Each record's headers as (key, value) pairs, without the source runtime's own offset
    mark (`SOURCE_HEADER`), which means nothing to a sink; a batch whose records carry no
    other header (the usual case) is not converted record by record."""
    keys = pc.list_flatten(column).field("key")
    if len(keys) == 0 or pc.all(pc.equal(keys, SOURCE_HEADER)).as_py():
        return [()] * len(column)
    return [
        tuple((h["key"], h["value"]) for h in record if h["key"] != SOURCE_HEADER)
        if record else ()
        for record in column.to_pylist()
    ]
