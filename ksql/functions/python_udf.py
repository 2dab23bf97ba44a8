"""User scalar and table functions written in Python, run by DuckDB as Arrow UDFs.

A call compiles to a DuckDB function made for its resolved overload and concrete argument types
(`ksql_udf_<n>`); every connection that runs compiled expressions gets those functions through
`attach(con)`. DuckDB hands each function a vector of rows as Arrow arrays:
- a vectorized function gets the Arrow arrays and returns one (no Python per row); if it raises,
  it runs again row by row so that only the failing rows become NULL;
- a row function is called once per row with Python values (maps and structs as dicts).
An exception in a scalar function gives NULL for that row, as ksqlDB does. A table function
returns a list per row; each element becomes an output row (`unnest`), and an exception (or
None) gives no rows.
"""

from __future__ import annotations

import inspect
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ksql.compiler.sql import Compiled, cast_sql
from ksql.functions.pyvalues import arrow_array, as_arrow, python_values
from ksql.functions.registry import ambiguous_error, signature_error
from ksql.functions.signatures import Binding, Signature, result_type
from ksql.types import BOOLEAN, ArrayType, SqlType

ReturnType = str | Callable[[list[SqlType]], SqlType]


@dataclass(frozen=True, slots=True)
class Overload:
    """One implementation of a user function for one declared signature."""

    signature: Signature
    returns: ReturnType
    fn: Callable[..., Any]
    vectorized: bool = False
    deterministic: bool = True
    description: str = ""
    table: bool = False  # a table function: a list of output values per row

    def result(self, binding: Binding) -> SqlType:
        if callable(self.returns):
            from ksql.parser import parse_type

            t = self.returns(list(binding.types))
            return parse_type(t) if isinstance(t, str) else t
        return result_type(self.returns, binding)


@dataclass(frozen=True, slots=True)
class Instance:
    """A DuckDB function for one overload at concrete argument types."""

    sql_name: str
    call: Callable[..., pa.Array]
    params: tuple[str, ...]
    returns: str
    side_effects: bool


_LOCK = threading.Lock()
_INSTANCES: dict[tuple[Any, ...], Instance] = {}
_NAMES = itertools.count()


def attach(con) -> None:  # type: ignore[no-untyped-def]
    """Create on a DuckDB connection every user function instance it lacks."""
    with _LOCK:
        instances = list(_INSTANCES.values())
    if not instances:
        return
    present = {
        row[0]
        for row in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'ksql_udf_%'"
        ).fetchall()
    }
    for inst in instances:
        if inst.sql_name not in present:
            con.create_function(
                inst.sql_name,
                inst.call,
                list(inst.params),
                inst.returns,
                type="arrow",
                null_handling="special",
                exception_handling="return_null",
                side_effects=inst.side_effects,
            )


def _instance(overload: Overload, types: tuple[SqlType, ...], out: SqlType) -> Instance:
    key = (id(overload), types, out)
    with _LOCK:
        found = _INSTANCES.get(key)
        if found is None:
            # A function without parameters gets a hidden one: DuckDB tells the row count
            # through the argument vectors.
            params = tuple(t.duckdb() for t in types) or (BOOLEAN.duckdb(),)
            found = Instance(
                f"ksql_udf_{next(_NAMES)}",
                _arrow_call(overload, types, out),
                params,
                out.duckdb(),
                not overload.deterministic,
            )
            _INSTANCES[key] = found
        return found


