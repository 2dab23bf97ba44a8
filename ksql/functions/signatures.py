"""Declared parameter types of user functions: parsing, matching call arguments, overloads.

A declared type is SQL type text (`BIGINT`, `ARRAY<STRING>`, `STRUCT<A STRING>`) where:
- a single capital letter (`T`, `U`, `K`, `V`) is a type variable: every use in one signature
  binds to the same argument type; `ANY` is a variable of its own at each use;
- `DECIMAL` without precision accepts every DECIMAL;
- a trailing `...` makes the parameter variadic (zero or more arguments of that type; at most
  one per signature, anywhere in the list, as ksqlDB allows).

Arguments match with ksqlDB's implicit numeric widening (INTEGER -> BIGINT -> DECIMAL ->
DOUBLE); among the signatures that accept a call, the one needing the least widening wins and a
non-variadic one beats a variadic one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ksql.types import (
    BIGINT,
    INTEGER,
    STRING,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    decimal_of_integral,
    numeric_rank,
)

_VARIABLE = re.compile(r"[A-Z]|ANY")


@dataclass(frozen=True, slots=True)
class Var:
    """A type variable; `ANY` variables get a unique name per use."""

    name: str


@dataclass(frozen=True, slots=True)
class AnyDecimal:
    """`DECIMAL` without precision: any DECIMAL (integers widen to one)."""


@dataclass(frozen=True, slots=True)
class ArrayOf:
    element: Pattern


@dataclass(frozen=True, slots=True)
class MapOf:
    key: Pattern
    value: Pattern


Pattern = SqlType | Var | AnyDecimal | ArrayOf | MapOf


def _split_top(text: str) -> list[str]:
    """Split on commas outside <> and ()."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def parse_pattern(text: str, anys: Iterator[int] | None = None) -> Pattern:
    """A declared type: SQL type text with type variables (see the module docstring)."""
    t = text.strip()
    upper = t.upper()
    if _VARIABLE.fullmatch(t):
        if t == "ANY":
            return Var(f"ANY#{next(anys or itertools.count())}")
        return Var(t)
    if upper == "DECIMAL":
        return AnyDecimal()
    for prefix in ("ARRAY<", "MAP<"):
        if upper.startswith(prefix) and t.endswith(">"):
            inner = _split_top(t[len(prefix) : -1])
            if prefix == "ARRAY<" and len(inner) == 1:
                return _array(parse_pattern(inner[0], anys))
            if prefix == "MAP<" and len(inner) == 2:
                return _map(parse_pattern(inner[0], anys), parse_pattern(inner[1], anys))
    from ksql.parser import parse_type

    return parse_type(t)


def _array(element: Pattern) -> Pattern:
    return ArrayType(element) if isinstance(element, SqlType) else ArrayOf(element)


def _map(key: Pattern, value: Pattern) -> Pattern:
    if isinstance(key, SqlType) and isinstance(value, SqlType):
        return MapType(key, value)
    return MapOf(key, value)


def show_pattern(p: Pattern) -> str:
    if isinstance(p, Var):
        return "ANY" if p.name.startswith("ANY#") else p.name
    if isinstance(p, AnyDecimal):
        return "DECIMAL"
    if isinstance(p, ArrayOf):
        return f"ARRAY<{show_pattern(p.element)}>"
    if isinstance(p, MapOf):
        return f"MAP<{show_pattern(p.key)}, {show_pattern(p.value)}>"
    return str(p)


# --------------------------------------------------------------------------- matching
def _widen_cost(source: SqlType, target: SqlType) -> int | None:
    """Cost of the implicit conversion source -> target (0: none needed), None: not allowed."""
    if source == target:
        return 0
    if isinstance(source, DecimalType) and isinstance(target, DecimalType):
        return 0
    rs, rt = numeric_rank(source), numeric_rank(target)
    if rs >= 0 and rt > rs:
        return rt - rs
    return None


