"""The JDBC sink connector's configuration: its keys (named as Confluent's JdbcSinkConfig) and
`SinkSettings`, the checked and typed whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ksql.connect.api import ConfigError
from ksql.connect.config import BOOLEAN, INT, LIST, STRING, ConfigDef, ConfigKey, at_least
from ksql.connect.jdbc.options import CONNECTION_KEYS, invalid

INSERT, UPSERT, UPDATE = "insert", "upsert", "update"
NONE, KAFKA, RECORD_KEY, RECORD_VALUE = "none", "kafka", "record_key", "record_value"
KAFKA_PK_NAMES = ("__connect_topic", "__connect_partition", "__connect_offset")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValueError("String may not be empty")


CONFIG = ConfigDef(
    [
        *CONNECTION_KEYS,
        ConfigKey(
            "insert.mode",
            STRING,
            INSERT,
            importance="HIGH",
            group="Writes",
            valid=(INSERT, UPSERT, UPDATE),
            doc="insert: INSERT; upsert: insert or replace by primary key; update: UPDATE",
        ),
        ConfigKey(
            "batch.size",
            INT,
            3000,
            valid=at_least(1),
            group="Writes",
            doc="Records written per transaction at most",
        ),
        ConfigKey(
            "delete.enabled",
            BOOLEAN,
            False,
            group="Writes",
            doc="A record with a null value deletes the row of its key (pk.mode=record_key)",
        ),
        ConfigKey(
            "table.name.format",
            STRING,
            "${topic}",
            valid=_not_blank,
            group="Data Mapping",
            doc="The table of a topic; ${topic} stands for the topic's name",
        ),
        ConfigKey(
            "pk.mode",
            STRING,
            NONE,
            importance="HIGH",
            group="Data Mapping",
            valid=(NONE, KAFKA, RECORD_KEY, RECORD_VALUE),
            doc="Where the primary key comes from: none, kafka (topic, partition, offset), "
            "record_key or record_value",
        ),
        ConfigKey(
            "pk.fields",
            LIST,
            [],
            group="Data Mapping",
            doc="Primary key column names; their meaning depends on pk.mode",
        ),
        ConfigKey(
            "fields.whitelist",
            LIST,
            [],
            group="Data Mapping",
            doc="Value fields to write (all when empty)",
        ),
        ConfigKey(
            "auto.create",
            BOOLEAN,
            False,
            group="DDL Support",
            doc="CREATE the table when it is missing",
        ),
        ConfigKey(
            "auto.evolve",
            BOOLEAN,
            False,
            group="DDL Support",
            doc="ALTER the table to add the columns it is missing",
        ),
    ]
)


@dataclass(frozen=True, slots=True)
class SinkSettings:
    """A checked sink configuration."""

    values: Mapping[str, Any]
    insert_mode: str
    pk_mode: str
    pk_fields: tuple[str, ...]
    fields_whitelist: frozenset[str]
    batch_size: int
    delete_enabled: bool
    auto_create: bool
    auto_evolve: bool
    table_format: str

    def table_name(self, topic: str) -> str:
        return self.table_format.replace("${topic}", topic)


def parse(props: Mapping[str, Any]) -> SinkSettings:
    """The settings `props` give; ConfigError (Kafka's wording) for one that cannot work."""
    values = CONFIG.parse(props)
    insert_mode, pk_mode = values["insert.mode"].lower(), values["pk.mode"].lower()
    pk_fields = tuple(values["pk.fields"])
    if values["delete.enabled"] and pk_mode != RECORD_KEY:
        raise ConfigError("Primary key mode must be 'record_key' when delete support is enabled")
    if insert_mode in (UPSERT, UPDATE) and pk_mode == NONE:
        raise invalid(
            "insert.mode",
            insert_mode,
            f"{insert_mode} writes by primary key: set pk.mode to record_key, record_value "
            "or kafka",
        )
    if pk_mode == KAFKA and len(pk_fields) not in (0, 3):
        raise invalid(
            "pk.fields",
            list(pk_fields),
            "with pk.mode kafka give no field names (for "
            f"{', '.join(KAFKA_PK_NAMES)}) or exactly 3",
        )
    return SinkSettings(
        values=values,
        insert_mode=insert_mode,
        pk_mode=pk_mode,
        pk_fields=pk_fields,
        fields_whitelist=frozenset(values["fields.whitelist"]),
        batch_size=values["batch.size"],
        delete_enabled=values["delete.enabled"],
        auto_create=values["auto.create"],
        auto_evolve=values["auto.evolve"],
        table_format=values["table.name.format"].strip(),
    )
