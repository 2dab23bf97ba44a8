"""Crash recovery: torn tails are cut, acknowledged appends survive SIGKILL, swaps complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ksql.storage.log import TopicLog, make_records


def _segment(root: Path, topic: str = "t", partition: int = 0) -> Path:
    return max((root / "topics" / topic / str(partition)).glob("*.log"))


def _fill(root: Path, batches: int = 5) -> list[dict]:
    with TopicLog(root) as log:
        log.create_topic("t")
        for i in range(batches):
            log.append(
                "t", 0, make_records([b"k"] * 3, [f"{i}-{j}".encode() for j in range(3)], [i] * 3)
            )
        return log.read("t", 0, 0).to_pylist()


def test_garbage_after_last_frame_is_truncated(tmp_path: Path) -> None:
    before = _fill(tmp_path)
    seg = _segment(tmp_path)
    size = seg.stat().st_size
    with open(seg, "ab") as f:
        f.write(b"\x13\x00\x00\x00garbage that is not a frame")
    with TopicLog(tmp_path) as log:
        assert log.recovered_bytes > 0
        assert seg.stat().st_size == size
        assert log.read("t", 0, 0).to_pylist() == before
        assert log.append("t", 0, make_records([b"x"], [b"y"], [9])) == 15
    with TopicLog(tmp_path) as log:
        assert log.read("t", 0, 15).column("value").to_pylist() == [b"y"]


@pytest.mark.parametrize("cut", [1, 7, 20, 45])
def test_frame_cut_mid_way_loses_only_that_frame(tmp_path: Path, cut: int) -> None:
    before = _fill(tmp_path)
    seg = _segment(tmp_path)
    with TopicLog(tmp_path) as log:
        log.append("t", 0, make_records([b"k"], [b"last"], [99]))
    # The last frame (one record) is longer than `cut` bytes, so this tears only that frame.
    os.truncate(seg, seg.stat().st_size - cut)
    with TopicLog(tmp_path) as log:
        assert log.read("t", 0, 0).to_pylist() == before
        assert log.end_offset("t", 0) == 15


def test_bad_crc_in_last_frame_is_truncated(tmp_path: Path) -> None:
    before = _fill(tmp_path)
    seg = _segment(tmp_path)
    size_before = seg.stat().st_size
    with TopicLog(tmp_path) as log:
        log.append("t", 0, make_records([b"k"] * 2, [b"a", b"b"], [1, 2]))
    data = bytearray(seg.read_bytes())
    data[-5] ^= 0xFF  # flip a payload byte of the last frame
    seg.write_bytes(bytes(data))
    with TopicLog(tmp_path) as log:
        assert log.read("t", 0, 0).to_pylist() == before
        assert seg.stat().st_size == size_before


_WRITER = textwrap.dedent(
    """
    import sys
    from ksql.storage.log import TopicLog, make_records
    log = TopicLog(sys.argv[1], fsync=sys.argv[2] == "1")
    if not log.topic_exists("t"):
        log.create_topic("t", partitions=2, config={"segment.bytes": "20000"})
    i = 0
    while True:
        keys = [str(i).encode(), str(i + 1).encode()]
        log.produce("t", make_records(keys, [b"v" * 50, b"w" * 50], [i, i]))
        log.offsets.commit("g", {("t", 0): i})
        ends = [log.end_offset("t", p) for p in range(2)]
        print(i, ends[0], ends[1], flush=True)
        i += 2
    """
)


@pytest.mark.parametrize("fsync", [False, True])
def test_sigkill_loses_nothing_acknowledged(tmp_path: Path, fsync: bool) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path), "1" if fsync else "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    last = None
    assert proc.stdout is not None
    for n, line in enumerate(proc.stdout):
        last = [int(x) for x in line.split()]
        if n >= 300:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert last is not None
    i, end0, end1 = last
    with TopicLog(tmp_path) as log:  # the lock died with the process
        assert log.end_offset("t", 0) >= end0
        assert log.end_offset("t", 1) >= end1
        assert (log.offsets.committed("g", "t", 0) or 0) >= i
        total = sum(log.read("t", p, 0, 1_000_000).num_rows for p in range(2))
        assert total >= end0 + end1
        keys = set()
        for p in range(2):
            out = log.read("t", p, 0, 1_000_000)
            assert out.column("offset").to_pylist() == list(range(out.num_rows))
            keys.update(int(k) for k in out.column("key").to_pylist())
        assert set(range(i + 2)) <= keys


def test_interrupted_compaction_swap_is_completed(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", config={"cleanup.policy": "compact", "segment.bytes": "600"})
        for i in range(20):
            log.append("t", 0, make_records([b"a", b"b"], [str(i).encode()] * 2, [i, i]))
        before = log.read("t", 0, 0, 1000).to_pylist()
    part = tmp_path / "topics" / "t" / "0"
    segs = sorted(part.glob("*.log"))
    # Simulate a crash after the swap file was written: it holds the first two segments' data.
    first, second, third = segs[0], segs[1], segs[2]
    swap = part / f"{first.name[:-4]}-{third.name[:-4]}.swap"
    swap.write_bytes(first.read_bytes() + second.read_bytes())
    first.unlink()
    (part / "00000000000000000099.cleaned").write_bytes(b"half written")
    with TopicLog(tmp_path) as log:
        assert not list(part.glob("*.swap")) and not list(part.glob("*.cleaned"))
        assert log.read("t", 0, 0, 1000).to_pylist() == before
