"""Date-time functions whose Java pattern is an expression (a column) rather than a literal.

DuckDB's strftime/strptime need a constant format, so such a call runs as a built-in Arrow
function: per batch, the rows are grouped by distinct pattern and each group is evaluated by
DuckDB with that pattern as a literal, through the very SQL the literal form compiles to (so
both forms agree). Patterns rarely vary much, so this stays vectorized in practice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.compiler.sql import Compiled, sql_string
from ksql.functions.python_udf import attach, internal_call
from ksql.functions.registry import signature_error
from ksql.types import STRING, SqlType

Hook = Callable[..., Compiled]


def _is_literal(c: Compiled) -> bool:
    sql = c.sql
    return c.type is None or (len(sql) >= 2 and sql[0] == "'" and sql[-1] == "'")


def _evaluator(hook: Hook, index: int, types: list[SqlType | None], out: SqlType):  # type: ignore[no-untyped-def]
    # Its own connection, given the built-in Python functions the hook's SQL may call now:
    # creating functions from inside a DuckDB callback is not safe. One query at a time.
    con = duckdb.connect()
    attach(con)
    lock = threading.Lock()

    def evaluate(*arrays: pa.Array) -> pa.Array:
        with lock:
            return _evaluate(con, arrays)

    def _evaluate(con, arrays) -> pa.Array:  # type: ignore[no-untyped-def]
        n = len(arrays[0])
        patterns = arrays[index]
        positions, values = [], []
        for p in pc.unique(patterns).drop_null().to_pylist():
            rows = pc.indices_nonzero(pc.fill_null(pc.equal(patterns, p), False))
            table = pa.table({f"a{i}": pc.take(a, rows) for i, a in enumerate(arrays)})
            args = [
                Compiled(sql_string(p), STRING) if i == index else Compiled(f'"a{i}"', t)
                for i, t in enumerate(types)
            ]
            try:
                sql = hook(*args).sql
                con.register("__pattern_rows", table)
                try:
                    result = con.sql(
                        f"SELECT CAST({sql} AS {out.duckdb()}) AS r FROM __pattern_rows"
                    )
                    column = result.to_arrow_table().column(0).combine_chunks()
                finally:
                    con.unregister("__pattern_rows")
            except Exception:  # noqa: BLE001 - an invalid pattern gives NULL for its rows
                column = pa.nulls(len(rows), out.arrow())
            positions.append(rows.to_numpy())
            values.append(column.cast(out.arrow()))
        if not values:
            return pa.nulls(n, out.arrow())
        inverse = np.full(n, -1, dtype=np.int64)
        inverse[np.concatenate(positions)] = np.arange(sum(len(v) for v in values))
        take = pa.array(inverse, mask=inverse < 0)
        return pc.take(pa.concat_arrays(values), take)

    return evaluate


def pattern_argument(name: str, hook: Hook, index: int = 1) -> Hook:
    """Wrap a hook that needs a literal pattern at `index` so any STRING expression works."""

    def wrapped(*args: Compiled) -> Compiled:
        if index >= len(args) or _is_literal(args[index]):
            return hook(*args)
        if args[index].type != STRING:
            raise signature_error(name, [a.type for a in args])
        probe_args = list(args)
        # The probe also makes the functions any pattern may need (zone names for 'z').
        probe_args[index] = Compiled(sql_string("yyyy z"), STRING)
        out = hook(*probe_args).type or STRING  # also checks the other arguments' types
        fn = _evaluator(hook, index, [a.type for a in args], out)
        return internal_call((name, index), fn, args, out)

    return wrapped
