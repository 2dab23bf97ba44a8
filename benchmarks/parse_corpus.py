"""Parse every statement of the conformance corpus; print the parse rate, speed and failures.

Usage: python benchmarks/parse_corpus.py [CORPUS_DIR ...]   (default: ../shared/conformance/{qtt,rqtt})
Statements of cases with `expectedException`/`expectedError` are parsed too but counted apart,
since they may legitimately fail. `${var}` placeholders are substituted from DEFINEs earlier in
the same case; `{FORMAT}` placeholders from the case's first format.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from ksql import ast
from ksql.errors import KsqlError
from ksql.parser import parse, substitute_variables

_DEFAULT_DIRS = ("../shared/conformance/qtt", "../shared/conformance/rqtt")


def _case_statements(case: dict) -> list[str]:
    formats = case.get("format") or ["JSON"]
    return [s.replace("{FORMAT}", formats[0]) for s in case.get("statements", [])]


def _parse_case(statements: list[str]) -> list[tuple[str, KsqlError | None]]:
    """Parse a case's statements in order, applying DEFINE/UNDEFINE as they come."""
    variables: dict[str, str] = {}
    results = []
    for text in statements:
        try:
            for item in parse(substitute_variables(text, variables)):
                if isinstance(item.statement, ast.DefineVariable):
                    variables[item.statement.name] = item.statement.value
                elif isinstance(item.statement, ast.UndefineVariable):
                    variables.pop(item.statement.name, None)
            results.append((text, None))
        except KsqlError as error:
            results.append((text, error))
    return results


def _error_group(error: KsqlError) -> str:
    """Group failures by message with positions and long expectation lists trimmed."""
    message = re.sub(r"^line \d+:\d+: ", "", error.message)
    return message[:120]


def main(argv: list[str]) -> int:
    dirs = [Path(d) for d in argv] or [Path(d) for d in _DEFAULT_DIRS]
    ok = total = expected_ok = expected_total = 0
    failures: dict[str, list[tuple[str, str]]] = defaultdict(list)
    started = time.perf_counter()
    for path in sorted(p for d in dirs for p in d.glob("*.json")):
        for case in json.loads(path.read_text()).get("tests", []):
            expects_error = "expectedException" in case or "expectedError" in case
            for text, error in _parse_case(_case_statements(case)):
                if expects_error:
                    expected_total += 1
                    expected_ok += error is None
                    continue
                total += 1
                if error is None:
                    ok += 1
                else:
                    failures[_error_group(error)].append((f"{path.name}:{case['name']}", text))
    elapsed = time.perf_counter() - started
    for group, items in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        print(f"{len(items):4d}  {group}")
        for where, text in items[:3]:
            print(f"        {where}: {text[:160]}")
    print(f"cases with expected errors: {expected_ok}/{expected_total} statements parse")
    rate = (expected_total + total) / elapsed if elapsed else 0.0
    print(
        f"{ok}/{total} statements parse ({100.0 * ok / max(total, 1):.2f}%), {rate:.0f} statements/s"
    )
    return 0 if ok == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
