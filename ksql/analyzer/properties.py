"""WITH (...) properties of CREATE statements: validation and the formats they choose."""

from __future__ import annotations

import re
from typing import Any

from ksql.catalog import FormatSpec, WindowInfo
from ksql.errors import KsqlError, StatementError
from ksql.parse_tree import MAX_DURATION_MS

KNOWN_FORMATS = ("JSON", "DELIMITED", "KAFKA", "NONE", "AVRO", "PROTOBUF", "PROTOBUF_NOSR", "JSON_SR")
SUPPORTED_FORMATS = ("JSON", "DELIMITED", "KAFKA", "NONE", "AVRO", "JSON_SR")
# Formats whose schemas live in a schema registry, and which of their properties each takes.
SCHEMA_ID_FORMATS = ("AVRO", "PROTOBUF", "JSON_SR")
FULL_NAME_FORMATS = ("AVRO", "PROTOBUF")
# Properties that describe one topic's schema, so a query's sink does not inherit them.
_SCHEMA_PROPERTIES = ("schemaId", "fullSchemaName")

_UNIT_MS = {
    "MILLISECOND": 1,
    "MILLISECONDS": 1,
    "SECOND": 1000,
    "SECONDS": 1000,
    "MINUTE": 60_000,
    "MINUTES": 60_000,
    "HOUR": 3_600_000,
    "HOURS": 3_600_000,
    "DAY": 86_400_000,
    "DAYS": 86_400_000,
}


class UnsupportedFormatError(KsqlError):
    """A format ksqlDB knows but we have not built yet (AVRO, PROTOBUF, JSON_SR)."""


def prop(props: dict[str, Any], name: str) -> Any:
    """Property lookup by upper-cased name."""
    return props.get(name)


_INT_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")
_INT_BOUNDS = {"INT": 2**31, "SHORT": 2**15}


def int_property(props: dict[str, Any], name: str, kind: str = "INT") -> int | None:
    """A whole-number property (PARTITIONS, REPLICAS, schema ids) as Kafka's ConfigDef reads
    one: an integer, or the text of one, within the range of its type (`INT` or `SHORT`)."""
    value = prop(props, name)
    if value is None:
        return None
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        number = int(value)
    bound = _INT_BOUNDS[kind]
    if number is None or not -bound <= number < bound:
        raise StatementError(
            f"Invalid value {value} for configuration {name}: Not a number of type {kind}"
        )
    return number


def format_name(value: Any) -> str:
    name = str(value).upper()
    if name not in KNOWN_FORMATS:
        raise StatementError(f"Unknown format: {value}")
    return name


def parse_duration_ms(text: str, config: str) -> int:
    """'30 SECONDS' -> 30000, as ksqlDB parses WINDOW_SIZE."""
    match = re.fullmatch(r"\s*(\d+)\s+(\w+)\s*", str(text))
    if not match:
        raise StatementError(f"Configuration {config} is invalid: Invalid duration: '{text}'")
    unit = match.group(2).upper()
    if unit not in _UNIT_MS:
        raise _parse_failed(
            f"Configuration {config} is invalid: Invalid duration: '{text}'. "
            f"Unknown time unit: '{unit}'"
        )
    ms = int(match.group(1)) * _UNIT_MS[unit]
    if ms > MAX_DURATION_MS:
        raise StatementError(
            f"Configuration {config} is invalid: Invalid duration: '{text}'. Duration too long"
        )
    return ms


def _parse_failed(message: str) -> KsqlError:
    from ksql.errors import ParseError

    return ParseError(message)


def delimiter_of(value: Any) -> str:
    text = str(value)
    special = {"TAB": "\t", "SPACE": " "}
    if text.upper() in special:
        return special[text.upper()]
    if len(text) != 1 or text.isspace():
        raise StatementError(
            "Failed to prepare statement: Configuration VALUE_DELIMITER is invalid: Delimiter "
            "cannot be empty, if you meant to have a tab or space for delimiter, please use the "
            "special values 'TAB' or 'SPACE'\nExample valid value: ';'"
        )
    return text


