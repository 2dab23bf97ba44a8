"""Column names that compiled SQL and the runtime agree on: the internal columns of joined
rows, and the SELECT list of a query's projection.

They live below both the analyzer, which writes SQL over these columns, and the runtime,
which builds the rows that carry them, so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ksql.types import quote_identifier

# Internal columns of joined rows (see runtime/join_query.py).
ORD = "__ORD"  # processing order: source sequence << 20 | position of the row within it
TS = "__TS"  # the joined row's timestamp
DEL = "__DEL"  # a table row that was deleted (a tombstone)
KEY_COL = "__KEY"  # the key of the joined row
JK = "__JK"  # the join key of one step


class ProjectedColumn(Protocol):
    """One column of a query's output: its name and the SQL that computes it."""

    @property
    def name(self) -> str: ...

    @property
    def sql(self) -> str: ...


def select_list_sql(columns: Iterable[ProjectedColumn]) -> str:
    """`sql AS "NAME", ...` for a query's output columns."""
    return ", ".join(f"{c.sql} AS {quote_identifier(c.name)}" for c in columns)
