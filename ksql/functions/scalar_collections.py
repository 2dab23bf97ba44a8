"""Array and map functions, including the lambda functions TRANSFORM, FILTER and REDUCE."""

from __future__ import annotations

from ksql import ast
from ksql.compiler.sql import Compiled, cast_sql
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import BOOLEAN, INTEGER, STRING, ArrayType, MapType


def _array(name: str, c: Compiled) -> ArrayType:
    if not isinstance(c.type, ArrayType):
        raise signature_error(name, [c.type])
    return c.type


def _array_length(a: Compiled) -> Compiled:
    _array("ARRAY_LENGTH", a)
    return Compiled(f"CAST(len({a.sql}) AS INTEGER)", INTEGER)


def _array_contains(a: Compiled, v: Compiled) -> Compiled:
    _array("ARRAY_CONTAINS", a)
    return Compiled(f"coalesce(list_contains({a.sql}, {v.sql}), false)", BOOLEAN)


def _element_fn(name: str, sql: str):
    def hook(a: Compiled) -> Compiled:
        t = _array(name, a)
        return Compiled(sql.format(a.sql), t.element)
    return hook


def _same_array(name: str, sql: str):
    def hook(*args: Compiled) -> Compiled:
        t = _array(name, args[0])
        return Compiled(sql.format(*(a.sql for a in args)), t)
    return hook


def _array_join(a: Compiled, sep: Compiled | None = None) -> Compiled:
    _array("ARRAY_JOIN", a)
    s = sep.sql if sep else "','"
    return Compiled(f"array_to_string(list_transform({a.sql}, lambda x: CAST(x AS VARCHAR)), {s})", STRING)


def _map_keys(m: Compiled) -> Compiled:
    if not isinstance(m.type, MapType):
        raise signature_error("MAP_KEYS", [m.type])
    return Compiled(f"map_keys({m.sql})", ArrayType(m.type.key))


def _map_values(m: Compiled) -> Compiled:
    if not isinstance(m.type, MapType):
        raise signature_error("MAP_VALUES", [m.type])
    return Compiled(f"map_values({m.sql})", ArrayType(m.type.value))


def _transform(compiler, call: ast.FunctionCall) -> Compiled:
    source = compiler.compile(call.args[0])
    if isinstance(source.type, ArrayType):
        fn, body = compiler.compile_lambda(call.args[1], [source.type.element])
        return Compiled(f"list_transform({source.sql}, {fn})", ArrayType(body.type or STRING))
    if isinstance(source.type, MapType) and len(call.args) == 3:
        kt, vt = source.type.key, source.type.value
        kfn, kbody = compiler.compile_lambda(call.args[1], [kt, vt])
        vfn, vbody = compiler.compile_lambda(call.args[2], [kt, vt])
        entries = f"map_entries({source.sql})"
        keys = f"list_transform({entries}, lambda e: ({kfn})(e.key, e.value))"
        values = f"list_transform({entries}, lambda e: ({vfn})(e.key, e.value))"
        return Compiled(f"map_from_entries(list_zip({keys}, {values}))",
                        MapType(kbody.type or STRING, vbody.type or STRING))
    raise signature_error("TRANSFORM", [source.type])


def _filter(compiler, call: ast.FunctionCall) -> Compiled:
    source = compiler.compile(call.args[0])
    if isinstance(source.type, ArrayType):
        fn, _ = compiler.compile_lambda(call.args[1], [source.type.element])
        return Compiled(f"list_filter({source.sql}, {fn})", source.type)
    raise signature_error("FILTER", [source.type])


def _reduce(compiler, call: ast.FunctionCall) -> Compiled:
    source = compiler.compile(call.args[0])
    initial = compiler.compile(call.args[1])
    if not isinstance(source.type, ArrayType) or initial.type is None:
        raise signature_error("REDUCE", [source.type, initial.type])
    fn, body = compiler.compile_lambda(call.args[2], [initial.type, source.type.element])
    state = cast_sql(initial.sql, initial.type)
    return Compiled(
        f"list_reduce(list_prepend({state}, list_transform({source.sql}, lambda x: x)), {fn})",
        initial.type,
    )


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("ARRAY_LENGTH", _array_length, "Array length", "ARRAY", (1, 1)))
    add(ScalarFunction("ARRAY_CONTAINS", _array_contains, "Array contains", "ARRAY", (2, 2)))
    add(ScalarFunction("ARRAY_MAX", _element_fn("ARRAY_MAX", "list_max({})"), "Max element", "ARRAY", (1, 1)))
    add(ScalarFunction("ARRAY_MIN", _element_fn("ARRAY_MIN", "list_min({})"), "Min element", "ARRAY", (1, 1)))
    add(ScalarFunction("ARRAY_DISTINCT", _same_array("ARRAY_DISTINCT", "list_distinct({})"), "Distinct", "ARRAY", (1, 1)))
    add(ScalarFunction("ARRAY_SORT", _same_array("ARRAY_SORT", "list_sort({})"), "Sort", "ARRAY", (1, 2)))
    add(ScalarFunction("ARRAY_CONCAT", _same_array("ARRAY_CONCAT", "list_concat({}, {})"), "Concat", "ARRAY", (2, 2)))
    add(ScalarFunction("SLICE", _same_array("SLICE", "list_slice({}, {}, {})"), "Slice", "ARRAY", (3, 3)))
    add(ScalarFunction("ARRAY_JOIN", _array_join, "Join elements", "ARRAY", (1, 2)))
    add(ScalarFunction("MAP_KEYS", _map_keys, "Keys of a map", "MAP", (1, 1)))
    add(ScalarFunction("MAP_VALUES", _map_values, "Values of a map", "MAP", (1, 1)))
    add(ScalarFunction("TRANSFORM", _transform, "Apply a lambda", "LAMBDA", (2, 3), lambdas=True))
    add(ScalarFunction("FILTER", _filter, "Keep elements", "LAMBDA", (2, 2), lambdas=True))
    add(ScalarFunction("REDUCE", _reduce, "Fold elements", "LAMBDA", (3, 3), lambdas=True))
