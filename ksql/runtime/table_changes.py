"""A table's changelog as aggregation input: each update undoes the row's old contribution.

For a TABLE source every record replaces the row with its primary key. An aggregation over it
must subtract what the old row contributed (SIGN -1, in the old row's group) before adding the
new row (SIGN +1); a tombstone, or a row that no longer passes WHERE, only subtracts. The
contribution of the current row per primary key is kept in a state store so that restarts
continue correctly.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ksql.runtime.aggregate_columns import CHANGE_ID, SIGN
from ksql.runtime.operator import Operator, StateStoreSpec
from ksql.storage.state import StateStore, table_name
from ksql.types import quote_identifier as q

LIVE = "__LIVE"
SEQ = "__SEQ"


class TableChanges(Operator):
    """Turns pre-projected table rows into undo/add rows for the aggregate operator.

    Input columns: the primary key columns `pk_names`, the contribution columns `columns`
    (group keys and aggregate arguments), ROWTIME, and LIVE (false for a tombstone or a row
    filtered out by WHERE).
    """

    def __init__(
        self, store: StateStore, pk_names: list[str], columns: list[tuple[str, pa.DataType]]
    ) -> None:
        self.store = store
        self.pk_names = pk_names
        self.columns = [name for name, _ in columns]
        self.types = dict(columns)
        self.reload()

    @staticmethod
    def declared_stores(name: str, pk_names: list[str]) -> tuple[StateStoreSpec, ...]:
        """Each primary key's current contribution, in the StateStore `name`."""
        return (StateStoreSpec(table_name(name), "TableChanges", tuple(pk_names)),)

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        return self.declared_stores(self.store.name, self.pk_names)

    def reload(self) -> None:
        """The change counter as stored (after a restart or a rolled-back batch)."""
        self.ordinal = int(self.store.get_meta("change_ordinal", 0))

    def ensure(self, pk_types: list[pa.DataType]) -> None:
        fields = [pa.field(n, t) for n, t in zip(self.pk_names, pk_types, strict=True)]
        fields += [pa.field(n, self.types[n]) for n in self.columns]
        self.store.ensure(pa.schema(fields), self.pk_names)

    def process(self, rows: pa.Table) -> pa.Table:
        n = rows.num_rows
        rows = rows.append_column(SEQ, pa.array(range(self.ordinal, self.ordinal + n), pa.int64()))
        self.ordinal += n
        stored = self.store.get(rows.select(self.pk_names))
        con = self.store.con
        con.register("__rows", rows)
        found = pa.array([True] * stored.num_rows)
        con.register("__stored", stored.append_column("__found", found))
        pk_match = " AND ".join(f"r.{q(k)} IS NOT DISTINCT FROM s.{q(k)}" for k in self.pk_names)
        partition = ", ".join(q(k) for k in self.pk_names)
        prev_cols = ", ".join(
            f"CASE WHEN __rn = 1 THEN s.{q(c)} ELSE __lag_{i} END AS {q('__P_' + c)}"
            for i, c in enumerate(self.columns)
        )
        lags = ", ".join(
            f"lag(CASE WHEN {LIVE} THEN {q(c)} END) OVER w AS __lag_{i}"
            for i, c in enumerate(self.columns)
        )
        plain = ", ".join(q(c) for c in self.columns)
        prev = ", ".join(f"{q('__P_' + c)} AS {q(c)}" for c in self.columns)
        try:
            changes = con.sql(
                f"""
                WITH w_rows AS (
                    SELECT *, row_number() OVER w AS __rn, lag({LIVE}) OVER w AS __lag_live, {lags}
                    FROM __rows WINDOW w AS (PARTITION BY {partition} ORDER BY {SEQ})
                ), joined AS (
                    SELECT r.*, {prev_cols},
                        CASE WHEN __rn = 1 THEN coalesce(s.__found, false)
                             ELSE coalesce(__lag_live, false) END AS __had
                    FROM w_rows r LEFT JOIN __stored s ON {pk_match}
                )
                SELECT * FROM (
                    SELECT {prev}, ROWTIME, CAST(-1 AS TINYINT) AS {SIGN}, {SEQ} AS {CHANGE_ID},
                        {SEQ}, 0 AS __o
                    FROM joined WHERE __had
                    UNION ALL
                    SELECT {plain}, ROWTIME, CAST(1 AS TINYINT), {SEQ}, {SEQ}, 1
                    FROM joined WHERE {LIVE}
                ) ORDER BY {SEQ}, __o
                """
            ).to_arrow_table()
            last = con.sql(
                f"""SELECT * EXCLUDE (__rn) FROM (
                    SELECT *, row_number() OVER (
                        PARTITION BY {partition} ORDER BY {SEQ} DESC) AS __rn
                    FROM __rows) WHERE __rn = 1"""
            ).to_arrow_table()
        finally:
            con.unregister("__rows")
            con.unregister("__stored")
        live = last.filter(last.column(LIVE))
        dead = last.filter(pc.invert(last.column(LIVE)))
        self.store.delete(dead.select(self.pk_names))
        self.store.upsert(live.select(self.pk_names + self.columns))
        self.store.set_meta("change_ordinal", self.ordinal)
        return changes.drop_columns([SEQ, "__o"])
