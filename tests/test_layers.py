"""The import layers hold: tests/check_layers.py finds no import pointing up a layer."""

from __future__ import annotations

from check_layers import violations


def test_imports_point_one_way() -> None:
    problems = violations()
    assert not problems, "\n".join(problems)
