"""Debezium's mapping of PostgreSQL column types to Kafka Connect schemas, with the function
that turns a value's text form (as pgoutput and COPY print it) into the Connect value.

Both the snapshot and the stream read text in the session settings of `SESSION_OPTIONS`
(ISO dates, UTC time zone, ISO 8601 intervals), so one converter serves both. Types Debezium
knows map as it documents them (`decimal.handling.mode`, `time.precision.mode`,
`binary.handling.mode`, `interval.handling.mode`); enums become io.debezium.data.Enum, domains
their base type, arrays an ARRAY of their element type, and any other type its text as STRING.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ksql.connect import api
from ksql.connect.api import Schema

# Server settings for every connection, so values print the way the converters parse them.
SESSION_OPTIONS = (
    "-c DateStyle=ISO,YMD -c TimeZone=UTC -c IntervalStyle=iso_8601 "
    "-c extra_float_digits=1 -c bytea_output=hex -c lc_monetary=C"
)

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EPOCH = dt.datetime(1970, 1, 1)
_MICRO = dt.timedelta(microseconds=1)
_DIGITS = frozenset("0123456789")
# What Debezium's PostgreSQL connector emits for 'infinity' / '-infinity' timestamps (ms).
_POSITIVE_INFINITY_MS, _NEGATIVE_INFINITY_MS = 9223372036825200000, -9223372036832400000


@dataclass(frozen=True, slots=True)
class ColumnType:
    """How one column maps: its (required) schema, text -> value, and the value Debezium puts
    in a NOT NULL column whose value PostgreSQL did not send (a key-only old row)."""

    schema: Schema
    convert: Callable[[str], Any]
    fallback: Any = None


@dataclass(frozen=True, slots=True)
class PgType:
    """What the catalog says about a type that is not built in (see `catalog.type_info`)."""

    oid: int
    name: str
    kind: str  # pg_type.typtype: b(ase) e(num) d(omain) c(omposite) ...
    element_oid: int  # arrays: the element type, else 0
    base_oid: int  # domains: the base type, else 0
    base_modifier: int
    labels: tuple[str, ...] = ()  # enums


@dataclass(frozen=True, slots=True)
class TypeModes:
    decimal: str = "precise"  # precise | double | string
    time: str = "adaptive"  # adaptive | adaptive_time_microseconds | connect
    binary: str = "bytes"  # bytes | base64 | hex
    interval: str = "numeric"  # numeric | string


def _named(type_: str, name: str, **parameters: str) -> Schema:
    return Schema(type_, name=name, version=1, parameters=parameters)


INT16, INT32, INT64 = Schema(api.INT16), Schema(api.INT32), Schema(api.INT64)
FLOAT32, FLOAT64 = Schema(api.FLOAT32), Schema(api.FLOAT64)
STRING, BOOLEAN, BYTES = Schema(api.STRING), Schema(api.BOOLEAN), Schema(api.BYTES)
JSON = _named(api.STRING, "io.debezium.data.Json")
UUID = _named(api.STRING, "io.debezium.data.Uuid")
DATE = _named(api.INT32, "io.debezium.time.Date")
TIME_MS = _named(api.INT32, "io.debezium.time.Time")
TIME_US = _named(api.INT64, "io.debezium.time.MicroTime")
TIMESTAMP_MS = _named(api.INT64, "io.debezium.time.Timestamp")
TIMESTAMP_US = _named(api.INT64, "io.debezium.time.MicroTimestamp")
ZONED_TIMESTAMP = _named(api.STRING, "io.debezium.time.ZonedTimestamp")
ZONED_TIME = _named(api.STRING, "io.debezium.time.ZonedTime")
MICRO_DURATION = _named(api.INT64, "io.debezium.time.MicroDuration")
INTERVAL = _named(api.STRING, "io.debezium.time.Interval")
VARIABLE_SCALE_DECIMAL = api.struct_schema(
    [("scale", INT32), ("value", BYTES)], name="io.debezium.data.VariableScaleDecimal"
).replace(version=1, doc="Variable scaled decimal")
CONNECT_DATE = Schema(api.INT32, name=api.DATE, version=1)
CONNECT_TIME = Schema(api.INT32, name=api.TIME, version=1)
CONNECT_TIMESTAMP = Schema(api.INT64, name=api.TIMESTAMP, version=1)


def decimal_schema(scale: int, precision: int | None) -> Schema:
    parameters = {"scale": str(scale)}
    if precision is not None:
        parameters["connect.decimal.precision"] = str(precision)
    return Schema(api.BYTES, name=api.DECIMAL, version=1, parameters=parameters)


# ----------------------------------------------------------------------------- converters


def _bool(text: str) -> bool:
    return text == "t"


def _bytea(text: str) -> bytes:
    return bytes.fromhex(text[2:])  # bytea_output=hex: \x0a0b...


def _decimal(text: str) -> Decimal | None:
    # NaN and +-Infinity have no Decimal logical value; Debezium gives null in precise mode.
    return Decimal(text) if text[-1] in _DIGITS else None


def _variable_scale(text: str) -> dict[str, Any] | None:
    value = _decimal(text)
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    unscaled = int(value.scaleb(scale))
    return {"scale": scale, "value": _twos_complement(unscaled)}


def _twos_complement(number: int) -> bytes:
    """Java's BigInteger.toByteArray(): big-endian two's complement, shortest form."""
    return number.to_bytes(number.bit_length() // 8 + 1, "big", signed=True)


def _money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


def _epoch_days(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date, any year (0 is 1 BC)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


_DATE_TEXT = re.compile(r"(\d+)-(\d\d)-(\d\d)( BC)?")


def _days(text: str) -> int:
    """'2024-01-31' -> days since the epoch; also 5-digit years and BC dates."""
    if len(text) == 10:
        return dt.date.fromisoformat(text).toordinal() - _EPOCH_ORDINAL
    match = _DATE_TEXT.fullmatch(text.split(" ")[0] + (" BC" if text.endswith(" BC") else ""))
    if match is None:
        raise ValueError(f"not a date: {text!r}")
    year = int(match[1])
    return _epoch_days(1 - year if match[4] else year, int(match[2]), int(match[3]))


def _date_days(text: str) -> int:
    if text[0] in "i-" and text.lstrip("-") == "infinity":
        return 2**31 - 1 if text[0] == "i" else -(2**31)
    return _days(text)


def _time_us(text: str) -> int:
    """'HH:MM:SS[.ffffff]' (24:00:00 included) -> microseconds since midnight."""
    seconds = int(text[0:2]) * 3600 + int(text[3:5]) * 60 + int(text[6:8])
    fraction = text[9:15]
    return seconds * 1_000_000 + (int(fraction.ljust(6, "0")) if fraction else 0)


def _timestamp_us(text: str) -> int:
    """'YYYY-MM-DD HH:MM:SS[.ffffff]' (a timestamp without time zone) -> epoch microseconds."""
    if len(text) <= 26 and text[4] == "-":
        return (dt.datetime.fromisoformat(text) - _EPOCH) // _MICRO
    if text.lstrip("-") == "infinity":
        return (_POSITIVE_INFINITY_MS if text[0] == "i" else _NEGATIVE_INFINITY_MS) * 1000
    date, _, time = text.removesuffix(" BC").partition(" ")
    days = _days(date + (" BC" if text.endswith(" BC") else ""))
    return days * 86_400_000_000 + _time_us(time)


def _zoned_timestamp(text: str) -> str:
    """'2024-01-31 10:00:00.5+00' (TimeZone=UTC) -> '2024-01-31T10:00:00.5Z' as Debezium."""
    if text.endswith("+00") and text[4] == "-":
        return f"{text[:10]}T{text[11:-3]}Z"
    if text.lstrip("-") == "infinity":
        return text
    stamp = dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    return stamp.isoformat().replace("+00:00", "Z")


def _zoned_time(text: str) -> str:
    """'10:00:00.5+02' -> '08:00:00.5Z' (Debezium's ZonedTime is in UTC)."""
    clock = dt.time.fromisoformat(text)
    offset = clock.utcoffset() or dt.timedelta()
    moment = dt.datetime.combine(dt.date(2000, 1, 1), clock.replace(tzinfo=None)) - offset
    out = moment.time().isoformat()
    return (out.rstrip("0").rstrip(".") if "." in out else out) + "Z"


_INTERVAL = re.compile(
    r"P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?"
    r"(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?"
)


def _interval_us(text: str) -> int:
    """An ISO 8601 interval -> microseconds, a month being 365.25 / 12 days (Debezium's
    io.debezium.time.MicroDuration)."""
    match = _INTERVAL.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 interval: {text!r}")
    years, months, weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups()[:6])
    seconds = Decimal(match[7] or 0)
    total_days = Decimal((years * 12 + months) * 365.25 / 12) + weeks * 7 + days
    total_s = ((total_days * 24 + hours) * 60 + minutes) * 60 + seconds
    return int(total_s * 1_000_000)


