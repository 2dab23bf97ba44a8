"""Per-case baselines: a suite's passing case ids, sorted one per line, and a run checked against
them. A baseline case that does not pass is a regression; a case that newly passes is news, not a
failure, until the baseline is regenerated to include it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


def write(path: Path, results: list[dict]) -> None:
    """Record the ids of the passing results, sorted so that a change reads as a small diff."""
    ids = sorted(r["id"] for r in results if r["status"] == "passed")
    path.write_text("".join(f"{i}\n" for i in ids))


def read(path: Path) -> list[str]:
    """The ids of a baseline file."""
    return [line for line in path.read_text().splitlines() if line]


@dataclass(frozen=True, slots=True)
class Comparison:
    regressions: list[str]  # "<id> :: <status>: <reason>" for each baseline case that did not pass
    new_passes: list[str]  # ids that passed but are not in the baseline
    update_command: str  # regenerates the baseline from a run like this one

    def report(self) -> str:
        """What a developer needs to read: every regression with its reason, then new passes."""
        lines = []
        if self.regressions:
            lines.append(f"{len(self.regressions)} baseline case(s) no longer pass:")
            lines += [f"  {r}" for r in self.regressions]
        if self.new_passes:
            lines.append(
                f"{len(self.new_passes)} case(s) pass but are not in the baseline; "
                f"add them with: {self.update_command}"
            )
            lines += [f"  {i}" for i in self.new_passes]
        return "\n".join(lines)


def compare(baseline: list[str], results: list[dict], update_command: str) -> Comparison:
    """Check a run's per-case results (the runner's --json `cases`) against a baseline."""
    by_id = {r["id"]: r for r in results}
    regressions = []
    for ident in sorted(baseline):
        result = by_id.get(ident)
        if result is None:
            regressions.append(f"{ident} :: not run (no such case in this run)")
        elif result["status"] != "passed":
            regressions.append(f"{ident} :: {result['status']}: {result['reason']}")
    expected = set(baseline)
    new_passes = sorted(
        r["id"] for r in results if r["status"] == "passed" and r["id"] not in expected
    )
    return Comparison(regressions, new_passes, update_command)


def check(args: list[str], path: Path, root: Path, timeout: float) -> Comparison:
    """Run the corpus from root with args (the first is the corpus folder) in a subprocess, print
    its summary line, and compare its results with the baseline at path."""
    with tempfile.TemporaryDirectory(prefix="ksql-baseline-") as tmp:
        report = Path(tmp) / "report.json"
        run = subprocess.run(
            [sys.executable, "-m", "ksql.conformance", *args, "--json", str(report)],
            cwd=root, capture_output=True, text=True, timeout=timeout, check=False,
        )
        if run.returncode != 0:
            raise RuntimeError(f"the conformance runner failed: {run.stderr[-2000:]}")
        results = json.loads(report.read_text())["cases"]
    print(run.stdout.strip().splitlines()[-1])
    update = ["python", "-m", "ksql.conformance", os.path.relpath(args[0], root), *args[1:]]
    update += ["--write-baseline", os.path.relpath(path, root)]
    return compare(read(path), results, shlex.join(update))
