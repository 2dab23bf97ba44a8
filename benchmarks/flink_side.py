"""Flink side of the benchmark suite: one query in Apache Flink SQL (PyFlink, local MiniCluster).

Usage (run by suite.py with the Python that has `apache-flink`; prints one JSON object):
  <flink-python> benchmarks/flink_side.py --data DIR --query q1

Sources: the suite's JSON-lines files through Flink's filesystem connector (json format), with
an event-time attribute `ts` = `dateTime` and a watermark on it; sink: a blackhole table created
with CREATE TABLE ... AS SELECT. Parallelism 1, heap state, no checkpoints; mini-batch on as in
the Nexmark suite's Flink configuration (2 s / 50,000 rows). Records/s = input records divided
by the job's net runtime as Flink reports it (JobExecutionResult.getNetRuntime: from the job's
start to its end, so it excludes the JVM and planner start-up that `wall_seconds` includes).

apache-flink pins pyarrow < 21 and apache-beam pins pyarrow < 17, while ksql needs pyarrow >= 17:
it cannot share ksql's environment, so suite.py runs this file with a separate virtualenv's
Python (see `suite.py --setup-flink`). It imports nothing from ksql.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite_queries import BY_NAME, flink_ddl


def run(data: Path, name: str) -> dict:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    query = BY_NAME[name]
    manifest = json.loads((data / "manifest.json").read_text())
    records = sum(manifest[t] for t in query.inputs)
    started = time.perf_counter()
    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = env.get_config()
    config.set("parallelism.default", "1")
    config.set("table.exec.mini-batch.enabled", "true")
    config.set("table.exec.mini-batch.allow-latency", "2 s")
    config.set("table.exec.mini-batch.size", "50000")
    for topic in query.inputs:
        env.execute_sql(flink_ddl(topic, str((data / f"{topic}.jsonl").resolve())))
    result = env.execute_sql(
        f"CREATE TABLE sink_{name} WITH ('connector' = 'blackhole') AS {query.flink}"
    )
    job = result.get_job_client().get_job_execution_result().result()
    wall = time.perf_counter() - started
    seconds = job.get_net_runtime() / 1000
    return {
        "records": records,
        "seconds": seconds,
        "rate": records / seconds,
        "wall_seconds": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--query", required=True, choices=sorted(BY_NAME))
    args = parser.parse_args()
    try:
        result = run(args.data, args.query)
    except Exception as exc:  # noqa: BLE001 - reported in the table, never a number
        text = str(exc).strip().splitlines()
        result = {"error": f"{type(exc).__name__}: {text[0] if text else ''}"[:300]}
    # This process is the Python driver; the JVM is its child (the suite samples the tree).
    result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