def _connect_date(text: str) -> dt.date:
    return dt.date.fromordinal(_date_days(text) + _EPOCH_ORDINAL)


def _connect_time(text: str) -> dt.time:
    micros = min(_time_us(text), 86_399_999_000) // 1000 * 1000
    return (dt.datetime.min + dt.timedelta(microseconds=micros)).time()


def _connect_timestamp(text: str) -> dt.datetime:
    millis = _timestamp_us(text) // 1000
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=millis)


def parse_array(text: str, convert: Callable[[str], Any]) -> list[Any]:
    """A PostgreSQL array literal ('{1,2,NULL}', '{"a b",c}', '{{1},{2}}') -> nested lists."""
    if text[0] == "[":  # explicit bounds: '[0:1]={a,b}'
        text = text[text.index("=") + 1 :]
    values, _ = _array_at(text, 0, convert)
    return values


def _array_at(text: str, pos: int, convert: Callable[[str], Any]) -> tuple[list[Any], int]:
    out: list[Any] = []
    pos += 1  # '{'
    if text[pos] == "}":
        return out, pos + 1
    while True:
        char = text[pos]
        value: Any
        if char == "{":
            value, pos = _array_at(text, pos, convert)
        elif char == '"':
            chars, pos = [], pos + 1
            while text[pos] != '"':
                if text[pos] == "\\":
                    pos += 1
                chars.append(text[pos])
                pos += 1
            value, pos = convert("".join(chars)), pos + 1
        else:
            end = pos
            while text[end] not in ",}":
                end += 1
            raw, pos = text[pos:end], end
            value = None if raw == "NULL" else convert(raw)
        out.append(value)
        if text[pos] == "}":
            return out, pos + 1
        pos += 1  # ','


