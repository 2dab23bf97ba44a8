"""ksqlDB's templates for the connectors it supports natively: properties a CREATE CONNECTOR
statement may use that the connector itself does not know, turned into the configuration
Kafka Connect expects.

- JDBC source: `key` names the column that becomes the record key (through the ValueToKey
  and ExtractField$Key transforms), and `tasks.max` defaults to 1.
"""

from __future__ import annotations

from collections.abc import Mapping

JDBC_SOURCE = "io.confluent.connect.jdbc.JdbcSourceConnector"


def resolve_config(config: Mapping[str, str]) -> dict[str, str]:
    resolved = dict(config)
    if resolved.get("connector.class", "").strip() in (JDBC_SOURCE, "JdbcSourceConnector"):
        key = resolved.pop("key", None)
        if key is not None:
            added = "ksqlCreateKey,ksqlExtractString"
            existing = resolved.get("transforms", "").strip()
            resolved["transforms"] = f"{existing},{added}" if existing else added
            resolved["transforms.ksqlCreateKey.type"] = (
                "org.apache.kafka.connect.transforms.ValueToKey"
            )
            resolved["transforms.ksqlCreateKey.fields"] = key
            resolved["transforms.ksqlExtractString.type"] = (
                "org.apache.kafka.connect.transforms.ExtractField$Key"
            )
            resolved["transforms.ksqlExtractString.field"] = key
        resolved.setdefault("tasks.max", "1")
    return resolved
