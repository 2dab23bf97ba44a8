"""Runs ksqlDB's conformance corpus (../shared/conformance) against per-case baselines.

Each suite has a baseline in tests/baselines/: the sorted ids ("<file> :: <case>") of the cases it
passes. A baseline case that does not pass fails the test, named with its reason; a case that newly
passes only warns. After a fix, regenerate the baseline with the suite's own arguments plus
--write-baseline, and review its diff:

    python -m ksql.conformance ../shared/conformance/qtt --write-baseline tests/baselines/qtt.txt
    python -m ksql.conformance ../shared/conformance/qtt --restart --files <STATEFUL_FILES> \\
        --write-baseline tests/baselines/qtt-restart.txt

A failing or warning test prints its exact command.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from ksql.conformance import baseline

pytestmark = pytest.mark.slow  # minutes: `pytest -m 'not slow'` runs the fast suite

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("KSQL_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
BASELINES = ROOT / "tests" / "baselines"

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


def check(args: list[str], name: str, timeout: float) -> None:
    comparison = baseline.check(args, BASELINES / name, ROOT, timeout)
    assert not comparison.regressions, comparison.report()
    if comparison.new_passes:
        warnings.warn(comparison.report(), stacklevel=1)


@pytest.mark.skipif(not (CORPUS / "qtt").is_dir(), reason="conformance corpus not present")
def test_qtt_baseline_cases_still_pass() -> None:
    check([str(CORPUS / "qtt")], "qtt.txt", timeout=1500)


@pytest.mark.skipif(not (CORPUS / "qtt").is_dir(), reason="conformance corpus not present")
def test_stateful_queries_give_the_same_outputs_across_a_restart() -> None:
    args = [str(CORPUS / "qtt"), "--restart", "--files", STATEFUL_FILES]
    check(args, "qtt-restart.txt", timeout=900)
