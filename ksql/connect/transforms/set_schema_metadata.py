"""SetSchemaMetadata: sets the name and/or version of a key or value schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ksql.connect.api import ConfigError, ConnectRecord, Schema
from ksql.connect.config import INT, ConfigDef, ConfigKey
from ksql.connect.transforms.base import KeyOrValueTransform, require_schema

CONFIG = ConfigDef([
    ConfigKey("schema.name", doc="Schema name to set."),
    ConfigKey("schema.version", INT, doc="Schema version to set."),
])  # fmt: skip


class SetSchemaMetadata(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = CONFIG.parse(config)
        self.name: str | None = settings["schema.name"] or None
        self.version: int | None = settings["schema.version"]
        if self.name is None and self.version is None:
            raise ConfigError("Neither schema name nor version configured")

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        schema = require_schema(schema, "updating schema metadata")
        changes: dict[str, Any] = {}
        if self.name is not None:
            changes["name"] = self.name
        if self.version is not None:
            changes["version"] = self.version
        return schema.replace(**changes), value


class SetSchemaMetadataKey(SetSchemaMetadata):
    is_key = True


class SetSchemaMetadataValue(SetSchemaMetadata):
    is_key = False
