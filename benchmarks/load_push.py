"""Push-query load: many concurrent push clients on one ksql-server plus a steady producer.

    python benchmarks/load_push.py [--clients 200] [--rate 10000] [--seconds 60]
                                   [--procs 2] [--sample 50] [--persistent] [--slow N]
                                   [--url URL]

Without --url it starts a server on a free loopback port over a temporary data directory. The
producer writes rows {ID, TS} over /inserts-stream at --rate rows/s in 10 ms slices (ID counts
from 0, TS is the send time in ms) and reads its acks as they come. Every client runs
`SELECT * FROM load_src EMIT CHANGES` on /query-stream (delimited lines) over a raw HTTP/1.1
connection; the clients are spread over --procs processes so that they are not the bottleneck:
a client counts the lines of each chunk, checks that the chunk continues the IDs of the one
before it (first ID = last ID + 1, and as many lines as IDs), and parses one row in --sample
(random offset per chunk) for the produce-to-client latency. A client that misses, repeats or
reorders a row is reported. Prints rows delivered and missed, p50/p99/max latency (and p99
per 5 s of producing), the server's RSS and CPU. --persistent also runs a persistent
aggregation over the stream and samples its lag each second (pull queries on its table);
--slow N adds N clients that never read, which the server must cut off. Only loopback
addresses; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import multiprocessing.connection
import os
import random
import socket
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
import orjson

STREAM = "LOAD_SRC"
COUNTS = "LOAD_COUNTS"
DELIMITED = "application/vnd.ksqlapi.delimited.v1"
WINDOW_S = 5.0  # the p99 latency is also printed per window of this many seconds
DRAIN_S = 30.0  # after the producer stops, how long clients may take to get every row


def _proc_status(pid: int | None) -> tuple[float | None, float | None]:
    """(RSS in MB, CPU seconds used so far) of a process, from /proc."""
    if pid is None:
        return None, None
    try:
        rss = None
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return rss, cpu
    except OSError:
        return None, None


# --------------------------------------------------------------------------- clients


@dataclass
class ClientResult:
    rows: int = 0
    chunks: int = 0
    last_id: int = -1
    bad: int = 0  # chunks that did not continue the IDs exactly
    error: str | None = None
    latencies: array = field(default_factory=lambda: array("d"))  # ms, sampled rows
    produced: array = field(default_factory=lambda: array("d"))  # their produce time (ms)


async def _open_query(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    body = orjson.dumps({"sql": f"SELECT * FROM {STREAM} EMIT CHANGES;", "properties": {}})
    writer.write(
        b"POST /query-stream HTTP/1.1\r\n"
        + f"Host: {host}:{port}\r\nAccept: {DELIMITED}\r\n".encode()
        + b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    if status != b"200" or b"chunked" not in head.lower():
        raise RuntimeError(f"unexpected response: {head[:200]!r}")
    return reader, writer


async def _chunks(reader: asyncio.StreamReader):
    """The body of a chunked HTTP/1.1 response, one transfer chunk at a time."""
    while True:
        size = int((await reader.readline()).split(b";")[0], 16)
        if size == 0:
            return
        data = await reader.readexactly(size + 2)
        yield data[:-2]


async def _client(
    host: str, port: int, result: ClientResult, ready: asyncio.Event, state: dict, sample: int
) -> None:
    """One push-query connection; stops when it has every produced row or at the deadline."""
    try:
        reader, writer = await _open_query(host, port)
    except (OSError, RuntimeError, asyncio.IncompleteReadError) as error:
        result.error = f"connect: {error}"
        ready.set()
        return
    rest = b""
    header_seen = False
    rand = random.Random()
    try:
        async for chunk in _chunks(reader):
            now_ms = time.time() * 1000
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            data = data[:cut]
            if not header_seen:
                first_end = data.find(b"\n")
                if first_end < 0:
                    rest = data + rest
                    continue
                header_seen = True
                ready.set()
                data = data[first_end + 1 :]
            if not data:
                continue
            lines = data.split(b"\n")
            lines.pop()  # after the last newline
            first = orjson.loads(lines[0])
            if not isinstance(first, list):  # an error line from the server
                result.error = data[:300].decode(errors="replace")
                break
            last = orjson.loads(lines[-1]) if len(lines) > 1 else first
            if first[0] != result.last_id + 1 or last[0] - first[0] + 1 != len(lines):
                result.bad += 1
            result.rows += len(lines)
            result.chunks += 1
            result.last_id = max(result.last_id, last[0])
            for line in lines[rand.randrange(sample) :: sample]:
                produced_ms = orjson.loads(line)[1]
                result.latencies.append(now_ms - produced_ms)
                result.produced.append(produced_ms)
            total = state.get("total")
            if total is not None and result.rows >= total:
                break
    except (OSError, ValueError, asyncio.IncompleteReadError) as error:
        result.error = f"{type(error).__name__}: {error}"
    finally:
        ready.set()
        writer.close()


async def _worker_main(
    url: str, count: int, sample: int, conn: mp.connection.Connection
) -> list[ClientResult]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    state: dict = {}
    results = [ClientResult() for _ in range(count)]
    readies = [asyncio.Event() for _ in range(count)]
    tasks = [
        asyncio.create_task(_client(host, port, r, e, state, sample))
        for r, e in zip(results, readies, strict=True)
    ]
    await asyncio.gather(*(e.wait() for e in readies))
    conn.send(("ready", sum(r.error is not None for r in results)))
    loop = asyncio.get_running_loop()
    total, deadline_s = await loop.run_in_executor(None, conn.recv)  # the producer is done
    state["total"] = total
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for task, result in zip(tasks, results, strict=True):
            if result.rows >= total and not task.done():
                task.cancel()  # it has every row; it may be waiting for the next chunk
        if all(t.done() for t in tasks):
            break
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


def _worker(url: str, count: int, sample: int, conn: mp.connection.Connection) -> None:
    results = asyncio.run(_worker_main(url, count, sample, conn))
    conn.send(("results", results, os.times()))


# --------------------------------------------------------------------------- producer


async def _producer(url: str, rate: int, seconds: float, progress: dict) -> tuple[int, int]:
    """Rows over one /inserts-stream request in 10 ms slices, acks read concurrently;
    returns (rows sent, ok acks). progress["sent"] follows the rows sent."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    writer.write(
        b"POST /inserts-stream HTTP/1.1\r\n"
        + f"Host: {host}:{port}\r\n".encode()
        + b"Content-Type: application/vnd.ksqlapi.delimited.v1\r\n"
        + b"Transfer-Encoding: chunked\r\n\r\n"
    )

    def chunk(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n"

    acks = 0

    async def read_acks() -> None:
        nonlocal acks
        await reader.readuntil(b"\r\n\r\n")
        async for data in _chunks(reader):
            acks += data.count(b'"ok"')

    ack_task = asyncio.create_task(read_acks())
    writer.write(chunk(orjson.dumps({"target": STREAM}) + b"\n"))
    sent = 0
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate) - sent
        if due > 0:
            now_ms = time.time() * 1000
            body = b"".join(
                orjson.dumps({"ID": i, "TS": now_ms}) + b"\n" for i in range(sent, sent + due)
            )
            sent += due
            progress["sent"] = sent
            writer.write(chunk(body))
            await writer.drain()
        await asyncio.sleep(0.01)
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    try:
        await asyncio.wait_for(ack_task, 30)
    except (TimeoutError, asyncio.IncompleteReadError, OSError):
        pass
    writer.close()
    return sent, acks


