"""What the join operators share: the order column's layout, SQL fragments, the per-batch
renumbering of results, and the base class that reads one side's events and keeps the latest
row per key.

Every row carries `__ORD`, its place in the merged order of all inputs. A batch holds events
of both sides interleaved; an event sees the other side as it was just before it: in-batch
events with a smaller `__ORD` (an ASOF join) and, before those, the state kept from earlier
batches (stored with `__ORD` -1 for tables). So a whole batch is joined at once, with the
result each record would have had if processed one by one, in order.

The join operators (one per module): join_stream_table.py, join_table_table.py,
join_foreign_key.py and join_stream_stream.py. Their state tables live on the query's state
connection, named after the step (`j0_table`, `j1_l`...), and are created by their first batch
(JoinPipeline runs an empty one at start, so they exist from then on).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyarrow as pa

from ksql.compiler.columns import DEL, JK, ORD, TS
from ksql.runtime.operator import Operator, StateStoreSpec
from ksql.types import quote_identifier as q

# The low bits of `__ORD` number the rows one source event produces (see `renumber`).
SUB_BITS = 20


class JoinStepSpec(Protocol):
    """What a join operator reads of the analyzer's JoinStep (analyzer/join_plan.py)."""

    @property
    def kind(self) -> str: ...  # INNER, LEFT, RIGHT or FULL

    @property
    def left_key_sql(self) -> str: ...  # over the joined left rows

    @property
    def right_key_sql(self) -> str: ...  # over the right input's joined columns

    @property
    def before_ms(self) -> int: ...

    @property
    def after_ms(self) -> int: ...

    @property
    def grace_ms(self) -> int | None: ...  # None: no GRACE PERIOD clause

    @property
    def windowed(self) -> bool: ...  # both sides windowed: the join key holds the bounds


def cols(names: list[str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{q(n)}" for n in names)


def nulls_if(condition: str, names: list[str], prefix: str, keep: tuple[str, ...] = ()) -> str:
    """The columns, each NULL where `condition` holds (except those in `keep`)."""
    return ", ".join(
        f"{prefix}{q(n)}"
        if n in keep
        else f"CASE WHEN {condition} THEN NULL ELSE {prefix}{q(n)} END AS {q(n)}"
        for n in names
    )


def renumber(con, sql: str, order: str) -> pa.Table:
    """Rows of `sql` in order, each given a distinct __ORD within its source event."""
    out = con.sql(f"SELECT * FROM ({sql}) ORDER BY {order}").to_arrow_table()
    if out.num_rows == 0:
        return out
    seq = out.column(ORD).to_numpy() >> SUB_BITS
    index = np.arange(len(seq))
    # Position of each row within its run of equal sequence numbers, counted from 1.
    starts = np.concatenate([[True], seq[1:] != seq[:-1]])
    first = np.maximum.accumulate(np.where(starts, index, 0))
    ords = (seq << SUB_BITS) + (index - first) + 1
    return out.set_column(out.schema.get_field_index(ORD), ORD, pa.array(ords, pa.int64()))


class JoinOperator(Operator):
    """One join step: `process(left, right)` joins a batch of the rows joined so far with a
    batch of the step's new input, both in the merged order."""

    def __init__(
        self, con, name: str, step: JoinStepSpec, left_cols: list[str], right_cols: list[str]
    ) -> None:
        self.con = con
        self.name = name
        self.step = step
        self.left_cols = left_cols
        self.right_cols = right_cols
        self.out_cols = left_cols + right_cols

    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:  # type: ignore[override]
        raise NotImplementedError

    @classmethod
    def declared_stores(cls, name: str, step: JoinStepSpec) -> tuple[StateStoreSpec, ...]:
        """The stores of the step named `name` (e.g. `j0`), from its configuration alone."""
        raise NotImplementedError

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        return self.declared_stores(self.name, self.step)

    @classmethod
    def _owner(cls, name: str) -> str:
        return f"{cls.__name__}[{name}]"

    @classmethod
    def _latest_row_store(cls, table: str, name: str) -> StateStoreSpec:
        """A table side's store: its current row per join key."""
        return StateStoreSpec(table, cls._owner(name), (JK,))

    def _register(self, left: pa.Table, right: pa.Table) -> None:
        self.con.register(f"{self.name}_lb", left)
        self.con.register(f"{self.name}_rb", right)

    def _unregister(self) -> None:
        self.con.unregister(f"{self.name}_lb")
        self.con.unregister(f"{self.name}_rb")

    def _events(self, side: str, key_sql: str, names: list[str], *, table: bool) -> str:
        """The batch rows of one side with their join key; streams drop null values."""
        alive = "" if table else f' AND NOT "{DEL}"'
        return (
            f'SELECT {key_sql} AS "{JK}", "{ORD}", "{DEL}", "{TS}", {cols(names)} '
            f"FROM {self.name}_{side}b WHERE ({key_sql}) IS NOT NULL{alive}"
        )

    def _ensure_state(self, table: str, events_sql: str) -> None:
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM ({events_sql}) LIMIT 0"
        )

    def _upsert_latest(self, table: str, events_sql: str, key: str = JK) -> None:
        """Keep the last row per key of this batch's events (deleted keys are removed)."""
        self.con.execute(
            f'DELETE FROM {table} WHERE "{key}" IN (SELECT "{key}" FROM ({events_sql}))'
        )
        self.con.execute(
            f"INSERT INTO {table} SELECT * EXCLUDE (__rn) FROM (SELECT *, row_number() OVER "
            f'(PARTITION BY "{key}" ORDER BY "{ORD}" DESC) AS __rn FROM ({events_sql})) '
            f'WHERE __rn = 1 AND NOT "{DEL}"'
        )
