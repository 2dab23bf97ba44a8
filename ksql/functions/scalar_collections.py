"""Array and map functions (ARRAY_*, SLICE, MAP_*, AS_MAP, ENTRIES, GENERATE_SERIES, ELT, FIELD)."""

from __future__ import annotations

from ksql.compiler.casts import to_string_sql
from ksql.compiler.sql import Compiled, cast_sql
from ksql.compiler.typing import common_type
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import (
    BIGINT,
    BOOLEAN,
    INTEGER,
    STRING,
    ArrayType,
    MapType,
    StructField,
    StructType,
)


def _array(name: str, *args: Compiled) -> ArrayType:
    if not isinstance(args[0].type, ArrayType):
        raise signature_error(name, [a.type for a in args])
    return args[0].type


def _map(name: str, *args: Compiled) -> MapType:
    if not isinstance(args[0].type, MapType):
        raise signature_error(name, [a.type for a in args])
    return args[0].type


def distinct_sql(sql: str) -> str:
    """Distinct elements in order of first occurrence, keeping one NULL (unlike list_distinct)."""
    return f"list_filter({sql}, lambda x, i: list_position({sql}, x) = i)"


def _array_length(a: Compiled) -> Compiled:
    _array("ARRAY_LENGTH", a)
    return Compiled(f"CAST(len({a.sql}) AS INTEGER)", INTEGER)


def _array_contains(a: Compiled, v: Compiled) -> Compiled:
    _array("ARRAY_CONTAINS", a, v)
    return Compiled(f"(list_position({a.sql}, {v.sql}) IS NOT NULL)", BOOLEAN)


def _array_extreme(name: str, fn: str):
    def hook(a: Compiled) -> Compiled:
        t = _array(name, a)
        return Compiled(f"{fn}({a.sql})", t.element)

    return hook


def _array_distinct(a: Compiled) -> Compiled:
    t = _array("ARRAY_DISTINCT", a)
    return Compiled(distinct_sql(a.sql), t)


def _array_sort(a: Compiled, direction: Compiled | None = None) -> Compiled:
    t = _array("ARRAY_SORT", a)
    order = "'ASC'"
    if direction is not None:
        order = f"(CASE WHEN upper({direction.sql}) = 'DESC' THEN 'DESC' ELSE 'ASC' END)"
        if direction.sql.upper() in ("'DESC'", "'ASC'"):
            order = direction.sql.upper()
    return Compiled(f"list_sort({a.sql}, {order}, 'NULLS LAST')", t)


def _two_arrays(name: str, a: Compiled, b: Compiled) -> ArrayType:
    ta, tb = a.type, b.type
    element = common_type([
        ta.element if isinstance(ta, ArrayType) else None,
        tb.element if isinstance(tb, ArrayType) else None,
    ])
    known = [t for t in (ta, tb) if t is not None]
    if element is None or not all(isinstance(t, ArrayType) for t in known):
        raise signature_error(name, [ta, tb])
    return ArrayType(element)


def _typed(c: Compiled, t: ArrayType) -> str:
    return cast_sql(c.sql, t)


def _array_concat(a: Compiled, b: Compiled) -> Compiled:
    t = _two_arrays("ARRAY_CONCAT", a, b)
    x, y = _typed(a, t), _typed(b, t)
    sql = (
        f"(CASE WHEN {x} IS NULL AND {y} IS NULL THEN NULL "
        f"ELSE list_concat(coalesce({x}, []), coalesce({y}, [])) END)"
    )
    return Compiled(sql, t)


def _array_except(a: Compiled, b: Compiled) -> Compiled:
    t = _two_arrays("ARRAY_EXCEPT", a, b)
    x, y = _typed(a, t), _typed(b, t)
    sql = f"(CASE WHEN {y} IS NULL THEN NULL ELSE list_filter({distinct_sql(x)}, lambda e: list_position({y}, e) IS NULL) END)"
    return Compiled(sql, t)


def _array_intersect(a: Compiled, b: Compiled) -> Compiled:
    t = _two_arrays("ARRAY_INTERSECT", a, b)
    x, y = _typed(a, t), _typed(b, t)
    sql = f"(CASE WHEN {y} IS NULL THEN NULL ELSE list_filter({distinct_sql(x)}, lambda e: list_position({y}, e) IS NOT NULL) END)"
    return Compiled(sql, t)


