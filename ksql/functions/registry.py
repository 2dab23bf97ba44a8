"""The scalar function registry: name -> a function that compiles a call to DuckDB SQL."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from ksql import ast
from ksql.errors import StatementError
from ksql.expr_text import format_expr
from ksql.types import SqlType

# A compile hook gets the compiler (for lambdas), the call, and its compiled arguments.
CompileHook = Callable[..., object]


@dataclass(frozen=True, slots=True)
class ScalarFunction:
    """One scalar function: how to type-check and compile a call, and how to describe it."""

    name: str
    hook: CompileHook
    description: str = ""
    category: str = ""
    arity: tuple[int, int | None] = (0, None)  # min, max (None: unbounded)
    lambdas: bool = False  # arguments include lambdas compiled by the hook itself
    kind: str = "SCALAR"
    signatures: tuple[str, ...] = field(default=())
    display: str | None = None  # the name ksqlDB prints in messages (lower-case by default)

    def compile(self, compiler, call: ast.FunctionCall):
        low, high = self.arity
        n = len(call.args)
        if self.lambdas:
            if n < low or (high is not None and n > high):
                raise StatementError(
                    f"Function '{self.message_name}' does not accept parameters "
                    f"({', '.join(format_expr(a) for a in call.args)})."
                )
            return self.hook(compiler, call)
        args = [compiler.compile(a) for a in call.args]
        if n < low or (high is not None and n > high):
            listed = _listed([a.type for a in args])
            raise StatementError(f"Function '{self.message_name}' does not accept parameters ({listed}).")
        return self.hook(*args)

    @property
    def message_name(self) -> str:
        return self.display or self.name.lower()


class FunctionRegistry:
    def __init__(self) -> None:
        self._functions: dict[str, ScalarFunction] = {}

    def register(self, function: ScalarFunction, *aliases: str) -> None:
        for name in (function.name, *aliases):
            self._functions[name.upper()] = function

    def lookup(self, name: str) -> ScalarFunction | None:
        return self._functions.get(name.upper())

    def names(self) -> list[str]:
        from ksql.functions.aggregates import aggregate_registry

        return sorted(set(self._functions) | set(aggregate_registry().names()))


def _listed(types: list[SqlType | None]) -> str:
    return ", ".join("null" if t is None else str(t) for t in types)


def signature_error(name: str, types: list[SqlType | None]) -> StatementError:
    """ksqlDB's message for arguments no signature accepts (scalar names print lower-case)."""
    return StatementError(f"Function '{name.lower()}' does not accept parameters ({_listed(types)}).")


def ambiguous_error(name: str, types: list[SqlType | None]) -> StatementError:
    return StatementError(
        f"Function '{name.lower()}' cannot be resolved due to ambiguous method parameters "
        f"({_listed(types)})."
    )


@functools.cache
def default_registry() -> FunctionRegistry:
    from ksql.functions import (
        scalar_bytes,
        scalar_collections,
        scalar_json,
        scalar_lambda,
        scalar_math,
        scalar_misc,
        scalar_string,
        scalar_time,
        table_functions,
    )

    registry = FunctionRegistry()
    modules = (
        scalar_math, scalar_string, scalar_bytes, scalar_collections, scalar_lambda, scalar_time,
        scalar_json, scalar_misc, table_functions,
    )  # fmt: skip
    for module in modules:
        module.register(registry)
    return registry
