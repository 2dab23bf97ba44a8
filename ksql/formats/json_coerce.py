"""DuckDB SQL that coerces a JSON value to a SQL type with ksqlDB's JSON deserializer rules.

`coerce(sql_type, j)` returns two SQL expressions over a DuckDB JSON expression `j`: the typed
value, and an error message (NULL when the value converted fine, or was absent / JSON null).

ksqlDB's rules (KsqlJsonDeserializer / JsonSerdeUtils): numbers convert between numeric types
(doubles truncate towards zero into integers); numeric strings parse into numbers; STRING takes
any node as its text (objects and arrays as their JSON); BOOLEAN takes only booleans; DECIMAL takes
numbers or numeric strings; TIMESTAMP / TIME take milliseconds, DATE days; BYTES take base64;
STRUCT fields match the JSON key as written, then an upper-cased JSON key.
"""

from __future__ import annotations

from ksql.types import ArrayType, DecimalType, MapType, SqlType, StructType, quote_identifier

_INTEGRAL = ("'BIGINT'", "'UBIGINT'")
_NODE_NAME = (
    "CASE {t} WHEN 'VARCHAR' THEN 'TextNode' WHEN 'BOOLEAN' THEN 'BooleanNode' "
    "WHEN 'DOUBLE' THEN 'DoubleNode' WHEN 'OBJECT' THEN 'ObjectNode' "
    "WHEN 'ARRAY' THEN 'ArrayNode' ELSE 'IntNode' END"
)
_INT_PATTERN = "'^[+-]?[0-9]+$'"


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def json_path(key: str) -> str:
    """A JSON path selecting one object key, quoted so any key text is safe."""
    return sql_string('$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"')


def _convert_error(t: str, required: str) -> str:
    node = _NODE_NAME.format(t=t)
    return f"'Can''t convert type. sourceType: ' || {node} || ', requiredType: {required}'"


def _primitive_error(t: str, value: str, required: str, strings_parse: bool) -> str:
    """Message when a present, non-null JSON node did not convert."""
    convert = _convert_error(t, required)
    if strings_parse:
        coerce_msg = f"'Can''t coerce string to type. targetType: {required}'"
        message = f"CASE WHEN {t} = 'VARCHAR' THEN {coerce_msg} ELSE {convert} END"
    else:
        message = convert
    return f"CASE WHEN {value} IS NULL AND {t} IS NOT NULL AND {t} <> 'NULL' THEN {message} END"


def _integral(target: str, j: str, t: str, s: str) -> str:
    return (
        f"CASE {t} WHEN 'BIGINT' THEN TRY_CAST({j} AS {target}) "
        f"WHEN 'UBIGINT' THEN TRY_CAST({j} AS {target}) "
        f"WHEN 'DOUBLE' THEN TRY_CAST(trunc({j}::DOUBLE) AS {target}) "
        f"WHEN 'VARCHAR' THEN CASE WHEN regexp_matches({s}, {_INT_PATTERN}) "
        f"THEN TRY_CAST({s} AS {target}) END END"
    )


def _millis(j: str, t: str, s: str) -> str:
    """A JSON number (or numeric string) as a BIGINT count, e.g. milliseconds."""
    return _integral("BIGINT", j, t, s)


def coerce(
    sql_type: SqlType, j: str, depth: int = 0, *, t: str | None = None, value_ref: str | None = None
) -> tuple[str, str]:
    """(value_sql, error_sql) converting JSON expression `j` to `sql_type`.

    `t` may name an already computed json_type(j), and `value_ref` the already computed value,
    so a caller evaluating them once per row (in an inner query) avoids re-parsing the JSON.
    """
    t = t or f"json_type({j})"
    value, error = _coerce(sql_type, j, depth, t)
    if value_ref is not None and not isinstance(sql_type, ArrayType | MapType | StructType):
        # A primitive's error embeds its value expression verbatim; point it at the computed one.
        error = error.replace(value, value_ref)
    return value, error


