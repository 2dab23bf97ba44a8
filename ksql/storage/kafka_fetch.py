"""Random-access reads of Kafka partitions through one shared consumer, returned as Arrow batches.

The topic-log interface reads "partition p of topic t from offset o", many times over, for many
queries. One librdkafka consumer (manual assignment, no group membership) serves all of them:
partitions are assigned on first read and re-assigned at a new offset only when a read does not
continue where the consumer stands. Messages that arrive for other partitions wait in a
per-partition buffer; the last batch handed out per partition is kept, so several queries
reading the same records convert them to Arrow once.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
from confluent_kafka import Consumer, KafkaError, TopicPartition

from ksql.errors import TopicError
from ksql.storage.records import HEADER_TYPE, null_headers, read_schema

STALL_S = 2.0
CONSUME_SLICE_S = 0.05
PAUSE_ABOVE = 200_000  # buffered records of a partition nobody reads right now

_SCHEMA = read_schema()


class _Stream:
    """Where the consumer stands in one partition and what it delivered but nobody took yet."""

    __slots__ = ("next_offset", "paused", "pending", "start")

    def __init__(self, offset: int) -> None:
        self.start = offset  # reads from [start, next_offset] continue this stream
        self.next_offset = offset
        self.pending: list = []
        self.paused = False


class KafkaFetcher:
    """Reads records of any (topic, partition) from any offset; thread-safe."""

    def __init__(self, config: Mapping[str, str], group_id: str) -> None:
        conf = dict(config)
        conf.update(
            {
                "group.id": group_id,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
                "fetch.wait.max.ms": 50,
                "queued.max.messages.kbytes": 65536,
            }
        )
        self._consumer = Consumer(conf)
        self._lock = threading.RLock()
        self._streams: dict[tuple[str, int], _Stream] = {}
        self._last: dict[tuple[str, int], pa.RecordBatch] = {}
        self._reading: tuple[str, int] | None = None

    # Offsets -------------------------------------------------------------------------------

    def watermarks(self, topic: str, partition: int, timeout_s: float = 10.0) -> tuple[int, int]:
        """(low, high) watermark from the broker: the first kept offset and the end offset."""
        with self._lock:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout_s, cached=False
            )
        return int(low), int(high)

    def offset_for_timestamp(self, topic: str, partition: int, timestamp_ms: int) -> int | None:
        with self._lock:
            found = self._consumer.offsets_for_times(
                [TopicPartition(topic, partition, int(timestamp_ms))], 10.0
            )
        offset = found[0].offset if found else -1
        if found and found[0].error is not None:
            raise TopicError(f"Offset look-up failed for {topic}-{partition}: {found[0].error}")
        return None if offset < 0 else int(offset)

    # Reads ---------------------------------------------------------------------------------

    def read(
        self, topic: str, partition: int, offset: int, max_records: int, end_offset: int
    ) -> pa.RecordBatch:
        """Records with offsets in [offset, end_offset), at most `max_records` of them."""
        key = (topic, partition)
        with self._lock:
            # Step 1: the batch last handed out may already hold these records.
            cached = self._from_last(key, offset, max_records)
            if cached is not None:
                return cached
            if offset >= end_offset:
                return _empty()
            stream = self._position(key, offset)
            if stream.paused:  # read now: let it fetch again
                self._consumer.resume([TopicPartition(topic, partition)])
                stream.paused = False
            self._reading = key
            # Step 2: drop what precedes the offset, then consume until enough is buffered.
            _drop_before(stream, offset)
            target = min(end_offset, offset + max_records)
            # A stall (a gap at the tail, e.g. transaction markers) ends the wait.
            deadline = time.monotonic() + STALL_S
            while stream.next_offset < target and time.monotonic() < deadline:
                before = stream.next_offset
                self._consume(max(1, min(max_records, target - stream.next_offset)))
                if stream.next_offset > before:
                    deadline = time.monotonic() + STALL_S
                else:
                    self._skip_markers(key, stream)
            # Step 3: hand out up to max_records, in one Arrow conversion.
            pending = stream.pending
            take = min(len(pending), max_records)
            if take and pending[take - 1].offset() >= end_offset:
                take = bisect.bisect_left(pending, end_offset, hi=take, key=_offset)
            messages, stream.pending = pending[:take], pending[take:]
            if stream.paused and len(stream.pending) < PAUSE_ABOVE // 2:
                self._consumer.resume([TopicPartition(topic, partition)])
                stream.paused = False
            if messages:
                stream.start = messages[-1].offset() + 1
            batch = messages_to_batch(messages, partition)
            if batch.num_rows:
                self._last[key] = batch
            return batch

    def forget_topic(self, topic: str) -> None:
        """Stop reading a deleted topic."""
        with self._lock:
            doomed = [k for k in self._streams if k[0] == topic]
            if doomed:
                self._consumer.incremental_unassign([TopicPartition(t, p) for t, p in doomed])
            for k in doomed:
                del self._streams[k]
            for k in [k for k in self._last if k[0] == topic]:
                del self._last[k]

    def close(self) -> None:
        with self._lock:
            self._streams.clear()
            self._last.clear()
            self._consumer.close()

    # Internals -----------------------------------------------------------------------------

    def _from_last(self, key: tuple[str, int], offset: int, max_records: int):
        batch = self._last.get(key)
        if batch is None:
            return None
        offsets = batch.column(5).to_numpy()
        if not offsets[0] <= offset <= offsets[-1]:
            return None
        first = int(np.searchsorted(offsets, offset))
        return batch.slice(first, max_records)

    def _position(self, key: tuple[str, int], offset: int) -> _Stream:
        """The partition's stream, (re)assigned at `offset` unless the read continues it."""
        stream = self._streams.get(key)
        if stream is not None and stream.start <= offset <= stream.next_offset:
            return stream
        tp = TopicPartition(key[0], key[1], int(offset))
        if stream is not None:
            self._consumer.incremental_unassign([TopicPartition(key[0], key[1])])
        self._consumer.incremental_assign([tp])
        stream = self._streams[key] = _Stream(offset)
        return stream

    def _skip_markers(self, key: tuple[str, int], stream: _Stream) -> None:
        """Transaction markers and aborted records are offsets that are never delivered; the
        consumer's position moves past them, so a read ends there instead of stalling."""
        position = self._consumer.position([TopicPartition(*key)])[0].offset
        stream.next_offset = max(stream.next_offset, position)

    def _consume(self, count: int) -> None:
        messages = self._consumer.consume(count, CONSUME_SLICE_S)
        if not messages:
            return
        failed = [m for m in messages if m.error() is not None]
        if failed:
            for m in failed:
                if m.error().code() != KafkaError._PARTITION_EOF:
                    raise TopicError(f"Kafka read failed: {m.error().str()}")
            messages = [m for m in messages if m.error() is None]
            if not messages:
                return
        # Step 1: the usual case, every message from one partition of one assigned stream.
        parts = [m.partition() for m in messages]
        first = parts[0]
        owners = [k for k in self._streams if k[1] == first]
        if len(owners) == 1 and parts.count(first) == len(parts):
            self._route(owners[0], messages)
            return
        # Step 2: a mix; messages come in runs per partition, each routed with one extend.
        keys = [(m.topic(), p) for m, p in zip(messages, parts, strict=True)]
        run_start = 0
        for i in range(1, len(keys) + 1):
            if i == len(keys) or keys[i] != keys[run_start]:
                self._route(keys[run_start], messages[run_start:i])
                run_start = i

    def _route(self, key: tuple[str, int], run: list) -> None:
        stream = self._streams.get(key)
        if stream is None:
            return  # a partition unassigned since; its messages are stale
        if run[0].offset() < stream.next_offset:  # fetched before a re-assignment
            run = [m for m in run if m.offset() >= stream.next_offset]
            if not run:
                return
        stream.pending.extend(run)
        stream.next_offset = run[-1].offset() + 1
        if not stream.paused and len(stream.pending) > PAUSE_ABOVE and key != self._reading:
            self._consumer.pause([TopicPartition(*key)])
            stream.paused = True


