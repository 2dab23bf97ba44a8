"""The configuration of the PostgreSQL CDC connector, under Debezium 2.x's property names
(with the 1.x names ksqlDB tutorials use: `database.server.name`, `table.whitelist`, ...),
parsed and checked into one `PostgresConfig`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from psycopg.conninfo import make_conninfo

from ksql.connect.api import ConfigError
from ksql.connect.config import (
    BOOLEAN,
    INT,
    LIST,
    LONG,
    PASSWORD,
    REQUIRED,
    ConfigDef,
    ConfigKey,
    at_least,
)
from ksql.connect.debezium.catalog import TableFilter
from ksql.connect.debezium.pg_types import SESSION_OPTIONS, TypeModes

SNAPSHOT_MODES = ("initial", "never", "initial_only", "always", "no_data")
OPERATIONS = ("c", "u", "d", "t", "none")
# Debezium 1.x names -> 2.x names.
RENAMED = {
    "database.server.name": "topic.prefix",
    "table.whitelist": "table.include.list",
    "table.blacklist": "table.exclude.list",
    "schema.whitelist": "schema.include.list",
    "schema.blacklist": "schema.exclude.list",
}


def _plugin(value: str) -> None:
    if value != "pgoutput":
        raise ValueError(
            "only PostgreSQL's built-in 'pgoutput' logical decoding plugin is supported"
        )


def _slot_name(value: str) -> None:
    if not re.fullmatch(r"[a-z0-9_]{1,63}", value):
        raise ValueError("a slot name is 1-63 lower-case letters, digits and underscores")


def _operations(values: list[str]) -> None:
    for value in values:
        if value.lower() not in OPERATIONS:
            raise ValueError(f"'{value}' is not one of {', '.join(OPERATIONS)}")


CONFIG_DEF = ConfigDef(
    [
        ConfigKey("database.hostname", default=REQUIRED, importance="HIGH",
                  doc="Host name of the PostgreSQL server."),
        ConfigKey("database.port", INT, 5432, "Port of the PostgreSQL server."),
        ConfigKey("database.user", default=REQUIRED, importance="HIGH",
                  doc="User with the REPLICATION attribute (or a superuser)."),
        ConfigKey("database.password", PASSWORD, None, "Password of database.user."),
        ConfigKey("database.dbname", default=REQUIRED, importance="HIGH",
                  doc="The database to capture."),
        ConfigKey("database.sslmode", default="prefer",
                  valid=("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
                  doc="libpq's sslmode for every connection."),
        ConfigKey("topic.prefix", importance="HIGH",
                  doc="Names the server: topics are <topic.prefix>.<schema>.<table>."),
        ConfigKey("plugin.name", default="pgoutput", valid=_plugin,
                  doc="The logical decoding plugin; only pgoutput."),
        ConfigKey("slot.name", default="debezium", valid=_slot_name,
                  doc="The logical replication slot to read from (created if absent)."),
        ConfigKey("slot.drop.on.stop", BOOLEAN, False,
                  "Drop the slot when the task stops (for tests and trials)."),
        ConfigKey("publication.name", default="dbz_publication",
                  doc="The publication the slot streams (created if absent)."),
        ConfigKey("publication.autocreate.mode", default="all_tables",
                  valid=("all_tables", "filtered", "disabled"),
                  doc="all_tables: FOR ALL TABLES; filtered: FOR the included tables; "
                      "disabled: the publication must exist."),
        ConfigKey("table.include.list", LIST, [], "Regexes of schema.table to capture."),
        ConfigKey("table.exclude.list", LIST, [], "Regexes of schema.table to skip."),
        ConfigKey("schema.include.list", LIST, [], "Regexes of schemas to capture."),
        ConfigKey("schema.exclude.list", LIST, [], "Regexes of schemas to skip."),
        ConfigKey("snapshot.mode", default="initial", valid=SNAPSHOT_MODES,
                  doc="initial: snapshot once, then stream; always: snapshot at every start; "
                      "initial_only: snapshot and stop; never (no_data): stream only."),
        ConfigKey("tombstones.on.delete", BOOLEAN, True,
                  "Follow each delete event with a tombstone (a null value)."),
        ConfigKey("skipped.operations", LIST, ["t"], valid=_operations,
                  doc="Operations not emitted: c, u, d, t (truncate), or none."),
        ConfigKey("decimal.handling.mode", default="precise",
                  valid=("precise", "double", "string"), doc="How NUMERIC maps."),
        ConfigKey("time.precision.mode", default="adaptive",
                  valid=("adaptive", "adaptive_time_microseconds", "connect"),
                  doc="How temporal types map."),
        ConfigKey("binary.handling.mode", default="bytes", valid=("bytes", "base64", "hex"),
                  doc="How BYTEA maps."),
        ConfigKey("interval.handling.mode", default="numeric", valid=("numeric", "string"),
                  doc="INTERVAL as microseconds (numeric) or ISO 8601 text (string)."),
        ConfigKey("unavailable.value.placeholder", default="__debezium_unavailable_value",
                  doc="Stands for an unchanged TOAST value PostgreSQL did not send."),
        ConfigKey("max.batch.size", INT, 2048, "Most records returned by one poll.",
                  valid=at_least(1)),
        ConfigKey("poll.interval.ms", LONG, 500, "How long a poll waits for changes.",
                  valid=at_least(1)),
        ConfigKey("status.update.interval.ms", INT, 10000,
                  "How often the slot is told the acknowledged position.", valid=at_least(1)),
    ]
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PostgresConfig:
    host: str
    port: int
    user: str
    password: str | None
    dbname: str
    sslmode: str
    prefix: str
    slot: str
    drop_slot_on_stop: bool
    publication: str
    publication_mode: str
    tables: TableFilter
    snapshot_mode: str  # initial | never | initial_only | always
    tombstones: bool
    skipped: frozenset[str]
    modes: TypeModes
    placeholder: str
    max_batch: int
    poll_interval_s: float
    status_interval_s: float

    def conninfo(self, **extra: Any) -> str:
        """libpq connection string (`replication="database"` for the walsender)."""
        return make_conninfo(
            host=self.host, port=self.port, user=self.user, password=self.password,
            dbname=self.dbname, sslmode=self.sslmode, options=SESSION_OPTIONS,
            application_name="ksql-debezium", **extra,
        )  # fmt: skip


def parse(props: Mapping[str, Any]) -> PostgresConfig:
    """The typed configuration; ConfigError naming the property when it cannot work."""
    props = dict(props)
    for old, new in RENAMED.items():
        if props.get(old) and not props.get(new):
            props[new] = props[old]
    values = CONFIG_DEF.parse(props)
    prefix = values["topic.prefix"]
    if not prefix:
        raise ConfigError(
            'Missing required configuration "topic.prefix" which has no default value.'
        )
    if not re.fullmatch(r"[a-zA-Z0-9._\-]+", prefix):
        raise ConfigError(
            f"Invalid value {prefix} for configuration topic.prefix: Topic prefix may contain "
            "only ASCII letters, digits, '.', '_' and '-'"
        )
    for kind in ("table", "schema"):
        if values[f"{kind}.include.list"] and values[f"{kind}.exclude.list"]:
            raise ConfigError(
                f'"{kind}.include.list" is already specified; "{kind}.exclude.list" cannot be '
                "used at the same time"
            )
    skipped = frozenset(v.lower() for v in values["skipped.operations"]) - {"none"}
    mode = values["snapshot.mode"].lower()
    return PostgresConfig(
        host=values["database.hostname"],
        port=values["database.port"],
        user=values["database.user"],
        password=values["database.password"],
        dbname=values["database.dbname"],
        sslmode=values["database.sslmode"].lower(),
        prefix=prefix,
        slot=values["slot.name"],
        drop_slot_on_stop=values["slot.drop.on.stop"],
        publication=values["publication.name"],
        publication_mode=values["publication.autocreate.mode"].lower(),
        tables=TableFilter(*(_patterns(values, f"{kind}.list") for kind in _FILTERS)),
        snapshot_mode={"no_data": "never"}.get(mode, mode),
        tombstones=values["tombstones.on.delete"],
        skipped=skipped,
        modes=TypeModes(
            decimal=values["decimal.handling.mode"].lower(),
            time=values["time.precision.mode"].lower(),
            binary=values["binary.handling.mode"].lower(),
            interval=values["interval.handling.mode"].lower(),
        ),
        placeholder=values["unavailable.value.placeholder"],
        max_batch=values["max.batch.size"],
        poll_interval_s=values["poll.interval.ms"] / 1000,
        status_interval_s=values["status.update.interval.ms"] / 1000,
    )


_FILTERS = ("table.include", "table.exclude", "schema.include", "schema.exclude")


def _patterns(values: Mapping[str, Any], key: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for text in values[key]:
        try:
            out.append(re.compile(text, re.IGNORECASE))
        except re.error as error:
            raise ConfigError(
                f"Invalid value {text} for configuration {key}: not a regular expression ({error})"
            ) from None
    return tuple(out)
