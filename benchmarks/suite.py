"""Nexmark benchmark suite: ksql vs Apache Flink vs the DuckDB ceiling, in one command.

Usage:
  python benchmarks/suite.py [--quick] [--queries q0,q1,...] [--no-flink] [--json FILE]
  python benchmarks/suite.py --setup-flink     # once: a virtualenv with apache-flink

For each query (suite_queries.py) and each scale (1M events, and 10M unless --quick) it runs,
each in a fresh process, over the same generated JSON-lines input (suite_data.py):
  (a) ksql: the query as a persistent query, end to end (ksql_side.py throughput);
  (b) Apache Flink SQL, parallelism 1, filesystem source, blackhole sink (flink_side.py);
  (c) DuckDB: the same query as one batch SQL statement, one thread (duckdb_side.py).
then ksql once more at a fixed input rate for end-to-end latency (ksql_side.py latency).
At the first scale, `--formats AVRO` (the default) also runs q1, the tumbling window and q20 with
their inputs' values in each schema-registry format, the same events encoded once
(suite_formats.py), and prints them beside the JSON figures of the same run.
Peak RSS is sampled over each process tree (Flink's includes its JVM). Prints two tables:
throughput, ratios, latency and memory at the first scale; events/s at each scale.

Events/s counts the input records the query reads (Nexmark mix: per 50 events, 1 person,
3 auctions, 46 bids; bid-only queries read 92% of the events). A column reads "n/a (reason)"
or "error" when a side could not run: no figure is ever made up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from suite_queries import QUERIES

DEFAULT_FLINK_VENV = Path.home() / ".cache" / "ksql-bench" / "flink-venv"


# --- Processes -------------------------------------------------------------------------------


def _tree_rss_kib(root: int) -> int:
    """Resident set of a process and all its descendants, in KiB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_side(cmd: list[str], timeout: float = 1800) -> dict:
    """Run one side in its own process; its last stdout line is a JSON object. Adds the peak
    RSS of the process tree (sampled every 100 ms) as `peak_rss_mib`."""
    peak = 0
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        done.set()
        return {"error": f"timed out after {timeout:.0f} s"}
    done.set()
    sampler.join()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        tail = " | ".join(err.strip().splitlines()[-3:])
        return {"error": f"exit {proc.returncode}: {tail}"[:300]}
    result = json.loads(lines[-1])
    result["peak_rss_mib"] = max(peak / 1024, result.get("max_rss_mib", 0))
    return result


