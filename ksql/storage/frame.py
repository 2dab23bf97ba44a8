"""The frame: one CRC-checked Arrow IPC record batch in a segment file; its layout and checks.

Frame layout (little endian):

    u32 body_length | u32 crc32(body) | body
    body = i64 base_offset | i64 last_offset | i32 count | i64 max_timestamp | i32 flags | payload

The payload is one Arrow IPC record-batch message without schema (the schema is fixed), so a
frame costs 40 bytes of header and reads are zero-copy slices of one pread buffer. Offsets are
implicit (base_offset + row) except in compacted frames (FLAG_OFFSETS), whose payload carries
an `offset` column because compaction leaves gaps.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import NamedTuple

import pyarrow as pa

from ksql.storage.records import records_schema

PREFIX = struct.Struct("<II")
BODY_HEADER = struct.Struct("<qqiqi")
HEADER_SIZE = PREFIX.size + BODY_HEADER.size
_HEADER = struct.Struct("<" + PREFIX.format[1:] + BODY_HEADER.format[1:])  # both in one unpack
FLAG_OFFSETS = 1
FORMAT_VERSION = 1 << 8
_KNOWN_FLAGS = FORMAT_VERSION | FLAG_OFFSETS

STORED_WITH_OFFSETS = records_schema().append(pa.field("offset", pa.int64()))


class FrameHeader(NamedTuple):
    """Where one frame lies in its file, its CRC and the offsets it holds."""

    position: int
    end: int
    crc: int
    first: int
    last: int
    records: int
    max_timestamp: int
    flags: int


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


def read_header(view: memoryview, position: int, size: int, min_offset: int) -> FrameHeader | None:
    """The header of a whole frame at `position` holding offsets >= `min_offset`, or None when
    the bytes there cannot be one (the CRC is not checked)."""
    if position + HEADER_SIZE > size:
        return None
    length, crc, first, last, count, max_ts, flags = _HEADER.unpack_from(view, position)
    end = position + PREFIX.size + length
    if length < BODY_HEADER.size or end > size:
        return None
    if flags & ~_KNOWN_FLAGS or not flags & FORMAT_VERSION:
        return None
    if count <= 0 or last < first or first < min_offset:
        return None
    if not flags & FLAG_OFFSETS and last - first + 1 != count:
        return None
    return FrameHeader(position, end, crc, first, last, count, max_ts, flags)


def crc_ok(view: memoryview, position: int, end: int, crc: int) -> bool:
    """Whether the body of the frame at [position, end) in `view` matches `crc`."""
    return zlib.crc32(view[position + PREFIX.size : end]) == crc


# The flags field ends a frame's header; its upper bytes are FORMAT_VERSION's, whatever the
# flags in the low byte: the marker that a search for the next frame after damage looks for.
FLAGS_AT = HEADER_SIZE - 4
VERSION_MARK = struct.pack("<i", FORMAT_VERSION)[1:]
