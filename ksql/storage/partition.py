"""One partition of a topic: an ordered list of segments, appends, reads and retention.

A damaged segment stops its partition: reads and appends raise its CorruptDataError naming the
file and position, while the other partitions and topics go on. Offsets never go back: after
recovery cut records away, the next offset is at least the highest one a consumer committed.
"""

from __future__ import annotations

import logging
import os
import threading
from bisect import bisect_right
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.errors import CorruptDataError, StorageError, TopicError
from ksql.storage.frame import FLAG_OFFSETS, STORED_WITH_OFFSETS, Frame, encode_frame
from ksql.storage.quarantine import SetAside, set_aside
from ksql.storage.records import now_ms, read_schema, records_schema
from ksql.storage.segment import REPAIR_HINT, SEGMENT_SUFFIX, Segment, fsync_dir
from ksql.storage.topics import TopicConfig

CLEANED_SUFFIX = ".cleaned"
SWAP_SUFFIX = ".swap"

# What `roll_back` needs to undo appends: the active segment then, and its mark.
Mark = tuple[Segment, tuple[int, int, int, int]]

_log = logging.getLogger(__name__)


class Partition:
    """Segments of one partition; `lock` serializes appends, reads and cleanup."""

    def __init__(
        self,
        directory: Path,
        partition: int,
        config: TopicConfig,
        *,
        fsync: bool,
        committed: int = 0,
    ) -> None:
        """`committed` is the highest offset a consumer group committed for this partition."""
        self.directory = directory
        self.partition = partition
        self.config = config
        self.fsync = fsync
        self.lock = threading.RLock()
        self.segments: list[Segment] = []
        self.bases: list[int] = []
        self.truncated_bytes = 0
        self.closed = False
        self.committed = committed
        self._load()
        self._continue_from(committed)

    # Opening and recovery -------------------------------------------------------------------

    def _load(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _finish_interrupted_compaction(self.directory)
        paths = sorted(self.directory.glob("*" + SEGMENT_SUFFIX))
        for i, path in enumerate(paths):
            last = i == len(paths) - 1
            seg = Segment.load(path, verify=last, tail=last)
            self.truncated_bytes += seg.truncated_bytes
            if self.segments and seg.base_offset < self.segments[-1].next_offset:
                # An older segment overlapping this one can only come from corruption.
                seg.damage = CorruptDataError(
                    f"Corrupt log segment {path}: its offsets overlap those of the previous "
                    f"segment. Reads and appends of this partition fail until you {REPAIR_HINT}"
                )
            self.segments.append(seg)
        if not self.segments:
            self.segments.append(Segment.create(self.directory, 0))
        self.bases = [s.base_offset for s in self.segments]

    def _continue_from(self, committed: int) -> None:
        """Records lost to recovery (or to the OS, without fsync) must not give their offsets
        to new records: a consumer that committed past them would skip those."""
        active = self.active
        if committed > active.next_offset:
            _log.warning(
                "%s ends at offset %d but consumers committed up to %d: records were lost; "
                "new records continue from offset %d",
                self.directory, active.next_offset, committed, committed,
            )  # fmt: skip
            active.next_offset = committed

    def repair(self) -> list[SetAside]:
        """Check every frame's CRC, set damaged bytes aside (quarantine.py) and reopen."""
        with self.lock:
            repaired = []
            next_offset = 0
            for seg in self.segments:
                seg.close()
                done, next_offset = set_aside(seg.path, max(seg.base_offset, next_offset))
                if done is not None:
                    repaired.append(done)
            self.segments, self.bases, self.truncated_bytes = [], [], 0
            self._load()
            self._continue_from(self.committed)
            return repaired

    @property
    def damage(self) -> CorruptDataError | None:
        """The damage that stops this partition, if any."""
        return next((s.damage for s in self.segments if s.damage is not None), None)

    # Offsets -------------------------------------------------------------------------------

    @property
    def active(self) -> Segment:
        return self.segments[-1]

    def start_offset(self) -> int:
        with self.lock:
            return self.segments[0].base_offset

    def end_offset(self) -> int:
        with self.lock:
            return self.active.next_offset

    def size_bytes(self) -> int:
        with self.lock:
            return sum(s.size for s in self.segments)

    # Append --------------------------------------------------------------------------------

    def append(self, batch: pa.RecordBatch) -> int:
        """Append a normalized batch; returns its base offset."""
        n = batch.num_rows
        ts = batch.column("timestamp")
        max_ts = int(ts.to_numpy().max()) if n and not ts.null_count else -1
        with self.lock:
            self._check_open()
            base = self.active.next_offset
            if n == 0:
                return base
            header, payload = encode_frame(batch, base, base + n - 1, max_ts)
            frame_size = len(header) + payload.size
            if self.active.size and self.active.size + frame_size > self.config.segment_bytes:
                try:
                    self._roll()
                except OSError as e:
                    raise StorageError(
                        f"Could not start a new segment in {self.directory}: {e.strerror or e}; "
                        "nothing was written"
                    ) from e
            self.active.append(header, payload, base, base + n - 1, n, max_ts, fsync=self.fsync)
            return base

    def mark(self) -> Mark:
        """Where the log ends now, for `roll_back` (call with `lock` held)."""
        return self.active, self.active.mark()

    def roll_back(self, mark: Mark) -> None:
        """Undo every append since `mark`, with `lock` held since then (so nobody read them)."""
        segment, position = mark
        while self.active is not segment:
            newer = self.segments.pop()
            self.bases.pop()
            newer.close()
            newer.path.unlink(missing_ok=True)
        segment.roll_back(position)

    def _roll(self) -> None:
        # Step 1: the closing segment is made durable, so recovery only re-verifies the tail.
        old = self.active
        old.sync()
        old.close()
        # Step 2: the new segment starts at the next offset; its file name is the base offset.
        seg = Segment.create(self.directory, old.next_offset)
        fsync_dir(self.directory)
        self.segments.append(seg)
        self.bases.append(seg.base_offset)
        # Step 3: segments only leave the log when a roll closed them, as in Kafka.
        self._apply_retention(now_ms())

    # Read ----------------------------------------------------------------------------------

    def read(self, offset: int, max_records: int) -> pa.RecordBatch:
        with self.lock:
            self._check_open()
            offset = max(offset, self.segments[0].base_offset)
            if max_records <= 0 or offset >= self.active.next_offset:
                return _empty_read()
            parts: list[pa.RecordBatch] = []
            # Offsets per part: (first, count) for plain frames, an array for compacted ones.
            offsets: list[tuple[int, int] | np.ndarray] = []
            remaining = max_records
            si = max(0, bisect_right(self.bases, offset) - 1)
            while si < len(self.segments) and remaining > 0:
                seg = self.segments[si]
                si += 1
                fi = seg.first_frame_at_or_after(offset)
                fj = fi
                # Records of the first frame before `offset` do not count towards the limit.
                covered = -max(0, offset - seg.firsts[fi]) if fi < seg.frame_count else 0
                while fj < seg.frame_count and covered < remaining:
                    covered += seg.counts[fj]
                    fj += 1
                for frame in seg.read_frames(fi, fj):
                    if frame.has_offsets:
                        batch, offs = _compacted_frame_from(frame, offset, remaining)
                        n = batch.num_rows
                        if n:
                            offsets.append(offs)
                            offset = int(offs[-1]) + 1
                    else:
                        # Plain frames: offsets are implicit, so slicing needs no arrays.
                        batch = frame.batch
                        start = max(0, offset - frame.base_offset)
                        n = min(batch.num_rows - start, remaining)
                        if start or n < batch.num_rows:
                            batch = batch.slice(start, n)
                        if n > 0:
                            offsets.append((frame.base_offset + start, n))
                            offset = frame.base_offset + start + n
                    if n > 0:
                        parts.append(batch)
                        remaining -= n
        if not parts:
            return _empty_read()
        merged = parts[0] if len(parts) == 1 else pa.concat_batches(parts)
        all_offsets = _offsets_array(offsets)
        n = merged.num_rows
        return pa.RecordBatch.from_arrays(
            [
                *merged.columns,
                pa.array(np.full(n, self.partition, dtype=np.int32)),
                pa.array(all_offsets),
            ],
            schema=read_schema(),
        )

    def offset_for_timestamp(self, timestamp_ms: int) -> int | None:
        """Earliest offset whose timestamp is >= `timestamp_ms` (Kafka's offsetsForTimes)."""
        with self.lock:
            for seg in self.segments:
                if seg.max_timestamp < timestamp_ms:
                    continue
                for fi in range(seg.frame_count):
                    (frame,) = seg.read_frames(fi, fi + 1)
                    ts = frame.batch.column("timestamp").to_numpy(zero_copy_only=False)
                    hits = np.nonzero(ts >= timestamp_ms)[0]
                    if len(hits):
                        offs = _offsets_of(frame)
                        return int(offs[hits[0]])
        return None

    # Retention -----------------------------------------------------------------------------

    def apply_retention(self) -> int:
        with self.lock:
            return self._apply_retention(now_ms())

    def _apply_retention(self, now: int) -> int:
        if not self.config.delete:
            return 0
        deleted = 0
        retention_ms = self.config.retention_ms
        if retention_ms >= 0:
            while len(self.segments) > 1 and self.segments[0].max_timestamp < now - retention_ms:
                self._delete_oldest()
                deleted += 1
            active = self.active
            if (
                active.size
                and len(self.segments) == 1
                and active.max_timestamp < now - retention_ms
            ):
                # Everything expired: roll so the old active segment can go too.
                self._roll_empty_then_delete()
                deleted += 1
        retention_bytes = self.config.retention_bytes
        if retention_bytes >= 0:
            total = sum(s.size for s in self.segments)
            while len(self.segments) > 1 and total - self.segments[0].size >= retention_bytes:
                total -= self.segments[0].size
                self._delete_oldest()
                deleted += 1
        return deleted

    def _roll_empty_then_delete(self) -> None:
        old = self.active
        old.close()
        seg = Segment.create(self.directory, old.next_offset)
        self.segments.append(seg)
        self.bases.append(seg.base_offset)
        self._delete_oldest()

    def _delete_oldest(self) -> None:
        seg = self.segments.pop(0)
        self.bases.pop(0)
        seg.close()
        seg.path.unlink(missing_ok=True)
        fsync_dir(self.directory)

    # Compaction ----------------------------------------------------------------------------

    def compact(self) -> int:
        """Keep the latest record per key in all closed segments; returns records removed.

        The active segment is rolled first so that everything appended so far is cleaned.
        Retained records keep their offsets.
        """
        with self.lock:
            # Step 1: close the active segment so the whole log is cleanable.
            if self.active.size:
                self._roll()
            closed = self.segments[:-1]
            if not closed:
                return 0
            first, end = closed[0].base_offset, self.active.base_offset
            table = self._read_range(closed)
            before = table.num_rows
            # Step 2: pick survivors: the last record of each key, minus expired tombstones.
            kept = _compacted(table, now_ms() - self.config.delete_retention_ms)
            # Step 3: write the cleaned segment aside, then swap it in (see recovery).
            cleaned = self.directory / f"{first:020d}{CLEANED_SUFFIX}"
            _write_compacted(cleaned, kept)
            swap = self.directory / f"{first:020d}-{end:020d}{SWAP_SUFFIX}"
            os.replace(cleaned, swap)
            fsync_dir(self.directory)
            # Step 4: drop the old segments and publish the swap file as the new first segment.
            for seg in closed:
                seg.close()
                seg.path.unlink(missing_ok=True)
            target = self.directory / f"{first:020d}{SEGMENT_SUFFIX}"
            os.replace(swap, target)
            fsync_dir(self.directory)
            new = Segment.load(target, verify=False, tail=False)
            self.segments = [new, self.active]
            self.bases = [s.base_offset for s in self.segments]
            return before - kept.num_rows

    def _read_range(self, segments: list[Segment]) -> pa.Table:
        batches = []
        for seg in segments:
            for frame in seg.read_frames(0, seg.frame_count):
                stored = frame.batch.select(records_schema().names)
                offs = _offsets_of(frame)
                batches.append(stored.append_column("offset", pa.array(offs)))
        schema = records_schema().append(pa.field("offset", pa.int64()))
        return pa.Table.from_batches(batches, schema=schema)

    # Lifecycle -----------------------------------------------------------------------------

    def sync(self) -> None:
        with self.lock:
            self.active.sync()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            for seg in self.segments:
                seg.close()

    def _check_open(self) -> None:
        if self.closed:
            raise TopicError(
                f"Partition {self.partition} of {self.directory.parent.name} is closed"
            )
        damage = self.damage
        if damage is not None:
            raise CorruptDataError(damage.message)


def _compacted_frame_from(
    frame: Frame, offset: int, limit: int
) -> tuple[pa.RecordBatch, np.ndarray]:
    """Rows of a compacted frame at offsets >= `offset`, at most `limit`, and their offsets."""
    offs = _offsets_of(frame)
    start = 0 if offset <= frame.base_offset else int(np.searchsorted(offs, offset))
    stop = min(len(offs), start + limit)
    batch = frame.batch.select(records_schema().names)
    if start or stop < batch.num_rows:
        batch = batch.slice(start, stop - start)
    return batch, offs[start:stop]


def _offsets_array(pieces: list[tuple[int, int] | np.ndarray]) -> np.ndarray:
    if all(isinstance(p, tuple) for p in pieces):
        first, _ = pieces[0]
        last_first, last_n = pieces[-1]
        total = sum(n for _, n in pieces)
        if last_first + last_n - first == total:  # contiguous: one arange
            return np.arange(first, first + total, dtype=np.int64)
    arrays = [
        np.arange(p[0], p[0] + p[1], dtype=np.int64) if isinstance(p, tuple) else p for p in pieces
    ]
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _offsets_of(frame: Frame) -> np.ndarray:
    if frame.has_offsets:
        return frame.batch.column("offset").to_numpy()
    return np.arange(frame.base_offset, frame.last_offset + 1, dtype=np.int64)


def _compacted(table: pa.Table, tombstone_cutoff_ms: int) -> pa.Table:
    offsets = table.column("offset")
    keyed = pc.is_valid(table.column("key"))
    latest = table.filter(keyed).group_by("key", use_threads=False).aggregate([("offset", "max")])
    is_latest = pc.is_in(offsets, value_set=latest.column("offset_max"))
    keep = pc.or_(pc.invert(keyed), is_latest)
    expired_tombstone = pc.and_(
        pc.and_(keyed, pc.is_null(table.column("value"))),
        pc.less(table.column("timestamp"), tombstone_cutoff_ms),
    )
    return table.filter(pc.and_(keep, pc.invert(expired_tombstone)))


_COMPACTED_FRAME_ROWS = 65536


def _write_compacted(path: Path, table: pa.Table) -> None:
    table = table.cast(STORED_WITH_OFFSETS).combine_chunks()
    with open(path, "wb") as f:
        for batch in table.to_batches(max_chunksize=_COMPACTED_FRAME_ROWS):
            if not batch.num_rows:
                continue
            offs = batch.column("offset")
            max_ts = pc.max(batch.column("timestamp")).as_py()
            header, payload = encode_frame(
                batch, offs[0].as_py(), offs[-1].as_py(), max_ts, FLAG_OFFSETS
            )
            f.write(header)
            f.write(payload)
        f.flush()
        os.fsync(f.fileno())


def _finish_interrupted_compaction(directory: Path) -> None:
    """Undo a half-written clean, or complete a swap that a crash interrupted."""
    for cleaned in directory.glob("*" + CLEANED_SUFFIX):
        cleaned.unlink()
    for swap in directory.glob("*" + SWAP_SUFFIX):
        first_s, end_s = swap.name[: -len(SWAP_SUFFIX)].split("-")
        first, end = int(first_s), int(end_s)
        for seg in directory.glob("*" + SEGMENT_SUFFIX):
            base = int(seg.name[: -len(SEGMENT_SUFFIX)])
            if first <= base < end:
                seg.unlink()
        os.replace(swap, directory / f"{first:020d}{SEGMENT_SUFFIX}")
        fsync_dir(directory)


def _empty_read() -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array([], f.type) for f in read_schema()], schema=read_schema()
    )