def flink_python(args: argparse.Namespace) -> tuple[str | None, str]:
    """The Python that has pyflink, or None and the reason it cannot run."""
    if args.no_flink:
        return None, "skipped (--no-flink)"
    if shutil.which("java") is None:
        return None, "no java on PATH (Flink needs Java 11+)"
    python = args.flink_python or os.environ.get("KSQL_BENCH_FLINK_PYTHON")
    python = python or str(DEFAULT_FLINK_VENV / "bin" / "python")
    if not Path(python).exists():
        return None, f"no {python}: run suite.py --setup-flink"
    check = subprocess.run(
        [python, "-c", "import pyflink.version as v; print(v.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        return None, f"pyflink import failed: {check.stderr.strip().splitlines()[-1:]}"
    return python, f"apache-flink {check.stdout.strip()}"


def setup_flink(venv: Path) -> None:
    """A separate virtualenv with apache-flink (it pins pyarrow < 21; ksql needs >= 17 and
    apache-beam, which it pulls in, pins < 17), so it cannot live in ksql's environment."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install"]
    subprocess.run(pip + ["-r", str(HERE / "requirements-flink.txt")], check=True)
    print(f"Flink ready: {venv / 'bin' / 'python'}")


# --- Table -----------------------------------------------------------------------------------


def _rate(result: dict | None) -> str:
    if result is None:
        return "-"
    if "error" in result:
        return "n/a" if result["error"].startswith("n/a") else "error"
    return f"{result['rate'] / 1e3:,.0f}K"


def _ratio(a: dict | None, b: dict | None) -> str:
    if not a or not b or "rate" not in a or "rate" not in b:
        return "-"
    return f"{a['rate'] / b['rate']:.2f}"


def _mib(result: dict | None) -> str:
    if not result or "peak_rss_mib" not in result or "error" in result:
        return "-"
    return f"{result['peak_rss_mib']:,.0f}"


def print_tables(results: dict, scales: list[int], flink_note: str, rate: int) -> None:
    first = scales[0]
    print()
    print(f"Throughput at {first:,} events (events/s of input the query reads; K = 1,000)")
    head = (
        f"{'query':<7}{'what':<44}{'ksql':>8}{'Flink':>8}{'DuckDB':>9}{'k/Flink':>8}"
        f"{'k/Duck':>8}{'p50 ms':>8}{'p99 ms':>8}   {'peak RSS MiB k/F/D':<18}"
    )
    print(head)
    print("-" * len(head))
    notes = []
    for q in QUERIES:
        r = results.get(q.name)
        if r is None:
            continue
        k, f, d = (r[first].get(side) for side in ("ksql", "flink", "duckdb"))
        lat = r.get("lat")
        p50 = f"{lat['p50_ms']:.0f}" if lat and "p50_ms" in lat else "-"
        p99 = f"{lat['p99_ms']:.0f}" if lat and "p99_ms" in lat else "-"
        rss = f"{_mib(k)}/{_mib(f)}/{_mib(d)}"
        print(
            f"{q.name:<7}{q.label[:43]:<44}{_rate(k):>8}{_rate(f):>8}{_rate(d):>9}"
            f"{_ratio(k, f):>8}{_ratio(k, d):>8}{p50:>8}{p99:>8}   {rss:<18}"
        )
        for side, res in (("ksql", k), ("Flink", f), ("DuckDB", d), ("ksql latency", lat)):
            if res and "error" in res and not res["error"].startswith("n/a"):
                notes.append(f"{q.name} {side}: {res['error']}")
    print(f"Flink: {flink_note}. Latency: ksql fed at {rate:,} records/s (produce -> output).")
    print_formats(results, first)
    if len(scales) > 1:
        print()
        print(
            "Scaling: events/s at each scale; ksql ratio = last scale / first; marginal = events/s"
            " of the extra input between the first and last scale (start-up costs cancel)"
        )
        cols = "".join(f"{'ksql ' + _short(s):>12}" for s in scales)
        cols += "".join(f"{'Flink ' + _short(s):>12}" for s in scales)
        cols += "".join(f"{'DuckDB ' + _short(s):>13}" for s in scales)
        head = f"{'query':<7}{cols}{'ksql ratio':>12}{'marginal k/F/D':>26}{'k/F':>7}"
        print(head)
        print("-" * len(head))
        for q in QUERIES:
            r = results.get(q.name)
            if r is None:
                continue
            row = f"{q.name:<7}"
            for side, width in (("ksql", 12), ("flink", 12), ("duckdb", 13)):
                row += "".join(f"{_rate(r[s].get(side)):>{width}}" for s in scales)
            row += f"{_ratio(r[scales[-1]].get('ksql'), r[first].get('ksql')):>12}"
            marginal = {
                side: _marginal(r[first].get(side), r[scales[-1]].get(side))
                for side in ("ksql", "flink", "duckdb")
            }
            row += f"{'/'.join(_rate(m) for m in marginal.values()):>26}"
            row += f"{_ratio(marginal['ksql'], marginal['flink']):>7}"
            print(row)
            for s in scales[1:]:
                for side in ("ksql", "flink", "duckdb"):
                    res = r[s].get(side)
                    if res and "error" in res:
                        notes.append(f"{q.name} {side} at {s:,}: {res['error']}")
    for note in notes:
        print(f"  ! {note}")


def print_formats(results: dict, first: int) -> None:
    """ksql on the same events with their values in each schema-registry format."""
    formats = sorted(
        {side[5:] for r in results.values() for side in r.get(first, {}) if side.startswith("ksql ")}
    )
    if not formats:
        return
    print()
    print(f"Value formats at {first:,} events (ksql events/s; ratio to JSON in the same run)")
    head = f"{'query':<7}{'JSON':>9}" + "".join(f"{f:>10}{f + '/JSON':>12}" for f in formats)
    print(head)
    print("-" * len(head))
    for q in QUERIES:
        row = results.get(q.name, {}).get(first, {})
        if not any(f"ksql {f}" in row for f in formats):
            continue
        line = f"{q.name:<7}{_rate(row.get('ksql')):>9}"
        for f in formats:
            res = row.get(f"ksql {f}")
            line += f"{_rate(res):>10}{_ratio(res, row.get('ksql')):>12}"
        print(line)


def _marginal(small: dict | None, large: dict | None) -> dict | None:
    """Events/s of the extra input between two scales: fixed start-up costs cancel out."""
    if not small or not large or "rate" not in small or "rate" not in large:
        return None
    extra_seconds = large["seconds"] - small["seconds"]
    if extra_seconds <= 0:
        return None
    return {"rate": (large["records"] - small["records"]) / extra_seconds}


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}K"


# --- Main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="only the first scale (skip 10M)")
    parser.add_argument("--scales", default="1000000,10000000", help="events per scale")
    parser.add_argument("--queries", default=",".join(q.name for q in QUERIES))
    parser.add_argument(
        "--data-root", type=Path, default=Path(tempfile.gettempdir()) / "ksql-bench"
    )
    parser.add_argument("--no-flink", action="store_true")
    parser.add_argument("--flink-python", help="Python with apache-flink (default: setup venv)")
    parser.add_argument("--setup-flink", action="store_true", help="create the Flink venv, exit")
    parser.add_argument("--duckdb-threads", type=int, default=1)
    parser.add_argument("--latency-rate", type=int, default=20_000, help="records/s fed")
    parser.add_argument("--latency-seconds", type=float, default=5.0)
    parser.add_argument("--batch", type=int, default=65536, help="ksql records per step")
    parser.add_argument("--formats", default="AVRO", help="schema-registry formats to compare")
    parser.add_argument("--format-queries", default="q1,tumble,q20")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--from-json", type=Path, help="print the tables of a saved run, exit")
    args = parser.parse_args()
    if args.setup_flink:
        setup_flink(DEFAULT_FLINK_VENV)
        return
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        results = {
            name: {(int(k) if k.isdigit() else k): v for k, v in by_scale.items()}
            for name, by_scale in saved["results"].items()
        }
        print_tables(results, saved["scales"], saved.get("flink", "?"), saved.get("rate", 0))
        return

    import suite_data

    scales = [int(s) for s in args.scales.split(",")]
    if args.quick:
        scales = scales[:1]
    wanted = args.queries.split(",")
    unknown = [n for n in wanted if n not in {q.name for q in QUERIES}]
    if unknown:
        parser.error(f"unknown queries: {', '.join(unknown)}")
    fpython, flink_note = flink_python(args)
    py = sys.executable
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}, {platform.python_version()}"
    )
    print(f"Flink: {flink_note}")
    results: dict = {}
    for scale in scales:
        data = args.data_root / f"events-{scale}"
        t0 = time.perf_counter()
        counts = suite_data.prepare(data, scale)
        print(f"data {data}: {counts} ({time.perf_counter() - t0:.0f} s)", flush=True)
        for name in wanted:
            base = ["--data", str(data), "--query", name]
            row = results.setdefault(name, {}).setdefault(scale, {})
            row["ksql"] = run_side(
                [py, str(HERE / "ksql_side.py"), *base, "throughput", "--batch", str(args.batch)]
            )
            if fpython:
                row["flink"] = run_side([fpython, str(HERE / "flink_side.py"), *base])
            else:
                row["flink"] = {"error": f"n/a ({flink_note})"}
            row["duckdb"] = run_side(
                [py, str(HERE / "duckdb_side.py"), *base, "--threads", str(args.duckdb_threads)]
            )
            print(
                f"  {name} @ {scale:,}: "
                + ", ".join(f"{side} {_rate(res)}" for side, res in row.items()),
                flush=True,
            )
            if scale == scales[0]:
                formats = [f for f in args.formats.split(",") if f]
                if name in args.format_queries.split(","):
                    for fmt in formats:
                        row[f"ksql {fmt.upper()}"] = run_side(
                            [py, str(HERE / "ksql_side.py"), *base, "throughput",
                             "--batch", str(args.batch), "--format", fmt]
                        )  # fmt: skip
                results[name]["lat"] = run_side(
                    [
                        py,
                        str(HERE / "ksql_side.py"),
                        *base,
                        "latency",
                        "--rate",
                        str(args.latency_rate),
                        "--seconds",
                        str(args.latency_seconds),
                    ]
                )
    if args.json:
        saved = {"scales": scales, "results": results, "flink": flink_note}
        saved["rate"] = args.latency_rate
        args.json.write_text(json.dumps(saved, indent=1))
    print_tables(results, scales, flink_note, args.latency_rate)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
