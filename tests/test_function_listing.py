"""SHOW FUNCTIONS / DESCRIBE FUNCTION: every function lists declared signatures.

The declarations (ksql/functions/declared/) are checked against the implementation: every
declared variation of a scalar or table function compiles with arguments of its declared types
and gives its declared return type; every variation of an aggregate binds and gives its return
type. The DESCRIBE FUNCTION texts below are ksqlDB's, as its CLI prints them (built-in
functions have no version; ksqlDB's CLI leaves out empty lines such as Version).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ksql.compiler import compile_expression
from ksql.compiler.scope import MapScope, ResolvedColumn
from ksql.engine import Engine
from ksql.functions import aggregates
from ksql.functions.aggregates import Arg, aggregate_registry
from ksql.functions.declared import (
    DeclaredVariation,
    LambdaOf,
    Opaque,
    declarations,
    parse_declarations,
    render_type,
)
from ksql.functions.listing import describe, list_functions, rest_fields
from ksql.functions.registry import default_registry
from ksql.functions.signatures import AnyDecimal, ArrayOf, MapOf, Var
from ksql.parser import parse_expression
from ksql.types import (
    BIGINT,
    BOOLEAN,
    DOUBLE,
    INTEGER,
    STRING,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
    TypeReference,
)

# A concrete type for each type variable of the declarations.
_BINDINGS = {"T": INTEGER, "K": STRING, "V": BIGINT, "R": DOUBLE, "U": BOOLEAN, "S": BIGINT}


def _builtin_names(kind: str) -> list[str]:
    """Upper-case names of the built-in scalar (SCALAR) or table (TABLE) functions."""
    from ksql.udf import _FUNCTIONS

    registry = default_registry()
    return sorted(
        n
        for n in registry.names()
        if n not in _FUNCTIONS and (f := registry.lookup(n)) and f.kind == kind
    )


def _builtin_aggregates() -> list[str]:
    return [
        n
        for n in aggregate_registry().names()
        if not hasattr(aggregate_registry().lookup(n), "overloads")
    ]


def _concrete(p) -> SqlType:
    if isinstance(p, Var):
        return _BINDINGS.get(p.name, STRING)
    if isinstance(p, AnyDecimal):
        return DecimalType(10, 2)
    if isinstance(p, ArrayOf | ArrayType):
        return ArrayType(_concrete(p.element))
    if isinstance(p, MapOf | MapType):
        return MapType(_concrete(p.key), _concrete(p.value))
    assert isinstance(p, SqlType), p
    return p


def _conforms(actual: SqlType | None, declared) -> bool:
    if isinstance(declared, Opaque):
        return isinstance(actual, StructType) if declared.name == "STRUCT" else False
    if isinstance(declared, AnyDecimal | DecimalType):
        return isinstance(actual, DecimalType)
    if isinstance(declared, ArrayOf | ArrayType):
        return isinstance(actual, ArrayType) and _conforms(actual.element, declared.element)
    if isinstance(declared, MapOf | MapType):
        return (
            isinstance(actual, MapType)
            and _conforms(actual.key, declared.key)
            and _conforms(actual.value, declared.value)
        )
    return actual == _concrete(declared)


def _walk(p):
    yield p
    if isinstance(p, LambdaOf):
        for q in (*p.params, p.result):
            yield from _walk(q)
    elif isinstance(p, ArrayOf | ArrayType):
        yield from _walk(p.element)
    elif isinstance(p, MapOf | MapType):
        yield from _walk(p.key)
        yield from _walk(p.value)
    elif isinstance(p, StructType):
        for f in p.fields:
            yield from _walk(f.type)


# --------------------------------------------------------------------------- completeness
def test_every_function_has_declared_variations() -> None:
    listed = {f.name: f for f in list_functions()}
    names = _builtin_names("SCALAR") + _builtin_names("TABLE") + _builtin_aggregates()
    assert len(names) > 150
    for name in names:
        info = listed[name]
        assert info.variations, name
        assert info.description, name
        for v in info.variations:
            assert v.return_type not in ("", "ANY", "(varies)"), name
            assert v.description, name
            for a in v.arguments:
                assert a.name and not re.fullmatch(r"arg\d+", a.name), (name, v.signature)
                # Generic parameters use type variables (ARRAY<T>); a bare ANY only for a
                # variadic parameter whose arguments may each have a type of their own.
                assert a.type != "ANY" or a.variadic, (name, v.signature)


def test_declared_types_are_known_types() -> None:
    for name, d in declarations().items():
        for v in d.variations:
            for p in (*(q.type for q in v.params), v.returns):
                bad = [t for t in _walk(p) if isinstance(t, TypeReference)]
                assert not bad, (name, bad)


def test_declaration_language() -> None:
    [d] = parse_declarations(
        "F, G | Does things.\n"
        "  (s STRING, xs ARRAY<T>, rest T...) -> MAP<STRING, T> | One.\n"
        "  (f LAMBDA (K, V) => BOOLEAN, u INTERVALUNIT) -> DECIMAL | Two.\n"
    )
    assert d.names == ("F", "G") and d.overview == "Does things."
    one, two = d.variations
    assert [(p.name, render_type(p.type), p.variadic) for p in one.params] == [
        ("s", "VARCHAR", False),
        ("xs", "ARRAY<T>", False),
        ("rest", "T", True),
    ]
    assert render_type(one.returns) == "MAP<VARCHAR, T>" and one.description == "One."
    assert [render_type(p.type) for p in two.params] == ["LAMBDA (K, V) => BOOLEAN", "INTERVALUNIT"]
    assert render_type(two.returns) == "DECIMAL"
    with pytest.raises(ValueError):
        parse_declarations("F | x\n  (a INT) INT | no arrow\n")


# --------------------------------------------------------------------------- declared = implemented
def _argument_text(i: int, p, columns: dict[str, tuple[str, SqlType]]) -> str:
    if isinstance(p.type, Opaque):
        assert p.type.name == "INTERVALUNIT"
        return "DAYS"
    if isinstance(p.type, LambdaOf):
        names = ", ".join(f"l{i}_{j}" for j in range(len(p.type.params)))
        return f"({names}) => CAST(NULL AS {_concrete(p.type.result)})"
    t = _concrete(p.type)
    if p.name.lower().endswith("encoding"):  # encodings must be literals
        return "'utf8'"
    columns[f"C{i}"] = (f"CAST(NULL AS {t.duckdb()})", t)
    return f"C{i}"


def _scalar_cases() -> list[tuple[str, DeclaredVariation]]:
    names = _builtin_names("SCALAR") + _builtin_names("TABLE")
    return [
        pytest.param(n, v, id=f"{n}-{i}")
        for n in names
        for i, v in enumerate(declarations()[n].variations)
    ]


@pytest.mark.parametrize(("name", "variation"), _scalar_cases())
def test_declared_scalar_variations_compile(name: str, variation: DeclaredVariation) -> None:
    columns: dict[str, tuple[str, SqlType]] = {}
    args = []
    for i, p in enumerate(variation.params):
        args.append(_argument_text(i, p, columns))
        if p.variadic:  # a second argument for the variadic parameter
            args.append(_argument_text(i + 100, p, columns))
    scope = MapScope({n: ResolvedColumn(sql, t) for n, (sql, t) in columns.items()})
    compiled = compile_expression(parse_expression(f"{name}({', '.join(args)})"), scope)
    assert _conforms(compiled.type, variation.returns), (compiled.type, variation.returns)


_LITERALS = {"INTEGER": 2, "BOOLEAN": True}


def _aggregate_cases() -> list[tuple[str, DeclaredVariation]]:
    return [
        pytest.param(n, v, id=f"{n}-{i}")
        for n in _builtin_aggregates()
        for i, v in enumerate(declarations()[n].variations)
    ]


@pytest.mark.parametrize(("name", "variation"), _aggregate_cases())
def test_declared_aggregate_variations_bind(name: str, variation: DeclaredVariation) -> None:
    args = []
    for p in variation.params:
        t = _concrete(p.type)
        if p.name in ("val", "x", "y", "otherCols"):  # columns; the others are literals
            args += [Arg(t), Arg(STRING)] if p.variadic else [Arg(t)]
        else:
            args.append(Arg(t, literal=True, value=_LITERALS[t.name]))
    bound = aggregates.bind(name, args)
    assert _conforms(bound.function.result_type(), variation.returns)


# --------------------------------------------------------------------------- ksqlDB's output
_SUBSTRING = """\
Name        : SUBSTRING
Author      : Confluent
Overview    : Returns the portion of the string or bytes passed in value.
Type        : SCALAR
Jar         : internal
Variations  : 