# ----------------------------------------------------------------------------- the mapping

_TEXT_OIDS = {18, 19, 25, 1042, 1043}  # "char", name, text, bpchar, varchar
DATE_OID, TIME_OID = 1082, 1083


class TypeMapper:
    """Column types for (type OID, type modifier) pairs. Types that are not built in are
    looked up once with `lookup(oid)` (the catalog)."""

    def __init__(self, modes: TypeModes, lookup: Callable[[int], PgType | None]) -> None:
        self.modes = modes
        self._lookup = lookup
        self._cache: dict[tuple[int, int], ColumnType] = {}

    def column_type(self, oid: int, modifier: int) -> ColumnType:
        found = self._cache.get((oid, modifier))
        if found is None:
            found = self._cache[(oid, modifier)] = self._map(oid, modifier)
        return found

    def _map(self, oid: int, modifier: int) -> ColumnType:
        builtin = self._builtin(oid, modifier)
        if builtin is not None:
            return builtin
        info = self._lookup(oid)
        if info is None:
            return ColumnType(STRING, str, "")
        if info.kind == "d":
            return self.column_type(info.base_oid, info.base_modifier)
        if info.kind == "e":
            enum = _named(api.STRING, "io.debezium.data.Enum", allowed=",".join(info.labels))
            return ColumnType(enum, str, "")
        if info.element_oid:
            element = self.column_type(info.element_oid, modifier)
            convert = element.convert
            schema = Schema(api.ARRAY, value_schema=element.schema.replace(optional=True))
            return ColumnType(schema, lambda text: parse_array(text, convert), [])
        return ColumnType(STRING, str, "")

    def _builtin(self, oid: int, modifier: int) -> ColumnType | None:
        if oid in _TEXT_OIDS:
            return ColumnType(STRING, str, "")
        match oid:
            case 16:  # bool
                return ColumnType(BOOLEAN, _bool, False)
            case 21:  # int2
                return ColumnType(INT16, int, 0)
            case 23:  # int4
                return ColumnType(INT32, int, 0)
            case 20 | 26:  # int8, oid
                return ColumnType(INT64, int, 0)
            case 700:  # float4
                return ColumnType(FLOAT32, float, 0.0)
            case 701:  # float8
                return ColumnType(FLOAT64, float, 0.0)
            case 1700:  # numeric
                return self._numeric(modifier)
            case 790:  # money
                return self._money()
            case 17:  # bytea
                return self._binary()
            case 114 | 3802:  # json, jsonb
                return ColumnType(JSON, str, "{}")
            case 2950:  # uuid
                return ColumnType(UUID, str, "00000000-0000-0000-0000-000000000000")
            case 1082 | 1083 | 1114:  # date, time, timestamp
                return self._temporal(oid, modifier)
            case 1184:  # timestamptz
                return ColumnType(ZONED_TIMESTAMP, _zoned_timestamp, "1970-01-01T00:00:00Z")
            case 1266:  # timetz
                return ColumnType(ZONED_TIME, _zoned_time, "00:00:00Z")
            case 1186:  # interval
                if self.modes.interval == "string":
                    return ColumnType(INTERVAL, str, "PT0S")
                return ColumnType(MICRO_DURATION, _interval_us, 0)
            case 1560 if modifier == 1:  # bit(1)
                return ColumnType(BOOLEAN, _bool_bit, False)
        return None

    def _numeric(self, modifier: int) -> ColumnType:
        match self.modes.decimal:
            case "double":
                return ColumnType(FLOAT64, float, 0.0)
            case "string":
                return ColumnType(STRING, str, "0")
        if modifier < 4:  # unconstrained numeric: the scale varies by value
            return ColumnType(VARIABLE_SCALE_DECIMAL, _variable_scale, _variable_scale("0"))
        precision = ((modifier - 4) >> 16) & 0xFFFF
        scale = (((modifier - 4) & 0x7FF) ^ 1024) - 1024  # PostgreSQL 15 allows scale < 0
        return ColumnType(decimal_schema(scale, precision), _decimal, Decimal(0).scaleb(-scale))

    def _money(self) -> ColumnType:
        match self.modes.decimal:
            case "double":
                return ColumnType(FLOAT64, lambda text: float(_money(text)), 0.0)
            case "string":
                return ColumnType(STRING, lambda text: str(_money(text)), "0.00")
        return ColumnType(decimal_schema(2, None), _money, Decimal("0.00"))

    def _binary(self) -> ColumnType:
        match self.modes.binary:
            case "base64":
                return ColumnType(STRING, lambda t: base64.b64encode(_bytea(t)).decode(), "")
            case "hex":
                return ColumnType(STRING, lambda text: text[2:], "")
        return ColumnType(BYTES, _bytea, b"")

    def _temporal(self, oid: int, modifier: int) -> ColumnType:
        precision = 6 if modifier < 0 else modifier
        mode = self.modes.time
        if oid == DATE_OID:
            if mode == "connect":
                return ColumnType(CONNECT_DATE, _connect_date, dt.date(1970, 1, 1))
            return ColumnType(DATE, _date_days, 0)
        if oid == TIME_OID:
            if mode == "connect":
                return ColumnType(CONNECT_TIME, _connect_time, dt.time())
            if mode == "adaptive" and precision <= 3:
                return ColumnType(TIME_MS, lambda text: _time_us(text) // 1000, 0)
            return ColumnType(TIME_US, _time_us, 0)
        if mode == "connect":
            epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
            return ColumnType(CONNECT_TIMESTAMP, _connect_timestamp, epoch)
        if precision <= 3:
            return ColumnType(TIMESTAMP_MS, lambda text: _timestamp_us(text) // 1000, 0)
        return ColumnType(TIMESTAMP_US, _timestamp_us, 0)


def _bool_bit(text: str) -> bool:
    return text == "1"
