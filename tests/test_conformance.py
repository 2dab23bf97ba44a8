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
QTT_FLOOR = 820


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