def _array_union(a: Compiled, b: Compiled) -> Compiled:
    t = _two_arrays("ARRAY_UNION", a, b)
    x, y = _typed(a, t), _typed(b, t)
    sql = f"(CASE WHEN {x} IS NULL OR {y} IS NULL THEN NULL ELSE {distinct_sql(f'list_concat({x}, {y})')} END)"
    return Compiled(sql, t)


def _array_remove(a: Compiled, v: Compiled) -> Compiled:
    t = _array("ARRAY_REMOVE", a, v)
    value = cast_sql(v.sql, t.element)
    return Compiled(f"list_filter({a.sql}, lambda x: x IS DISTINCT FROM {value})", t)


def _array_join(a: Compiled, sep: Compiled | None = None) -> Compiled:
    t = _array("ARRAY_JOIN", a)
    if isinstance(t.element, ArrayType | MapType | StructType):
        raise signature_error("ARRAY_JOIN", [a.type] + ([sep.type] if sep else []))
    s = f"coalesce({sep.sql}, '')" if sep else "','"
    text = to_string_sql(Compiled("x", t.element))
    sql = f"array_to_string(list_transform({a.sql}, lambda x: coalesce({text}, 'null')), {s})"
    return Compiled(sql, STRING)


def _slice(a: Compiled, start: Compiled, end: Compiled) -> Compiled:
    t = _array("SLICE", a, start, end)
    return Compiled(f"list_slice({a.sql}, {start.sql}, {end.sql})", t)


def _generate_series(start: Compiled, end: Compiled, step: Compiled | None = None) -> Compiled:
    types = [start.type, end.type] + ([step.type] if step else [])
    if any(x not in (INTEGER, BIGINT) for x in types):
        raise signature_error("GENERATE_SERIES", types)
    t = BIGINT if BIGINT in (start.type, end.type) else INTEGER
    # Without a step, ksqlDB counts down when start > end.
    by = step.sql if step else f"(CASE WHEN {start.sql} > {end.sql} THEN -1 ELSE 1 END)"
    sql = f"CAST(generate_series({start.sql}, {end.sql}, {by}) AS {t.duckdb()}[])"
    return Compiled(sql, ArrayType(t))


def _map_keys(m: Compiled) -> Compiled:
    t = _map("MAP_KEYS", m)
    return Compiled(f"map_keys({m.sql})", ArrayType(t.key))


def _map_values(m: Compiled) -> Compiled:
    t = _map("MAP_VALUES", m)
    return Compiled(f"map_values({m.sql})", ArrayType(t.value))


def _map_union(a: Compiled, b: Compiled) -> Compiled:
    ta, tb = a.type, b.type
    t = ta if isinstance(ta, MapType) else tb
    if not isinstance(t, MapType) or any(x is not None and x != t for x in (ta, tb)):
        raise signature_error("MAP_UNION", [ta, tb])
    x, y = cast_sql(a.sql, t), cast_sql(b.sql, t)
    sql = (
        f"(CASE WHEN {x} IS NULL AND {y} IS NULL THEN NULL "
        f"ELSE map_concat(coalesce({x}, MAP()), coalesce({y}, MAP())) END)"
    )
    return Compiled(f"CAST({sql} AS {t.duckdb()})", t)


def _as_map(keys: Compiled, values: Compiled) -> Compiled:
    kt, vt = keys.type, values.type
    if not isinstance(kt, ArrayType) or not isinstance(vt, ArrayType) or kt.element != STRING:
        raise signature_error("AS_MAP", [kt, vt])
    zipped = f"list_zip({keys.sql}, {values.sql})"
    entries = f"list_filter({zipped}, lambda e: e[1] IS NOT NULL)"
    sql = f"map_from_entries(list_transform({entries}, lambda e: {{'key': e[1], 'value': e[2]}}))"
    return Compiled(sql, MapType(STRING, vt.element))


