"""Lambda ("invocation") functions TRANSFORM, FILTER and REDUCE over arrays and maps."""

from __future__ import annotations

import dataclasses

from ksql import ast
from ksql.compiler.scope import LambdaScope, ResolvedColumn
from ksql.compiler.sql import Compiled, Compiler, cast_sql
from ksql.errors import StatementError
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import BOOLEAN, STRING, ArrayType, MapType, SqlType


def _body(compiler: Compiler, lam: ast.Expr, bindings: list[tuple[str, SqlType]]) -> Compiled:
    """Compile a lambda body with its parameters bound to the given SQL expressions."""
    if not isinstance(lam, ast.Lambda):
        raise StatementError(f"Expected a lambda expression, got {lam}")
    if len(lam.params) != len(bindings):
        raise StatementError(
            f"Was expecting {len(bindings)} arguments to lambda function, "
            f"but got {len(lam.params)}."
        )
    params = {p: ResolvedColumn(sql, t) for p, (sql, t) in zip(lam.params, bindings, strict=True)}
    return Compiler(LambdaScope(params, compiler.scope), compiler.lambda_depth + 1).compile(
        lam.body
    )


def _arithmetic(node: object) -> list[ast.BinaryOp]:
    """The arithmetic operations of a lambda body (not those of nested lambdas)."""
    found: list[ast.BinaryOp] = []
    if isinstance(node, ast.Lambda):
        return found
    if isinstance(node, ast.BinaryOp) and node.op in ("+", "-", "*", "/", "%"):
        found.append(node)
    if isinstance(node, ast.Node):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            for child in value if isinstance(value, tuple) else (value,):
                found += _arithmetic(child)
    return found


def _null_operand(
    compiler: Compiler, lam: ast.Expr, bindings: list[tuple[str, SqlType]]
) -> str | None:
    """SQL true when an arithmetic operation of the body meets a NULL operand. ksqlDB's
    generated Java fails there (unboxing a null), and the whole call is NULL."""
    if not isinstance(lam, ast.Lambda):
        return None
    tests = []
    for op in _arithmetic(lam.body):
        sides = [
            _body(compiler, ast.Lambda(lam.params, side), bindings) for side in (op.left, op.right)
        ]
        if any(c.type == STRING for c in sides):
            continue  # '+' on strings concatenates
        tests += [f"({c.sql}) IS NULL" for c in sides if c.sql != "NULL"]
    return " OR ".join(tests) or None


def _var(compiler: Compiler, i: int) -> str:
    return f"__l{compiler.lambda_depth + 1}_{i}"


def _entry_bindings(compiler: Compiler, t: MapType) -> tuple[str, list[tuple[str, SqlType]]]:
    e = _var(compiler, 0)
    return e, [(f"{e}.key", t.key), (f"{e}.value", t.value)]


def _rebuild_map(entries_sql: str, t: MapType) -> str:
    return f"CAST(map_from_entries({entries_sql}) AS {t.duckdb()})"


def _transform(compiler: Compiler, call: ast.FunctionCall) -> Compiled:
    source = compiler.compile(call.args[0])
    if isinstance(source.type, ArrayType) and len(call.args) == 2:
        x = _var(compiler, 0)
        body = _body(compiler, call.args[1], [(x, source.type.element)])
        out = ArrayType(body.type or STRING)
        sql = cast_sql(f"list_transform({source.sql}, lambda {x}: {body.sql})", out)
        failing = _null_operand(compiler, call.args[1], [(x, source.type.element)])
        if failing is not None:
            fails = f"list_bool_or(list_transform({source.sql}, lambda {x}: {failing}))"
            sql = f"(CASE WHEN coalesce({fails}, false) THEN NULL ELSE {sql} END)"
        return Compiled(sql, out)
    if isinstance(source.type, MapType) and len(call.args) == 3:
        e, bindings = _entry_bindings(compiler, source.type)
        key = _body(compiler, call.args[1], bindings)
        value = _body(compiler, call.args[2], bindings)
        out = MapType(key.type or STRING, value.type or STRING)
        entries = (
            f"list_transform(map_entries({source.sql}), "
            f"lambda {e}: {{'key': {key.sql}, 'value': {value.sql}}})"
        )
        return Compiled(_rebuild_map(entries, out), out)
    raise signature_error("TRANSFORM", [source.type])


def _filter(compiler: Compiler, call: ast.FunctionCall) -> Compiled:
    source = compiler.compile(call.args[0])
    if isinstance(source.type, ArrayType):
        x = _var(compiler, 0)
        body = _body(compiler, call.args[1], [(x, source.type.element)])
        _require_boolean(body)
        return Compiled(f"list_filter({source.sql}, lambda {x}: {body.sql})", source.type)
    if isinstance(source.type, MapType):
        e, bindings = _entry_bindings(compiler, source.type)
        body = _body(compiler, call.args[1], bindings)
        _require_boolean(body)
        entries = f"list_filter(map_entries({source.sql}), lambda {e}: {body.sql})"
        return Compiled(_rebuild_map(entries, source.type), source.type)
    raise signature_error("FILTER", [source.type])


def _require_boolean(body: Compiled) -> None:
    if body.type not in (BOOLEAN, None):
        raise StatementError(f"A FILTER lambda must return a BOOLEAN, not {body.type}")


def _reduce(compiler: Compiler, call: ast.FunctionCall) -> Compiled:
    """REDUCE(collection, initial, lambda): a NULL collection yields the initial state."""
    source = compiler.compile(call.args[0])
    initial = compiler.compile(call.args[1])
    state_type = initial.type
    if state_type is None or not isinstance(source.type, ArrayType | MapType):
        raise signature_error("REDUCE", [source.type, state_type])
    s = _var(compiler, 0)
    if isinstance(source.type, ArrayType):
        x = _var(compiler, 1)
        body = _body(compiler, call.args[2], [(s, state_type), (x, source.type.element)])
        items, params = source.sql, f"{s}, {x}"
    else:
        e = _var(compiler, 1)
        bindings = [
            (s, state_type),
            (f"{e}.key", source.type.key),
            (f"{e}.value", source.type.value),
        ]
        body = _body(compiler, call.args[2], bindings)
        items, params = f"map_entries({source.sql})", f"{s}, {e}"
    start = cast_sql(initial.sql, state_type)
    step = cast_sql(body.sql, state_type)
    sql = (
        f"(CASE WHEN {start} IS NULL THEN NULL WHEN {items} IS NULL THEN {start} "
        f"ELSE list_reduce({items}, lambda {params}: {step}, {start}) END)"
    )
    return Compiled(sql, state_type)


def register(registry) -> None:
    add = registry.register
    add(
        ScalarFunction(
            "TRANSFORM",
            _transform,
            "Apply a lambda to each element or entry",
            "LAMBDA",
            (2, 3),
            lambdas=True,
        )
    )
    add(
        ScalarFunction(
            "FILTER",
            _filter,
            "Keep the elements or entries a lambda accepts",
            "LAMBDA",
            (2, 2),
            lambdas=True,
        )
    )
    add(
        ScalarFunction(
            "REDUCE",
            _reduce,
            "Fold a collection into a state with a lambda",
            "LAMBDA",
            (3, 3),
            lambdas=True,
        )
    )
