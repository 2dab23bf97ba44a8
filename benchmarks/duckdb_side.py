"""DuckDB side of the benchmark suite: one query as one batch SQL statement (the ceiling).

Usage (run by suite.py; prints one JSON object):
  python benchmarks/duckdb_side.py --data DIR --query q1 [--threads 1]

Reads the same JSON-lines files with `read_json` (explicit columns) and materializes the query's
result into a temporary table, so JSON decoding and every output column are computed. No
incremental state, no changelog, no output encoding: what a vectorized engine could reach.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite_queries import BY_NAME, duckdb_ddl


def run(data: Path, name: str, threads: int) -> dict:
    query = BY_NAME[name]
    manifest = json.loads((data / "manifest.json").read_text())
    records = sum(manifest[t] for t in query.inputs)
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    for topic in query.inputs:
        con.execute(duckdb_ddl(topic, str((data / f"{topic}.jsonl").resolve())))
    started = time.perf_counter()
    con.execute(f"CREATE TEMP TABLE result AS {query.duckdb}")
    elapsed = time.perf_counter() - started
    out = con.execute("SELECT count(*) FROM result").fetchall()[0][0]
    return {"records": records, "seconds": elapsed, "rate": records / elapsed, "output": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--query", required=True, choices=sorted(BY_NAME))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    try:
        result = run(args.data, args.query, args.threads)
    except Exception as exc:  # noqa: BLE001 - reported in the table, never a number
        result = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
