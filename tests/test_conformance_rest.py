"""Runs the rqtt corpus through a real ksql-server over HTTP and guards the pass count floor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("KSQL_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))

# The rqtt files, less pull-queries-protobuf (PROTOBUF is not built; every case would skip).
RQTT_FILES = (
    "insert-values,pull-queries-against-cst-materialized,pull-queries-against-ctas-materialized,"
    "pull-queries-against-materialized-aggregates,pull-queries-against-materialized-table-table-joins,"
    "pull-queries-against-streams,pull-queries-complex-lambda,pull-queries-with-headers,"
    "pull-queries-with-limit-clause,pull-queries-with-predicates,pull-queries-with-range-scan,"
    "pull-queries-with-struct-star,push-queries,scalable-push-queries"
)

# The whole corpus takes about 10 minutes on 2 cores (a server per file, waits for queries to
# catch up), too long for every CI run: by default a subset of statements and pull queries (keys,
# ranges, joined tables) runs; KSQL_RQTT_ALL=1 runs every file.
RQTT_SUBSET = (
    "pull-queries-against-ctas-materialized,pull-queries-against-materialized-table-table-joins,"
    "pull-queries-with-range-scan"
)
ALL = os.environ.get("KSQL_RQTT_ALL") == "1"

# Raise these as the server and engine improve; a drop below them is a regression.
RQTT_REST_FLOOR = 230 if ALL else 44


@pytest.mark.skipif(not (CORPUS / "rqtt").is_dir(), reason="conformance corpus not present")
def test_rqtt_over_rest_pass_count_does_not_drop(tmp_path: Path) -> None:
    report = tmp_path / "rqtt.json"
    command = [sys.executable, "-m", "ksql.conformance", str(CORPUS / "rqtt"), "--server"]
    command += ["--files", RQTT_FILES if ALL else RQTT_SUBSET, "--json", str(report)]
    run = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=2400, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    last = run.stdout.strip().splitlines()[-1]
    cases = json.loads(report.read_text())["cases"]
    passed = sum(1 for c in cases if c["status"] == "passed")
    print(last)
    assert passed >= RQTT_REST_FLOOR, (
        f"rqtt passes dropped to {passed} (floor {RQTT_REST_FLOOR}): {last}"
    )
