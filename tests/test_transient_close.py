"""Closing a push query from another thread waits for the step in progress, and no step runs
after it (the runner's state file is closed and removed only once no step uses it)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.runtime.aggregation_query import AggregationQuery


def test_close_waits_for_the_running_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[tuple[str, float]] = []
    in_step = threading.Event()
    original = AggregationQuery.step

    def slow_step(self, max_records: int = 65536) -> int:
        events.append(("step-start", time.monotonic()))
        in_step.set()
        time.sleep(0.3)
        done = original(self, max_records)
        events.append(("step-end", time.monotonic()))
        return done

    original_close = AggregationQuery.close

    def recording_close(self) -> None:
        events.append(("close", time.monotonic()))
        original_close(self)

    monkeypatch.setattr(AggregationQuery, "step", slow_step)
    monkeypatch.setattr(AggregationQuery, "close", recording_close)
    with Engine(tmp_path) as engine:
        engine.execute(
            "CREATE STREAM s (id INT KEY, v INT) WITH (kafka_topic='s', partitions=1, "
            "value_format='JSON');"
        )
        (result,) = engine.execute("SELECT id, COUNT(*) FROM s GROUP BY id EMIT CHANGES;")
        consumer = threading.Thread(target=lambda: list(result.rows), daemon=True)
        consumer.start()
        assert in_step.wait(5)
        result.close()
        consumer.join(5)
        assert not consumer.is_alive()
    names = [name for name, _ in events]
    closed_at = names.index("close")
    assert names[closed_at - 1] == "step-end"  # the step in progress finished first
    assert "step-start" not in names[closed_at:]  # and none started after
