"""Chaos: SIGKILLs and storage faults against a `ksql-server` under load, compared with a quiet run.

Usage: python benchmarks/chaos.py [--kills 100] [--chunk 2000] [--seed 1] [--keep DIR]

Part 1. A server runs an aggregation, a windowed aggregation and a stream-table join. The input
arrives in `kills` chunks (over /inserts-stream, each acknowledged in full); after each chunk
the server is killed with SIGKILL at a random moment while the queries work through it, then
restarted. The final tables (last value per key of the output topics) and the join's output
(as a set: at-least-once may repeat the batch in flight at a kill) must equal those of an
uninterrupted run over the same input.

Part 2. Storage faults, each on a copy of the killed run's data directory, must end in a clean
recovery or a clear error, never in silent loss: mid-segment corruption (the partition stops
with an error naming the file; `ksql-repair` brings it back), a torn segment tail, a deleted
state file, a torn and a garbled command log.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ksql.conformance.rest_server import ServerProcess, free_port
from ksql.storage.log import TopicLog

USERS = 50
SETUP = [
    (
        "CREATE STREAM clicks (user_id STRING KEY, page STRING, ts BIGINT) "
        "WITH (kafka_topic='clicks', partitions=2, value_format='JSON', timestamp='ts');"
    ),
    (
        "CREATE TABLE users (user_id STRING PRIMARY KEY, region STRING) "
        "WITH (kafka_topic='users', partitions=2, value_format='JSON');"
    ),
]
QUERIES = [
    (
        "CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n, SUM(ts % 7) AS s "
        "FROM clicks GROUP BY user_id;"
    ),
    (
        "CREATE TABLE per_user_window AS SELECT user_id, COUNT(*) AS n FROM clicks "
        "WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 DAYS) GROUP BY user_id;"
    ),
    (
        "CREATE STREAM enriched AS SELECT c.user_id AS user_id, c.ts AS ts, c.page AS page, "
        "u.region AS region FROM clicks c JOIN users u ON c.user_id = u.user_id;"
    ),
]
TABLES = ("PER_USER", "PER_USER_WINDOW")
STREAMS = ("ENRICHED",)


# Input ------------------------------------------------------------------------------------------


def insert(server: ServerProcess, target: str, rows: list[dict]) -> None:
    """Rows over /inserts-stream in one request; every row must be acknowledged."""
    body = "\n".join([json.dumps({"target": target})] + [json.dumps(r) for r in rows])
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    try:
        conn.request("POST", "/inserts-stream", body=body.encode())
        response = conn.getresponse()
        acks = response.read().decode().splitlines()
    finally:
        conn.close()
    if response.status != 200 or len(acks) != len(rows) or '"ok"' not in acks[-1]:
        raise RuntimeError(f"insert into {target} failed: {response.status} {acks[-1:]}")


def clicks(chunk: int, size: int) -> list[dict]:
    first = chunk * size
    return [
        {"user_id": f"u{i % USERS}", "page": f"/p{i % 13}", "ts": 1_700_000_000_000 + i * 10}
        for i in range(first, first + size)
    ]


def ksql(server: ServerProcess, sql: str) -> None:
    result = server.post("/ksql", {"ksql": sql})
    if result.status != 200:
        raise RuntimeError(f"{sql}: {result.status} {result.body[:300]!r}")


def setup(server: ServerProcess) -> None:
    for sql in SETUP:
        ksql(server, sql)
    insert(server, "users", [{"user_id": f"u{u}", "region": f"r{u % 4}"} for u in range(USERS)])
    for sql in QUERIES:
        ksql(server, sql)


# Progress and results ---------------------------------------------------------------------------


def committed_clicks(data_dir: Path) -> list[int]:
    """Per query, the click records its consumer group committed (read-only, while running)."""
    db = data_dir / "topics" / "offsets" / "offsets.sqlite"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT grp, sum(off) FROM offsets WHERE topic = 'clicks' AND grp LIKE '%query_C%' "
            "AND grp NOT LIKE '%-starts' GROUP BY grp"
        ).fetchall()
    return [int(n) for _, n in rows]


def wait_caught_up(server: ServerProcess, data_dir: Path, total: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = committed_clicks(data_dir)
        if len(done) == len(QUERIES) and all(n >= total for n in done):
            return
        if not server.alive():
            raise RuntimeError(f"the server died: {server.log_text()[-2000:]}")
        time.sleep(0.1)
    raise RuntimeError(
        f"queries did not catch up with {total} clicks: {committed_clicks(data_dir)}"
    )


def results(data_dir: Path) -> dict[str, object]:
    """Last value per key of each table's topic; the distinct records of each stream's topic,
    and how many repeats at-least-once delivery added (read with the server stopped)."""
    out: dict[str, object] = {}
    with TopicLog(data_dir / "topics") as log:
        for topic in TABLES + STREAMS:
            records = []
            for p in range(log.describe_topic(topic).partitions):
                records += log.read(topic, p, 0, 10_000_000).select(["key", "value"]).to_pylist()
            pairs = [(r["key"], r["value"]) for r in records]
            if topic in TABLES:
                out[topic] = dict(pairs)
            else:
                counts = Counter(pairs)
                out[topic] = set(counts)
                out[topic + " repeats"] = sum(counts.values()) - len(counts)
    return out


def compare(name: str, got: dict[str, object], want: dict[str, object]) -> bool:
    ok = True
    for topic in TABLES + STREAMS:
        same = got[topic] == want[topic]
        ok &= same
        extra = f" ({got[topic + ' repeats']} repeated records)" if topic in STREAMS else ""
        print(f"  {name}: {topic:16} {'equal' if same else 'DIFFERENT'}{extra}")
    return ok


# Part 1 -----------------------------------------------------------------------------------------


def quiet_run(data_dir: Path, chunks: int, size: int) -> dict[str, object]:
    server = ServerProcess(data_dir=data_dir)
    try:
        setup(server)
        for c in range(chunks):
            insert(server, "clicks", clicks(c, size))
        wait_caught_up(server, data_dir, chunks * size, 600)
    finally:
        server.stop()
    return results(data_dir)


def killed_run(data_dir: Path, kills: int, size: int, rng: random.Random) -> dict[str, object]:
    server = ServerProcess(data_dir=data_dir)
    setup(server)
    try:
        for c in range(kills):
            insert(server, "clicks", clicks(c, size))
            time.sleep(rng.uniform(0, 0.5))  # the queries are part-way through the chunk
            server.kill()
            server.stop()
            server = ServerProcess(data_dir=data_dir)
            print(f"\r  killed {c + 1}/{kills}", end="", flush=True)
        print()
        wait_caught_up(server, data_dir, kills * size, 600)
    finally:
        server.stop()
    return results(data_dir)


# Part 2 -----------------------------------------------------------------------------------------


def segment(data_dir: Path, topic: str, partition: int) -> Path:
    return max((data_dir / "topics" / "topics" / topic / str(partition)).glob("*.log"))


def fault(name: str, base: Path, work: Path) -> Path:
    print(f"- {name}")
    copy = work / name.replace(" ", "-")
    shutil.copytree(base, copy)
    return copy


def mid_segment_corruption(base: Path, work: Path) -> bool:
    data_dir = fault("mid-segment corruption", base, work)
    path = segment(data_dir, "clicks", 0)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))
    server = ServerProcess(data_dir=data_dir)
    try:
        time.sleep(2)  # the queries reading the partition step into the damage
        states = query_states(server)
        errors = server.log_text()
    finally:
        server.stop()
    stopped = str(path) in errors and "Corrupt log segment" in errors
    print(f"  the partition stopped with an error naming {path.name}: {stopped}")
    print(f"  query states: {states}")
    repair = subprocess.run(
        [sys.executable, "-m", "ksql.storage.repair", str(data_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    print("  " + repair.stdout.strip().replace("\n", "\n  "))
    server = ServerProcess(data_dir=data_dir)
    try:
        insert(server, "clicks", clicks(10**6, 10))  # both partitions take records again
        time.sleep(2)
        after = query_states(server)
    finally:
        server.stop()
    print(f"  after ksql-repair, query states: {after}")
    return stopped and repair.returncode == 0 and after == ["RUNNING"]


def query_states(server: ServerProcess) -> list[str]:
    queries = server.post("/ksql", {"ksql": "SHOW QUERIES;"}).json()[0]["queries"]
    return sorted({q.get("state", "?") for q in queries})


def torn_tail(base: Path, work: Path) -> bool:
    data_dir = fault("torn segment tail", base, work)
    path = segment(data_dir, "clicks", 1)
    os.truncate(path, path.stat().st_size - 7)
    server = ServerProcess(data_dir=data_dir)
    try:
        log = server.log_text()
        print(f"  warned: {'torn write' in log and str(path) in log}")
        print(f"  offsets continue after the committed ones: {'continue from offset' in log}")
    finally:
        server.stop()
    return "torn write" in log


def deleted_state(base: Path, work: Path, chunks: int, size: int) -> bool:
    data_dir = fault("deleted state file", base, work)
    for state in (data_dir / "state").glob("CTAS_PER_USER_*.duckdb"):
        state.unlink()
    server = ServerProcess(data_dir=data_dir)
    try:
        insert(server, "clicks", clicks(chunks, size))  # one more chunk after the rebuild
        wait_caught_up(server, data_dir, (chunks + 1) * size, 600)
        log = server.log_text()
    finally:
        server.stop()
    print(f"  rebuilt from the source topics: {'rebuilding it from its source topics' in log}")
    got = {k: json.loads(v) for k, v in results(data_dir)["PER_USER"].items()}
    want = expected_per_user(chunks + 1, size)
    print(f"  PER_USER after one more chunk: {'equal' if got == want else 'DIFFERENT'}")
    return got == want


def expected_per_user(chunks: int, size: int) -> dict[bytes, dict[str, int]]:
    out: dict[bytes, dict[str, int]] = {}
    for c in range(chunks):
        for row in clicks(c, size):
            entry = out.setdefault(row["user_id"].encode(), {"N": 0, "S": 0})
            entry["N"] += 1
            entry["S"] += row["ts"] % 7
    return out


def command_log(base: Path, work: Path) -> bool:
    data_dir = fault("torn command log", base, work)
    with open(data_dir / "commands.jsonl", "ab") as f:
        f.write(b'{"sql": "CREATE STREAM torn (')
    server = ServerProcess(data_dir=data_dir)
    try:
        torn_ok = "damaged last line" in server.log_text()
    finally:
        server.stop()
    print(f"  the torn line was cut with a warning and the server started: {torn_ok}")
    data_dir = fault("garbled command log", base, work)
    path = data_dir / "commands.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + b"\x00garbled\n" + b"".join(lines[1:]))
    command = [sys.executable, "-m", "server.main", "--data-dir", str(data_dir)]
    try:
        run = subprocess.run(
            [*command, "--port", str(free_port())],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        print("  the server started over a garbled command log")
        return False
    refused = run.returncode != 0 and "is damaged at line 2" in run.stderr
    print(f"  the server refused to start: {refused}: {run.stderr.strip()[-300:]}")
    return torn_ok and refused


# Main -------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=2000, help="clicks per chunk")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the data directories here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ksql-chaos-"))
    work.mkdir(parents=True, exist_ok=True)
    total = args.kills * args.chunk
    try:
        print(f"Part 1: {args.kills} SIGKILLs, {total} clicks in chunks of {args.chunk}")
        started = time.monotonic()
        want = quiet_run(work / "quiet", args.kills, args.chunk)
        got = killed_run(work / "killed", args.kills, args.chunk, random.Random(args.seed))
        ok = compare("killed vs quiet", got, want)
        print(f"  ({time.monotonic() - started:.0f} s)")
        print("Part 2: storage faults")
        ok &= mid_segment_corruption(work / "killed", work)
        ok &= torn_tail(work / "killed", work)
        ok &= deleted_state(work / "killed", work, args.kills, args.chunk)
        ok &= command_log(work / "killed", work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
