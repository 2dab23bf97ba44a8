"""Runs the rqtt corpus through a real ksql-server over HTTP against per-case baselines.

A baseline (tests/baselines/) is the sorted ids of the cases the suite passes: one for the CI
subset, one for every file (KSQL_RQTT_ALL=1). A baseline case that does not pass fails the test,
named with its reason; a newly passing case only warns. Regenerate after a fix, and review the diff:

    python -m ksql.conformance ../shared/conformance/rqtt --server --files <RQTT_SUBSET> \\
        --write-baseline tests/baselines/rqtt-rest-subset.txt
    python -m ksql.conformance ../shared/conformance/rqtt --server --files <RQTT_FILES> \\
        --write-baseline tests/baselines/rqtt-rest.txt

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

# The rqtt files, less pull-queries-protobuf (PROTOBUF is not built; every case would skip).
RQTT_FILES = (
    "insert-values,pull-queries-against-cst-materialized,pull-queries-against-ctas-materialized,"
    "pull-queries-against-materialized-aggregates,"
    "pull-queries-against-materialized-table-table-joins,"
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
BASELINE = ROOT / "tests" / "baselines" / ("rqtt-rest.txt" if ALL else "rqtt-rest-subset.txt")


@pytest.mark.skipif(not (CORPUS / "rqtt").is_dir(), reason="conformance corpus not present")
def test_rqtt_over_rest_baseline_cases_still_pass() -> None:
    args = [str(CORPUS / "rqtt"), "--server", "--files", RQTT_FILES if ALL else RQTT_SUBSET]
    comparison = baseline.check(args, BASELINE, ROOT, timeout=2400)
    assert not comparison.regressions, comparison.report()
    if comparison.new_passes:
        warnings.warn(comparison.report(), stacklevel=1)
