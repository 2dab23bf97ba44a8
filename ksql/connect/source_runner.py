"""Runs a source task: poll records, transform and convert them, append them to their topics,
then store the source offsets and tell the task (`commit`).

Exactly once, when the task gives an `offset_order`: every record written carries a header
naming the connector, its source partition and its order. A crash after the append and
before the offsets are stored leaves records beyond the committed log end (`written`); on the
first write to a topic partition after a start, those are read back, and records the task
polls again that are already there are skipped. Without an order, delivery is at least once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson

from ksql.connect.api import SourceRecord, SourceTaskContext
from ksql.connect.dead_letter import ErrorPolicy
from ksql.connect.offsets import partition_key
from ksql.connect.task_thread import TaskThread
from ksql.storage.partitioner import partition_for_key
from ksql.storage.records import make_records

SOURCE_HEADER = "__ksql.connect.source"
IDLE_WAIT_S = 0.05


class _Context(SourceTaskContext):
    def __init__(self, connector: str, offsets: dict[str, Any]) -> None:
        self.connector_name = connector
        self._offsets = offsets

    def offset(self, source_partition: Any) -> dict[str, Any] | None:
        found = self._offsets.get(partition_key(source_partition))
        return dict(found) if found is not None else None


def _tp(topic: str, partition: int) -> str:
    return f"{topic}/{partition}"


class SourceTaskThread(TaskThread):
    def run_task(self) -> None:
        # Plug-in machinery loads when a connector first runs, not when the engine starts.
        from ksql.connect.converters import build_converter
        from ksql.connect.transforms.chain import build_chain

        services = self.services
        self.chain = build_chain(self.config)
        self.keys = build_converter(self.config, True, services.registry)
        self.values = build_converter(self.config, False, services.registry)
        self.errors = ErrorPolicy(self.config, services.log, self.connector, self.task_id)
        committed = services.offsets.get("source", self.connector)
        self.offsets: dict[str, Any] = dict(committed.get("offsets", {}))
        self.written: dict[str, int] = dict(committed.get("written", {}))
        self.seen: dict[str, dict[str, tuple]] = {}  # topic partition -> source partition -> order
        self.partitions: dict[str, int] = {}
        self.default_partitions = int(self.config.get("topic.creation.default.partitions", "1"))
        task = self.task_class()
        task.start(dict(self.task_config), _Context(self.connector, self.offsets))
        self.task = task
        try:
            while not self.stopping.is_set():
                self.wait_while_paused()
                if self.stopping.is_set():
                    break
                records = task.poll()
                if records:
                    self.deliver(task, records)
                    task.commit()
                elif not self.stopping.is_set():
                    self.stopping.wait(IDLE_WAIT_S)
        finally:
            task.stop()
            self.chain.close()

    # ------------------------------------------------------------------ one batch

    def deliver(self, task: Any, records: Sequence[SourceRecord]) -> None:
        log = self.services.log
        rows: dict[str, list[tuple]] = defaultdict(list)
        latest: dict[str, Any] = {}
        last_partition: Any = None
        for record in records:
            if record.source_partition is not last_partition:  # usually one object per poll
                last_partition = record.source_partition
                source = partition_key(last_partition)
            latest[source] = dict(record.source_offset)
            out = self._convert(record)
            if out is None:
                continue
            topic, key, value, timestamp, headers, partition = out
            order = task.offset_order(record.source_partition, record.source_offset)
            if order is not None:
                order = tuple(order)
                tp = _tp(topic, partition)
                previous = self._already_written(tp).get(source)
                if previous is not None and order <= previous:
                    continue
                mark = orjson.dumps({"c": self.connector, "p": source, "o": list(order)})
                headers = [*headers, (SOURCE_HEADER, mark)]
            rows[topic].append((key, value, timestamp, headers, partition))
        touched = set()
        for topic, batch in rows.items():
            keys, values, stamps, headers, parts = (list(c) for c in zip(*batch, strict=True))
            log.produce(topic, make_records(keys, values, stamps, headers, parts))
            touched.update(_tp(topic, p) for p in set(parts))
        for tp in touched:
            topic, _, p = tp.rpartition("/")
            self.written[tp] = log.end_offset(topic, int(p))
        self.offsets.update(latest)
        self.services.offsets.put(
            "source", self.connector, {"offsets": self.offsets, "written": self.written}
        )

    def _convert(self, record: SourceRecord) -> tuple | None:
        try:
            record = self.chain.apply(record)
            if record is None:
                return None
            key = self.keys.from_connect(record.topic, record.key_schema, record.key)
            value = self.values.from_connect(record.topic, record.value_schema, record.value)
        except Exception as error:  # noqa: BLE001 - the error policy decides
            self.errors.handle("conversion", error, topic=record.topic,
                               value=repr(record.value).encode())  # fmt: skip
            return None
        partition = record.partition
        if partition is None:
            n = self._partition_count(record.topic)
            # A keyless record goes where its source partition's records go, so a re-read
            # lands in the same topic partition (and keeps the source's order there).
            placed_by = key if key is not None else partition_key(record.source_partition).encode()
            partition = partition_for_key(placed_by, n) if n > 1 else 0
        return record.topic, key, value, record.timestamp, list(record.headers), partition

    def _partition_count(self, topic: str) -> int:
        n = self.partitions.get(topic)
        if n is None:
            log = self.services.log
            if not log.topic_exists(topic):
                try:
                    log.create_topic(topic, partitions=self.default_partitions)
                except Exception:  # noqa: BLE001 - another task created it meanwhile
                    if not log.topic_exists(topic):
                        raise
            n = self.partitions[topic] = log.describe_topic(topic).partitions
        return n

    def _already_written(self, tp: str) -> dict[str, tuple]:
        """Source partition -> highest order of this connector's records in `tp` beyond the
        committed log end (a batch whose offsets were never stored)."""
        found = self.seen.get(tp)
        if found is not None:
            return found
        found = {}
        topic, _, p = tp.rpartition("/")
        log, partition = self.services.log, int(p)
        offset = max(self.written.get(tp, 0), log.start_offset(topic, partition))
        end = log.end_offset(topic, partition)
        while offset < end:
            batch = log.read(topic, partition, offset)
            if batch.num_rows == 0:
                break
            for headers in batch.column("headers").to_pylist():
                for header in headers or ():
                    if header["key"] != SOURCE_HEADER or header["value"] is None:
                        continue
                    mark = orjson.loads(header["value"])
                    if mark.get("c") == self.connector:
                        order = tuple(mark["o"])
                        if order > found.get(mark["p"], ()):
                            found[mark["p"]] = order
            offset = int(batch.column("offset")[-1].as_py()) + 1
        self.seen[tp] = found
        return found
