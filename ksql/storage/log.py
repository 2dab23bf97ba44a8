"""The embedded topic log: durable, partitioned, append-only topics in a data directory.

Layout under the root directory (topic directories are named by paths.py):

    .lock                         exclusive flock: one process per data directory
    topics/<topic>/topic.json     partitions, replicas, config overrides
    topics/<topic>/<partition>/<base offset>.log   segments (see segment.py)
    offsets/offsets.sqlite        consumer-group offsets (see offsets.py)
    tmp/, trash/                  staging for atomic topic create / delete

Durability: an append returns after one write(2) of a whole frame. With `fsync=False` the data
sits in the OS page cache, so it survives a crash or kill of this process but an OS crash or
power loss may lose the most recent appends (segments are fsynced when they roll). With
`fsync=True` every append is fdatasync'ed before it is acknowledged. In both modes a torn frame
at the tail is detected by length/CRC on open and truncated, never surfacing partial records;
other damage stops only its partition until a repair (see partition.py and repair.py). A write
that fails (a full disk) leaves nothing behind, on every partition it was for.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Self

import numpy as np
import orjson
import pyarrow as pa

from ksql.errors import ExecutionError, TopicError
from ksql.storage.notify import AppendNotifier
from ksql.storage.offsets import OffsetStore
from ksql.storage.partition import Mark, Partition
from ksql.storage.paths import child
from ksql.storage.placement import place_records
from ksql.storage.quarantine import SetAside
from ksql.storage.records import make_records, normalize, read_schema, records_schema
from ksql.storage.segment import Segment, fsync_dir
from ksql.storage.topics import TopicConfig, TopicInfo, validate_topic_name

__all__ = [
    "TopicInfo",
    "TopicLog",
    "make_records",
    "read_schema",
    "records_schema",
]

_log = logging.getLogger(__name__)

TOPIC_FILE = "topic.json"


class _Topic:
    """Open state of one topic: its description, partitions and sticky null-key partition."""

    __slots__ = ("info", "partitions", "sticky")

    def __init__(self, info: TopicInfo, partitions: list[Partition]) -> None:
        self.info = info
        self.partitions = partitions
        self.sticky = 0

    def next_sticky(self) -> int:
        # Kafka's producer sticks null-key records to one partition per batch and moves on.
        p = self.sticky % len(self.partitions)
        self.sticky += 1
        return p


class TopicLog(AppendNotifier):
    """Topics on local disk with Kafka's offsets, partitioning, retention and compaction."""

    # The schema registry the serializers of this cluster use (AVRO, PROTOBUF, JSON_SR); the
    # engine sets it, and runners hand it to the formats they build.
    schema_registry: Any = None

    def __init__(self, root_dir: str | Path, *, fsync: bool = False) -> None:
        self.root = Path(root_dir)
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock_fd: int | None = _lock_directory(self.root)
        self._meta = threading.RLock()
        self._init_notifier()
        self._topics: dict[str, _Topic] = {}
        self._closed = False
        self.recovered_bytes = 0
        try:
            self.offsets = OffsetStore(self.root / "offsets", fsync=fsync)
            self._open()
        except BaseException:
            self._release_lock()
            raise

    def _open(self) -> None:
        # Step 1: drop leftovers of creates and deletes that a crash interrupted.
        for leftover in ("tmp", "trash"):
            shutil.rmtree(self.root / leftover, ignore_errors=True)
        topics_dir = self.root / "topics"
        topics_dir.mkdir(exist_ok=True)
        # Step 2: open every topic; partitions recover their segments (torn tails cut) and
        # continue after the offsets consumers committed.
        committed = self.offsets.highest_committed()
        for path in sorted(topics_dir.iterdir()):
            meta_path = path / TOPIC_FILE
            if not meta_path.is_file():
                continue
            meta = orjson.loads(meta_path.read_bytes())
            info = TopicInfo(
                name=meta["name"],
                partitions=int(meta["partitions"]),
                replicas=int(meta["replicas"]),
                config=dict(meta.get("config") or {}),
            )
            floors = [committed.get((info.name, p), 0) for p in range(info.partitions)]
            topic = self._open_topic(info, path, floors)
            self.recovered_bytes += sum(p.truncated_bytes for p in topic.partitions)
            self._topics[info.name] = topic
        for name, topic in self._topics.items():
            for part in topic.partitions:
                if part.damage is not None:
                    _log.error("Partition %d of %s stopped: %s", part.partition, name, part.damage)

    def _open_topic(self, info: TopicInfo, path: Path, floors: list[int] | None = None) -> _Topic:
        config = TopicConfig.parse(info.config)
        parts = [
            Partition(
                path / str(p), p, config, fsync=self.fsync, committed=floors[p] if floors else 0
            )
            for p in range(info.partitions)
        ]
        return _Topic(info, parts)

    # Topics --------------------------------------------------------------------------------

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replicas: int = 1,
        config: Mapping[str, str] | None = None,
    ) -> TopicInfo:
        validate_topic_name(name)
        if int(partitions) < 1:
            raise TopicError(f"Number of partitions must be larger than 0 for topic {name}")
        if int(replicas) < 1:
            raise TopicError(f"Replication factor must be larger than 0 for topic {name}")
        config = {str(k): str(v) for k, v in (config or {}).items()}
        TopicConfig.parse(config)
        info = TopicInfo(name, int(partitions), int(replicas), config)
        with self._meta:
            self._check_open()
            if name in self._topics:
                raise TopicError(f"Topic '{name}' already exists.")
            # Step 1: build the topic in a staging directory.
            staging = self.root / "tmp" / uuid.uuid4().hex
            staging.mkdir(parents=True)
            for p in range(info.partitions):
                (staging / str(p)).mkdir()
                Segment.create(staging / str(p), 0)
            meta = {
                "name": name,
                "partitions": info.partitions,
                "replicas": info.replicas,
                "config": config,
            }
            with open(staging / TOPIC_FILE, "wb") as f:
                f.write(orjson.dumps(meta))
                f.flush()
                os.fsync(f.fileno())
            # Step 2: publish it with one atomic rename.
            final = child(self.root / "topics", name)
            os.replace(staging, final)
            fsync_dir(self.root / "topics")
            self._topics[name] = self._open_topic(info, final)
        return info

    def topic_exists(self, name: str) -> bool:
        with self._meta:
            return name in self._topics

    def describe_topic(self, name: str) -> TopicInfo:
        return self._topic(name).info

    def list_topics(self) -> list[TopicInfo]:
        with self._meta:
            return [self._topics[n].info for n in sorted(self._topics)]

    def delete_topic(self, name: str) -> None:
        with self._meta:
            topic = self._topic(name)
            del self._topics[name]
            for part in topic.partitions:
                part.close()
            # Step 1: one rename makes the topic disappear atomically.
            trash = self.root / "trash"
            trash.mkdir(exist_ok=True)
            doomed = trash / uuid.uuid4().hex
            os.replace(child(self.root / "topics", name), doomed)
            fsync_dir(self.root / "topics")
            # Step 2: reclaim the space; a crash here is cleaned up on the next open.
            shutil.rmtree(doomed, ignore_errors=True)
            self.offsets.delete_topic(name)
        self._notify()

    # Records -------------------------------------------------------------------------------

    def append(self, topic: str, partition: int, batch: pa.RecordBatch | pa.Table) -> int:
        """Append all records to one partition; returns the offset of the first one."""
        part = self._partition(topic, partition)
        records = normalize(batch)
        base = part.append(records)
        if records.num_rows:
            self._notify(((topic, partition, base + records.num_rows),))
        return base

    def produce(self, topic: str, batch: pa.RecordBatch | pa.Table) -> None:
        """Append records placed by their `partition` column, else by Kafka's partitioner.

        All or nothing: if a partition's append fails, those already made are undone.
        """
        t = self._topic(topic)
        n = len(t.partitions)
        records, parts = place_records(batch, topic, n, t.next_sticky)
        rows = records.num_rows
        if rows == 0:
            return
        # Step 4: split per partition with a stable sort, keeping each partition's order.
        if n == 1 or (parts == parts[0]).all():
            pieces = [(int(parts[0]), records)]
        else:
            order = np.argsort(parts, kind="stable")
            counts = np.bincount(parts, minlength=n)
            ordered = records.take(pa.array(order))
            starts = np.concatenate([[0], np.cumsum(counts)])
            pieces = [
                (p, ordered.slice(int(starts[p]), int(counts[p]))) for p in range(n) if counts[p]
            ]
        if len(pieces) == 1:
            p, piece = pieces[0]
            events = [(topic, p, t.partitions[p].append(piece) + rows)]
        else:
            events = _append_all(topic, [(t.partitions[p], piece) for p, piece in pieces])
        self._notify(events)

    def read(
        self, topic: str, partition: int, offset: int, max_records: int = 65536
    ) -> pa.RecordBatch:
        """Records from `offset` on (or the earliest still kept), with partition and offset."""
        return self._partition(topic, partition).read(int(offset), int(max_records))

    def start_offset(self, topic: str, partition: int) -> int:
        return self._partition(topic, partition).start_offset()

    def end_offset(self, topic: str, partition: int) -> int:
        """The next offset to be written (Kafka's log end offset / high watermark)."""
        return self._partition(topic, partition).end_offset()

    def offset_for_timestamp(self, topic: str, partition: int, timestamp_ms: int) -> int | None:
        """Earliest offset with timestamp >= `timestamp_ms`, or None (Kafka's offsetsForTimes)."""
        return self._partition(topic, partition).offset_for_timestamp(timestamp_ms)

    # Cleanup -------------------------------------------------------------------------------

    def apply_retention(self, topic: str | None = None) -> int:
        """Delete segments past retention.ms / retention.bytes; returns segments deleted."""
        names = [topic] if topic is not None else [t.name for t in self.list_topics()]
        return sum(p.apply_retention() for n in names for p in self._topic(n).partitions)

    def compact(self, topic: str) -> int:
        """Keep the latest record per key (offsets unchanged); returns records removed."""
        t = self._topic(topic)
        if not TopicConfig.parse(t.info.config).compact:
            raise TopicError(f"Topic '{topic}' does not have cleanup.policy=compact")
        return sum(p.compact() for p in t.partitions)

    def repair(self) -> list[SetAside]:
        """Check every frame of every partition; set damaged bytes aside (quarantine.py)."""
        with self._meta:
            self._check_open()
            partitions = [p for t in self._topics.values() for p in t.partitions]
        return [done for p in partitions for done in p.repair()]

    def flush(self) -> None:
        """fsync every partition's active segment (a durability barrier with fsync=False)."""
        with self._meta:
            topics = list(self._topics.values())
        for t in topics:
            for p in t.partitions:
                p.sync()

    # Lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        with self._meta:
            if self._closed:
                return
            self._closed = True
            for t in self._topics.values():
                for p in t.partitions:
                    p.close()
            self._topics.clear()
            self.offsets.close()
            self._release_lock()
        with self._cond:
            self._cond.notify_all()

    def __del__(self) -> None:
        # An abandoned log must not keep the directory locked for the rest of the process.
        try:
            if not getattr(self, "_closed", True):
                self.close()
        except Exception:  # noqa: BLE001, S110 - nothing useful to do during finalization
            pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _check_open(self) -> None:
        if self._closed:
            raise ExecutionError(f"The topic log at {self.root} is closed")

    def _topic(self, name: str) -> _Topic:
        with self._meta:
            self._check_open()
            topic = self._topics.get(name)
        if topic is None:
            raise TopicError(f"Topic '{name}' does not exist")
        return topic

    def _partition(self, topic: str, partition: int) -> Partition:
        parts = self._topic(topic).partitions
        if not 0 <= partition < len(parts):
            raise TopicError(
                f"Partition {partition} does not exist in topic '{topic}' ({len(parts)} partitions)"
            )
        return parts[partition]


def _append_all(
    topic: str, pieces: list[tuple[Partition, pa.RecordBatch]]
) -> list[tuple[str, int, int]]:
    """Append each piece to its partition, holding every partition's lock (in partition order)
    until all are written, so a failure can undo the others before anyone reads them."""
    events: list[tuple[str, int, int]] = []
    done: list[tuple[Partition, Mark]] = []
    with ExitStack() as locks:
        for part, _ in pieces:
            locks.enter_context(part.lock)
        try:
            for part, piece in pieces:
                mark = part.mark()
                base = part.append(piece)
                done.append((part, mark))
                events.append((topic, part.partition, base + piece.num_rows))
        except BaseException:
            for part, mark in reversed(done):
                part.roll_back(mark)
            raise
    return events


def _lock_directory(root: Path) -> int:
    """Take an exclusive, non-blocking flock; the OS drops it if the process dies."""
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
            raise ExecutionError(
                f"The data directory {root} is already in use by another ksql process "
                f"(pid {holder}); stop it or choose another directory"
            ) from None
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd
