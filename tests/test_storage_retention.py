"""Retention by time and size, and compaction of cleanup.policy=compact topics."""

from __future__ import annotations

import time
from pathlib import Path

from ksql.storage.log import TopicLog, make_records


def _now_ms() -> int:
    return int(time.time() * 1000)


def test_retention_ms_drops_old_segments(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", config={"retention.ms": "60000", "segment.bytes": "1000"})
        old = _now_ms() - 3_600_000
        for i in range(20):
            log.append("t", 0, make_records([b"k"] * 5, [b"x" * 20] * 5, [old + i] * 5))
        # Rolling applies retention, so only the active segment of old data is left.
        assert log.start_offset("t", 0) > 0
        fresh_start = log.end_offset("t", 0)
        for _ in range(20):
            log.append("t", 0, make_records([b"k"] * 5, [b"y" * 20] * 5, [_now_ms()] * 5))
        log.apply_retention("t")
        assert log.start_offset("t", 0) <= fresh_start
        out = log.read("t", 0, 0, 10_000)  # reading below the start begins at the earliest
        assert out.column("offset")[0].as_py() == log.start_offset("t", 0)
        assert b"y" * 20 in out.column("value").to_pylist()
        assert log.end_offset("t", 0) == 200


def test_retention_ms_removes_everything_expired_but_keeps_offsets(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", config={"retention.ms": "1000"})
        log.append("t", 0, make_records([b"k"] * 3, [b"v"] * 3, [1, 2, 3]))
        assert log.apply_retention() == 1
        assert log.start_offset("t", 0) == 3 == log.end_offset("t", 0)
        assert log.read("t", 0, 0).num_rows == 0
        assert log.append("t", 0, make_records([b"k"], [b"v"], [_now_ms()])) == 3
    with TopicLog(tmp_path) as log:
        assert log.start_offset("t", 0) == 3 and log.end_offset("t", 0) == 4


def test_no_time_retention_by_default(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", config={"segment.bytes": "500"})
        for i in range(20):
            log.append("t", 0, make_records([b"k"] * 5, [b"x" * 20] * 5, [i] * 5))
        assert log.apply_retention() == 0
        assert log.start_offset("t", 0) == 0


def test_retention_bytes_keeps_partition_under_the_limit(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", config={"retention.bytes": "3000", "segment.bytes": "1000"})
        for i in range(50):
            log.append("t", 0, make_records([b"k"] * 2, [b"x" * 50] * 2, [_now_ms()] * 2))
        log.apply_retention("t")  # roll-time checks may leave one extra frame
        part = tmp_path / "topics" / "t" / "0"
        total = sum(p.stat().st_size for p in part.glob("*.log"))
        assert 3000 - 1000 <= total <= 3000 + 1000
        assert log.start_offset("t", 0) > 0
        assert log.end_offset("t", 0) == 100


def test_compaction_keeps_latest_per_key_with_offsets(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", config={"cleanup.policy": "compact", "segment.bytes": "800"})
        now = _now_ms()
        rows = [
            (b"a", b"1", now),
            (b"b", b"1", now),
            (b"a", b"2", now),
            (None, b"n", now),
            (b"c", b"1", now),
            (b"b", None, now),
            (b"c", None, 0),
            (b"a", b"3", now),
        ]
        for k, v, ts in rows:
            log.append("t", 0, make_records([k], [v], [ts]))
        removed = log.compact("t")
        out = log.read("t", 0, 0)
        got = list(
            zip(
                out.column("offset").to_pylist(),
                out.column("key").to_pylist(),
                out.column("value").to_pylist(),
                strict=True,
            )
        )
        # a -> latest value 3; b -> recent tombstone kept; c -> old tombstone dropped;
        # null-key records are kept.
        assert got == [(3, None, b"n"), (5, b"b", None), (7, b"a", b"3")]
        assert removed == 5
        assert log.start_offset("t", 0) == 0 and log.end_offset("t", 0) == 8
        assert log.read("t", 0, 4).column("offset").to_pylist() == [5, 7]
        assert log.append("t", 0, make_records([b"a"], [b"4"], [now])) == 8
    with TopicLog(tmp_path) as log:
        out = log.read("t", 0, 0)
        assert out.column("offset").to_pylist() == [3, 5, 7, 8]
        log.compact("t")
        assert log.read("t", 0, 0).column("offset").to_pylist() == [3, 5, 8]
