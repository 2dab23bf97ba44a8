"""Command line: python -m ksql.conformance DIR [--files A,B] [--json PATH] [--verbose]
[--write-baseline PATH]."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

from ksql.conformance import baseline
from ksql.conformance.cases import load_dir
from ksql.conformance.execute import Outcome, run_case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ksql.conformance", description=__doc__)
    parser.add_argument("directory", type=Path, help="folder of case files, e.g. ../shared/conformance/qtt")
    parser.add_argument("--files", help="comma-separated file names without .json")
    parser.add_argument("--json", type=Path, help="write per-case results to this file")
    parser.add_argument("--verbose", action="store_true", help="print every case, and tracebacks")
    parser.add_argument(
        "--restart",
        action="store_true",
        help="stop and reopen the engine on its data directory after half of each case's inputs",
    )
    parser.add_argument(
        "--server",
        action="store_true",
        help="run the cases through a real ksql-server over HTTP (rqtt); see conformance/rest.py",
    )
    parser.add_argument(
        "--backend",
        choices=("embedded", "kafka"),
        default="embedded",
        help="kafka: start one noida-db broker for the run (or use --bootstrap) and give each "
        "case its own topic prefix",
    )
    parser.add_argument("--bootstrap", help="with --backend kafka: an existing cluster to use")
    parser.add_argument(
        "--write-baseline",
        type=Path,
        help="write the sorted ids of the passing cases to this file, e.g. tests/baselines/qtt.txt",
    )
    args = parser.parse_args(argv)
    if args.server and args.backend == "kafka":
        parser.error("--backend kafka runs the engine in process; it does not combine with --server")

    if not args.directory.is_dir():
        print(f"conformance corpus not found: {args.directory}")
        print("0 passed, 0 failed, 0 skipped")
        return 0
    files = [f.strip() for f in args.files.split(",")] if args.files else None
    cases = load_dir(args.directory, files)
    results = []
    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    started = time.monotonic()
    runner = run_case
    if args.server:
        from ksql.conformance.rest import ServerPool

        pool = ServerPool()
        runner = pool.run_case
    cluster = None
    if args.backend == "kafka":
        import functools

        from ksql.storage.kafka_broker import KafkaTestCluster

        cluster = KafkaTestCluster(args.bootstrap)
        runner = functools.partial(run_case, backend=cluster)
    for case in cases:
        try:
            outcome = runner(case, restart=args.restart)
        except Exception as exc:  # an engine crash is reported, never hidden
            detail = traceback.format_exc() if args.verbose else ""
            outcome = Outcome("error", f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300])
            if detail:
                print(detail, file=sys.stderr)
        per_file[case.file][outcome.status] += 1
        results.append(
            {
                "id": case.id,
                "file": case.file,
                "name": case.name,
                "status": outcome.status,
                "reason": outcome.reason,
            }
        )
        if outcome.status in ("failed", "error") or args.verbose:
            print(f"{outcome.status.upper()} {case.id} :: {outcome.reason}")

    if args.server:
        pool.close()
    if cluster is not None:
        cluster.close()
    print()
    for file in sorted(per_file):
        c = per_file[file]
        runnable = c["passed"] + c["failed"] + c["error"]
        rate = f"{100 * c['passed'] / runnable:.0f}%" if runnable else "-"
        print(f"{file}: {c['passed']} passed, {c['failed'] + c['error']} failed, {c['skipped']} skipped ({rate})")
    totals = Counter(r["status"] for r in results)
    print(f"({time.monotonic() - started:.1f}s)")
    print(f"{totals['passed']} passed, {totals['failed'] + totals['error']} failed, {totals['skipped']} skipped")
    if args.json:
        args.json.write_text(json.dumps({"cases": results}, indent=1))
    if args.write_baseline:
        baseline.write(args.write_baseline, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
