"""A query whose state file is deleted, damaged or older than its committed offsets rebuilds its
state from its source topics, from where it started, with its output held back: the table is
what it was, and nothing is written twice."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from ksql.engine import Engine

STREAM = (
    "CREATE STREAM clicks (id INT KEY, user_id STRING) "
    "WITH (kafka_topic='clicks', partitions=2, value_format='JSON');"
)


def _click(engine: Engine, i: int, user: str) -> None:
    engine.execute(f"INSERT INTO clicks (id, user_id) VALUES ({i}, '{user}');")


def _state_file(data_dir: Path, prefix: str) -> Path:
    [path] = (data_dir / "state").glob(f"{prefix}_*.duckdb")
    return path


def _counts(engine: Engine) -> dict[str, int]:
    [result] = engine.execute("SELECT user_id, n FROM per_user;")
    return {row[0]: row[1] for row in result.rows}


def _start_aggregation(data_dir: Path) -> None:
    with Engine(data_dir) as engine:
        engine.execute(STREAM)
        for i, user in enumerate(["early", "early", "u1"]):  # before the query: not counted
            _click(engine, i, user)
        engine.execute(
            "CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n FROM clicks GROUP BY user_id;"
        )
        for i, user in enumerate(["u1", "u2", "u1", "u3", "u1"]):
            _click(engine, 10 + i, user)
        engine.run_until_idle()
        assert _counts(engine) == {"u1": 3, "u2": 1, "u3": 1}


def _restart_and_check(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with Engine(data_dir) as engine:
        sink_before = engine.read_topic("PER_USER").num_rows
        with caplog.at_level(logging.WARNING):
            _click(engine, 20, "u2")
            _click(engine, 21, "u4")
            engine.run_until_idle()
        assert [q.state for q in engine.queries()] == ["RUNNING"]
        assert _counts(engine) == {"u1": 3, "u2": 2, "u3": 1, "u4": 1}
        # Only the two new records were written: the rebuild's output was held back.
        sink = engine.read_topic("PER_USER").to_pylist()
        assert len(sink) == sink_before + 2
        assert {(r["key"].decode(), json.loads(r["value"])["N"]) for r in sink[-2:]} == {
            ("u2", 2),
            ("u4", 1),
        }
    assert "rebuilding it from its source topics" in caplog.text


def test_a_deleted_state_file_is_rebuilt_from_where_the_query_started(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _start_aggregation(tmp_path)
    _state_file(tmp_path, "CTAS_PER_USER").unlink()
    _restart_and_check(tmp_path, caplog)
    assert "had no state file" in caplog.text


def test_a_damaged_state_file_is_set_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _start_aggregation(tmp_path)
    path = _state_file(tmp_path, "CTAS_PER_USER")
    path.write_bytes(b"\x00garbage" * 1000)
    _restart_and_check(tmp_path, caplog)
    assert path.with_name(path.name + ".damaged").read_bytes() == b"\x00garbage" * 1000
    assert "Set the state file" in caplog.text


def test_state_behind_the_committed_offsets_catches_up_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An older copy of the state (a backup, or a rebuild a crash interrupted)."""
    with Engine(tmp_path) as engine:
        engine.execute(STREAM)
        engine.execute(
            "CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n FROM clicks GROUP BY user_id;"
        )
        _click(engine, 0, "u1")
        engine.run_until_idle()
    path = _state_file(tmp_path, "CTAS_PER_USER")
    old = tmp_path / "old.duckdb"
    shutil.copy(path, old)
    with Engine(tmp_path) as engine:
        for i, user in enumerate(["u1", "u2", "u1", "u3"]):
            _click(engine, 10 + i, user)
        engine.run_until_idle()
        assert _counts(engine) == {"u1": 3, "u2": 1, "u3": 1}
    shutil.copy(old, path)
    _restart_and_check(tmp_path, caplog)
    assert "has state behind its committed offsets" in caplog.text


def test_a_join_rebuilds_its_table_side(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        engine.execute(
            "CREATE TABLE users (user_id STRING PRIMARY KEY, name STRING) "
            "WITH (kafka_topic='users', partitions=2, value_format='JSON');"
        )
        engine.execute(
            "CREATE STREAM named AS SELECT c.id AS id, c.user_id AS uid, u.name AS name "
            "FROM clicks c JOIN users u ON c.user_id = u.user_id;"
        )
        engine.execute("INSERT INTO users (user_id, name) VALUES ('u1', 'Ann');")
        engine.execute("INSERT INTO users (user_id, name) VALUES ('u2', 'Bob');")
        engine.run_until_idle()
        _click(engine, 1, "u1")
        engine.run_until_idle()
        assert engine.read_topic("NAMED").num_rows == 1
    _state_file(tmp_path, "CSAS_NAMED").unlink()
    with Engine(tmp_path) as engine:
        _click(engine, 2, "u2")
        engine.run_until_idle()
        rows = [(r["key"], json.loads(r["value"])) for r in engine.read_topic("NAMED").to_pylist()]
        # Bob is still known, and the first click's join is not written a second time.
        assert rows == [(b"u1", {"ID": 1, "NAME": "Ann"}), (b"u2", {"ID": 2, "NAME": "Bob"})]