# --------------------------------------------------------------------------- persistent query


async def _persistent_count(http: httpx.AsyncClient, url: str) -> int:
    """Rows the persistent aggregation has counted so far (a pull query over its table)."""
    body = {"sql": f"SELECT * FROM {COUNTS};", "properties": {}}
    response = await http.post(f"{url}/query-stream", json=body)
    lines = response.content.splitlines()[1:]
    return sum(orjson.loads(line)[1] for line in lines if line.startswith(b"["))


async def _watch_persistent(url: str, progress: dict, lags: list[int]) -> None:
    """Every second: how many produced rows the persistent query has not counted yet."""
    async with httpx.AsyncClient(timeout=30) as http:
        while True:
            sent = progress.get("sent", 0)
            lags.append(sent - await _persistent_count(http, url))
            await asyncio.sleep(1.0)


async def _persistent_catch_up(url: str, sent: int) -> tuple[int, float]:
    """(rows counted, seconds it took) once the persistent query has every row, or at the
    drain deadline."""
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as http:
        while True:
            counted = await _persistent_count(http, url)
            if counted >= sent or time.monotonic() - started > DRAIN_S:
                return counted, time.monotonic() - started
            await asyncio.sleep(0.2)


# --------------------------------------------------------------------------- slow clients


def _open_slow(url: str) -> socket.socket:
    """A push client that reads its header and then nothing more."""
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 80))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
    body = orjson.dumps({"sql": f"SELECT * FROM {STREAM} EMIT CHANGES;", "properties": {}})
    sock.sendall(
        b"POST /query-stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    sock.settimeout(30)
    data = b""
    while b"queryId" not in data:
        data += sock.recv(4096)
    return sock


def _slow_was_cut_off(sock: socket.socket) -> bool:
    """Read what the slow client was sent: does it end with the server cutting it off?"""
    sock.settimeout(10)
    tail = b""
    try:
        while chunk := sock.recv(1 << 20):
            tail = (tail + chunk)[-4096:]
            if b"rows behind" in tail:
                return True
    except OSError:
        pass
    finally:
        sock.close()
    return b"rows behind" in tail


# --------------------------------------------------------------------------- driver


def _pct(values: np.ndarray, p: float) -> float:
    return float(np.percentile(values, p)) if len(values) else float("nan")


def run(args: argparse.Namespace, url: str, pid: int | None) -> None:
    clients, rate, seconds, procs, sample = (
        args.clients,
        args.rate,
        args.seconds,
        args.procs,
        args.sample,
    )
    create = (
        f"CREATE STREAM {STREAM} (ID BIGINT, TS DOUBLE) WITH "
        "(kafka_topic='load_src', partitions=1, value_format='JSON');"
    )
    statements = [create]
    if args.persistent:
        statements.append(
            f"CREATE TABLE {COUNTS} AS SELECT ID % 10 AS BUCKET, COUNT(*) AS N "
            f"FROM {STREAM} GROUP BY ID % 10;"
        )
    with httpx.Client(timeout=30) as http:
        for sql in statements:
            response = http.post(f"{url}/ksql", json={"ksql": sql})
            if response.status_code != 200:
                raise SystemExit(f"{sql}: {response.text}")
    slow = [_open_slow(url) for _ in range(args.slow)]
    ctx = mp.get_context("spawn")
    pipes, workers = [], []
    for index in range(procs):
        count = clients // procs + (1 if index < clients % procs else 0)
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(url, count, sample, child), daemon=True)
        proc.start()
        pipes.append(parent)
        workers.append(proc)
    failed_connect = sum(p.recv()[1] for p in pipes)  # every client has its header
    rss_before, cpu_before = _proc_status(pid)
    rss_peak = rss_before or 0.0

    progress: dict = {}
    lags: list[int] = []

    async def produce() -> tuple[int, int]:
        nonlocal rss_peak
        task = asyncio.create_task(_producer(url, rate, seconds, progress))
        watch = asyncio.create_task(_watch_persistent(url, progress, lags))
        if not args.persistent:
            watch.cancel()
        while not task.done():
            await asyncio.sleep(0.5)
            rss_peak = max(rss_peak, _proc_status(pid)[0] or 0.0)
        watch.cancel()
        return task.result()

    started = time.monotonic()
    sent, acks = asyncio.run(produce())
    produce_s = time.monotonic() - started
    _, cpu_after = _proc_status(pid)
    for pipe in pipes:
        pipe.send((sent, DRAIN_S))
    results: list[ClientResult] = []
    client_cpu = 0.0
    for pipe, proc in zip(pipes, workers, strict=True):
        while not pipe.poll(0.5):
            rss_peak = max(rss_peak, _proc_status(pid)[0] or 0.0)
        _, got, times = pipe.recv()
        results.extend(got)
        client_cpu += times.user + times.system
        proc.join()
    rss_end, cpu_end = _proc_status(pid)
    drain_s = time.monotonic() - started - produce_s
    if args.persistent:
        counted, catch_up_s = asyncio.run(_persistent_catch_up(url, sent))
    slow_cut = sum(_slow_was_cut_off(sock) for sock in slow)

    delivered = sum(r.rows for r in results)
    complete = sum(r.rows == sent and r.last_id == sent - 1 and r.bad == 0 for r in results)
    missed = sum(max(0, sent - r.rows) for r in results)
    latencies = np.concatenate([np.frombuffer(r.latencies) for r in results] or [np.zeros(0)])
    produced = np.concatenate([np.frombuffer(r.produced) for r in results] or [np.zeros(0)])
    chunks = sum(r.chunks for r in results)
    print(
        f"clients: {clients} in {procs} processes ({clients - failed_connect} connected); "
        f"producer: {sent} rows in {produce_s:.1f} s ({sent / produce_s:.0f} rows/s), "
        f"{acks} acks"
    )
    print(
        f"rows delivered: {delivered} of {sent * clients}; rows missed: {missed}; "
        f"clients with every row in order: {complete} of {clients}"
    )
    bad = [r for r in results if r.bad or r.error]
    if bad:
        print(f"clients with gaps/duplicates: {sum(1 for r in results if r.bad)}; errors:")
        for message in sorted({r.error for r in results if r.error})[:5]:
            print(f"  {message}")
    print(
        f"latency produce->client ({len(latencies)} sampled rows, 1 in {sample}): "
        f"p50 {_pct(latencies, 50):.1f} ms, p99 {_pct(latencies, 99):.1f} ms, "
        f"max {_pct(latencies, 100):.1f} ms"
    )
    if len(produced):
        window = np.floor((produced - produced.min()) / 1000 / WINDOW_S).astype(int)
        p99s = [f"{_pct(latencies[window == w], 99):.0f}" for w in range(int(window.max()) + 1)]
        print(f"p99 latency (ms) per {WINDOW_S:.0f} s of producing: {' '.join(p99s)}")
    print(
        f"chunks received: {chunks} ({delivered / max(chunks, 1):.0f} rows/chunk); "
        f"drain after producer stop: {drain_s:.1f} s"
    )
    if args.persistent:
        print(
            f"persistent query ({COUNTS}): lag behind the producer, sampled each second: "
            f"max {max(lags, default=0)} rows, median {sorted(lags)[len(lags) // 2] if lags else 0}"
            f" rows; counted {counted} of {sent} rows, {catch_up_s:.1f} s after the clients"
        )
    if slow:
        print(f"slow clients (never read): {slow_cut} of {len(slow)} cut off by the server")
    if rss_before is not None:
        cpu_s = (cpu_after or 0) - (cpu_before or 0)
        print(
            f"server RSS: {rss_before:.0f} MB before, {rss_peak:.0f} MB peak, "
            f"{rss_end:.0f} MB at end; server CPU while producing: "
            f"{cpu_s:.1f} s ({100 * cpu_s / produce_s:.0f}% of one core), "
            f"total {(cpu_end or 0) - (cpu_before or 0):.1f} s; client processes CPU: "
            f"{client_cpu:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=int, default=10_000, help="rows per second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--sample", type=int, default=50, help="parse 1 row in N for latency")
    parser.add_argument(
        "--persistent",
        action="store_true",
        help="also run a persistent aggregation over the stream and report its lag",
    )
    parser.add_argument(
        "--slow", type=int, default=0, help="extra push clients that never read their rows"
    )
    parser.add_argument("--url", help="an already running server (default: start one)")
    args = parser.parse_args()
    if args.url:
        run(args, args.url, None)
        return
    from ksql.conformance.rest_server import ServerProcess

    server = ServerProcess(properties="")
    print(f"server pid {server.proc.pid} on {server.url}, log {server.log_path}")
    try:
        run(args, server.url, server.proc.pid)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
