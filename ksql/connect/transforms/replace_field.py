"""ReplaceField: keeps (`include`), drops (`exclude`) and renames (`renames`, `old:new`) fields
of a key or value struct or map. `whitelist` and `blacklist` are the older names of `include`
and `exclude`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ksql.connect.api import ConfigError, ConnectRecord, Schema
from ksql.connect.config import LIST, ConfigDef, ConfigKey
from ksql.connect.transforms.base import (
    KeyOrValueTransform,
    require_map,
    require_struct,
    with_fields,
)

PURPOSE = "field replacement"

CONFIG = ConfigDef([
    ConfigKey("exclude", LIST, [], "Fields to exclude. This takes precedence over include."),
    ConfigKey("include", LIST, [], "Fields to include. If set, only these fields are used."),
    ConfigKey("renames", LIST, [], "Field rename mappings, `foo:bar,abc:xyz`."),
    ConfigKey("blacklist", LIST, None, "Deprecated: use exclude."),
    ConfigKey("whitelist", LIST, None, "Deprecated: use include."),
])  # fmt: skip


def parse_renames(mappings: list[str]) -> dict[str, str]:
    renames = {}
    for mapping in mappings:
        old, sep, new = mapping.partition(":")
        if not sep or not old or not new or ":" in new:
            raise ConfigError(
                f"Invalid value {','.join(mappings)} for configuration renames: "
                f"Invalid rename mapping: {mapping}"
            )
        renames[old] = new
    return renames


class ReplaceField(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = CONFIG.parse(config)
        self.exclude = set(settings["exclude"] or settings["blacklist"] or ())
        self.include = set(settings["include"] or settings["whitelist"] or ())
        self.renames = parse_renames(settings["renames"])

    def _kept(self, name: str) -> bool:
        return name not in self.exclude and (not self.include or name in self.include)

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        if value is None:
            return schema, value
        if schema is None:
            source = require_map(value, PURPOSE)
            return None, {self.renames.get(k, k): v for k, v in source.items() if self._kept(k)}
        struct = require_struct(schema, value, PURPOSE)
        kept = [f for f in schema.fields if self._kept(f.name)]
        fields = [(self.renames.get(f.name, f.name), f.schema) for f in kept]
        out = {self.renames.get(f.name, f.name): struct.get(f.name) for f in kept}
        return with_fields(schema, fields), out


class ReplaceFieldKey(ReplaceField):
    is_key = True


class ReplaceFieldValue(ReplaceField):
    is_key = False
