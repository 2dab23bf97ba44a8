"""Damage in the topic log is detected, reported and never silently repaired into loss.

Mid-segment damage stops its partition (the others go on) until `ksql-repair` sets the damaged
bytes aside and keeps every intact frame after them; a torn tail is cut with a warning and
offsets continue after what consumers committed; a failed append (a full disk) writes nothing.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from ksql.errors import CorruptDataError, StorageError
from ksql.storage.log import TopicLog, make_records
from ksql.storage.repair import main as repair_main

FRAMES = 100
PER_FRAME = 10


def _segments(root: Path, topic: str = "t", partition: int = 0) -> list[Path]:
    return sorted((root / "topics" / topic / str(partition)).glob("*.log"))


def _fill(data_dir: Path, config: dict[str, str] | None = None) -> Path:
    """1,000 records in 100 frames on partition 0 of `t`, a few on partition 1 and on `other`."""
    root = data_dir / "topics"  # where the engine (and ksql-repair) keep the log
    with TopicLog(root) as log:
        log.create_topic("t", partitions=2, config=config)
        log.create_topic("other")
        for f in range(FRAMES):
            values = [f"{f}-{i}".encode() for i in range(PER_FRAME)]
            log.append("t", 0, make_records([b"k"] * PER_FRAME, values, [f] * PER_FRAME))
        log.append("t", 1, make_records([b"k"], [b"p1"], [0]))
        log.append("other", 0, make_records([b"k"], [b"o"], [0]))
    return root


def _damage(path: Path, at: int, length: int = 16) -> None:
    data = bytearray(path.read_bytes())
    data[at : at + length] = bytes(b ^ 0x5A for b in data[at : at + length])
    path.write_bytes(bytes(data))


def _values(log: TopicLog, topic: str = "t", partition: int = 0) -> list[bytes]:
    return log.read(topic, partition, 0, 1_000_000).column("value").to_pylist()


@pytest.mark.parametrize("where", [0.5, 0.25, 0.75])
def test_mid_segment_damage_stops_the_partition_until_repaired(
    tmp_path: Path, where: float, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _fill(tmp_path)
    [segment] = _segments(root)
    size = segment.stat().st_size
    at = int(size * where)
    _damage(segment, at)
    with TopicLog(root) as log:
        # Nothing was cut: the intact frames after the damage are still in the file.
        assert segment.stat().st_size == size
        for call in (
            lambda: log.read("t", 0, 0),
            lambda: log.read("t", 0, 990),
            lambda: log.append("t", 0, make_records([b"k"], [b"new"], [1])),
        ):
            with pytest.raises(CorruptDataError, match=f"{segment}.*byte"):
                call()
        # The other partition and the other topic work.
        assert _values(log, "t", 1) == [b"p1"]
        assert _values(log, "other") == [b"o"]
        log.append("t", 1, make_records([b"k"], [b"p1b"], [1]))

    assert repair_main([str(tmp_path)]) == 0
    assert "repaired" in capsys.readouterr().out
    quarantine = segment.with_name(segment.name + ".quarantine")
    assert quarantine.stat().st_size >= 16
    with TopicLog(root) as log:
        out = log.read("t", 0, 0, 1_000_000)
        offsets = out.column("offset").to_pylist()
        values = out.column("value").to_pylist()
        # At most the frames the 16 bytes touched are set aside; every other record is
        # kept with its offset.
        assert len(values) >= 1000 - 2 * PER_FRAME
        assert all(
            v == f"{o // PER_FRAME}-{o % PER_FRAME}".encode() for o, v in zip(offsets, values)
        )
        assert offsets[-1] == 999
        assert log.append("t", 0, make_records([b"k"], [b"after"], [1])) == 1000
        assert _values(log, "t", 1) == [b"p1", b"p1b"]


def test_damage_in_a_closed_segment_is_found_on_read(tmp_path: Path) -> None:
    root = _fill(tmp_path, {"segment.bytes": "4000"})
    segments = _segments(root)
    assert len(segments) > 3
    # A payload byte of the second frame of the first segment: its header walks fine.
    first = segments[0]
    data = first.read_bytes()
    second_frame = int.from_bytes(data[:4], "little") + 8
    _damage(first, second_frame + 60, 4)
    with TopicLog(root) as log:
        with pytest.raises(CorruptDataError, match=f"{first}.*offsets 10 to 19.*CRC"):
            log.read("t", 0, 0, 1_000_000)
        with pytest.raises(CorruptDataError):
            log.append("t", 0, make_records([b"k"], [b"x"], [1]))
        assert _values(log, "other") == [b"o"]
    assert repair_main([str(tmp_path)]) == 0
    with TopicLog(root) as log:
        offsets = log.read("t", 0, 0, 1_000_000).column("offset").to_pylist()
        assert offsets == [o for o in range(1000) if not 10 <= o < 20]


def test_torn_tail_is_cut_with_a_warning_and_offsets_are_not_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _fill(tmp_path)
    with TopicLog(root) as log:
        # A query read everything and committed its position.
        log.offsets.commit("query", {("t", 0): 1000})
    [segment] = _segments(root)
    size = segment.stat().st_size
    os.truncate(segment, size - 7)  # a crash tore the last frame
    with caplog.at_level(logging.WARNING), TopicLog(root) as log:
        assert segment.stat().st_size < size - 7  # the partial frame is gone
        messages = " ".join(r.getMessage() for r in caplog.records)
        assert str(segment) in messages and "torn" in messages
        assert "consumers committed up to 1000" in messages
        assert len(_values(log)) == 990
        # The next record does not take an offset the query already went past.
        assert log.append("t", 0, make_records([b"k"], [b"new"], [1])) == 1000
        assert log.read("t", 0, 1000).column("value").to_pylist() == [b"new"]
    with TopicLog(root) as log:  # and after another restart, it is still there
        assert log.read("t", 0, 1000).column("value").to_pylist() == [b"new"]
        assert log.end_offset("t", 0) == 1001


def _failing_writev(monkeypatch: pytest.MonkeyPatch, fail_on: int = 1) -> None:
    """os.writev writes half of its bytes on the `fail_on`-th call, then fails: a full disk."""
    real_writev = os.writev
    calls = [0]

    def writev(fd: int, buffers: list) -> int:
        calls[0] += 1
        if calls[0] != fail_on:
            return real_writev(fd, buffers)
        data = b"".join(bytes(b) for b in buffers)
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "writev", writev)


def test_a_failed_append_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fill(tmp_path)
    [segment] = _segments(root)
    size = segment.stat().st_size
    with TopicLog(root) as log:
        _failing_writev(monkeypatch)
        with pytest.raises(StorageError, match="No space left on device.*nothing was written"):
            log.append("t", 0, make_records([b"k"] * 3, [b"a", b"b", b"c"], [1, 2, 3]))
        assert segment.stat().st_size == size
        assert log.end_offset("t", 0) == 1000
        monkeypatch.undo()
        assert log.append("t", 0, make_records([b"k"], [b"ok"], [1])) == 1000
    with TopicLog(root) as log:
        assert _values(log)[-2:] == [b"99-9", b"ok"]


def test_a_produce_failing_on_one_partition_writes_no_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _fill(tmp_path)
    sizes = [_segments(root, "t", p)[0].stat().st_size for p in range(2)]
    with TopicLog(root) as log:
        _failing_writev(monkeypatch, fail_on=2)  # partition 0 is written, partition 1 fails
        batch = make_records([b"a", b"b"], [b"x", b"y"], [1, 2], partitions=[0, 1])
        with pytest.raises(StorageError):
            log.produce("t", batch)
        assert [log.end_offset("t", p) for p in range(2)] == [1000, 1]
        assert [_segments(root, "t", p)[0].stat().st_size for p in range(2)] == sizes
        monkeypatch.undo()
        log.produce("t", batch)
        assert [log.end_offset("t", p) for p in range(2)] == [1001, 2]


def test_ksql_server_repair_flag_repairs_and_exits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.main import main as server_main

    root = _fill(tmp_path)
    [segment] = _segments(root)
    _damage(segment, segment.stat().st_size // 2)
    assert server_main(["--data-dir", str(tmp_path), "--repair"]) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path} repaired" in out and str(segment) in out
    with TopicLog(root) as log:
        assert len(_values(log)) >= 1000 - 2 * PER_FRAME
