"""Loading ksqlDB's query-validation case files, expanding their format/config variants and giving
each case a stable id."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

UNSUPPORTED_FORMATS = ("PROTOBUF", "PROTOBUF_NOSR")
_FORMAT_IN_SQL = re.compile(
    r"\b(?:KEY_|VALUE_)?FORMAT\s*=\s*'([A-Za-z_]+)'", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Case:
    """One runnable case: a corpus test with its variant placeholders filled in."""

    file: str
    name: str
    statements: tuple[str, ...]
    properties: dict[str, Any] = field(hash=False)
    inputs: tuple[dict, ...] = ()
    outputs: tuple[dict, ...] = ()
    topics: tuple[dict, ...] = ()
    expected_exception: dict | None = field(default=None, hash=False)
    post: dict | None = field(default=None, hash=False)
    enabled: bool = True
    raw: dict = field(default_factory=dict, hash=False, repr=False)
    # "<file> :: <name>", unique within its file; reports and baselines know a case by it.
    id: str = ""

    def unsupported_format(self) -> str | None:
        """The name of a not-yet-built format this case needs, if any."""
        for text in self.statements:
            for match in _FORMAT_IN_SQL.finditer(text):
                if match.group(1).upper() in UNSUPPORTED_FORMATS:
                    return match.group(1).upper()
        for key, value in self.properties.items():
            if "format" in key and str(value).upper() in UNSUPPORTED_FORMATS:
                return str(value).upper()
        for topic in self.topics:
            for key in ("valueFormat", "keyFormat", "format"):
                fmt = topic.get(key)
                if isinstance(fmt, dict):
                    fmt = fmt.get("format")
                if fmt and str(fmt).upper() in UNSUPPORTED_FORMATS:
                    return str(fmt).upper()
        return None


def _fill(value: Any, placeholder: str, replacement: str) -> Any:
    """Replace a {PLACEHOLDER} in every string of a JSON tree."""
    if isinstance(value, str):
        return value.replace(placeholder, replacement)
    if isinstance(value, list):
        return [_fill(v, placeholder, replacement) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, placeholder, replacement) for k, v in value.items()}
    return value


def expand(file: str, test: dict) -> list[Case]:
    """One Case per format x config variant, named as ksqlDB's harness names them."""
    variants: list[tuple[str, dict]] = [("", test)]
    for key, placeholder in (("format", "{FORMAT}"), ("config", "{CONFIG}")):
        options = test.get(key)
        if not options:
            continue
        expanded = []
        for suffix, body in variants:
            for option in options:
                expanded.append((f"{suffix} - {option}", _fill(body, placeholder, str(option))))
        variants = expanded
    cases = []
    for suffix, body in variants:
        cases.append(
            Case(
                file=file,
                name=test["name"] + suffix,
                statements=tuple(body["statements"]),
                properties=dict(body.get("properties") or {}),
                inputs=tuple(body.get("inputs") or ()),
                outputs=tuple(body.get("outputs") or ()),
                topics=tuple(body.get("topics") or ()),
                expected_exception=body.get("expectedException"),
                post=body.get("post"),
                enabled=body.get("enabled", True) is not False,
                raw=body,
            )
        )
    return cases


def load_dir(directory: Path, files: list[str] | None = None) -> list[Case]:
    """Every case of every *.json file in directory (or only the named files)."""
    paths = sorted(directory.glob("*.json"))
    if files:
        wanted = set(files)
        paths = [p for p in paths if p.stem in wanted]
    cases: list[Case] = []
    for path in paths:
        data = json.loads(path.read_text())
        expanded = [case for test in data.get("tests", []) for case in expand(path.stem, test)]
        cases.extend(_with_ids(expanded))
    return cases


def _with_ids(cases: list[Case]) -> list[Case]:
    """The cases of one file with their ids. Whitespace in a name is collapsed so the id survives a
    one-id-per-line baseline file (some names end in a space); should two cases of a file still
    share an id, the later ones are numbered in file order, which keeps ids stable across runs."""
    taken: set[str] = set()
    named = []
    for case in cases:
        base = f"{case.file} :: {' '.join(case.name.split())}"
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base} #{n}"
        taken.add(ident)
        named.append(replace(case, id=ident))
    return named
