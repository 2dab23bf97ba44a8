"""EXPLAIN golden tests: each `tests/golden/explain/<case>.sql` (after `setup.sql`) must print
exactly `<case>.plan`. Regenerate after an intended change with
`python -m pytest tests/test_explain_golden.py --update` and review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.results import ExplainResult

GOLDEN = Path(__file__).parent / "golden" / "explain"
CASES = sorted(p for p in GOLDEN.glob("*.sql") if p.name != "setup.sql")


def explain_output(data_dir: Path, case: Path) -> str:
    engine = Engine(data_dir)
    try:
        engine.execute((GOLDEN / "setup.sql").read_text())
        result = engine.execute(case.read_text())[-1]
    finally:
        engine.close()
    assert isinstance(result, ExplainResult)
    return (
        f"Logical plan\n------------\n{result.plan}\n\n"
        f"Physical plan\n-------------\n{result.topology}\n"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_explain_matches_golden(case: Path, tmp_path: Path, request) -> None:
    text = explain_output(tmp_path, case)
    golden = case.with_suffix(".plan")
    if request.config.getoption("--update"):
        golden.write_text(text)
        return
    assert golden.exists(), f"no golden for {case.name}: run with --update"
    assert text == golden.read_text(), f"{case.stem}: EXPLAIN differs from {golden.name}"


def test_every_plan_node_kind_has_a_golden() -> None:
    """One case per logical node kind, so a change to any node's text shows in a golden."""
    from ksql.plan import logical

    texts = "\n".join(p.read_text() for p in GOLDEN.glob("*.plan"))
    labels = [
        cls.label for cls in vars(logical).values()
        if isinstance(cls, type) and issubclass(cls, logical.PlanNode) and isinstance(cls.label, str)
        and cls.label
    ] + list(logical.JOIN_LABELS.values())
    missing = [label for label in labels if f"[ {label} ]" not in texts]
    assert not missing, f"no golden shows {missing}"
