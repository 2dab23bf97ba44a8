"""Primary-key table-table join: an update on either side joins the other side's current row,
each update emitting at most one change (ksqlDB's KTable-KTable rules for INNER, LEFT, RIGHT
and FULL, including tombstones)."""

from __future__ import annotations

import pyarrow as pa

from ksql.compiler.columns import DEL, JK, KEY_COL, ORD, TS
from ksql.runtime.join_common import JoinOperator, JoinStepSpec, cols, nulls_if, renumber
from ksql.runtime.operator import StateStoreSpec


class TableTableJoin(JoinOperator):
    @classmethod
    def declared_stores(cls, name: str, step: JoinStepSpec) -> tuple[StateStoreSpec, ...]:
        return tuple(cls._latest_row_store(f"{name}_{side}", name) for side in "lr")

    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:  # type: ignore[override]
        s = self.step
        self._register(left, right)
        try:
            events = {
                "l": self._events("l", s.left_key_sql, self.left_cols, table=True),
                "r": self._events("r", s.right_key_sql, self.right_cols, table=True),
            }
            for side in "lr":
                self._ensure_state(f"{self.name}_{side}", events[side])
            parts = [self._side_sql("l", events), self._side_sql("r", events)]
            sql = " UNION ALL ".join(f"({p})" for p in parts)
            out = renumber(self.con, sql, f'"{ORD}"')
            for side in "lr":
                self._upsert_latest(f"{self.name}_{side}", events[side])
            return out
        finally:
            self._unregister()

    def _all(self, side: str, events: dict[str, str]) -> str:
        names = self.left_cols if side == "l" else self.right_cols
        return (
            f'{events[side]} UNION ALL SELECT "{JK}", -1, false, "{TS}", {cols(names)} '
            f"FROM {self.name}_{side}"
        )

    def _side_sql(self, this: str, events: dict[str, str]) -> str:
        kind = self.step.kind
        other = "r" if this == "l" else "l"
        outer_this = (
            kind == "FULL" or (kind == "LEFT" and this == "l") or (kind == "RIGHT" and this == "r")
        )
        outer_other = (
            kind == "FULL"
            or (kind == "LEFT" and other == "l")
            or (kind == "RIGHT" and other == "r")
        )
        this_cols = self.left_cols if this == "l" else self.right_cols
        other_cols = self.right_cols if this == "l" else self.left_cols
        exists = f'o."{ORD}" IS NOT NULL AND NOT o."{DEL}"'
        prev = f'p."{ORD}" IS NOT NULL AND NOT p."{DEL}"'
        deleted = f'e."{DEL}"'
        if outer_this:
            emit = f"({exists}) OR NOT ({deleted} AND NOT ({prev}))"
        else:
            emit = exists
        tomb = f"CASE WHEN {exists} THEN {deleted} AND {not outer_other} ELSE {deleted} END"
        ts = f'CASE WHEN {exists} THEN greatest(e."{TS}", o."{TS}") ELSE e."{TS}" END'
        select = {
            this: nulls_if(deleted, this_cols, "e."),
            other: nulls_if(f"NOT ({exists})", other_cols, "o."),
        }
        return (
            f'SELECT {select["l"]}, {select["r"]}, e."{ORD}", {ts} AS "{TS}", '
            f'{tomb} AS "{DEL}", e."{JK}" AS "{KEY_COL}" '
            f"FROM ({events[this]}) e "
            f"ASOF LEFT JOIN ({self._all(other, events)}) o "
            f'ON e."{JK}" = o."{JK}" AND e."{ORD}" > o."{ORD}" '
            f"ASOF LEFT JOIN ({self._all(this, events)}) p "
            f'ON e."{JK}" = p."{JK}" AND e."{ORD}" > p."{ORD}" '
            f"WHERE {emit}"
        )
