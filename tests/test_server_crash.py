"""ksql-server killed with SIGKILL while a persistent aggregation runs, then restarted on the same
data directory: the table and its output topic match an uninterrupted server's."""

from __future__ import annotations

import base64
import http.client
import json
import time
from pathlib import Path

from ksql.conformance.rest_server import ServerProcess

RECORDS = 150_000
KEYS = 40
STREAM = (
    "CREATE STREAM clicks (user_id STRING, page STRING) "
    "WITH (kafka_topic='clicks', partitions=2, value_format='JSON');"
)
TABLE = "CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n FROM clicks GROUP BY user_id;"
EARLIEST = {"auto.offset.reset": "earliest"}


def _insert(server: ServerProcess, start: int, stop: int) -> None:
    """Rows over /inserts-stream (HTTP/1.1, one request); every row must be acknowledged."""
    lines = [json.dumps({"target": "clicks"})]
    lines += [json.dumps({"user_id": f"u{i % KEYS}", "page": "/p"}) for i in range(start, stop)]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        conn.request("POST", "/inserts-stream", body="\n".join(lines).encode())
        response = conn.getresponse()
        acks = response.read().decode().splitlines()
    finally:
        conn.close()
    assert response.status == 200
    assert len(acks) == stop - start and all('"ok"' in a for a in acks[-1:])


def _create(server: ServerProcess) -> None:
    """The stream and its input first, then the aggregation, reading from the earliest offset."""
    assert server.post("/ksql", {"ksql": STREAM}).status == 200
    _insert(server, 0, RECORDS)
    result = server.post("/ksql", {"ksql": TABLE, "streamsProperties": EARLIEST})
    assert result.status == 200


def _lag(server: ServerProcess) -> int:
    status = server.get("/clusterStatus").json()["clusterStatus"]
    return sum(
        p["offsetLag"]
        for host in status.values()
        for store in host["hostStoreLags"]["stateStoreLags"].values()
        for p in store["lagByPartition"].values()
    )


def _table(server: ServerProcess) -> dict[str, int]:
    result = server.post(
        "/query", {"ksql": "SELECT * FROM per_user;"}, headers={"Accept": "application/json"}
    )
    assert result.status == 200
    rows = [e["row"]["columns"] for e in result.json() if "row" in e]
    return {user: n for user, n in rows}


def _topic_updates(server: ServerProcess) -> dict[str, list[int]]:
    """Per key, the counts the output topic carries, in order."""
    updates: dict[str, list[int]] = {}
    records = sorted(server.records("PER_USER") or [], key=lambda r: (r["partition"], r["offset"]))
    for r in records:
        key = base64.b64decode(r["key"]).decode()
        updates.setdefault(key, []).append(json.loads(base64.b64decode(r["value"]))["N"])
    return updates


def _dedup(counts: list[int]) -> list[int]:
    """At-least-once output may repeat updates of the batch in flight at the kill."""
    out: list[int] = []
    for c in counts:
        if c not in out:
            out.append(c)
    return out


def _run_uninterrupted(data_dir: Path) -> tuple[dict[str, int], dict[str, list[int]]]:
    server = ServerProcess(data_dir=data_dir)
    try:
        _create(server)
        assert server.wait_until_caught_up(timeout_s=180)
        return _table(server), _topic_updates(server)
    finally:
        server.stop()


def test_sigkill_during_aggregation_then_restart_matches_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "crashed"
    server = ServerProcess(data_dir=data_dir)
    try:
        _create(server)
        # Step 1: kill while the aggregation is part-way through its input.
        deadline = time.monotonic() + 60
        lag_at_kill = _lag(server)
        while lag_at_kill > RECORDS * 0.8 and time.monotonic() < deadline:
            time.sleep(0.02)
            lag_at_kill = _lag(server)
        server.kill()
    finally:
        server.stop()
    assert lag_at_kill > 0, "the aggregation caught up before the kill; raise RECORDS"

    restarted = ServerProcess(data_dir=data_dir)
    try:
        # Step 2: the restarted server replays its command log and resumes the query.
        (queries,) = restarted.post("/ksql", {"ksql": "SHOW QUERIES;"}).json()
        assert [q["sinks"] for q in queries["queries"]] == [["PER_USER"]]
        assert restarted.wait_until_caught_up(timeout_s=180)
        table, updates = _table(restarted), _topic_updates(restarted)
    finally:
        restarted.stop()

    expected_table, expected_updates = _run_uninterrupted(tmp_path / "straight")
    assert expected_table == {f"u{k}": RECORDS // KEYS for k in range(KEYS)}
    assert table == expected_table
    assert {k: v[-1] for k, v in updates.items()} == {k: v[-1] for k, v in expected_updates.items()}
    assert {k: _dedup(v) for k, v in updates.items()} == expected_updates
