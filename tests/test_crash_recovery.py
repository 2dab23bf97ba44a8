"""A process running an aggregation is killed (SIGKILL) mid-stream; a restart finishes the job
and the final table equals an uninterrupted run: nothing lost, nothing counted twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa

from ksql.engine import Engine
from ksql.storage.log import make_records

ROOT = Path(__file__).resolve().parents[1]
RECORDS = 60_000
KEYS = 50

WORKER = """
import sys
from ksql.engine import Engine
engine = Engine(sys.argv[1])
while engine.step(max_records=500):
    pass
"""


def _load(data_dir: Path) -> Counter:
    """Create the stream and the aggregation, append the input; returns the expected counts."""
    with Engine(data_dir, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(
            "CREATE STREAM clicks (user_id STRING, page STRING) "
            "WITH (kafka_topic='clicks', partitions=2, value_format='JSON');"
        )
        engine.execute(
            "CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n FROM clicks GROUP BY user_id;"
        )
        users = [f"u{i % KEYS}" for i in range(RECORDS)]
        values = [json.dumps({"USER_ID": u, "PAGE": "/p"}).encode() for u in users]
        batch = make_records([None] * RECORDS, values, list(range(RECORDS)))
        batch = batch.append_column("partition", pa.array([i % 2 for i in range(RECORDS)], pa.int32()))
        engine.log.produce("clicks", batch)
    return Counter(users)


def _final_counts(engine: Engine) -> dict[str, int]:
    final: dict[str, int] = {}
    for row in engine.read_topic("PER_USER").sort_by("timestamp").to_pylist():
        final[row["key"].decode()] = json.loads(row["value"])["N"]
    return final


def test_sigkill_mid_aggregation_then_restart_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    expected = _load(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path)], env=env)
    # Kill it once some, but not all, of the output is written.
    deadline = time.monotonic() + 60
    written = 0
    while time.monotonic() < deadline and worker.poll() is None:
        written = sum(f.stat().st_size for f in tmp_path.rglob("PER_USER/*/*.log"))
        if written > 300_000:
            break
        time.sleep(0.01)
    assert worker.poll() is None, "the worker finished before it could be killed; raise RECORDS"
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert written > 0

    with Engine(tmp_path) as engine:
        engine.run_until_idle()
        assert _final_counts(engine) == dict(expected)
