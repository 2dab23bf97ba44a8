"""Declared signatures of the built-in functions: what DESCRIBE FUNCTION lists for them.

The data modules of this package (numbers, text, structures, dates, aggregates) each hold one
text block in a small declaration language, a function at a time:

    SUBSTRING | Returns the portion of the string or bytes passed in value.
      (str STRING, pos INTEGER) -> STRING | Returns the portion of str from pos to the end of str.
      (str STRING, pos INTEGER, length INTEGER) -> STRING | Returns ... of length length.

A function line is `NAME | overview` (`LEN, LENGTH | ...`: names sharing one declaration); every
indented line under it is a variation: its parameters `name TYPE`, its return type and what it
does. Types are written in the pattern language of ksql/functions/signatures.py (type variables
such as `T`, `ARRAY<T>`, `MAP<K, V>`, `DECIMAL` for any decimal, a trailing `...` for a variadic
parameter) plus `LAMBDA (T, U) => V` for a lambda, `INTERVALUNIT` for a unit of time keyword
(DATEADD's DAYS) and a bare `STRUCT` for a struct whose fields depend on the call. `render_type`
prints a declared type as ksqlDB prints its parameter types (VARCHAR, INT, DECIMAL, ARRAY<T>,
LAMBDA (T) => R).

The declarations only describe the functions: calls are type-checked and compiled by each
function's hook (scalar_*.py, aggregates/, table_functions.py), which follow ksqlDB's overload
resolution; tests/test_function_listing.py checks that every declared variation compiles and
gives its declared return type.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ksql.functions.signatures import (
    AnyDecimal,
    ArrayOf,
    MapOf,
    Pattern,
    Var,
    parse_pattern,
)
from ksql.types import ArrayType, DecimalType, MapType, StructType


@dataclass(frozen=True, slots=True)
class LambdaOf:
    """A lambda parameter: the types of its arguments and of its result."""

    params: tuple[Pattern, ...]
    result: Pattern


@dataclass(frozen=True, slots=True)
class Opaque:
    """A type known by name only: INTERVALUNIT (a unit of time keyword), STRUCT (any struct)."""

    name: str


_OPAQUE = ("INTERVALUNIT", "STRUCT")

DeclaredType = Pattern | LambdaOf | Opaque


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: DeclaredType
    variadic: bool = False


@dataclass(frozen=True, slots=True)
class DeclaredVariation:
    params: tuple[Param, ...]
    returns: DeclaredType
    description: str


@dataclass(frozen=True, slots=True)
class Declaration:
    names: tuple[str, ...]
    overview: str
    variations: tuple[DeclaredVariation, ...]


# ksqlDB's names of its parameter types, where they differ from the SQL type names.
_PARAM_NAMES = {"STRING": "VARCHAR", "INTEGER": "INT"}


def render_type(p: DeclaredType) -> str:
    """A declared type as ksqlDB prints a function parameter or return type."""
    if isinstance(p, LambdaOf):
        return f"LAMBDA ({', '.join(render_type(a) for a in p.params)}) => {render_type(p.result)}"
    if isinstance(p, Opaque):
        return p.name
    if isinstance(p, Var):
        return "ANY" if p.name.startswith("ANY#") else p.name
    if isinstance(p, AnyDecimal | DecimalType):
        return "DECIMAL"
    if isinstance(p, ArrayOf | ArrayType):
        return f"ARRAY<{render_type(p.element)}>"
    if isinstance(p, MapOf | MapType):
        return f"MAP<{render_type(p.key)}, {render_type(p.value)}>"
    if isinstance(p, StructType):
        return f"STRUCT<{', '.join(f'{f.name} {render_type(f.type)}' for f in p.fields)}>"
    return _PARAM_NAMES.get(p.name, str(p))


def _split(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside <> and () (the `>` of `=>` closes nothing)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<(":
            depth += 1
        elif ch in ">)" and not (ch == ">" and text[i - 1] == "="):
            depth -= 1
        elif text.startswith(sep, i) and depth == 0:
            parts.append(text[start:i].strip())
            start = i + len(sep)
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def parse_type(text: str) -> DeclaredType:
    """A declared type (see the module docstring)."""
    t = text.strip()
    if t.upper().startswith("LAMBDA"):
        args, result = _split(t[len("LAMBDA") :], "=>")
        if not (args.startswith("(") and args.endswith(")")):
            raise ValueError(f"malformed lambda type: {text}")
        return LambdaOf(tuple(parse_type(a) for a in _split(args[1:-1])), parse_type(result))
    upper = t.upper()
    if upper in _OPAQUE:
        return Opaque(upper)
    for prefix in ("ARRAY<", "MAP<"):  # collections of opaque types
        if upper.startswith(prefix) and t.endswith(">"):
            inner = [parse_type(x) for x in _split(t[len(prefix) : -1])]
            if any(isinstance(x, Opaque) for x in inner):
                return ArrayOf(*inner) if prefix == "ARRAY<" else MapOf(*inner)
    return parse_pattern(t)


def _variation(line: str) -> DeclaredVariation:
    signature, _, description = line.partition("|")
    head, arrow, returns = signature.rpartition("->")
    head = head.strip()
    if not arrow or not (head.startswith("(") and head.endswith(")")):
        raise ValueError(f"malformed variation: {line}")
    params = []
    for text in _split(head[1:-1]):
        name, _, type_text = text.partition(" ")
        variadic = type_text.endswith("...")
        params.append(Param(name, parse_type(type_text.removesuffix("...")), variadic))
    if sum(p.variadic for p in params) > 1:
        raise ValueError(f"more than one variadic parameter: {line}")
    return DeclaredVariation(tuple(params), parse_type(returns), description.strip())


def parse_declarations(text: str) -> list[Declaration]:
    """Every declaration of a text block in the declaration language."""
    found: list[Declaration] = []
    names: tuple[str, ...] = ()
    overview = ""
    variations: list[DeclaredVariation] = []

    def close() -> None:
        if names:
            found.append(Declaration(names, overview, tuple(variations)))

    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            if not names:
                raise ValueError(f"variation outside a function: {line}")
            variations.append(_variation(line.strip()))
            continue
        close()
        head, _, overview = line.partition("|")
        names = tuple(n.strip().upper() for n in head.split(","))
        overview, variations = overview.strip(), []
    close()
    return found


@functools.cache
def declarations() -> dict[str, Declaration]:
    """Every built-in function's declaration by upper-case name."""
    from ksql.functions.declared import aggregates, dates, numbers, structures, text

    table: dict[str, Declaration] = {}
    for module in (numbers, text, structures, dates, aggregates):
        for declaration in parse_declarations(module.DECLARED):
            for name in declaration.names:
                if name in table:
                    raise ValueError(f"{name} is declared twice")
                table[name] = declaration
    return table


def declared(name: str) -> Declaration | None:
    return declarations().get(name.upper())


__all__ = [
    "Declaration",
    "DeclaredVariation",
    "LambdaOf",
    "Param",
    "declarations",
    "declared",
    "parse_declarations",
    "parse_type",
    "render_type",
]
