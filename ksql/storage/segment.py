"""One log segment file: CRC-checked frames of Arrow IPC record batches, plus its in-memory index.

Frame layout (little endian):

    u32 body_length | u32 crc32(body) | body
    body = i64 base_offset | i64 last_offset | i32 count | i64 max_timestamp | i32 flags | payload

The payload is one Arrow IPC record-batch message without schema (the schema is fixed), so a
frame costs 40 bytes of header and reads are zero-copy slices of one pread buffer. Offsets are
implicit (base_offset + row) except in compacted frames (FLAG_OFFSETS), whose payload carries
an `offset` column because compaction leaves gaps. The file name is the segment's base offset,
so the index (frame positions and offset ranges) is rebuilt on open by walking the headers.
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ksql.errors import ExecutionError
from ksql.storage.records import records_schema

PREFIX = struct.Struct("<II")
BODY_HEADER = struct.Struct("<qqiqi")
HEADER_SIZE = PREFIX.size + BODY_HEADER.size
FLAG_OFFSETS = 1
FORMAT_VERSION = 1 << 8
_KNOWN_FLAGS = FORMAT_VERSION | FLAG_OFFSETS

SEGMENT_SUFFIX = ".log"
STORED_WITH_OFFSETS = records_schema().append(pa.field("offset", pa.int64()))


def segment_name(base_offset: int) -> str:
    return f"{base_offset:020d}{SEGMENT_SUFFIX}"


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded frame: the stored batch and its offset range."""

    base_offset: int
    last_offset: int
    batch: pa.RecordBatch
    has_offsets: bool


def encode_frame(
    batch: pa.RecordBatch, base_offset: int, last_offset: int, max_timestamp: int, flags: int = 0
) -> tuple[bytes, pa.Buffer]:
    """Header bytes and payload buffer of one frame (written together with one writev)."""
    payload = batch.serialize()
    body_header = BODY_HEADER.pack(
        base_offset, last_offset, batch.num_rows, max_timestamp, FORMAT_VERSION | flags
    )
    crc = zlib.crc32(payload, zlib.crc32(body_header))
    return PREFIX.pack(BODY_HEADER.size + payload.size, crc) + body_header, payload