def choose_formats(
    props: dict[str, Any],
    session: dict[str, str],
    *,
    inherited: tuple[FormatSpec, FormatSpec] | None = None,
) -> tuple[FormatSpec, FormatSpec]:
    """Key and value formats from FORMAT / KEY_FORMAT / VALUE_FORMAT, defaults and inheritance."""
    fmt, key_fmt, value_fmt = prop(props, "FORMAT"), prop(props, "KEY_FORMAT"), prop(props, "VALUE_FORMAT")
    both = (
        "as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', "
        "or use 'KEY_FORMAT' and 'VALUE_FORMAT'."
    )
    if fmt is not None and key_fmt is not None:
        raise StatementError(f"Cannot supply both 'KEY_FORMAT' and 'FORMAT' properties, {both}")
    if fmt is not None and value_fmt is not None:
        raise StatementError(f"Cannot supply both 'VALUE_FORMAT' and 'FORMAT' properties, {both}")
    if fmt is not None:
        key_fmt = value_fmt = fmt
    if key_fmt is not None:
        key_name = format_name(key_fmt)
    elif inherited is not None:
        key_name = inherited[0].name
    else:
        key_name = format_name(session.get("ksql.persistence.default.format.key", "KAFKA"))
    if value_fmt is not None:
        value_name = format_name(value_fmt)
    elif inherited is not None:
        value_name = inherited[1].name
    else:
        default = session.get("ksql.persistence.default.format.value")
        if default is None:
            raise StatementError(
                "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. "
                "Either provide one or set a default via the "
                "'ksql.persistence.default.format.value' config."
            )
        value_name = format_name(default)

    value_props: dict[str, Any] = {}
    delim = prop(props, "VALUE_DELIMITER")
    if delim is not None:
        if value_name != "DELIMITED":
            raise StatementError(f"{value_name} does not support the following configs: [delimiter]")
        value_props["delimiter"] = delimiter_of(delim)
    elif inherited is not None and value_fmt is None and fmt is None:
        value_props = _inheritable(inherited[1].properties)
    key_props: dict[str, Any] = {}
    kdelim = prop(props, "KEY_DELIMITER")
    if kdelim is not None:
        key_props["delimiter"] = delimiter_of(kdelim)
    elif inherited is not None and key_fmt is None and fmt is None:
        key_props = _inheritable(inherited[0].properties)
    _schema_properties(props, "VALUE", value_name, value_props)
    _schema_properties(props, "KEY", key_name, key_props)
    return FormatSpec(key_name, key_props), FormatSpec(value_name, value_props)


def _inheritable(properties: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in properties.items() if k not in _SCHEMA_PROPERTIES}


def _schema_properties(props: dict[str, Any], side: str, name: str, out: dict[str, Any]) -> None:
    """<side>_SCHEMA_ID and <side>_SCHEMA_FULL_NAME (also VALUE_AVRO_SCHEMA_FULL_NAME, its old
    name) into the format's properties, refused for formats that have no such setting."""
    full_name = prop(props, f"{side}_SCHEMA_FULL_NAME")
    if full_name is None and side == "VALUE":
        full_name = prop(props, "VALUE_AVRO_SCHEMA_FULL_NAME")
    schema_id = prop(props, f"{side}_SCHEMA_ID")
    unsupported = []
    if full_name is not None:
        if name in FULL_NAME_FORMATS:
            out["fullSchemaName"] = str(full_name)
        else:
            unsupported.append("fullSchemaName")
    if schema_id is not None:
        if name in SCHEMA_ID_FORMATS:
            out["schemaId"] = int_property(props, f"{side}_SCHEMA_ID")
        else:
            unsupported.append("schemaId")
    if unsupported:
        raise StatementError(
            f"{name} does not support the following configs: [{', '.join(unsupported)}]"
        )


def require_supported(spec: FormatSpec) -> None:
    if spec.name not in SUPPORTED_FORMATS:
        raise UnsupportedFormatError(f"The {spec.name} format is not supported yet")


def window_info(props: dict[str, Any]) -> WindowInfo | None:
    kind = prop(props, "WINDOW_TYPE")
    size = prop(props, "WINDOW_SIZE")
    if kind is None:
        return None
    kind_name = str(kind).upper()
    if kind_name not in ("TUMBLING", "HOPPING", "SESSION"):
        raise StatementError(f"Invalid WINDOW_TYPE: {kind}")
    if kind_name == "SESSION":
        if size is not None:
            raise _parse_failed("'WINDOW_SIZE' should not be set for SESSION windows.")
        return WindowInfo("SESSION")
    if size is None:
        raise _parse_failed(f"{kind_name} windows require 'WINDOW_SIZE' to be set.")
    return WindowInfo(kind_name, parse_duration_ms(size, "WINDOW_SIZE"))


def wrap_single_value(
    props: dict[str, Any], session: dict[str, str], value_columns: int = 1
) -> bool | None:
    """WRAP_SINGLE_VALUE from WITH, else the session default (which only applies to
    single-column values)."""
    value = prop(props, "WRAP_SINGLE_VALUE")
    if value is None:
        default = session.get("ksql.persistence.wrap.single.values")
        if default is None or value_columns != 1:
            return None
        return str(default).lower() == "true"
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def offset_reset(session: dict[str, str]) -> str:
    """Where a new query starts reading: `earliest` or `latest`. The Kafka Streams form
    `ksql.streams.auto.offset.reset` (as clients send it in a request's properties) is only
    present when set, so it wins over the plain property, which always has a default."""
    value = session.get("ksql.streams.auto.offset.reset") or session.get("auto.offset.reset")
    return str(value or "latest").strip().lower()
