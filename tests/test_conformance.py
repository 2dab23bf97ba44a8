"""Runs ksqlDB's conformance corpus (../shared/conformance) and guards the pass count floor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("KSQL_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))

# Raise these as the engine improves; a drop below them is a regression.
QTT_FLOOR = 1135


@pytest.mark.skipif(not (CORPUS / "qtt").is_dir(), reason="conformance corpus not present")
def test_qtt_pass_count_does_not_drop(tmp_path: Path) -> None:
    report = tmp_path / "qtt.json"
    run = subprocess.run(
        [sys.executable, "-m", "ksql.conformance", str(CORPUS / "qtt"), "--json", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=1500,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    last = run.stdout.strip().splitlines()[-1]
    cases = json.loads(report.read_text())["cases"]
    passed = sum(1 for c in cases if c["status"] == "passed")
    print(last)
    assert passed >= QTT_FLOOR, f"qtt passes dropped to {passed} (floor {QTT_FLOOR}): {last}"


# The aggregation and join files of the corpus, run with a stop and restart in the middle of
# each case: state and positions must carry over exactly.
STATEFUL_FILES = (
    "attr,average,average-udaf,collect-list,collect-set,correlation-udaf,count,count-distinct,"
    "earliest-offset-udaf,group-by,having,histogram,hopping-windows,latest-offset-udaf,"
    "max-group-by,min-group-by,session-windows,source-table,standarddeviation,sum,suppress,table,"
    "topk-distinct,topk-group-by,tumbling-windows,window-bounds,windowed-source,"
    "fk-join,fk-n-way-join,join-with-custom-timestamp,joins,multi-joins,stream-table-join,"
    "table-table-join"
)
RESTART_FLOOR = 390


@pytest.mark.skipif(not (CORPUS / "qtt").is_dir(), reason="conformance corpus not present")
def test_stateful_queries_give_the_same_outputs_across_a_restart(tmp_path: Path) -> None:
    report = tmp_path / "restart.json"
    run = subprocess.run(
        [sys.executable, "-m", "ksql.conformance", str(CORPUS / "qtt"), "--restart",
         "--files", STATEFUL_FILES, "--json", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    cases = json.loads(report.read_text())["cases"]
    passed = sum(1 for c in cases if c["status"] == "passed")
    assert passed >= RESTART_FLOOR, run.stdout.strip().splitlines()[-1]
