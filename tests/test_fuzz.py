"""Fuzzing (issue 21): statements mutated from valid ones, run through the engine (and the
parser alone), fail with a KsqlError or not at all, and a syntax error says where it is. Each
crash fuzzing found is a regression test in tests/test_bad_input.py.

The default tests take about half a minute; the slow one runs for KSQL_FUZZ_SECONDS (120 in
CI; the issue's ten-minute run is KSQL_FUZZ_SECONDS=600) with KSQL_FUZZ_SEED (random, printed
on failure)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.support.fuzz import corpus_scripts, fuzz, fuzz_parser, seed_scripts

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("KSQL_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))


def _scripts() -> list[tuple[str, ...]]:
    """The fuzzer's own script, and the corpus's cases when the corpus is present."""
    return seed_scripts() + (corpus_scripts(CORPUS) if CORPUS.is_dir() else [])


def test_mutated_statements_fail_only_with_ksql_errors() -> None:
    report = fuzz(_scripts(), seed=21, seconds=20)
    assert not report.crashes, report.summary()


def test_mutated_statements_fail_to_parse_only_with_positioned_parse_errors() -> None:
    report = fuzz_parser(_scripts(), seed=21, seconds=5)
    assert not report.crashes, report.summary()


@pytest.mark.slow
def test_fuzzing_for_minutes_finds_no_crash() -> None:
    seconds = float(os.environ.get("KSQL_FUZZ_SECONDS", "120"))
    seed = int(os.environ.get("KSQL_FUZZ_SEED", random.randrange(2**32)))
    parsed = fuzz_parser(_scripts(), seed, seconds / 4)
    executed = fuzz(_scripts(), seed, seconds * 3 / 4)
    for report in (parsed, executed):
        assert not report.crashes, f"KSQL_FUZZ_SEED={seed}: {report.summary()}"
