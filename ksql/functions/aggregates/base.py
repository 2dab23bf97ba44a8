"""Base of aggregate functions: state columns, vectorized SQL forms, and per-record Python forms.

An aggregate describes itself twice over the same state columns:

- as DuckDB SQL, for the vectorized operator: `partial_sql` gives, per state column, a window
  expression over the batch (the running partial state of the group up to and including the
  row), `merge_sql` combines a stored state (possibly NULL: no state yet) with a partial, and
  `result_sql` turns a state into the result. Aggregates whose partial does not depend on row
  order also give `group_sql`: the same partial as a plain aggregate over all of a group's rows
  (GROUP BY), used when only each group's last state is emitted (record cache, EMIT FINAL);
- as Python (`initialize` / `add` / `undo` / `merge` / `result` on a tuple of state values), for
  the per-record paths: session windows and table retractions of collection aggregates.

Both forms must agree; tests run the same inputs through both.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ksql.types import SqlType


class AggregateFunction:
    """One aggregate call: the function bound to its argument types and literal parameters.

    `arg_types` are the types of the column arguments (the operator feeds one input column per
    column argument); `params` are the literal arguments (k of TOPK, ignoreNulls, ...).
    """

    name: ClassVar[str] = ""
    supports_undo: ClassVar[bool] = False
    # True when the SQL form handles SIGN = -1 rows (sums and counts); collection aggregates
    # undo only through the Python form.
    sql_undo: ClassVar[bool] = False
    # True when the aggregate has no SQL forms (user aggregates): every batch with it runs
    # through the per-record Python path.
    python_only: ClassVar[bool] = False

    def __init__(
        self,
        arg_types: tuple[SqlType, ...],
        params: tuple[Any, ...] = (),
        properties: dict[str, str] | None = None,
    ) -> None:
        self.arg_types = tuple(arg_types)
        self.params = tuple(params)
        self.properties = dict(properties or {})

    # --- typing ---------------------------------------------------------------------------
    def result_type(self) -> SqlType:
        raise NotImplementedError

    def state_types(self) -> list[tuple[str, SqlType]]:
        """State columns as (suffix, type); the operator prefixes each suffix per aggregate."""
        raise NotImplementedError

    # --- vectorized SQL -------------------------------------------------------------------
    def partial_sql(self, args: list[str], sign: str, window: str, ordinal: str) -> list[str]:
        """Running partial state per row: window expressions using `OVER {window}`.

        `sign` is the SQL of the row's sign (+1 add, -1 undo); `ordinal` a strictly increasing
        per-operator row number (for stable tie-breaking). By default the `group_sql`
        aggregates, each over the window.
        """
        grouped = self.group_sql(args, sign)
        if grouped is None:
            raise NotImplementedError
        return [f"{e} OVER {window}" for e in grouped]

    def group_sql(self, args: list[str], sign: str) -> list[str] | None:
        """The partial state of all of a group's rows as plain aggregates (for GROUP BY), or
        None when the partial depends on row order (first/last values, lists). A row whose
        arguments are all NULL and whose sign is 0 must leave the partial unchanged."""
        return None

    def combine_sql(self, state: list[str]) -> list[str] | None:
        """Several states (e.g. of sessions a record merges) combined into one, as plain
        aggregates over the state columns (NULL states ignored); None when not expressible."""
        return None

    def merge_sql(self, stored: list[str], partial: list[str]) -> list[str]:
        raise NotImplementedError

    def result_sql(self, state: list[str]) -> str:
        raise NotImplementedError

    # --- per-record Python ----------------------------------------------------------------
    def initialize(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        raise NotImplementedError

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        raise NotImplementedError(f"{self.name} does not support undo")

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        """Combine the states of two sessions; `first` holds the earlier records."""
        raise NotImplementedError

    def result(self, state: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    # --- helpers --------------------------------------------------------------------------
    def limit_property(self, key: str, default: int = 1000) -> int:
        value = self.properties.get(key)
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default

    def __repr__(self) -> str:
        args = ", ".join(str(t) for t in self.arg_types)
        return f"{self.name}({args})"


def coalesce0(expr: str) -> str:
    return f"coalesce({expr}, 0)"


def prefer_stored(stored: str, partial: str) -> str:
    """SQL: the stored value when present, else the partial."""
    return f"CASE WHEN {stored} IS NULL THEN {partial} ELSE {stored} END"