def _coerce(sql_type: SqlType, j: str, depth: int, t: str) -> tuple[str, str]:
    s = f"({j} ->> '$')"
    name = sql_type.name
    if isinstance(sql_type, DecimalType):
        target = sql_type.duckdb()
        value = (
            f"CASE WHEN {t} IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN TRY_CAST({j} AS {target}) "
            f"WHEN {t} = 'VARCHAR' THEN TRY_CAST(trim({s}) AS {target}) END"
        )
        return value, _primitive_error(t, value, "DECIMAL", True)
    if isinstance(sql_type, ArrayType):
        return _array(sql_type, j, t, depth)
    if isinstance(sql_type, MapType):
        return _map(sql_type, j, t, depth)
    if isinstance(sql_type, StructType):
        return _struct(sql_type, j, t, depth)
    if name == "BOOLEAN":
        value = f"CASE WHEN {t} = 'BOOLEAN' THEN {j}::BOOLEAN END"
        return value, _primitive_error(t, value, "BOOLEAN", False)
    if name in ("INTEGER", "BIGINT"):
        value = _integral(name, j, t, s)
        return value, _primitive_error(t, value, name, True)
    if name == "DOUBLE":
        value = (
            f"CASE WHEN {t} IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN {j}::DOUBLE "
            f"WHEN {t} = 'VARCHAR' THEN TRY_CAST(trim({s}) AS DOUBLE) END"
        )
        return value, _primitive_error(t, value, name, True)
    if name == "STRING":
        value = (
            f"CASE {t} WHEN 'VARCHAR' THEN {s} WHEN 'NULL' THEN NULL "
            f"WHEN 'OBJECT' THEN json({j})::VARCHAR WHEN 'ARRAY' THEN json({j})::VARCHAR "
            f"ELSE {j}::VARCHAR END"
        )
        return value, _primitive_error(t, value, name, False)
    if name == "TIMESTAMP":
        value = f"epoch_ms({_millis(j, t, s)})"
        return value, _primitive_error(t, value, name, True)
    if name == "TIME":
        value = f"(TIME '00:00:00' + to_milliseconds({_millis(j, t, s)}))"
        return value, _primitive_error(t, value, name, True)
    if name == "DATE":
        value = f"(DATE '1970-01-01' + TRY_CAST({_millis(j, t, s)} AS INTEGER))"
        return value, _primitive_error(t, value, name, True)
    if name == "BYTES":
        value = f"CASE WHEN {t} = 'VARCHAR' THEN TRY(from_base64({s})) END"
        return value, _primitive_error(t, value, name, False)
    raise TypeError(f"JSON cannot carry {sql_type}")


def _nested_error(t: str, expected: str, required: str, inner: str) -> str:
    return (
        f"CASE WHEN {t} IS NULL OR {t} = 'NULL' THEN NULL "
        f"WHEN {t} <> '{expected}' THEN {_convert_error(t, required)} ELSE {inner} END"
    )


def _first_error(errors_list: str, depth: int) -> str:
    e = f"err{depth}"
    return f"list_filter({errors_list}, lambda {e}: {e} IS NOT NULL)[1]"


def _array(sql_type: ArrayType, j: str, t: str, depth: int) -> tuple[str, str]:
    x = f"x{depth}"
    elem_value, elem_error = coerce(sql_type.element, x, depth + 1)
    items = f"CAST({j} AS JSON[])"
    value = f"CASE WHEN {t} = 'ARRAY' THEN list_transform({items}, lambda {x}: {elem_value}) END"
    inner = _first_error(f"list_transform({items}, lambda {x}: {elem_error})", depth)
    return value, _nested_error(t, "ARRAY", "ARRAY", inner)


def _map(sql_type: MapType, j: str, t: str, depth: int) -> tuple[str, str]:
    e = f"e{depth}"
    val_value, val_error = coerce(sql_type.value, f"{e}.value", depth + 1)
    entries = f"map_entries(CAST({j} AS MAP(VARCHAR, JSON)))"
    value = (
        f"CASE WHEN {t} = 'OBJECT' THEN map_from_entries(list_transform({entries}, "
        f"lambda {e}: struct_pack(key := {e}.key, value := {val_value}))) END"
    )
    inner = _first_error(f"list_transform({entries}, lambda {e}: {val_error})", depth)
    return value, _nested_error(t, "OBJECT", "MAP", inner)


def struct_field(j: str, name: str, depth: int) -> str:
    """The JSON of field `name`: the key as written, else a key that upper-cases to it."""
    k = f"k{depth}"
    fallback = f"list_filter(json_keys({j}), lambda {k}: upper({k}) = {sql_string(name)})[1]"
    return (
        f"CASE WHEN json_exists({j}, {json_path(name)}) THEN json_extract({j}, {json_path(name)}) "
        f"ELSE json_extract({j}, '$.\"' || replace({fallback}, '\"', '\\\"') || '\"') END"
    )


def _struct(sql_type: StructType, j: str, t: str, depth: int) -> tuple[str, str]:
    values, errors = [], []
    for f in sql_type.fields:
        v, err = coerce(f.type, struct_field(j, f.name, depth), depth + 1)
        values.append(f"{quote_identifier(f.name)} := {v}")
        errors.append(err)
    value = f"CASE WHEN {t} = 'OBJECT' THEN struct_pack({', '.join(values)}) END"
    inner = f"coalesce({', '.join(errors)})" if errors else "NULL"
    return value, _nested_error(t, "OBJECT", "STRUCT", inner)
