"""The registry's values: references, schema texts, registered versions, levels and modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_TYPES = ("AVRO", "JSON", "PROTOBUF")

COMPATIBILITY_LEVELS = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)

MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")

DEFAULT_COMPATIBILITY = "BACKWARD"
DEFAULT_MODE = "READWRITE"


@dataclass(frozen=True, slots=True)
class Reference:
    """A schema imported by name from another subject's version."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class SchemaText:
    """What a global schema id stands for: the same type, text and references get the same id."""

    schema_type: str
    schema: str
    references: tuple[Reference, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Confluent's shape: schemaType only when not AVRO, references only when present."""
        out: dict[str, Any] = {}
        if self.schema_type != "AVRO":
            out["schemaType"] = self.schema_type
        if self.references:
            out["references"] = [r.to_json() for r in self.references]
        out["schema"] = self.schema
        return out


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """One version of a subject."""

    subject: str
    version: int
    id: int
    text: SchemaText
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subject": self.subject, "version": self.version, "id": self.id}
        out.update(self.text.to_json())
        if self.deleted:
            out["deleted"] = True
        return out


@dataclass(frozen=True, slots=True)
class Dependency:
    """A referenced schema resolved to its text, in the order a parser must load them."""

    name: str
    text: SchemaText
