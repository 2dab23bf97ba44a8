"""Kafka Connect's Single Message Transforms and predicates, with Kafka's class names and
configuration: one module per family, each transform working on records with a schema (STRUCT
values as dicts) and without one (schemaless maps). `chain.build_chain` builds a connector's
chain from its `transforms` / `predicates` configuration.

`PLUGINS` maps each Java class name (`$Key` and `$Value` variants where Kafka has both) to the
"module:Class" standing in for it; `ksql.connect.plugins` looks names up there."""

from __future__ import annotations

_KAFKA = "org.apache.kafka.connect.transforms."
_HERE = "ksql.connect.transforms."

# (Java simple name, module, class name, has $Key/$Value variants)
_TRANSFORMS = (
    ("InsertField", "insert_field", "InsertField", True),
    ("ReplaceField", "replace_field", "ReplaceField", True),
    ("ValueToKey", "value_to_key", "ValueToKey", False),
    ("ExtractField", "extract_field", "ExtractField", True),
    ("HoistField", "extract_field", "HoistField", True),
    ("Cast", "cast", "Cast", True),
    ("MaskField", "mask_field", "MaskField", True),
    ("TimestampConverter", "timestamp_converter", "TimestampConverter", True),
    ("Flatten", "flatten", "Flatten", True),
    ("SetSchemaMetadata", "set_schema_metadata", "SetSchemaMetadata", True),
    ("RegexRouter", "routers", "RegexRouter", False),
    ("TimestampRouter", "routers", "TimestampRouter", False),
    ("Filter", "filter", "Filter", False),
    ("InsertHeader", "headers", "InsertHeader", False),
    ("DropHeaders", "headers", "DropHeaders", False),
)


def _plugins() -> dict[str, str]:
    out = {}
    for java, module, cls, keyed in _TRANSFORMS:
        if keyed:
            out[f"{_KAFKA}{java}$Key"] = f"{_HERE}{module}:{cls}Key"
            out[f"{_KAFKA}{java}$Value"] = f"{_HERE}{module}:{cls}Value"
        else:
            out[f"{_KAFKA}{java}"] = f"{_HERE}{module}:{cls}"
    for name in ("TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"):
        out[f"{_KAFKA}predicates.{name}"] = f"{_HERE}predicates:{name}"
    confluent = "io.confluent.connect.transforms.ExtractTopic"
    out[f"{confluent}$Key"] = f"{_HERE}extract_topic:ExtractTopicKey"
    out[f"{confluent}$Value"] = f"{_HERE}extract_topic:ExtractTopicValue"
    return out


PLUGINS = _plugins()
