"""Push-query load: many concurrent push clients on one ksql-server plus a steady producer.

    python benchmarks/load_push.py [--clients 200] [--rate 10000] [--seconds 60] [--url URL]

Without --url it starts a server on a free loopback port over a temporary data directory. The
producer writes rows over /inserts-stream at --rate rows/s, each row carrying its send time;
every client runs `SELECT * FROM load_src EMIT CHANGES` on /query-stream and measures
produce-to-client latency per row. Prints rows delivered, rows missed, p50/p99 latency, and
the server's resident memory. Only loopback addresses; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx
import orjson

from ksql.conformance.rest_server import ServerProcess

STREAM = "LOAD_SRC"


def _rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


async def _client(
    http: httpx.AsyncClient, url: str, stop_at: float, latencies: list[float], seen: list[int]
) -> None:
    body = {"sql": f"SELECT * FROM {STREAM} EMIT CHANGES;", "properties": {}}
    try:
        async with http.stream("POST", f"{url}/query-stream", json=body) as response:
            lines = response.aiter_lines()
            await lines.__anext__()  # the header
            seen.append(0)
            index = len(seen) - 1
            async for line in lines:
                if not line:
                    continue
                now_ms = time.time() * 1000
                row = orjson.loads(line)
                latencies.append(now_ms - row[1])
                seen[index] += 1
                if time.monotonic() > stop_at:
                    break
    except (httpx.HTTPError, StopAsyncIteration):
        pass


async def _producer(url: str, rate: int, seconds: float) -> int:
    """Rows over one /inserts-stream request, paced in 10 ms slices; returns rows sent."""
    sent = 0
    tick_s = 0.01

    async def body():
        nonlocal sent
        yield json.dumps({"target": STREAM}).encode() + b"\n"
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(elapsed * rate) - sent
            if due > 0:
                now_ms = time.time() * 1000
                chunk = b"".join(
                    orjson.dumps({"ID": sent + i, "TS": now_ms}) + b"\n" for i in range(due)
                )
                sent += due
                yield chunk
            await asyncio.sleep(tick_s)

    async with (
        httpx.AsyncClient(timeout=None) as http,
        http.stream("POST", f"{url}/inserts-stream", content=body()) as response,
    ):
        async for _ in response.aiter_lines():
            pass
    return sent


async def run(url: str, clients: int, rate: int, seconds: float, pid: int | None) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        await http.post(
            f"{url}/ksql",
            json={
                "ksql": f"CREATE STREAM {STREAM} (ID BIGINT, TS DOUBLE) WITH "
                "(kafka_topic='load_src', partitions=1, value_format='JSON');"
            },
        )
    latencies: list[float] = []
    seen: list[int] = []
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    stop_at = time.monotonic() + seconds + 30
    async with httpx.AsyncClient(timeout=None, limits=limits) as http:
        tasks = [
            asyncio.create_task(_client(http, url, stop_at, latencies, seen))
            for _ in range(clients)
        ]
        while len(seen) < clients and time.monotonic() < stop_at:
            await asyncio.sleep(0.1)  # every client has its header: the queries are running
        rss_before = _rss_mb(pid)
        started = time.monotonic()
        sent = await _producer(url, rate, seconds)
        produce_s = time.monotonic() - started
        rss_peak = _rss_mb(pid)
        # Drain: wait until every client has every row, or 30 s.
        drain_until = time.monotonic() + 30
        while time.monotonic() < drain_until and (not seen or min(seen) < sent):
            await asyncio.sleep(0.2)
            rss_peak = max(rss_peak or 0, _rss_mb(pid) or 0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delivered = sum(seen)
    missed = sum(max(0, sent - s) for s in seen) + (clients - len(seen)) * sent
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    print(f"clients: {clients} ({len(seen)} connected), producer: {sent} rows in {produce_s:.1f}s")
    print(f"rows delivered: {delivered} of {sent * clients}; rows missed: {missed}")
    print(f"latency produce->client: p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms")
    if rss_before is not None:
        print(f"server RSS: {rss_before:.0f} MB before, {rss_peak:.0f} MB peak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=int, default=10_000, help="rows per second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url", help="an already running server (default: start one)")
    args = parser.parse_args()
    if args.url:
        asyncio.run(run(args.url, args.clients, args.rate, args.seconds, None))
        return
    server = ServerProcess(properties="")
    try:
        asyncio.run(run(server.url, args.clients, args.rate, args.seconds, server.proc.pid))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
