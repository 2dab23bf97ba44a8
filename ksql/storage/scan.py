"""Walking the frames of a segment file: the intact ones, where damage starts, and the next
intact frame after it (which tells mid-file damage from a torn tail)."""

from __future__ import annotations

import mmap
from dataclasses import dataclass, field

from ksql.storage.frame import (
    FLAGS_AT,
    VERSION_MARK,
    FrameHeader,
    crc_ok,
    read_header,
)


@dataclass(slots=True)
class Walk:
    """The frames of a file up to the first damage: `stop` is the file size or the first
    damaged byte, `resume` the next intact frame after it (None if nothing intact follows)."""

    frames: list[FrameHeader] = field(default_factory=list)
    stop: int = 0
    resume: int | None = None


def walk(data: mmap.mmap | bytes, next_offset: int, *, verify: bool, start: int = 0) -> Walk:
    """The frames from `start` on whose offsets begin at `next_offset` or later.

    `verify` checks every CRC; without it only the headers are walked (the search for an
    intact frame after damage always checks CRCs).
    """
    size = len(data)
    result = Walk()
    with memoryview(data) as view:
        pos = start
        while pos < size:
            header = read_header(view, pos, size, next_offset)
            if header is None or (verify and not crc_ok(view, pos, header.end, header.crc)):
                result.stop = pos
                result.resume = next_intact(data, pos + 1, next_offset)
                return result
            result.frames.append(header)
            next_offset = header.last + 1
            pos = header.end
    result.stop = size
    return result


def next_intact(data: mmap.mmap | bytes, start: int, min_offset: int) -> int | None:
    """The first position from `start` on where a whole frame with a matching CRC holding
    offsets >= `min_offset` begins, or None."""
    size = len(data)
    with memoryview(data) as view:
        mark = data.find(VERSION_MARK, start + FLAGS_AT + 1)
        while mark >= 0:
            pos = mark - FLAGS_AT - 1
            header = read_header(view, pos, size, min_offset)
            if header is not None and crc_ok(view, pos, header.end, header.crc):
                return pos
            mark = data.find(VERSION_MARK, mark + 1)
    return None


def walk_all(data: mmap.mmap | bytes, next_offset: int) -> tuple[list[FrameHeader], list[range]]:
    """Every intact frame of `data` (CRCs checked) and the damaged byte ranges between them."""
    frames: list[FrameHeader] = []
    damaged: list[range] = []
    pos = 0
    while pos < len(data):
        part = walk(data, next_offset, verify=True, start=pos)
        frames += part.frames
        if frames:
            next_offset = frames[-1].last + 1
        if part.stop >= len(data):
            break
        pos = len(data) if part.resume is None else part.resume
        damaged.append(range(part.stop, pos))
    return frames, damaged
