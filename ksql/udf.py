"""User-defined functions in Python: register scalar, aggregate and table functions for SQL.

    import pyarrow.compute as pc
    from ksql import udf

    @udf.scalar("SHOUT", params=["STRING"], returns="STRING")
    def shout(s):                                   # called per row with Python values
        return None if s is None else s.upper() + "!"

    @udf.scalar("PLUS_ONE", params=["BIGINT"], returns="BIGINT", vectorized=True)
    def plus_one(values):                           # Arrow array in, Arrow array out
        return pc.add(values, 1)

    @udf.table("RANGE_TO", params=["INTEGER"], returns="INTEGER")
    def range_to(n):                                # a list per row: one output row each
        return list(range(n))

    @udf.aggregate("SUM_LENGTHS", params=["STRING..."], returns="BIGINT")
    class SumLengths:                               # initialize / add / undo / merge / result
        def initialize(self): return 0
        def add(self, total, *values): return total + sum(len(v) for v in values if v)
        def undo(self, total, *values): return total - sum(len(v) for v in values if v)

Declared types are SQL type text; single capital letters (`T`, `U`) are type variables, `ANY`
any type, `DECIMAL` any decimal, and `TYPE...` a variadic parameter (see
ksql/functions/signatures.py). Registering the same name again with other parameter types adds
an overload. Functions are registered for the whole process; register them before creating the
queries that use them. `load_extensions(directory)` imports every `*.py` file of a directory
(each registers its functions as it is imported).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ksql.functions.aggregates import aggregate_registry
from ksql.functions.aggregates.python_udaf import AggregateOverload, aggregate_class
from ksql.functions.python_udf import Overload, PythonFunction
from ksql.functions.registry import ScalarFunction, default_registry
from ksql.functions.signatures import Signature, parse_pattern
from ksql.functions.table_functions import TABLE_FUNCTIONS

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)

_FUNCTIONS: dict[str, PythonFunction] = {}


def _check_type(text: str | Callable[..., Any]) -> None:
    if isinstance(text, str):
        parse_pattern(text.removesuffix("..."))  # raises on a malformed type


def _python_function(name: str, kind: str, description: str) -> PythonFunction:
    key = name.upper()
    found = _FUNCTIONS.get(key)
    if found is not None:
        return found
    if default_registry().lookup(key) is not None or aggregate_registry().is_aggregate(key):
        raise ValueError(f"{key} is already a function")
    found = PythonFunction(key, kind)
    _FUNCTIONS[key] = found
    default_registry().register(
        ScalarFunction(
            key,
            found.compile,
            description,
            category="USER",
            kind=kind,
            signatures=(),
            display=key.lower(),
        )
    )
    if kind == "TABLE":
        TABLE_FUNCTIONS.add(key)
    return found


def _register(
    name: str,
    kind: str,
    params: Sequence[str],
    returns: str | Callable[..., Any],
    fn: Callable[..., Any],
    vectorized: bool,
    deterministic: bool,
    description: str,
) -> None:
    for p in params:
        _check_type(p)
    _check_type(returns)
    target = _python_function(name, kind, description)
    overload = Overload(
        Signature.parse(params),
        returns,
        fn,
        vectorized,
        deterministic,
        description,
        table=kind == "TABLE",
    )
    target.add(overload)
    _refresh_signatures(target)


def _refresh_signatures(target: PythonFunction) -> None:
    current = default_registry().lookup(target.name)
    if current is not None:
        import dataclasses

        default_registry().register(dataclasses.replace(current, signatures=target.signatures))


def scalar(
    name: str,
    *,
    params: Sequence[str],
    returns: str | Callable[..., Any],
    vectorized: bool = False,
    deterministic: bool = True,
    description: str = "",
) -> Callable[[F], F]:
    """Register a scalar function: `fn(*values) -> value` per row, or with `vectorized=True`
    `fn(*arrays) -> array` over Arrow arrays. `returns` is SQL type text (it may use the type
    variables of `params`) or a function of the argument types. An exception gives NULL for the
    row. `deterministic=False` (random, clocks) stops DuckDB from folding constant calls."""

    def decorate(fn: F) -> F:
        _register(name, "SCALAR", params, returns, fn, vectorized, deterministic, description)
        return fn

    return decorate


def table(
    name: str,
    *,
    params: Sequence[str],
    returns: str | Callable[..., Any],
    vectorized: bool = False,
    description: str = "",
) -> Callable[[F], F]:
    """Register a table function: `fn(*values) -> list` per row (one output row per element;
    `returns` is the element type), or with `vectorized=True` `fn(*arrays) -> list array`.
    An exception or None gives no rows for that input row."""

    def decorate(fn: F) -> F:
        _register(name, "TABLE", params, returns, fn, vectorized, True, description)
        return fn

    return decorate


def aggregate(
    name: str,
    *,
    params: Sequence[str],
    returns: str,
    state: str | None = None,
    init_params: Sequence[str] = (),
    description: str = "",
) -> Callable[[C], C]:
    """Register an aggregate class (see ksql/functions/aggregates/python_udaf.py): column
    arguments typed by `params`, then literal arguments typed by `init_params` passed to the
    class's constructor; the aggregate value is kept as the SQL type `state` (default:
    `returns`). With an `undo` method it also aggregates TABLE sources; with `merge`, SESSION
    windows."""

    def decorate(impl: C) -> C:
        for p in (*params, *init_params, returns, *([state] if state else [])):
            _check_type(p)
        key = name.upper()
        registry = aggregate_registry()
        cls = registry.lookup(key)
        if cls is None:
            if default_registry().lookup(key) is not None:
                raise ValueError(f"{key} is already a function")
            cls = aggregate_class(key)
            registry.register(cls)
        if not hasattr(cls, "bind_call"):
            raise ValueError(f"{key} is a built-in aggregate function")
        overload = AggregateOverload(
            Signature.parse(params), tuple(init_params), returns, state, impl, description
        )
        same = [
            o
            for o in cls.overloads  # type: ignore[attr-defined]
            if (o.signature, o.init_params) == (overload.signature, overload.init_params)
        ]
        for o in same:  # registering the same parameters again replaces that signature
            cls.overloads.remove(o)  # type: ignore[attr-defined]
        cls.overloads.append(overload)  # type: ignore[attr-defined]
        return impl

    return decorate


def load_extensions(directory: str | Path) -> list[str]:
    """Import every `*.py` file in `directory` (sorted by name); returns the module names."""
    loaded = []
    for path in sorted(Path(directory).glob("*.py")):
        module_name = f"ksql_extension_{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        loaded.append(module_name)
    return loaded


def user_functions() -> list[str]:
    """Names of the registered user scalar and table functions."""
    return sorted(_FUNCTIONS)


__all__ = ["aggregate", "load_extensions", "scalar", "table", "user_functions"]
