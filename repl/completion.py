"""Tab completion: keywords, stream/table/column names, functions, properties and topics."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from importlib import resources

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from repl.backend import Names
from repl.statements import CLI_COMMANDS

_WORD = re.compile(r"[A-Za-z0-9_]*$")
_PROPERTY = re.compile(r"(?i)\b(?:UN)?SET\s+'([^']*)$")
# Words the grammar reads as identifiers but users think of as keywords: types, WITH properties.
_EXTRA_WORDS = (
    "BOOLEAN",
    "INT",
    "INTEGER",
    "BIGINT",
    "DOUBLE",
    "DECIMAL",
    "VARCHAR",
    "BYTES",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "KAFKA_TOPIC",
    "VALUE_FORMAT",
    "KEY_FORMAT",
    "FORMAT",
    "PARTITIONS",
    "REPLICAS",
    "TIMESTAMP_FORMAT",
    "WRAP_SINGLE_VALUE",
    "VALUE_DELIMITER",
    "KEY_DELIMITER",
    "VALUE_SCHEMA_ID",
    "KEY_SCHEMA_ID",
    "VALUE_SCHEMA_FULL_NAME",
    "KEY_SCHEMA_FULL_NAME",
    "RETENTION_MS",
    "WINDOWSTART",
    "WINDOWEND",
    "ROWTIME",
    "ROWPARTITION",
    "ROWOFFSET",
    "JSON",
    "DELIMITED",
    "KAFKA",
    "NONE",
    "AVRO",
    "JSON_SR",
    "EARLIEST",
    "LATEST",
)
_SOURCE_BEFORE = {"FROM", "JOIN", "INTO", "DESCRIBE", "STREAM", "TABLE", "EXTENDED"}


@functools.cache
def keywords() -> tuple[str, ...]:
    """Every keyword of the grammar (its case-insensitive string terminals)."""
    grammar = resources.files("grammar").joinpath("ksql.lark").read_text(encoding="utf-8")
    return tuple(sorted(set(re.findall(r'"([A-Za-z_]+)"i', grammar)) | set(_EXTRA_WORDS)))


class ShellCompleter(Completer):
    """Completes from the shell's current names; `names` is called at each Tab press."""

    def __init__(self, names: Callable[[], Names]) -> None:
        self.names = names

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        before = document.text_before_cursor
        prop = _PROPERTY.search(before)
        names = self.names()
        if prop:
            yield from _matching(prop.group(1), names.properties, "property", keep_case=True)
            return
        word = _WORD.search(before).group(0)  # type: ignore[union-attr]
        previous = before[: len(before) - len(word)].split()
        last = previous[-1].upper() if previous else ""
        if not previous:
            commands = [c for c in CLI_COMMANDS if " " not in c]
            yield from _matching(word, _statement_starts(), "keyword")
            yield from _matching(word, commands, "command", keep_case=True)
            return
        if last == "PRINT":
            yield from _matching(word, names.topics, "topic", keep_case=True)
            return
        if last in _SOURCE_BEFORE:
            kind = last if last in ("STREAM", "TABLE") else None
            sources = [n for n, k in names.sources.items() if kind is None or k == kind]
            yield from _matching(word, sources, "source", keep_case=True, meta=names.sources)
            return
        if not word:
            return
        mentioned = [n for n in names.sources if re.search(rf"\b{n}\b", before, re.IGNORECASE)]
        column_sources = mentioned or list(names.columns)
        columns = sorted({c for s in column_sources for c in names.columns.get(s, [])})
        yield from _matching(word, columns, "column", keep_case=True)
        yield from _matching(word, names.sources, "source", keep_case=True, meta=names.sources)
        yield from _matching(word, names.functions, "function")
        yield from _matching(word, keywords(), "keyword")


def _statement_starts() -> list[str]:
    return [
        "CREATE",
        "DROP",
        "DESCRIBE",
        "EXPLAIN",
        "INSERT",
        "SELECT",
        "SHOW",
        "LIST",
        "SET",
        "UNSET",
        "DEFINE",
        "UNDEFINE",
        "TERMINATE",
        "PRINT",
        "ALTER",
        "PAUSE",
        "RESUME",
    ]


def _matching(
    word: str,
    candidates: Iterable[str],
    kind: str,
    keep_case: bool = False,
    meta: dict[str, str] | None = None,
) -> Iterator[Completion]:
    lowered = word.lower()
    lower_case = bool(word) and word == word.lower() and not keep_case
    seen: set[str] = set()
    for candidate in candidates:
        if candidate in seen or not candidate.lower().startswith(lowered):
            continue
        seen.add(candidate)
        text = candidate.lower() if lower_case else candidate
        label = (meta or {}).get(candidate, kind).lower()
        yield Completion(text, start_position=-len(word), display_meta=label)
