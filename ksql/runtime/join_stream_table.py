"""Stream-table join: each stream row looks up the table row current at its position; table
rows only update the table side's store (ksqlDB's KStream-KTable join, INNER or LEFT)."""

from __future__ import annotations

import pyarrow as pa

from ksql.compiler.columns import DEL, JK, KEY_COL, ORD, TS
from ksql.runtime.join_common import JoinOperator, JoinStepSpec, cols, nulls_if
from ksql.runtime.operator import StateStoreSpec


class StreamTableJoin(JoinOperator):
    @classmethod
    def declared_stores(cls, name: str, step: JoinStepSpec) -> tuple[StateStoreSpec, ...]:
        return (cls._latest_row_store(f"{name}_table", name),)

    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:  # type: ignore[override]
        s = self.step
        state = f"{self.name}_table"
        self._register(left, right)
        try:
            right_events = self._events("r", s.right_key_sql, self.right_cols, table=True)
            self._ensure_state(state, right_events)
            left_events = self._events("l", s.left_key_sql, self.left_cols, table=False)
            matched = f'r."{ORD}" IS NOT NULL AND NOT r."{DEL}"'
            inner = f" WHERE {matched}" if s.kind == "INNER" else ""
            sql = (
                f"SELECT {cols(self.left_cols, 'l.')}, "
                f"{nulls_if(f'NOT ({matched})', self.right_cols, 'r.')}, "
                f'l."{ORD}", l."{TS}", false AS "{DEL}", l."{JK}" AS "{KEY_COL}" '
                f"FROM ({left_events}) l ASOF LEFT JOIN ("
                f'{right_events} UNION ALL SELECT "{JK}", -1, false, "{TS}", '
                f"{cols(self.right_cols)} "
                f'FROM {state}) r ON l."{JK}" = r."{JK}" AND l."{ORD}" > r."{ORD}"{inner}'
            )
            # One row per stream record at most: its order stays unique.
            out = self.con.sql(f'{sql} ORDER BY l."{ORD}"').to_arrow_table()
            self._upsert_latest(state, right_events)
            return out
        finally:
            self._unregister()