\tVariation   : SUBSTRING(str VARCHAR, pos INT)
\tReturns     : VARCHAR
\tDescription : Returns the portion of str from pos to the end of str.

\tVariation   : SUBSTRING(str VARCHAR, pos INT, length INT)
\tReturns     : VARCHAR
\tDescription : Returns the portion of str that starts at pos and is of length length.

\tVariation   : SUBSTRING(bytes BYTES, pos INT)
\tReturns     : BYTES
\tDescription : Returns the portion of bytes from pos to the end of bytes.

\tVariation   : SUBSTRING(bytes BYTES, pos INT, length INT)
\tReturns     : BYTES
\tDescription : Returns the portion of bytes that starts at pos and is of length length."""

_EXPLODE = """\
Name        : EXPLODE
Author      : Confluent
Overview    : Explodes an array. This function outputs one value for each element of the array.
Type        : TABLE
Jar         : internal
Variations  : 

\tVariation   : EXPLODE(list ARRAY<T>)
\tReturns     : T
\tDescription : One row per element of list; none for a NULL or empty array."""

_COUNT = """\
Name        : COUNT
Author      : Confluent
Overview    : Counts records by key.
Type        : AGGREGATE
Jar         : internal
Variations  : 

\tVariation   : COUNT()
\tReturns     : BIGINT
\tDescription : Counts every record: COUNT(*).