def _arrow_call(overload: Overload, types: tuple[SqlType, ...], out: SqlType):  # type: ignore[no-untyped-def]
    fn, table = overload.fn, overload.table

    def rows(arrays: list[pa.Array], n: int) -> pa.Array:
        columns = [python_values(a, t) for a, t in zip(arrays, types, strict=True)]
        results = []
        for row in zip(*columns, strict=True) if columns else itertools.repeat((), n):
            try:
                value = fn(*row)
                if table and value is not None:
                    value = list(value)
            except Exception:  # noqa: BLE001 - a failing row gives NULL, as in ksqlDB
                value = None
            results.append(value)
        return _to_arrow(results, out)

    def vectorized(arrays: list[pa.Array], n: int) -> pa.Array:
        try:
            return as_arrow(fn(*arrays), out, n)
        except Exception:  # noqa: BLE001 - isolate the failing rows
            parts = []
            for i in range(n):
                try:
                    parts.append(as_arrow(fn(*[a.slice(i, 1) for a in arrays]), out, 1))
                except Exception:  # noqa: BLE001
                    parts.append(pa.nulls(1, out.arrow()))
            return pa.concat_arrays(parts) if parts else pa.nulls(0, out.arrow())

    def call(*chunked: pa.ChunkedArray) -> pa.Array:
        arrays = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in chunked]
        n = len(arrays[0])
        if not types:
            arrays = []
        return vectorized(arrays, n) if overload.vectorized else rows(arrays, n)

    # DuckDB checks the Python function's arity against the parameter list.
    arity = max(1, len(types))
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"a{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(arity)]
    )
    return call


def _to_arrow(values: list[Any], out: SqlType) -> pa.Array:
    try:
        return arrow_array(values, out)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        # One bad result must not fail the others.
        checked = []
        for v in values:
            try:
                arrow_array([v], out)
                checked.append(v)
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                checked.append(None)
        return arrow_array(checked, out)


class PythonFunction:
    """All overloads of one user function name; compiles calls for the expression compiler."""

    def __init__(self, name: str, kind: str) -> None:
        self.name = name.upper()
        self.kind = kind  # SCALAR | TABLE
        self.overloads: list[Overload] = []

    def add(self, overload: Overload) -> None:
        if overload.table != (self.kind == "TABLE"):
            raise ValueError(f"{self.name} is already registered as a {self.kind} function")
        # Registering the same parameters again (a reloaded module) replaces that signature.
        self.overloads = [o for o in self.overloads if o.signature != overload.signature]
        self.overloads.append(overload)

    @property
    def signatures(self) -> tuple[str, ...]:
        return tuple(f"{self.name}({o.signature})" for o in self.overloads)

    def choose(self, types: Sequence[SqlType | None]) -> tuple[Overload, Binding]:
        matches = []
        for overload in self.overloads:
            binding = overload.signature.bind(types)
            if binding is not None:
                matches.append((binding.cost, overload, binding))
        if not matches:
            raise signature_error(self.name, list(types))
        matches.sort(key=lambda m: m[0])
        if len(matches) > 1 and matches[0][0] == matches[1][0]:
            raise ambiguous_error(self.name, list(types))
        return matches[0][1], matches[0][2]

    def compile(self, *args: Compiled) -> Compiled:
        overload, binding = self.choose([a.type for a in args])
        result = overload.result(binding)
        out = ArrayType(result) if self.kind == "TABLE" else result
        instance = _instance(overload, binding.types, out)
        sqls = [
            a.sql if a.type == t else cast_sql(a.sql, t)
            for a, t in zip(args, binding.types, strict=True)
        ] or ["true"]
        call = f"{instance.sql_name}({', '.join(sqls)})"
        if self.kind == "TABLE":
            return Compiled(f"unnest({call})", result)
        return Compiled(call, result)


_INTERNAL: dict[tuple[Any, ...], Overload] = {}


def internal_call(
    key: Any, fn: Callable[..., pa.Array], args: Sequence[Compiled], out: SqlType
) -> Compiled:
    """A call of a built-in vectorized Python function over Arrow arrays (for functions DuckDB
    cannot express, such as a date-time pattern that varies per row). `key` identifies `fn`."""
    types = tuple(a.type or out for a in args)
    with _LOCK:
        overload = _INTERNAL.get((key, types, out))
        if overload is None:
            signature = Signature(tuple(types))
            overload = Overload(signature, str(out), fn, vectorized=True)
            _INTERNAL[(key, types, out)] = overload
    instance = _instance(overload, types, out)
    sqls = [a.sql if a.type == t else cast_sql(a.sql, t) for a, t in zip(args, types, strict=True)]
    return Compiled(f"{instance.sql_name}({', '.join(sqls) or 'true'})", out)
