"""Configuration both JDBC connectors share: the `connection.*` keys, opening the dialect they
name, and ConfigErrors worded as Kafka's ConfigException."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ksql.connect.api import ConfigError
from ksql.connect.config import PASSWORD, REQUIRED, STRING, ConfigKey
from ksql.connect.jdbc.dialects import Dialect, dialect_for

CONNECTION_KEYS = (
    ConfigKey(
        "connection.url",
        STRING,
        REQUIRED,
        importance="HIGH",
        group="Connection",
        doc="JDBC connection URL: jdbc:postgresql://host:port/database, "
        "jdbc:sqlite:/path/file.db or jdbc:duckdb:/path/file.duckdb",
    ),
    ConfigKey("connection.user", STRING, None, "JDBC connection user.", "HIGH", group="Connection"),
    ConfigKey(
        "connection.password",
        PASSWORD,
        None,
        "JDBC connection password.",
        "HIGH",
        group="Connection",
    ),
)


def invalid(name: str, value: Any, reason: str) -> ConfigError:
    """Kafka's `Invalid value X for configuration Y: reason`."""
    shown = ",".join(value) if isinstance(value, list) else value
    return ConfigError(f"Invalid value {shown} for configuration {name}: {reason}")


def open_dialect(values: Mapping[str, Any]) -> Dialect:
    """The dialect of parsed configuration `values` (ConfigError for an unusable URL)."""
    return dialect_for(
        values["connection.url"], values.get("connection.user"), values.get("connection.password")
    )
