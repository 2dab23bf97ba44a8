"""HAVING over an aggregation's changelog, with ksqlDB's table-filter semantics.

A row that passes HAVING is emitted; a row that fails deletes its key (a tombstone) only if
the key's previous row passed, as Kafka Streams' KTable filter does. Whether each key's last
row passed is kept in a state store so restarts keep the rule.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.runtime.aggregate_columns import TOMBSTONE
from ksql.runtime.operator import Operator, StateStoreSpec
from ksql.storage.state import StateStore, table_name
from ksql.types import quote_identifier as q

PASS = "__PASS"
PREVIOUS = "__PREVIOUS_PASS"
STORED = "__PASSED"


class HavingFilter(Operator):
    """HAVING over the aggregation operator's output rows, keyed by group (and window)."""

    def __init__(self, store: StateStore, keys: list[tuple[str, pa.DataType]], having_sql: str):
        self.store = store
        self.key_names = [name for name, _ in keys]
        self.having_sql = having_sql
        fields = [pa.field(n, t) for n, t in keys] + [pa.field(STORED, pa.bool_())]
        store.ensure(pa.schema(fields), self.key_names)

    @staticmethod
    def declared_stores(name: str, key_names: list[str]) -> tuple[StateStoreSpec, ...]:
        """Whether each key's last row passed, in the StateStore `name`."""
        return (StateStoreSpec(table_name(name), "Having", tuple(key_names), changelog=True),)

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        return self.declared_stores(self.store.name, self.key_names)

    def process(self, aggregated: pa.Table) -> pa.Table:
        """Rows to emit, with PASS (false: write a tombstone) added."""
        con = self.store.con
        n = aggregated.num_rows
        rows = aggregated.append_column("__SEQ", pa.array(np.arange(n, dtype=np.int64)))
        stored = self.store.get(rows.select(self.key_names))
        keys = ", ".join(q(k) for k in self.key_names)
        match = " AND ".join(f"x.{q(k)} IS NOT DISTINCT FROM s.{q(k)}" for k in self.key_names)
        con.register("__having_rows", rows)
        con.register("__having_stored", stored)
        try:
            marked = con.sql(
                f"""
                WITH p AS (
                    SELECT *, coalesce({self.having_sql}, false) AND NOT {q(TOMBSTONE)} AS {PASS}
                    FROM __having_rows
                ), x AS (
                    SELECT *, lag({PASS}) OVER w AS __lag, row_number() OVER w AS __rn
                    FROM p WINDOW w AS (PARTITION BY {keys} ORDER BY __SEQ)
                )
                SELECT x.* EXCLUDE (__lag, __rn),
                    CASE WHEN __rn = 1 THEN coalesce(s.{STORED}, false) ELSE __lag END AS {PREVIOUS}
                FROM x LEFT JOIN __having_stored s ON {match}
                ORDER BY __SEQ
                """
            ).to_arrow_table()
        finally:
            con.unregister("__having_rows")
            con.unregister("__having_stored")
        self._remember(marked)
        emit = pc.or_(
            pc.or_(marked.column(TOMBSTONE), marked.column(PASS)), marked.column(PREVIOUS)
        )
        return marked.filter(emit).drop_columns(["__SEQ", PREVIOUS])

    def _remember(self, marked: pa.Table) -> None:
        con = self.store.con
        con.register("__having_marked", marked)
        last = con.sql(
            f"""SELECT {', '.join(q(k) for k in self.key_names)}, {PASS} AS {STORED} FROM (
                SELECT *, row_number() OVER (PARTITION BY {', '.join(q(k) for k in self.key_names)}
                                             ORDER BY __SEQ DESC) AS __rn FROM __having_marked)
                WHERE __rn = 1"""
        ).to_arrow_table()
        con.unregister("__having_marked")
        self.store.upsert(last)
