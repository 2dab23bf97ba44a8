"""Compatibility levels: which earlier versions a new schema is checked against, in which roles.

BACKWARD: the new schema reads data written with the old one (new = reader). FORWARD: the old
schema reads the new one's data (old = reader). FULL: both. The plain levels check the latest
version only, the _TRANSITIVE ones every live version (newest first, stopping at the first that
fails, as Confluent does). The per-type rules live in the modules named in `KINDS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ksql.schemas import avro, json_schema, protobuf
from ksql.schemas.kind import ParsedSchema, SchemaKind

KINDS: dict[str, SchemaKind] = {
    "AVRO": avro.KIND,
    "JSON": json_schema.KIND,
    "PROTOBUF": protobuf.KIND,
}


@dataclass(frozen=True, slots=True)
class Previous:
    """An earlier live version of the subject."""

    version: int
    schema: str
    parsed: ParsedSchema


def is_transitive(level: str) -> bool:
    return level.endswith("_TRANSITIVE")


def check(
    schema_type: str, level: str, new: ParsedSchema, previous: Sequence[Previous]
) -> list[str]:
    """Confluent's messages for the first incompatible earlier version (newest first), or []."""
    if level == "NONE":
        return []
    kind = KINDS[schema_type]
    base = level.removesuffix("_TRANSITIVE")
    against = previous if is_transitive(level) else previous[:1]
    for old in against:
        problems = []
        if base in ("BACKWARD", "FULL"):
            problems += kind.incompatibilities(new, old.parsed, "new", "old")
        if base in ("FORWARD", "FULL"):
            problems += kind.incompatibilities(old.parsed, new, "old", "new")
        if problems:
            return [p.render() for p in problems] + [
                f"{{oldSchemaVersion: {old.version}}}",
                f"{{oldSchema: '{old.schema}'}}",
                f"{{compatibility: '{level}'}}",
            ]
    return []


def incompatible_message(subject: str, messages: Sequence[str]) -> str:
    """The 409 message of a refused registration."""
    return (
        f'Schema being registered is incompatible with an earlier schema for subject "{subject}", '
        f"details: [{', '.join(messages)}]"
    )