@dataclass(slots=True)
class Segment:
    """Index of one segment file; the partition's lock guards every mutation."""

    base_offset: int
    path: Path
    size: int = 0
    next_offset: int = 0
    max_timestamp: int = -1
    positions: array = field(default_factory=lambda: array("q"))
    firsts: array = field(default_factory=lambda: array("q"))
    lasts: array = field(default_factory=lambda: array("q"))
    counts: array = field(default_factory=lambda: array("q"))
    fd: int | None = None
    truncated_bytes: int = 0

    @classmethod
    def create(cls, directory: Path, base_offset: int) -> Segment:
        path = directory / segment_name(base_offset)
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_APPEND, 0o644)
        os.close(fd)
        return cls(base_offset=base_offset, path=path, next_offset=base_offset)

    @classmethod
    def load(cls, path: Path, *, verify: bool) -> Segment:
        """Rebuild the index; a torn or corrupt tail is truncated at the last good frame.

        `verify` checks every CRC (the active segment, which a crash may have torn); older
        segments were fsynced when they rolled, so walking their headers suffices.
        """
        base = int(path.name[: -len(SEGMENT_SUFFIX)])
        seg = cls(base_offset=base, path=path, next_offset=base)
        size = path.stat().st_size
        good = 0
        if size:
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                good = seg._scan(memoryview(m), size, verify)
        if good < size:
            # Step 1: cut the torn tail so the next append starts on a frame boundary.
            os.truncate(path, good)
            seg.truncated_bytes = size - good
        seg.size = good
        return seg

    def _scan(self, view: memoryview, size: int, verify: bool) -> int:
        pos = 0
        try:
            while pos + HEADER_SIZE <= size:
                length, crc = PREFIX.unpack_from(view, pos)
                end = pos + PREFIX.size + length
                if length < BODY_HEADER.size or end > size:
                    break
                first, last, count, max_ts, flags = BODY_HEADER.unpack_from(view, pos + PREFIX.size)
                if flags & ~_KNOWN_FLAGS or count <= 0 or last < first or first < self.next_offset:
                    break
                if not flags & FLAG_OFFSETS and last - first + 1 != count:
                    break
                if verify and zlib.crc32(view[pos + PREFIX.size : end]) != crc:
                    break
                self._index(pos, first, last, count, max_ts)
                pos = end
        finally:
            view.release()
        return pos

    def _index(self, pos: int, first: int, last: int, count: int, max_ts: int) -> None:
        self.positions.append(pos)
        self.firsts.append(first)
        self.lasts.append(last)
        self.counts.append(count)
        self.next_offset = last + 1
        self.max_timestamp = max(self.max_timestamp, max_ts)

    @property
    def frame_count(self) -> int:
        return len(self.positions)

    def append(
        self,
        header: bytes,
        payload: pa.Buffer,
        first: int,
        last: int,
        count: int,
        max_ts: int,
        *,
        fsync: bool,
    ) -> None:
        fd = self._writer()
        pos = self.size
        total = len(header) + payload.size
        try:
            written = os.writev(fd, [header, payload])
            while written < total:  # a short write (e.g. a signal); finish the frame
                rest = (header + payload.to_pybytes())[written:]
                written += os.write(fd, rest)
            if fsync:
                os.fdatasync(fd)
        except OSError as e:
            # Keep the file on a frame boundary so later appends stay readable.
            try:
                os.ftruncate(fd, pos)
            except OSError:
                pass
            raise ExecutionError(f"Failed to append to {self.path}: {e}") from e
        self.size = pos + total
        self._index(pos, first, last, count, max_ts)

    def _writer(self) -> int:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        return self.fd

    def first_frame_at_or_after(self, offset: int) -> int:
        """Index of the first frame holding an offset >= `offset` (frame_count if none)."""
        return bisect_left(self.lasts, offset)

    def read_frames(self, start: int, stop: int) -> list[Frame]:
        """Decode frames [start, stop) with one pread; batches are zero-copy views of it."""
        if start >= stop:
            return []
        lo = self.positions[start]
        hi = self.positions[stop] if stop < len(self.positions) else self.size
        data = self._pread(lo, hi - lo)
        buf = pa.py_buffer(data)
        frames = []
        for i in range(start, stop):
            pos = self.positions[i] - lo
            length, _crc = PREFIX.unpack_from(data, pos)
            first, last, _count, _ts, flags = BODY_HEADER.unpack_from(data, pos + PREFIX.size)
            payload_at = pos + HEADER_SIZE
            payload = buf.slice(payload_at, length - BODY_HEADER.size)
            has_offsets = bool(flags & FLAG_OFFSETS)
            schema = STORED_WITH_OFFSETS if has_offsets else records_schema()
            frames.append(
                Frame(first, last, pa.ipc.read_record_batch(payload, schema), has_offsets)
            )
        return frames

    def _pread(self, pos: int, length: int) -> bytes:
        if self.fd is not None:
            return _pread_all(self.fd, length, pos)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            return _pread_all(fd, length, pos)
        finally:
            os.close(fd)

    def sync(self) -> None:
        if self.fd is not None:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _pread_all(fd: int, length: int, pos: int) -> bytes:
    data = os.pread(fd, length, pos)
    if len(data) == length:
        return data
    parts = [data]
    got = len(data)
    while got < length:
        more = os.pread(fd, length - got, pos + got)
        if not more:
            raise ExecutionError(f"Segment file shorter than its index (fd {fd})")
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def fsync_dir(path: Path) -> None:
    """Make a create/rename/unlink in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
