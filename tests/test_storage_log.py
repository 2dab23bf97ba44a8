"""TopicLog: topics, append/read round trips, produce placement, reopen, locking, notification."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from ksql.errors import ExecutionError, TopicError
from ksql.storage.log import TopicInfo, TopicLog, make_records, read_schema, records_schema
from ksql.storage.partitioner import partition_for_key


@pytest.fixture
def log(tmp_path: Path):
    with TopicLog(tmp_path / "data") as log:
        yield log


def _records(n: int, start: int = 0, key: bytes | None = b"k") -> pa.RecordBatch:
    return make_records(
        [key] * n,
        [f"v{i}".encode() for i in range(start, start + n)],
        list(range(start, start + n)),
    )


# Topics -------------------------------------------------------------------------------------


def test_create_describe_list_delete(log: TopicLog) -> None:
    info = log.create_topic("orders", partitions=3, replicas=2, config={"retention.ms": "1000"})
    assert info == TopicInfo("orders", 3, 2, {"retention.ms": "1000"})
    log.create_topic("a.b_c-1")
    assert log.topic_exists("orders")
    assert log.describe_topic("orders") == info
    assert [t.name for t in log.list_topics()] == ["a.b_c-1", "orders"]
    with pytest.raises(TopicError, match="already exists"):
        log.create_topic("orders")
    log.delete_topic("orders")
    assert not log.topic_exists("orders")
    with pytest.raises(TopicError, match="does not exist"):
        log.describe_topic("orders")
    with pytest.raises(TopicError, match="does not exist"):
        log.delete_topic("orders")
    # A re-created topic starts empty.
    log.create_topic("orders")
    assert log.end_offset("orders", 0) == 0


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../etc", "a/b", "a b", "ü", "x" * 250, "/abs", "a\x00b", "t:1"]
)
def test_illegal_topic_names_are_rejected(log: TopicLog, name: str, tmp_path: Path) -> None:
    with pytest.raises(TopicError):
        log.create_topic(name)
    assert not (tmp_path / "etc").exists()


def test_longest_legal_name(log: TopicLog) -> None:
    log.create_topic("x" * 249)
    assert log.topic_exists("x" * 249)


def test_bad_partitions_and_config(log: TopicLog) -> None:
    with pytest.raises(TopicError):
        log.create_topic("t", partitions=0)
    with pytest.raises(TopicError):
        log.create_topic("t", config={"retention.ms": "soon"})
    with pytest.raises(TopicError):
        log.create_topic("t", config={"cleanup.policy": "shred"})
    assert not log.topic_exists("t")


def test_unknown_topic_and_partition(log: TopicLog) -> None:
    log.create_topic("t", partitions=2)
    with pytest.raises(TopicError):
        log.append("nope", 0, _records(1))
    with pytest.raises(TopicError):
        log.read("t", 2, 0)
    with pytest.raises(TopicError):
        log.end_offset("t", -1)


# Append and read ----------------------------------------------------------------------------


def test_append_read_round_trip_with_headers_and_nulls(log: TopicLog) -> None:
    log.create_topic("t")
    batch = make_records(
        [b"k1", None, b"k3"],
        [b"v1", b"v2", None],
        [100, 200, 300],
        headers=[[("h1", b"x"), ("h2", None)], None, []],
    )
    assert log.append("t", 0, batch) == 0
    assert log.append("t", 0, batch) == 3
    out = log.read("t", 0, 0)
    assert out.schema.equals(read_schema())
    assert out.column("offset").to_pylist() == [0, 1, 2, 3, 4, 5]
    assert out.column("partition").to_pylist() == [0] * 6
    rows = out.to_pylist()[:3]
    assert rows[0] == {
        "key": b"k1",
        "value": b"v1",
        "timestamp": 100,
        "headers": [{"key": "h1", "value": b"x"}, {"key": "h2", "value": None}],
        "partition": 0,
        "offset": 0,
    }
    assert rows[1]["key"] is None and rows[1]["headers"] is None
    assert rows[2]["value"] is None and rows[2]["headers"] == []


def test_read_from_offset_with_limit_and_at_end(log: TopicLog) -> None:
    log.create_topic("t")
    for i in range(10):
        log.append("t", 0, _records(10, start=i * 10))
    out = log.read("t", 0, 35, max_records=20)
    assert out.column("offset").to_pylist() == list(range(35, 55))
    assert out.column("value").to_pylist() == [f"v{i}".encode() for i in range(35, 55)]
    assert log.read("t", 0, 95, 100).column("offset").to_pylist() == list(range(95, 100))
    end = log.read("t", 0, 100)
    assert end.num_rows == 0 and end.schema.equals(read_schema())
    assert log.read("t", 0, 10_000).num_rows == 0
    assert log.start_offset("t", 0) == 0 and log.end_offset("t", 0) == 100


def test_append_accepts_loose_schemas(log: TopicLog) -> None:
    log.create_topic("t")
    loose = pa.table(
        {"value": pa.array(["a", "b"]), "key": pa.array([b"1", None], pa.large_binary())}
    )
    before = int(time.time() * 1000)
    log.append("t", 0, loose)
    out = log.read("t", 0, 0)
    assert out.column("value").to_pylist() == [b"a", b"b"]
    assert out.column("key").to_pylist() == [b"1", None]
    assert all(ts >= before for ts in out.column("timestamp").to_pylist())
    assert log.append("t", 0, records_schema().empty_table()) == 2


def test_produce_uses_kafka_partitioner_and_keeps_order(log: TopicLog) -> None:
    log.create_topic("t", partitions=4)
    keys = [f"key{i % 7}".encode() for i in range(200)]
    log.produce("t", make_records(keys, [str(i).encode() for i in range(200)], list(range(200))))
    seen = 0
    for p in range(4):
        out = log.read("t", p, 0)
        seen += out.num_rows
        for k in out.column("key").to_pylist():
            assert partition_for_key(k, 4) == p
        values = [int(v) for v in out.column("value").to_pylist()]
        assert values == sorted(values)  # per-partition order of the produce call
    assert seen == 200


def test_produce_honours_partition_column_and_sticks_null_keys(log: TopicLog) -> None:
    log.create_topic("t", partitions=3)
    batch = make_records(
        [b"a", b"b", None, None],
        [b"1", b"2", b"3", b"4"],
        [1, 2, 3, 4],
        partitions=[2, None, 0, None],
    )
    log.produce("t", batch)
    by_partition = {p: log.read("t", p, 0).column("value").to_pylist() for p in range(3)}
    assert b"1" in by_partition[2] and b"3" in by_partition[0]
    assert b"2" in by_partition[partition_for_key(b"b", 3)]
    # Null keys without a partition all land together (sticky within one call).
    log.produce("t", make_records([None] * 5, [b"n"] * 5, [0] * 5))
    counts = [log.read("t", p, 0).column("value").to_pylist().count(b"n") for p in range(3)]
    assert sorted(counts) == [0, 0, 5]
    with pytest.raises(TopicError, match="Invalid partition"):
        log.produce("t", make_records([b"a"], [b"x"], [0], partitions=[3]))


def test_reopen_keeps_topics_records_and_offsets(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", partitions=2, config={"segment.bytes": "2000"})
        for i in range(50):
            log.append("t", i % 2, _records(3, start=i * 3))
        log.offsets.commit("g", {("t", 0): 12, ("t", 1): 7})
        before = [log.read("t", p, 0).to_pylist() for p in range(2)]
    with TopicLog(tmp_path) as log:
        assert log.describe_topic("t") == TopicInfo("t", 2, 1, {"segment.bytes": "2000"})
        assert [log.read("t", p, 0).to_pylist() for p in range(2)] == before
        assert log.end_offset("t", 0) == 75
        assert log.append("t", 0, _records(1)) == 75
        assert log.offsets.committed("g", "t", 0) == 12


def test_segments_roll_and_reads_cross_them(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", config={"segment.bytes": "4096"})
        for i in range(100):
            log.append("t", 0, _records(5, start=i * 5))
        segments = sorted((tmp_path / "topics" / "t" / "0").glob("*.log"))
        assert len(segments) > 5
        assert segments[0].name == "00000000000000000000.log"
        out = log.read("t", 0, 0, max_records=1000)
        assert out.column("offset").to_pylist() == list(range(500))
        assert log.read("t", 0, 123, 300).column("offset").to_pylist() == list(range(123, 423))


# Locking and notification ----------------------------------------------------------------


def test_lock_prevents_second_open(tmp_path: Path) -> None:
    log = TopicLog(tmp_path)
    with pytest.raises(ExecutionError, match="already in use"):
        TopicLog(tmp_path)
    code = (
        "import sys\nfrom ksql.storage.log import TopicLog\n"
        "try:\n    TopicLog(sys.argv[1])\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert "ExecutionError" in proc.stdout and "already in use" in proc.stdout
    log.close()
    TopicLog(tmp_path).close()  # released on close


def test_wait_for_append_and_listener(log: TopicLog) -> None:
    log.create_topic("t")
    events: list[tuple[str, int, int]] = []
    log.add_listener(lambda t, p, end: events.append((t, p, end)))
    assert log.wait_for_append(0.01) is False
    seq = log.append_seq
    timer = threading.Timer(0.05, lambda: log.append("t", 0, _records(2)))
    timer.start()
    started = time.monotonic()
    assert log.wait_for_append(5.0) is True
    assert time.monotonic() - started < 4
    timer.join()
    assert log.wait_for_append(0.0, since=seq) is True  # no lost wake-up with `since`
    assert events == [("t", 0, 2)]


def test_closed_log_refuses_work(tmp_path: Path) -> None:
    log = TopicLog(tmp_path)
    log.create_topic("t")
    log.close()
    with pytest.raises(ExecutionError):
        log.create_topic("u")
    with pytest.raises(ExecutionError):
        log.read("t", 0, 0)


def test_concurrent_appends_are_contiguous(log: TopicLog) -> None:
    log.create_topic("t")

    def writer(w: int) -> None:
        for i in range(50):
            log.append("t", 0, make_records([str(w).encode()] * 4, [str(i).encode()] * 4, [0] * 4))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = log.read("t", 0, 0, 10_000)
    assert out.column("offset").to_pylist() == list(range(800))
    for w in range(4):
        vals = [
            int(v)
            for k, v in zip(out.column("key").to_pylist(), out.column("value").to_pylist())
            if k == str(w).encode()
        ]
        assert vals == sorted(vals)


def test_offset_for_timestamp(log: TopicLog) -> None:
    log.create_topic("t", config={"segment.bytes": "1500"})
    for i in range(10):
        log.append("t", 0, make_records([b"k"] * 2, [b"v"] * 2, [i * 100, i * 100 + 50]))
    assert log.offset_for_timestamp("t", 0, 0) == 0
    assert log.offset_for_timestamp("t", 0, 420) == 9
    assert log.offset_for_timestamp("t", 0, 450) == 9
    assert log.offset_for_timestamp("t", 0, 451) == 10
    assert log.offset_for_timestamp("t", 0, 10_000) is None
