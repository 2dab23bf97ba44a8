"""SQL types of ksql: names as ksqlDB prints them, and their Arrow and DuckDB forms."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ksql.errors import StatementError

MAX_DECIMAL_PRECISION = 38


class SqlType:
    """Base of all SQL types; instances are immutable and compare by value."""

    name: str

    def arrow(self) -> pa.DataType:
        raise NotImplementedError

    def duckdb(self) -> str:
        raise NotImplementedError

    def is_numeric(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class PrimitiveType(SqlType):
    """BOOLEAN, INTEGER, BIGINT, DOUBLE, STRING, BYTES, DATE, TIME, TIMESTAMP."""

    name: str

    def arrow(self) -> pa.DataType:
        return _PRIMITIVE_ARROW[self.name]

    def duckdb(self) -> str:
        return _PRIMITIVE_DUCKDB[self.name]

    def is_numeric(self) -> bool:
        return self.name in ("INTEGER", "BIGINT", "DOUBLE")

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class DecimalType(SqlType):
    """A DECIMAL as ksqlDB declares it; only those of up to 38 digits (Arrow's decimal128 and
    DuckDB's widest) can hold values here, so using a wider one is a statement error."""

    precision: int
    scale: int
    name: str = "DECIMAL"

    def arrow(self) -> pa.DataType:
        check_storable(self)
        return pa.decimal128(self.precision, self.scale)

    def duckdb(self) -> str:
        check_storable(self)
        return f"DECIMAL({self.precision}, {self.scale})"

    def is_numeric(self) -> bool:
        return True

    def __str__(self) -> str:
        return f"DECIMAL({self.precision}, {self.scale})"


@dataclass(frozen=True, slots=True)
class ArrayType(SqlType):
    element: SqlType
    name: str = "ARRAY"

    def arrow(self) -> pa.DataType:
        return pa.list_(self.element.arrow())

    def duckdb(self) -> str:
        return f"{self.element.duckdb()}[]"

    def __str__(self) -> str:
        return f"ARRAY<{self.element}>"


@dataclass(frozen=True, slots=True)
class MapType(SqlType):
    key: SqlType
    value: SqlType
    name: str = "MAP"

    def arrow(self) -> pa.DataType:
        return pa.map_(self.key.arrow(), self.value.arrow())

    def duckdb(self) -> str:
        return f"MAP({self.key.duckdb()}, {self.value.duckdb()})"

    def __str__(self) -> str:
        return f"MAP<{self.key}, {self.value}>"


@dataclass(frozen=True, slots=True)
class StructField:
    name: str
    type: SqlType


@dataclass(frozen=True, slots=True)
class StructType(SqlType):
    fields: tuple[StructField, ...]
    name: str = "STRUCT"

    def arrow(self) -> pa.DataType:
        return pa.struct([pa.field(f.name, f.type.arrow()) for f in self.fields])

    def duckdb(self) -> str:
        inner = ", ".join(f"{quote_identifier(f.name)} {f.type.duckdb()}" for f in self.fields)
        return f"STRUCT({inner})"

    def field(self, name: str) -> StructField | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def __str__(self) -> str:
        inner = ", ".join(f"`{f.name}` {f.type}" for f in self.fields)
        return f"STRUCT<{inner}>"


def check_storable(t: SqlType) -> None:
    """Raise a StatementError when values of `t` cannot be held here (a DECIMAL wider than
    38 digits, also inside an ARRAY, MAP or STRUCT)."""
    if isinstance(t, DecimalType) and t.precision > MAX_DECIMAL_PRECISION:
        raise StatementError(
            f"{t} is not supported: DECIMAL precision must be <= {MAX_DECIMAL_PRECISION}"
        )
    if isinstance(t, ArrayType):
        check_storable(t.element)
    elif isinstance(t, MapType):
        check_storable(t.key)
        check_storable(t.value)
    elif isinstance(t, StructType):
        for f in t.fields:
            check_storable(f.type)


def quote_identifier(name: str) -> str:
    """Quote a name for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


BOOLEAN = PrimitiveType("BOOLEAN")
INTEGER = PrimitiveType("INTEGER")
BIGINT = PrimitiveType("BIGINT")
DOUBLE = PrimitiveType("DOUBLE")
STRING = PrimitiveType("STRING")
BYTES = PrimitiveType("BYTES")
DATE = PrimitiveType("DATE")
TIME = PrimitiveType("TIME")
TIMESTAMP = PrimitiveType("TIMESTAMP")

_PRIMITIVE_ARROW: dict[str, pa.DataType] = {
    "BOOLEAN": pa.bool_(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "STRING": pa.string(),
    "BYTES": pa.binary(),
    "DATE": pa.date32(),
    "TIME": pa.time64("us"),
    "TIMESTAMP": pa.timestamp("ms"),
}

_PRIMITIVE_DUCKDB: dict[str, str] = {
    "BOOLEAN": "BOOLEAN",
    "INTEGER": "INTEGER",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "STRING": "VARCHAR",
    "BYTES": "BLOB",
    "DATE": "DATE",
    "TIME": "TIME",
    "TIMESTAMP": "TIMESTAMP_MS",
}

# Names a user may write in SQL for each primitive type.
PRIMITIVE_ALIASES: dict[str, PrimitiveType] = {
    "BOOLEAN": BOOLEAN,
    "INT": INTEGER,
    "INTEGER": INTEGER,
    "BIGINT": BIGINT,
    "DOUBLE": DOUBLE,
    "STRING": STRING,
    "VARCHAR": STRING,
    "BYTES": BYTES,
    "DATE": DATE,
    "TIME": TIME,
    "TIMESTAMP": TIMESTAMP,
}


def is_integral(t: SqlType) -> bool:
    return t in (INTEGER, BIGINT)


# ksqlDB widens numbers along INTEGER -> BIGINT -> DECIMAL -> DOUBLE.
_NUMERIC_RANK = {"INTEGER": 0, "BIGINT": 1, "DECIMAL": 2, "DOUBLE": 3}


def numeric_rank(t: SqlType) -> int:
    return _NUMERIC_RANK.get(t.name, -1)


def decimal_of_integral(t: SqlType) -> DecimalType:
    """The DECIMAL an integral type widens to, as ksqlDB does for decimal arithmetic."""
    if t == INTEGER:
        return DecimalType(10, 0)
    if t == BIGINT:
        return DecimalType(19, 0)
    if isinstance(t, DecimalType):
        return t
    raise TypeError(f"{t} is not integral")


@dataclass(frozen=True, slots=True)
class TypeReference(SqlType):
    """A custom type name (CREATE TYPE) as written; the analyzer resolves it to its definition."""

    name: str

    def arrow(self) -> pa.DataType:
        raise TypeError(f"unresolved type {self.name}")

    def duckdb(self) -> str:
        raise TypeError(f"unresolved type {self.name}")

    def __str__(self) -> str:
        return self.name
