"""Foreign-key table-table join: left table rows join the right table row their foreign key
names; a right update re-joins every left row that references it. Results are keyed by the
left table's primary key."""

from __future__ import annotations

import pyarrow as pa

from ksql.compiler.columns import DEL, JK, KEY_COL, ORD, TS
from ksql.runtime.join_common import JoinOperator, JoinStepSpec, cols, nulls_if, renumber
from ksql.runtime.operator import StateStoreSpec
from ksql.types import quote_identifier as q


class ForeignKeyJoin(JoinOperator):
    """Left table rows join the right table's row keyed by their foreign key."""

    def __init__(  # type: ignore[no-untyped-def]
        self, con, name, step, left_cols, right_cols, left_keys: list[str]
    ) -> None:
        super().__init__(con, name, step, left_cols, right_cols)
        self.left_keys = tuple(left_keys)  # the left table's primary key columns (joined names)

    @classmethod
    def declared_stores(cls, name: str, step: JoinStepSpec) -> tuple[StateStoreSpec, ...]:
        # The left store is keyed by the left row's primary key (and keeps its foreign key),
        # the right store by the right row's primary key: both under the `__JK` column.
        return tuple(cls._latest_row_store(f"{name}_{side}", name) for side in "lr")

    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:  # type: ignore[override]
        s = self.step
        self._register(left, right)
        if len(self.left_keys) == 1:
            lk = q(self.left_keys[0])
        else:
            lk = "struct_pack(" + ", ".join(f"{q(k)} := {q(k)}" for k in self.left_keys) + ")"
        try:
            # Left events keyed by their primary key, with the foreign key they reference.
            le = (
                f'SELECT {lk} AS "{JK}", CASE WHEN NOT "{DEL}" THEN {s.left_key_sql} END AS __FK, '
                f'"{ORD}", "{DEL}", "{TS}", {cols(self.left_cols)} FROM {self.name}_lb '
                f"WHERE {lk} IS NOT NULL"
            )
            re = self._events("r", s.right_key_sql, self.right_cols, table=True)
            lstate, rstate = f"{self.name}_l", f"{self.name}_r"
            self._ensure_state(lstate, le)
            self._ensure_state(rstate, re)
            lall = (
                f'{le} UNION ALL SELECT "{JK}", __FK, -1, false, "{TS}", '
                f"{cols(self.left_cols)} FROM {lstate}"
            )
            rall = (
                f'{re} UNION ALL SELECT "{JK}", -1, false, "{TS}", '
                f"{cols(self.right_cols)} FROM {rstate}"
            )
            sql = f"({self._left_sql(le, lall, rall)}) UNION ALL ({self._right_sql(re, lall)})"
            out = renumber(self.con, sql, f'"{ORD}", "{KEY_COL}"')
            self._upsert_latest(lstate, le)
            self._upsert_latest(rstate, re)
            return out
        finally:
            self._unregister()

    def _left_sql(self, le: str, lall: str, rall: str) -> str:
        exists = f'r."{ORD}" IS NOT NULL AND NOT r."{DEL}"'
        prev = f'p."{ORD}" IS NOT NULL AND NOT p."{DEL}"'
        if self.step.kind == "INNER":
            emit = (
                f'(e."{DEL}" AND {prev}) OR (NOT e."{DEL}" AND ({exists} OR '
                f"({prev} AND p.__FK IS DISTINCT FROM e.__FK)))"
            )
            tomb = f'e."{DEL}" OR NOT ({exists})'
        else:
            emit = f'NOT e."{DEL}" OR {prev}'
            tomb = f'e."{DEL}"'
        ts = f'CASE WHEN {exists} THEN greatest(e."{TS}", r."{TS}") ELSE e."{TS}" END'
        deleted = f'e."{DEL}"'
        return (
            f"SELECT {nulls_if(deleted, self.left_cols, 'e.', self.left_keys)}, "
            f"{nulls_if(f'NOT ({exists}) OR {deleted}', self.right_cols, 'r.')}, "
            f'e."{ORD}", {ts} AS "{TS}", {tomb} AS "{DEL}", e."{JK}" AS "{KEY_COL}" '
            f"FROM ({le}) e "
            f'ASOF LEFT JOIN ({rall}) r ON e.__FK = r."{JK}" AND e."{ORD}" > r."{ORD}" '
            f'ASOF LEFT JOIN ({lall}) p ON e."{JK}" = p."{JK}" AND e."{ORD}" > p."{ORD}" '
            f"WHERE {emit}"
        )

    def _right_sql(self, re: str, lall: str) -> str:
        # Left rows as versions valid from their position until the next update of their key.
        versions = (
            f'SELECT *, lead("{ORD}") OVER (PARTITION BY "{JK}" ORDER BY "{ORD}") AS __next '
            f"FROM ({lall})"
        )
        deleted = f'e."{DEL}"'
        tomb = deleted if self.step.kind == "INNER" else "false"
        return (
            f"SELECT {cols(self.left_cols, 'v.')}, {nulls_if(deleted, self.right_cols, 'e.')}, "
            f'e."{ORD}", greatest(e."{TS}", v."{TS}") AS "{TS}", {tomb} AS "{DEL}", '
            f'v."{JK}" AS "{KEY_COL}" '
            f'FROM ({re}) e JOIN ({versions}) v ON v.__FK = e."{JK}" '
            f'AND v."{ORD}" < e."{ORD}" AND (v.__next IS NULL OR v.__next > e."{ORD}") '
            f'AND NOT v."{DEL}"'
        )
