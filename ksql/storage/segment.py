"""One log segment file: frames (see frame.py) of the partition's records, and its in-memory index.

The file name is the segment's base offset, so the index (frame positions and offset ranges)
is rebuilt on open by walking the frames (see scan.py). Damage found on open or on a read is
kept in `damage`, never repaired silently: only a torn write at the end of the last segment
is cut.
"""

from __future__ import annotations

import logging
import mmap
import os
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ksql.errors import CorruptDataError, StorageError
from ksql.storage.frame import (
    BODY_HEADER,
    FLAG_OFFSETS,
    HEADER_SIZE,
    PREFIX,
    STORED_WITH_OFFSETS,
    Frame,
    crc_ok,
)
from ksql.storage.records import records_schema
from ksql.storage.scan import Walk, walk

SEGMENT_SUFFIX = ".log"
REPAIR_HINT = "run `ksql-repair <data-dir>` to set the damaged bytes aside"

_log = logging.getLogger(__name__)


def segment_name(base_offset: int) -> str:
    return f"{base_offset:020d}{SEGMENT_SUFFIX}"


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
    verified: int = 0  # the first frames whose CRCs were checked (or that this process wrote)
    damage: CorruptDataError | None = None

    @classmethod
    def create(cls, directory: Path, base_offset: int) -> Segment:
        path = directory / segment_name(base_offset)
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_APPEND, 0o644)
        os.close(fd)
        return cls(base_offset=base_offset, path=path, next_offset=base_offset)

    @classmethod
    def load(cls, path: Path, *, verify: bool, tail: bool) -> Segment:
        """Rebuild the index from the file.

        `verify` checks every CRC (the last segment, which a crash may have torn); older
        segments were fsynced when they rolled, so walking their headers suffices and reads
        check their CRCs. Damage at the end of the last segment (`tail`) with nothing intact
        after it is a torn write: it is cut, with a warning. Other damage leaves the file as it
        is and is kept in `damage`.
        """
        base = int(path.name[: -len(SEGMENT_SUFFIX)])
        seg = cls(base_offset=base, path=path, next_offset=base)
        size = path.stat().st_size
        found = Walk()
        if size:
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                found = walk(m, base, verify=verify)
        for h in found.frames:
            seg._index(h.position, h.first, h.last, h.records, h.max_timestamp)
        seg.verified = seg.frame_count if verify else 0
        seg.size = found.stop
        if found.stop < size and tail and found.resume is None:
            # Step 1: cut the torn tail so the next append starts on a frame boundary.
            os.truncate(path, found.stop)
            seg.truncated_bytes = size - found.stop
            _log.warning(
                "Cut a torn write at the end of %s: %d bytes from byte %d (offset %d on)",
                path, size - found.stop, found.stop, seg.next_offset,
            )  # fmt: skip
        elif found.stop < size:
            follows = (
                f"; intact frames follow from byte {found.resume}"
                if found.resume is not None
                else ""
            )
            seg.damage = CorruptDataError(
                f"Corrupt log segment {path}: the frame at byte {found.stop} (offset "
                f"{seg.next_offset} on) is damaged{follows}. Reads and appends of this partition "
                f"fail until you {REPAIR_HINT}"
            )
        return seg

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
        """Write one frame. On an I/O error (a full disk) the file is cut back to where it was,
        the index is unchanged and StorageError says that nothing was written."""
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
            self._cut_back(pos)
            raise StorageError(
                f"Could not append to {self.path}: {e.strerror or e}; nothing was written"
            ) from e
        self.size = pos + total
        if self.verified == self.frame_count:
            self.verified += 1
        self._index(pos, first, last, count, max_ts)

    def _cut_back(self, size: int) -> None:
        """Remove what a failed append left after `size`; if even that fails, the segment is
        damaged until a restart cuts the torn tail."""
        try:
            os.truncate(self.path, size)
            if os.stat(self.path).st_size == size:
                return
        except OSError:
            pass
        self.damage = CorruptDataError(
            f"{self.path} holds a partial frame from byte {size} that a failed append left and "
            "that could not be removed; restart to cut it"
        )

    def mark(self) -> tuple[int, int, int, int]:
        """What `roll_back` restores: size, frame count, next offset, max timestamp."""
        return self.size, self.frame_count, self.next_offset, self.max_timestamp

    def roll_back(self, mark: tuple[int, int, int, int]) -> None:
        """Undo the appends made since `mark` (for a write that failed on another partition)."""
        size, frames, self.next_offset, self.max_timestamp = mark
        self._cut_back(size)
        self.size = size
        for index in (self.positions, self.firsts, self.lasts, self.counts):
            del index[frames:]
        self.verified = min(self.verified, frames)

    def _writer(self) -> int:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        return self.fd

    def first_frame_at_or_after(self, offset: int) -> int:
        """Index of the first frame holding an offset >= `offset` (frame_count if none)."""
        return bisect_left(self.lasts, offset)

    def read_frames(self, start: int, stop: int) -> list[Frame]:
        """Decode frames [start, stop) with one pread; batches are zero-copy views of it.

        Frames not verified yet have their CRCs checked: a mismatch raises CorruptDataError.
        """
        if start >= stop:
            return []
        lo = self.positions[start]
        hi = self.positions[stop] if stop < len(self.positions) else self.size
        data = self._pread(lo, hi - lo)
        self._verify(data, start, stop)
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

    def _verify(self, data: bytes, start: int, stop: int) -> None:
        """Check the CRCs of frames [start, stop) (read into `data`) not verified yet."""
        lo = self.positions[start]
        with memoryview(data) as view:
            for i in range(max(start, self.verified), stop):
                at = self.positions[i] - lo
                length, crc = PREFIX.unpack_from(view, at)
                if not crc_ok(view, at, at + PREFIX.size + length, crc):
                    self.damage = CorruptDataError(
                        f"Corrupt log segment {self.path}: the frame at byte "
                        f"{self.positions[i]} (offsets {self.firsts[i]} to {self.lasts[i]}) fails "
                        f"its CRC check. Reads and appends of this partition fail until you "
                        f"{REPAIR_HINT}"
                    )
                    raise self.damage
        if start <= self.verified < stop:
            self.verified = stop

    def _pread(self, pos: int, length: int) -> bytes:
        if self.fd is not None:
            return _pread_all(self.fd, length, pos, self.path)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            return _pread_all(fd, length, pos, self.path)
        finally:
            os.close(fd)

    def sync(self) -> None:
        if self.fd is not None:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _pread_all(fd: int, length: int, pos: int, path: Path) -> bytes:
    data = os.pread(fd, length, pos)
    if len(data) == length:
        return data
    parts = [data]
    got = len(data)
    while got < length:
        more = os.pread(fd, length - got, pos + got)
        if not more:
            raise CorruptDataError(
                f"Log segment {path} is shorter than its index: it ends before byte {pos + got}"
            )
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
