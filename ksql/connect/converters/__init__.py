"""Kafka Connect's converters, with Kafka's and Confluent's class names: JsonConverter,
StringConverter, ByteArrayConverter, the number and boolean converters, and the schema-registry
converters AvroConverter and JsonSchemaConverter.

`PLUGINS` maps each Java class name to the "module:Class" standing in for it;
`build_converter` makes a connector's key or value converter from its configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ksql.connect import api
from ksql.connect.plugins import load_class

_HERE = "ksql.connect.converters."
_KAFKA = "org.apache.kafka.connect."

PLUGINS = {
    f"{_KAFKA}json.JsonConverter": f"{_HERE}json_converter:JsonConverter",
    f"{_KAFKA}storage.StringConverter": f"{_HERE}primitives:StringConverter",
    f"{_KAFKA}converters.ByteArrayConverter": f"{_HERE}primitives:ByteArrayConverter",
    f"{_KAFKA}converters.ShortConverter": f"{_HERE}primitives:ShortConverter",
    f"{_KAFKA}converters.IntegerConverter": f"{_HERE}primitives:IntegerConverter",
    f"{_KAFKA}converters.LongConverter": f"{_HERE}primitives:LongConverter",
    f"{_KAFKA}converters.FloatConverter": f"{_HERE}primitives:FloatConverter",
    f"{_KAFKA}converters.DoubleConverter": f"{_HERE}primitives:DoubleConverter",
    f"{_KAFKA}converters.BooleanConverter": f"{_HERE}primitives:BooleanConverter",
    "io.confluent.connect.avro.AvroConverter": f"{_HERE}avro_converter:AvroConverter",
    "io.confluent.connect.json.JsonSchemaConverter": (
        f"{_HERE}json_schema_converter:JsonSchemaConverter"
    ),
}

# Kafka Connect's worker defaults.
DEFAULT_CONVERTER = f"{_KAFKA}json.JsonConverter"


def build_converter(config: Mapping[str, str], is_key: bool, registry: Any = None) -> api.Converter:
    """The `key.converter` or `value.converter` of `config` (JsonConverter by default), given
    its `key.converter.` / `value.converter.` properties and the engine's schema registry."""
    prefix = "key.converter" if is_key else "value.converter"
    name = (config.get(prefix) or DEFAULT_CONVERTER).strip()
    try:
        cls = load_class(name, api.Converter)
    except api.ConfigError as error:
        raise api.ConfigError(f"Invalid value {name} for configuration {prefix}: {error}") from None
    properties = {k[len(prefix) + 1 :]: v for k, v in config.items() if k.startswith(f"{prefix}.")}
    converter = cls()
    try:
        converter.configure(properties, is_key, registry)
    except api.ConfigError as error:
        raise api.ConfigError(f"{prefix} ({name}): {error}") from None
    return converter
