"""Setting a segment file's damaged bytes aside: they are appended to `<segment>.quarantine`
beside it, and the segment keeps every intact frame (CRC checked), with its offsets."""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path

from ksql.storage.scan import walk_all
from ksql.storage.segment import fsync_dir

QUARANTINE_SUFFIX = ".quarantine"
REWRITE_SUFFIX = ".repairing"


@dataclass(frozen=True, slots=True)
class SetAside:
    """What a repair did to one segment file."""

    segment: Path
    quarantine: Path
    damaged: tuple[range, ...]  # byte ranges of the file before the repair
    kept_frames: int

    def describe(self) -> str:
        ranges = ", ".join(f"bytes {r.start}-{r.stop - 1}" for r in self.damaged)
        return (
            f"{self.segment}: set aside {ranges} in {self.quarantine.name}, "
            f"kept {self.kept_frames} intact frames"
        )


def set_aside(path: Path, min_offset: int) -> tuple[SetAside | None, int]:
    """Check every frame of the segment `path`, whose offsets start at `min_offset`; returns
    what was set aside (None if nothing was damaged) and the offset after its last intact
    frame (`min_offset` if none)."""
    size = path.stat().st_size
    if not size:
        return None, min_offset
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        frames, damaged = walk_all(m, min_offset)
        next_offset = frames[-1].last + 1 if frames else min_offset
        if not damaged:
            return None, next_offset
        # Step 1: keep the damaged bytes, so nothing is thrown away.
        quarantine = path.with_name(path.name + QUARANTINE_SUFFIX)
        with open(quarantine, "ab") as out:
            out.writelines(m[r.start : r.stop] for r in damaged)
            out.flush()
            os.fsync(out.fileno())
        # Step 2: write the intact frames aside, then swap them in with one rename.
        rewrite = path.with_name(path.name + REWRITE_SUFFIX)
        with open(rewrite, "wb") as out:
            out.writelines(m[h.position : h.end] for h in frames)
            out.flush()
            os.fsync(out.fileno())
    os.replace(rewrite, path)
    fsync_dir(path.parent)
    return SetAside(path, quarantine, tuple(damaged), len(frames)), next_offset
