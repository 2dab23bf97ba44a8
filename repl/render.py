"""Rendering engine results as the shell prints them: ksqlDB-style tables and messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ksql.results import (
    CommandResult,
    ExplainResult,
    PropertiesResult,
    QueryListResult,
    Result,
    RowsResult,
    SourceDescriptionResult,
    SourceListResult,
    TopicListResult,
    TypeListResult,
    VariablesResult,
)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A boxed table like ksqlDB's CLI prints."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "|" + "|".join(f" {h:<{w}} " for h, w in zip(headers, widths, strict=True)) + "|", line]
    for row in cells:
        out.append("|" + "|".join(f" {v:<{w}} " for v, w in zip(row, widths, strict=True)) + "|")
    out.append(line)
    return "\n".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def render(result: Result) -> str:
    """Text for a non-streaming result."""
    if isinstance(result, CommandResult):
        return table(["Message"], [[result.message]]) if result.message else ""
    if isinstance(result, SourceListResult):
        title = "Stream Name" if result.kind == "STREAM" else "Table Name"
        rows = [
            [s.name, s.topic, s.key_format.name, s.value_format.name,
             "true" if s.window else "false"]
            for s in result.sources
        ]
        return table([title, "Kafka Topic", "Key Format", "Value Format", "Windowed"], rows)
    if isinstance(result, QueryListResult):
        rows = [[q.query_id, q.kind, q.state, q.sink or "", q.sql] for q in result.queries]
        return table(["Query ID", "Query Type", "Status", "Sink Name", "Query String"], rows)
    if isinstance(result, TopicListResult):
        return table(["Kafka Topic", "Partitions", "Partition Replicas"],
                     [[t.name, t.partitions, t.replicas] for t in result.topics])
    if isinstance(result, SourceDescriptionResult):
        s = result.source
        header = (
            f"Name                 : {s.name}\n"
            f"Type                 : {s.kind}\n"
            f"Key format           : {s.key_format.name}\n"
            f"Value format         : {s.value_format.name}\n"
            f"Kafka topic          : {s.topic} (partitions: {result.partitions}, replication: {result.replicas})\n"
        )
        rows = [[c.name, f"{c.type}{' (key)' if c.is_key else ''}"] for c in s.columns]
        body = table(["Field", "Type"], rows)
        extra = ""
        if result.extended:
            extra = (
                f"\nQueries that read from this {s.kind}: {', '.join(result.readers) or '-'}"
                f"\nQueries that write to this {s.kind}: {', '.join(result.writers) or '-'}"
            )
            if result.error_stats:
                extra += f"\n{result.error_stats}"
        return header + body + extra
    if isinstance(result, PropertiesResult):
        return table(["Property", "Value"], sorted(result.properties.items()))
    if isinstance(result, VariablesResult):
        return table(["Variable Name", "Value"], sorted(result.variables.items()))
    if isinstance(result, TypeListResult):
        return table(["Type Name", "Schema"], sorted(result.types.items()))
    if isinstance(result, ExplainResult):
        return f"ID                   : {result.query_id}\nSQL                  : {result.sql}\n\n{result.plan}"
    if isinstance(result, RowsResult):
        return table([c.name for c in result.columns], list(result.rows))
    return str(result)