\tVariation   : COUNT(val T)
\tReturns     : BIGINT
\tDescription : Counts the records where val is not NULL."""


def _describe(engine: Engine, name: str) -> str:
    [result] = engine.execute(f"DESCRIBE FUNCTION {name};")
    return result.message


def test_describe_function_prints_ksqldb_variations(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        assert _describe(engine, "substring") == _SUBSTRING
        assert _describe(engine, "EXPLODE") == _EXPLODE
        assert _describe(engine, "Count") == _COUNT
        rounded = _describe(engine, "ROUND")
        for line in (
            "\tVariation   : ROUND(val BIGINT)\n\tReturns     : BIGINT",
            "\tVariation   : ROUND(val DOUBLE)\n\tReturns     : BIGINT",
            "\tVariation   : ROUND(val DOUBLE, decimalPlaces INT)\n\tReturns     : DOUBLE",
            "\tVariation   : ROUND(val DECIMAL)\n\tReturns     : DECIMAL",
            "\tVariation   : ROUND(val DECIMAL, decimalPlaces INT)\n\tReturns     : DECIMAL",
        ):
            assert line in rounded
        topk = _describe(engine, "topk")
        assert "\tVariation   : TOPK(val INT, k INT)\n\tReturns     : ARRAY<INT>" in topk
        assert (
            "\tVariation   : TOPK(val T, otherCols ANY[], k INT)\n\tReturns     : ARRAY<STRUCT>"
            in topk
        )
        transform = _describe(engine, "transform")
        assert "\tVariation   : TRANSFORM(array ARRAY<T>, function LAMBDA (T) => R)\n" in transform
        assert "\tReturns     : ARRAY<R>\n\tDescription : Returns a transformed array." in transform
        assert (
            "\tVariation   : TRANSFORM(map MAP<K, V>, biFunction1 LAMBDA (K, V) => R, "
            "biFunction2 LAMBDA (K, V) => U)\n\tReturns     : MAP<R, U>"
        ) in transform
        [shown] = engine.execute("SHOW FUNCTIONS;")
        rows = {r[0]: r[1] for r in shown.rows}
        assert rows["SUBSTRING"] == "SCALAR" and rows["TOPK"] == "AGGREGATE"
        assert rows["EXPLODE"] == "TABLE" and rows["LENGTH"] == "SCALAR"


def test_describe_function_rest_entity_fields() -> None:
    fields = rest_fields(describe("substring"))
    assert fields["name"] == "SUBSTRING" and fields["type"] == "SCALAR"
    assert (
        fields["author"] == "Confluent" and fields["version"] == "" and fields["path"] == "internal"
    )
    assert fields["description"] == "Returns the portion of the string or bytes passed in value."
    first = fields["functions"][0]
    assert first == {
        "arguments": [
            {"name": "str", "type": "VARCHAR", "description": "", "isVariadic": False},
            {"name": "pos", "type": "INT", "description": "", "isVariadic": False},
        ],
        "returnType": "VARCHAR",
        "description": "Returns the portion of str from pos to the end of str.",
        "argumentTypes": ["VARCHAR", "INT"],
    }
    concat = rest_fields(describe("CONCAT_WS"))["functions"][0]
    assert [(a["type"], a["isVariadic"]) for a in concat["arguments"]] == [
        ("VARCHAR", False),
        ("VARCHAR", True),
    ]
    reduce_ = rest_fields(describe("reduce"))["functions"][0]
    assert reduce_["argumentTypes"] == ["ARRAY<T>", "S", "LAMBDA (S, T) => S"]
    assert reduce_["returnType"] == "S"
    histogram = rest_fields(describe("histogram"))
    assert histogram["type"] == "AGGREGATE"
    assert histogram["functions"][0]["returnType"] == "MAP<VARCHAR, BIGINT>"


def test_describe_function_entity_of_the_rest_server(tmp_path: Path) -> None:
    from ksql.parser import parse
    from server.entities import RenderContext, render

    text = "DESCRIBE FUNCTION transform;"
    [parsed] = parse(text)
    statement = parsed.statement
    with Engine(tmp_path) as engine:
        [result] = engine.execute(text)
        entity = render(statement, result, RenderContext(engine, "localhost:8088"))
    assert entity["@type"] == "describe_function" and entity["name"] == "TRANSFORM"
    assert entity["author"] == "Confluent" and entity["type"] == "SCALAR"
    array, map_ = entity["functions"]
    assert array["argumentTypes"] == ["ARRAY<T>", "LAMBDA (T) => R"]
    assert [a["name"] for a in array["arguments"]] == ["array", "function"]
    assert array["returnType"] == "ARRAY<R>"
    assert map_["argumentTypes"] == ["MAP<K, V>", "LAMBDA (K, V) => R", "LAMBDA (K, V) => U"]
    assert map_["returnType"] == "MAP<R, U>"
