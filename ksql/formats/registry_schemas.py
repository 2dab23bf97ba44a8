"""What the schema-registry formats share: Confluent's framing and one subject's schemas.

A record is the magic byte 0, the 4-byte big-endian id of its writer's schema, then the payload.
`SubjectSchemas` registers the schema a format writes under `<topic>-key` / `<topic>-value`
once, and keeps the writer schemas it has read by id, so a batch asks the registry nothing after
its first record.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ksql.errors import KsqlError, SerializationError

MAGIC = 0
_HEADER = struct.Struct(">bI")


def frame(schema_id: int, payload: bytes) -> bytes:
    return _HEADER.pack(MAGIC, schema_id) + payload


def unframe(data: bytes) -> tuple[int, memoryview]:
    """(schema id, payload) of a framed record; SerializationError when it is not framed."""
    if len(data) < 5:
        raise SerializationError(f"Unknown magic byte! (record of {len(data)} bytes)")
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SerializationError("Unknown magic byte!")
    return schema_id, memoryview(data)[5:]


def subject_name(topic: str | None, *, is_key: bool) -> str | None:
    if topic is None:
        return None
    return f"{topic}-{'key' if is_key else 'value'}"


class SubjectSchemas:
    """One format's view of its subject: the registry, the writer id, parsed readers by id."""

    def __init__(self, registry, subject: str | None, schema_type: str) -> None:
        self.registry = registry
        self.subject = subject
        self.schema_type = schema_type
        self._registered: dict[str, int] = {}
        self._parsed: dict[int, Any] = {}

    def require(self) -> Any:
        if self.registry is None:
            raise KsqlError(f"{self.schema_type} format needs a schema registry")
        return self.registry

    def register(self, text: str) -> int:
        """The id of `text` under the subject, registering it the first time."""
        schema_id = self._registered.get(text)
        if schema_id is None:
            from ksql.schemas.client import RegistryFailure
            from ksql.schemas.model import SchemaText

            if self.subject is None:
                raise KsqlError(f"no subject to register a {self.schema_type} schema under")
            try:
                schema_id = self.require().register(
                    self.subject, SchemaText(self.schema_type, text)
                )
            except RegistryFailure as error:
                raise KsqlError(f"Could not register schema for {self.subject}: {error}") from None
            self._registered[text] = schema_id
        return schema_id

    def latest(self):
        """The subject's latest registered version, or None."""
        if self.registry is None or self.subject is None:
            return None
        from ksql.schemas.client import RegistryFailure

        try:
            return self.registry.latest(self.subject)
        except RegistryFailure as error:
            raise KsqlError(str(error)) from None

    def text(self, schema_id: int) -> str:
        from ksql.schemas.client import RegistryFailure

        try:
            return self.require().by_id(schema_id).schema
        except RegistryFailure as error:
            raise SerializationError(f"schema id {schema_id}: {error}") from None

    def parsed(self, schema_id: int, parse: Callable[[str], Any]) -> Any:
        """The writer schema with this id, parsed once by `parse`."""
        found = self._parsed.get(schema_id)
        if found is None:
            found = self._parsed[schema_id] = parse(self.text(schema_id))
        return found
