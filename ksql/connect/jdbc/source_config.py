"""The JDBC source connector's configuration: its keys (named as Confluent's
JdbcSourceConnectorConfig) and `SourceSettings`, the checked and typed whole."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ksql.connect.config import (
    BOOLEAN,
    INT,
    LIST,
    LONG,
    REQUIRED,
    STRING,
    ConfigDef,
    ConfigKey,
    at_least,
)
from ksql.connect.jdbc.options import CONNECTION_KEYS, invalid

BULK, TIMESTAMP, INCREMENTING, TIMESTAMP_INCREMENTING = (
    "bulk",
    "timestamp",
    "incrementing",
    "timestamp+incrementing",
)
MODES = (BULK, TIMESTAMP, INCREMENTING, TIMESTAMP_INCREMENTING)
TABLES_KEY = "tables"  # a task's share of the tables (JSON list), set by the connector


def _regexes(value: list[str]) -> None:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(
                f"Must be a valid comma-separated list of regular expression patterns: {error}"
            ) from None


def _topic_prefix(value: str) -> None:
    if len(value.strip()) > 249:
        raise ValueError("Topic prefix length must not exceed max topic name length, 249 chars")
    if re.search(r"[^a-zA-Z0-9._-]", value.strip()):
        raise ValueError(
            "Topic prefix must not contain any character other than ASCII alphanumerics, "
            "'.', '_' and '-'."
        )


CONFIG = ConfigDef(
    [
        *CONNECTION_KEYS,
        ConfigKey(
            "mode",
            STRING,
            REQUIRED,
            importance="HIGH",
            valid=MODES,
            group="Mode",
            doc="bulk: the whole table at each poll; incrementing: new rows by a strictly "
            "incrementing column; timestamp: new and changed rows by a timestamp "
            "column; timestamp+incrementing: both, for unique offsets",
        ),
        ConfigKey(
            "incrementing.column.name",
            STRING,
            "",
            group="Mode",
            doc="The strictly incrementing column; empty: the table's auto-increment one",
        ),
        ConfigKey(
            "timestamp.column.name",
            LIST,
            [],
            group="Mode",
            doc="Timestamp columns, compared through COALESCE in this order",
        ),
        ConfigKey(
            "timestamp.initial",
            LONG,
            None,
            group="Mode",
            doc="Epoch milliseconds to start timestamp queries from; -1: now; none: all",
        ),
        ConfigKey(
            "validate.non.null",
            BOOLEAN,
            True,
            group="Mode",
            doc="Refuse incrementing and timestamp columns that may be NULL",
        ),
        ConfigKey(
            "query",
            STRING,
            "",
            group="Mode",
            doc="A SELECT to read instead of whole tables; its rows go to topic.prefix",
        ),
        ConfigKey("table.whitelist", LIST, [], group="Database", doc="Tables to read"),
        ConfigKey("table.blacklist", LIST, [], group="Database", doc="Tables not to read"),
        ConfigKey(
            "table.include.list",
            LIST,
            [],
            valid=_regexes,
            group="Database",
            doc="Regular expressions over qualified table names to read",
        ),
        ConfigKey(
            "table.exclude.list",
            LIST,
            [],
            valid=_regexes,
            group="Database",
            doc="Regular expressions over qualified table names not to read",
        ),
        ConfigKey(
            "table.types",
            LIST,
            ["TABLE"],
            group="Database",
            doc="TABLE and/or VIEW: what kinds of relation to read",
        ),
        ConfigKey(
            "schema.pattern",
            STRING,
            None,
            group="Database",
            doc="Only tables in schemas matching this SQL LIKE pattern; '' for none",
        ),
        ConfigKey(
            "topic.prefix",
            STRING,
            "",
            valid=_topic_prefix,
            importance="HIGH",
            group="Connector",
            doc="Prefix of the table topics; the topic of a query",
        ),
        ConfigKey(
            "poll.interval.ms",
            INT,
            5000,
            valid=at_least(0),
            importance="HIGH",
            group="Connector",
            doc="How often each table is polled for new data",
        ),
        ConfigKey(
            "batch.max.rows",
            INT,
            1000,
            valid=at_least(1),
            group="Connector",
            doc="Rows read from a table per poll at most",
        ),
        ConfigKey(
            "timestamp.delay.interval.ms",
            LONG,
            0,
            valid=at_least(0),
            importance="HIGH",
            group="Connector",
            doc="How long after a timestamp a row is read (transactions still open)",
        ),
        ConfigKey(
            "table.poll.interval.ms",
            LONG,
            60_000,
            valid=at_least(0),
            group="Connector",
            doc="How often a single task looks for new or removed tables",
        ),
    ]
)


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """A checked source configuration."""

    values: Mapping[str, Any]
    mode: str
    incrementing_column: str
    timestamp_columns: tuple[str, ...]
    query: str
    topic_prefix: str

    @property
    def uses_timestamp(self) -> bool:
        return self.mode in (TIMESTAMP, TIMESTAMP_INCREMENTING)

    @property
    def uses_incrementing(self) -> bool:
        return self.mode in (INCREMENTING, TIMESTAMP_INCREMENTING)


def parse(props: Mapping[str, Any]) -> SourceSettings:
    """The settings `props` give; ConfigError (Kafka's wording) for one that cannot work."""
    values = CONFIG.parse(props)
    mode = values["mode"].lower()
    timestamps = tuple(values["timestamp.column.name"])
    if mode in (TIMESTAMP, TIMESTAMP_INCREMENTING) and not timestamps:
        raise invalid("timestamp.column.name", "", f"mode {mode} needs a timestamp column")
    lists = [
        k
        for k in ("table.whitelist", "table.blacklist", "table.include.list", "table.exclude.list")
        if values[k]
    ]
    if values["query"].strip() and lists:
        raise invalid(
            "query", values["query"], f"a query cannot be combined with {' or '.join(lists)}"
        )
    if "table.whitelist" in lists and "table.blacklist" in lists:
        raise invalid(
            "table.blacklist",
            values["table.blacklist"],
            "table.whitelist and table.blacklist are exclusive",
        )
    legacy = {"table.whitelist", "table.blacklist"} & set(lists)
    if legacy and {"table.include.list", "table.exclude.list"} & set(lists):
        raise invalid(
            min(legacy),
            values[min(legacy)],
            "table.include.list and table.exclude.list replace table.whitelist and "
            "table.blacklist; set only one kind",
        )
    if values["table.exclude.list"] and not values["table.include.list"]:
        raise invalid(
            "table.exclude.list", values["table.exclude.list"], "it requires table.include.list"
        )
    if values["query"].strip() and not values["topic.prefix"].strip():
        raise invalid("topic.prefix", "", "a query needs the name of its topic here")
    for kind in values["table.types"]:
        if kind.upper() not in ("TABLE", "VIEW"):
            raise invalid("table.types", values["table.types"], "table types are TABLE and VIEW")
    return SourceSettings(
        values=values,
        mode=mode,
        incrementing_column=values["incrementing.column.name"].strip(),
        timestamp_columns=timestamps,
        query=values["query"].strip(),
        topic_prefix=values["topic.prefix"].strip(),
    )