def _offset(message) -> int:
    return message.offset()


def _drop_before(stream: _Stream, offset: int) -> None:
    pending = stream.pending
    if pending and pending[0].offset() < offset:
        stream.pending = pending[bisect.bisect_left(pending, offset, key=_offset) :]
    stream.start = max(stream.start, offset)


def _empty() -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in _SCHEMA], schema=_SCHEMA)


def messages_to_batch(messages: list, partition: int) -> pa.RecordBatch:
    """Arrow columns built from the messages in one pass per column (no per-row dicts)."""
    n = len(messages)
    if n == 0:
        return _empty()
    keys = pa.array([m.key() for m in messages], pa.binary())
    values = pa.array([m.value() for m in messages], pa.binary())
    timestamps = pa.array(np.fromiter((m.timestamp()[1] for m in messages), np.int64, n))
    offsets = pa.array(np.fromiter((m.offset() for m in messages), np.int64, n))
    raw_headers = [m.headers() for m in messages]
    if any(h is not None for h in raw_headers):
        headers = pa.array(
            [None if h is None else [{"key": k, "value": v} for k, v in h] for h in raw_headers],
            pa.list_(HEADER_TYPE),
        )
    else:
        headers = null_headers(n)
    parts = pa.array(np.full(n, partition, dtype=np.int32))
    return pa.RecordBatch.from_arrays(
        [keys, values, timestamps, headers, parts, offsets], schema=_SCHEMA
    )
