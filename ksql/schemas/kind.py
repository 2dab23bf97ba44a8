"""What each schema type (AVRO, JSON, PROTOBUF) provides: parsing and reader/writer checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ksql.schemas.model import Dependency


@dataclass(frozen=True, slots=True)
class ParsedSchema:
    """A validated schema: `canonical` decides identity, `model` feeds the compatibility rules."""

    canonical: str
    model: Any


@dataclass(frozen=True, slots=True)
class Incompatibility:
    """One reason a reader cannot read a writer's data, in Confluent's message shape."""

    error_type: str
    description: str
    additional_info: str = ""

    def render(self) -> str:
        return (
            f"{{errorType:'{self.error_type}', description:'{self.description}', "
            f"additionalInfo:'{self.additional_info}'}}"
        )


class SchemaKind(Protocol):
    """One schema type. `parse` raises ValueError with the reason a schema is invalid.

    `incompatibilities` names the two sides "new"/"old" through the labels, so messages say
    which schema lacks what, whichever side is the reader.
    """

    def parse(self, text: str, dependencies: Sequence[Dependency]) -> ParsedSchema: ...

    def incompatibilities(
        self, reader: ParsedSchema, writer: ParsedSchema, reader_label: str, writer_label: str
    ) -> list[Incompatibility]: ...
