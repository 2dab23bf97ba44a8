"""The record cache (`cache.max.bytes.buffering` > 0, ksqlDB's default) changes how often a table
emits, never what it holds: the same input through the same aggregation, with the cache on and
off, gives the same materialized table and the same last value per key and window on the
output topic, with fewer output records."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from ksql.engine import Engine

STREAM = (
    "CREATE STREAM clicks (user_id VARCHAR KEY, page VARCHAR, ms INT, score DOUBLE) "
    "WITH (kafka_topic='clicks', value_format='JSON', partitions=2);"
)

TABLE = (
    "CREATE TABLE users (user_id VARCHAR PRIMARY KEY, page VARCHAR, ms INT, score DOUBLE) "
    "WITH (kafka_topic='clicks', value_format='JSON');"
)

QUERIES = {
    "table_source": "SELECT page, COUNT(*) AS n, SUM(ms) AS total, AVG(score) AS mean "
    "FROM users GROUP BY page",
    "table_collect": "SELECT page, COLLECT_SET(user_id) AS ids FROM users GROUP BY page",
    "plain": "SELECT page, COUNT(*) AS n, SUM(ms) AS total, MIN(ms) AS lo, MAX(ms) AS hi, "
    "AVG(score) AS mean FROM clicks GROUP BY page",
    "having": "SELECT page, COUNT(*) AS n FROM clicks GROUP BY page HAVING COUNT(*) % 3 <> 0",
    "tumbling": "SELECT user_id, COUNT(*) AS n, SUM(ms) AS total FROM clicks "
    "WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 5 SECONDS) GROUP BY user_id",
    "hopping": "SELECT page, COUNT(*) AS n, STDDEV_SAMP(score) AS sd FROM clicks "
    "WINDOW HOPPING (SIZE 20 SECONDS, ADVANCE BY 5 SECONDS) GROUP BY page",
    "session": "SELECT user_id, COUNT(*) AS n, MAX(ms) AS hi FROM clicks "
    "WINDOW SESSION (4 SECONDS) GROUP BY user_id",
    "session_grace": "SELECT user_id, COUNT(*) AS n FROM clicks "
    "WINDOW SESSION (4 SECONDS, GRACE PERIOD 2 SECONDS) GROUP BY user_id",
    "ordered": "SELECT page, LATEST_BY_OFFSET(ms) AS latest, COLLECT_LIST(ms) AS all_ms "
    "FROM clicks GROUP BY page",
}


def _records(seed: int, count: int = 400) -> list[dict]:
    """Rows with mostly increasing, sometimes late timestamps (some beyond grace)."""
    rng = random.Random(seed)
    now, rows = 1_000_000, []
    for _ in range(count):
        now += rng.randint(0, 2500)
        ts = now - (rng.randint(0, 12_000) if rng.random() < 0.15 else 0)
        rows.append(
            {
                "user_id": f"u{rng.randint(0, 6)}",
                "page": f"p{rng.randint(0, 4)}",
                "ms": rng.randint(1, 500),
                "score": round(rng.random(), 4),
                "ROWTIME": ts,
            }
        )
    return rows


def _run(tmp: Path, query: str, records: list[dict], cache: str, chunk: int) -> tuple:
    props = {"auto.offset.reset": "earliest", "cache.max.bytes.buffering": cache}
    with Engine(tmp, properties=props) as engine:
        engine.execute(STREAM)
        engine.execute(TABLE)
        engine.execute(f"CREATE TABLE result AS {query} EMIT CHANGES;")
        for start in range(0, len(records), chunk):  # several micro-batches
            engine.insert_rows("clicks", records[start : start + chunk])
            engine.run_until_idle()
        out = engine.read_topic("RESULT")
        last: dict = {}
        for key, value in zip(out.column("key").to_pylist(), out.column("value").to_pylist()):
            last[key] = value
        [table] = engine.execute("SELECT * FROM result;")
        rows = sorted(repr([_rounded(v) for v in row]) for row in table.rows)
    live = {k: _rounded(orjson.loads(v)) for k, v in last.items() if v is not None}
    return out.num_rows, live, rows


def _rounded(value):  # type: ignore[no-untyped-def]
    """Floats to 9 digits: a batch may add a group's values in another order."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("seed", [1, 2])
def test_cache_changes_emission_not_contents(tmp_path: Path, name: str, seed: int) -> None:
    records = _records(seed)
    n_off, last_off, table_off = _run(tmp_path / "off", QUERIES[name], records, "0", 97)
    n_on, last_on, table_on = _run(tmp_path / "on", QUERIES[name], records, "10000000", 97)
    assert table_on == table_off
    assert last_on == last_off
    assert n_on < n_off
