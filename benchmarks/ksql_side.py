"""ksql side of the benchmark suite: one query as a persistent query, end to end.

Usage (run by suite.py in a fresh process per measurement; prints one JSON object):
  python benchmarks/ksql_side.py --data DIR --query q1 throughput [--batch 65536] [--format AVRO]
  python benchmarks/ksql_side.py --data DIR --query q1 latency [--rate 20000] [--seconds 5]

throughput: copies the prepared topic log (`DIR/ksql-log`, see suite_data.py) into a fresh data
directory, creates the sources and the query, then times `engine.step(batch)` until idle: read,
decode JSON, compute, encode, append, checkpoint. Records/s counts input records. With
`--format AVRO` (or another schema-registry format) the sources read the same events converted
to that value format (suite_formats.py; the topics and the registry are copied in).

latency: starts the engine's background loop on empty topics, then a producer thread appends the
same input records at a fixed rate (a batch every 5 ms) and notes the wall time of each append.
A log listener notes when each output record is appended. An output record's latency is its
append time minus the append time of the input record whose timestamp it carries (for
aggregations and joins: the newest input it reflects). Reports p50/p99/max in ms.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import suite_formats
from suite_queries import BY_NAME, Query

from ksql.engine import Engine
from ksql.storage.log import TopicLog


def _create(engine: Engine, query: Query, fmt: str = suite_formats.JSON) -> None:
    for source in query.ksql_sources or query.inputs:
        engine.execute(suite_formats.ddl(source, fmt))
    engine.execute(query.ksql)


def _errors(engine: Engine) -> list[str]:
    return [
        f"{q.state}: {getattr(q, 'error', '')}"
        for q in engine.catalog.queries.values()
        if q.state != "RUNNING"
    ]


def throughput(data: Path, query: Query, batch: int, fmt: str = suite_formats.JSON) -> dict:
    with tempfile.TemporaryDirectory(prefix="ksql-suite-") as tmp:
        if fmt.upper() == suite_formats.JSON:
            shutil.copytree(data / "ksql-log", Path(tmp) / "topics")
        else:
            converted = suite_formats.prepare(data, fmt)
            shutil.copytree(converted / "topics", Path(tmp) / "topics")
            shutil.copytree(converted / "schemas", Path(tmp) / "schemas")
        engine = Engine(tmp, properties={"auto.offset.reset": "earliest"})
        records = sum(engine.log.end_offset(suite_formats.topic(t, fmt), 0) for t in query.inputs)
        _create(engine, query, fmt)
        started = time.perf_counter()
        while engine.step(batch):
            pass
        elapsed = time.perf_counter() - started
        out = engine.log.end_offset(query.sink, 0)
        errors = _errors(engine)
        engine.close()
    result = {"records": records, "seconds": elapsed, "rate": records / elapsed, "output": out}
    if errors:
        result["error"] = "; ".join(errors)
    return result


def _input_records(data: Path, topics: tuple[str, ...], count: int) -> list[tuple[str, pa.Table]]:
    """The first records of the inputs, merged in timestamp order, as (topic, one-row slices)."""
    log = TopicLog(data / "ksql-log")
    parts = []
    try:
        for topic in topics:
            batches, offset = [], 0
            while offset < min(count, log.end_offset(topic, 0)):
                rb = log.read(topic, 0, offset, 65536)
                batches.append(rb)
                offset += rb.num_rows
            table = pa.Table.from_batches(batches).slice(0, count)
            parts.append(table.append_column("topic", pa.array([topic] * table.num_rows)))
    finally:
        log.close()
    merged = pa.concat_tables(parts).sort_by([("timestamp", "ascending")]).slice(0, count)
    return merged.select(["topic", "key", "value", "timestamp"]).combine_chunks()


def latency(data: Path, query: Query, rate: int, seconds: float) -> dict:
    inputs = _input_records(data, query.inputs, int(rate * seconds))
    topics = inputs.column("topic").to_numpy(zero_copy_only=False)
    stamps = inputs.column("timestamp").to_numpy()
    records = inputs.drop_columns(["topic"])
    appended: list[tuple[float, int]] = []  # (wall time, end offset) of output appends
    produced_at: list[float] = []  # per producer tick: wall time after the append
    produced_upto: list[int] = []  # per producer tick: rows produced so far
    with tempfile.TemporaryDirectory(prefix="ksql-suite-") as tmp:
        engine = Engine(tmp, properties={"auto.offset.reset": "earliest"})
        for topic in query.inputs:
            engine.log.create_topic(topic, partitions=1)
        _create(engine, query)
        sink = query.sink

        def on_append(topic: str, partition: int, end: int) -> None:
            if topic == sink:
                appended.append((time.perf_counter(), end))

        engine.log.add_listener(on_append)
        engine.start(idle_sleep_s=0.05)
        total = records.num_rows
        started = time.perf_counter()
        sent = 0
        while sent < total:
            due = min(total, int(rate * (time.perf_counter() - started)) + 1)
            if due > sent:
                chunk_topics = topics[sent:due]
                for topic in query.inputs:
                    rows = np.flatnonzero(chunk_topics == topic)
                    if len(rows):
                        engine.log.append(topic, 0, records.take(pa.array(rows + sent)))
                produced_at.append(time.perf_counter())
                produced_upto.append(due)
                sent = due
            time.sleep(0.005)
        feed_seconds = time.perf_counter() - started
        # Drain: wait until the output has not grown for a second (at most 60 s).
        deadline = time.perf_counter() + 60
        last, quiet_since = -1, time.perf_counter()
        while time.perf_counter() < deadline:
            end = engine.log.end_offset(sink, 0) if engine.log.topic_exists(sink) else 0
            if end != last:
                last, quiet_since = end, time.perf_counter()
            elif time.perf_counter() - quiet_since > 1.0:
                break
            time.sleep(0.05)
        engine.log.remove_listener(on_append)
        errors = _errors(engine)
        out_ts = (
            engine.read_topic(sink).column("timestamp").to_numpy()
            if engine.log.topic_exists(sink)
            else np.array([], np.int64)
        )
        engine.close()
    result = {"rate": rate, "fed": total, "feed_seconds": feed_seconds, "output": len(out_ts)}
    if errors:
        result["error"] = "; ".join(errors)
    if len(out_ts) and appended:
        # Input side: the wall time at which the first record with timestamp >= T was appended.
        upto = np.array(produced_upto) - 1  # last row index in each tick
        tick_max_ts = np.maximum.accumulate(stamps)[upto]
        tick_of = np.searchsorted(tick_max_ts, out_ts, side="left").clip(0, len(upto) - 1)
        produced = np.array(produced_at)[tick_of]
        # Output side: the first append whose end offset passes the record's offset.
        ends = np.array([e for _, e in appended])
        times = np.array([t for t, _ in appended])
        which = np.searchsorted(ends, np.arange(len(out_ts)), side="right").clip(0, len(ends) - 1)
        lat_ms = (times[which] - produced) * 1000
        result.update(
            p50_ms=float(np.percentile(lat_ms, 50)),
            p99_ms=float(np.percentile(lat_ms, 99)),
            max_ms=float(lat_ms.max()),
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--query", required=True, choices=sorted(BY_NAME))
    sub = parser.add_subparsers(dest="mode", required=True)
    tp = sub.add_parser("throughput")
    tp.add_argument("--batch", type=int, default=65536, help="max records per step")
    tp.add_argument("--format", default="JSON", help="value format of the inputs (JSON, AVRO...)")
    lat = sub.add_parser("latency")
    lat.add_argument("--rate", type=int, default=20_000, help="input records per second")
    lat.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    query = BY_NAME[args.query]
    try:
        if args.mode == "throughput":
            result = throughput(args.data, query, args.batch, args.format)
        else:
            result = latency(args.data, query, args.rate, args.seconds)
    except Exception as exc:  # noqa: BLE001 - reported in the table, never a number
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