def match(p: Pattern, arg: SqlType | None, bindings: dict[str, SqlType]) -> int | None:
    """Cost of passing `arg` to a parameter declared `p` (binding variables), None if not."""
    if arg is None:
        return 0
    if isinstance(p, Var):
        if p.name.startswith("ANY#"):
            return 0  # each ANY (and each variadic ANY...) stands alone
        bound = bindings.get(p.name)
        if bound is None:
            bindings[p.name] = arg
            return 0
        return 0 if bound == arg else None
    if isinstance(p, AnyDecimal):
        if isinstance(arg, DecimalType):
            return 0
        return 1 if arg in (INTEGER, BIGINT) else None
    if isinstance(p, ArrayOf):
        if not isinstance(arg, ArrayType):
            return None
        return 0 if match(p.element, arg.element, bindings) == 0 else None
    if isinstance(p, MapOf):
        if not isinstance(arg, MapType):
            return None
        ok = match(p.key, arg.key, bindings) == 0 and match(p.value, arg.value, bindings) == 0
        return 0 if ok else None
    return _widen_cost(arg, p)


def resolve(p: Pattern, bindings: dict[str, SqlType], arg: SqlType | None = None) -> SqlType:
    """The concrete type of a declared type once variables are bound (unbound: STRING)."""
    if isinstance(p, Var):
        if p.name.startswith("ANY#"):
            return arg or STRING
        return bindings.get(p.name, arg or STRING)
    if isinstance(p, AnyDecimal):
        if isinstance(arg, DecimalType):
            return arg
        return decimal_of_integral(arg) if arg in (INTEGER, BIGINT) else DecimalType(38, 18)
    if isinstance(p, ArrayOf):
        element = arg.element if isinstance(arg, ArrayType) else None
        return ArrayType(resolve(p.element, bindings, element))
    if isinstance(p, MapOf):
        k = arg.key if isinstance(arg, MapType) else None
        v = arg.value if isinstance(arg, MapType) else None
        return MapType(resolve(p.key, bindings, k), resolve(p.value, bindings, v))
    if isinstance(p, DecimalType) and isinstance(arg, DecimalType):
        return arg
    return p


@dataclass(frozen=True, slots=True)
class Signature:
    """Declared parameters; `variadic` is the index of the variadic one, if any."""

    params: tuple[Pattern, ...]
    variadic: int | None = None

    @staticmethod
    def parse(declared: Sequence[str]) -> Signature:
        params, variadic = [], None
        anys = itertools.count()  # each ANY of the signature is its own variable
        for i, text in enumerate(declared):
            text = text.strip()
            if text.endswith("..."):
                if variadic is not None:
                    raise ValueError("only one parameter may be variadic")
                variadic, text = i, text[:-3]
            params.append(parse_pattern(text, anys))
        return Signature(tuple(params), variadic)

    def expand(self, n: int) -> list[Pattern] | None:
        """One declared type per argument for a call with `n` arguments, None if impossible."""
        if self.variadic is None:
            return list(self.params) if n == len(self.params) else None
        fixed = len(self.params) - 1
        if n < fixed:
            return None
        v = self.variadic
        return [*self.params[:v], *[self.params[v]] * (n - fixed), *self.params[v + 1 :]]

    def bind(self, args: Sequence[SqlType | None]) -> Binding | None:
        expanded = self.expand(len(args))
        if expanded is None:
            return None
        bindings: dict[str, SqlType] = {}
        cost = 0
        for p, a in zip(expanded, args, strict=True):
            c = match(p, a, bindings)
            if c is None:
                return None
            cost += c
        types = tuple(resolve(p, bindings, a) for p, a in zip(expanded, args, strict=True))
        # A variadic signature only wins when no fixed one matches.
        return Binding(cost + (1000 if self.variadic is not None else 0), types, bindings)

    def __str__(self) -> str:
        shown = [show_pattern(p) for p in self.params]
        if self.variadic is not None:
            shown[self.variadic] += "..."
        return ", ".join(shown)


@dataclass(frozen=True, slots=True)
class Binding:
    """A call matched to a signature: its cost and the concrete type of each argument."""

    cost: int
    types: tuple[SqlType, ...]
    variables: dict[str, SqlType]


def result_type(declared: str | Pattern, binding: Binding) -> SqlType:
    p = parse_pattern(declared) if isinstance(declared, str) else declared
    return resolve(p, binding.variables)


__all__ = ["Binding", "Signature", "parse_pattern", "result_type"]