def _entries(m: Compiled, sorted_: Compiled) -> Compiled:
    t = _map("ENTRIES", m, sorted_)
    struct = StructType((StructField("K", t.key), StructField("V", t.value)))
    pairs = f"list_transform(map_entries({m.sql}), lambda e: {{'K': e.key, 'V': e.value}})"
    ordered = f"list_sort({pairs})"
    sql = f"(CASE WHEN {sorted_.sql} THEN {ordered} ELSE {pairs} END)"
    return Compiled(cast_sql(sql, ArrayType(struct)), ArrayType(struct))


def _elt(n: Compiled, *args: Compiled) -> Compiled:
    if n.type != INTEGER or any(a.type not in (STRING, None) for a in args):
        raise signature_error("ELT", [n.type] + [a.type for a in args])
    items = ", ".join(cast_sql(a.sql, STRING) for a in args)
    return Compiled(f"list_extract([{items}]::VARCHAR[], CASE WHEN {n.sql} >= 1 THEN {n.sql} END)", STRING)


def _field(s: Compiled, *args: Compiled) -> Compiled:
    if any(a.type not in (STRING, None) for a in (s, *args)):
        raise signature_error("FIELD", [a.type for a in (s, *args)])
    items = ", ".join(cast_sql(a.sql, STRING) for a in args)
    sql = f"(CASE WHEN {s.sql} IS NULL THEN 0 ELSE CAST(coalesce(list_position([{items}]::VARCHAR[], {s.sql}), 0) AS INTEGER) END)"
    return Compiled(sql, INTEGER)


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("ARRAY_LENGTH", _array_length, "Length of an array", "ARRAY", (1, 1)))
    add(ScalarFunction("ARRAY_CONTAINS", _array_contains, "Whether an array holds a value", "ARRAY", (2, 2)))
    add(ScalarFunction("ARRAY_MAX", _array_extreme("ARRAY_MAX", "list_max"), "Largest element", "ARRAY", (1, 1)))
    add(ScalarFunction("ARRAY_MIN", _array_extreme("ARRAY_MIN", "list_min"), "Smallest element", "ARRAY", (1, 1)))
    add(ScalarFunction("ARRAY_DISTINCT", _array_distinct, "Distinct elements in order", "ARRAY", (1, 1)))
    add(ScalarFunction("ARRAY_SORT", _array_sort, "Sorted elements, nulls last", "ARRAY", (1, 2)))
    add(ScalarFunction("ARRAY_CONCAT", _array_concat, "Concatenation of two arrays", "ARRAY", (2, 2)))
    add(ScalarFunction("ARRAY_EXCEPT", _array_except, "Distinct elements not in the second array", "ARRAY", (2, 2)))
    add(ScalarFunction("ARRAY_INTERSECT", _array_intersect, "Distinct elements in both arrays", "ARRAY", (2, 2)))
    add(ScalarFunction("ARRAY_UNION", _array_union, "Distinct elements of either array", "ARRAY", (2, 2)))
    add(ScalarFunction("ARRAY_REMOVE", _array_remove, "Array without the given value", "ARRAY", (2, 2)))
    add(ScalarFunction("ARRAY_JOIN", _array_join, "Elements joined into a string", "ARRAY", (1, 2)))
    add(ScalarFunction("SLICE", _slice, "Sub-array from start to end (1-based, inclusive)", "ARRAY", (3, 3)))
    add(ScalarFunction("GENERATE_SERIES", _generate_series, "Array of values from start to end", "ARRAY", (2, 3)))
    add(ScalarFunction("MAP_KEYS", _map_keys, "Keys of a map", "MAP", (1, 1)))
    add(ScalarFunction("MAP_VALUES", _map_values, "Values of a map", "MAP", (1, 1)))
    add(ScalarFunction("MAP_UNION", _map_union, "Merge of two maps, the second winning", "MAP", (2, 2)))
    add(ScalarFunction("AS_MAP", _as_map, "Map from an array of keys and an array of values", "MAP", (2, 2)))
    add(ScalarFunction("ENTRIES", _entries, "Array of K/V structs of a map", "MAP", (2, 2)))
    add(ScalarFunction("ELT", _elt, "The n-th of the string arguments", "STRING", (1, None)))
    add(ScalarFunction("FIELD", _field, "Position of a string among the arguments", "STRING", (1, None)))
