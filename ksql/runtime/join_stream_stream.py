"""Windowed stream-stream join: rows match the other side's rows with a close enough
timestamp (WITHIN); outer rows without a match are emitted at once (no GRACE PERIOD) or when
their window closes, unless a later match cancels them (ksqlDB's outer-join rules)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ksql.compiler.columns import DEL, JK, KEY_COL, ORD, TS
from ksql.runtime.join_common import JoinOperator, JoinStepSpec, cols, renumber
from ksql.runtime.operator import StateStoreSpec
from ksql.runtime.windows import DEFAULT_GRACE_MS
from ksql.types import quote_identifier as q


class StreamStreamJoin(JoinOperator):
    """Windowed stream-stream join with ksqlDB's outer-join emission rules."""

    @classmethod
    def declared_stores(cls, name: str, step: JoinStepSpec) -> tuple[StateStoreSpec, ...]:
        owner = cls._owner(name)
        retention = cls._retention_ms(step)
        stores = [
            # Each side's records within the window, append-only, expired by retention.
            StateStoreSpec(f"{name}_l", owner, (), retention_ms=retention),
            StateStoreSpec(f"{name}_r", owner, (), retention_ms=retention),
            # Each side's newest timestamp, which drives its expiry.
            StateStoreSpec(
                f"{name}_observed", owner, ("side",), (("side", "INTEGER"), ("t", "BIGINT"))
            ),
        ]
        if cls._waits_for_close(step):
            stores += [
                # Outer rows without a match yet, waiting for their window to close.
                StateStoreSpec(f"{name}_pending", owner, ()),
                # Stream time over both sides: when windows close.
                StateStoreSpec(f"{name}_time", owner, (), (("t", "BIGINT"),)),
            ]
        return tuple(stores)

    @staticmethod
    def _waits_for_close(step: JoinStepSpec) -> bool:
        """Outer rows wait for their window to close when the join has a GRACE PERIOD."""
        return step.kind != "INNER" and step.grace_ms is not None

    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:  # type: ignore[override]
        s = self.step
        con = self.con
        self._register(left, right)
        try:
            le = self._events("l", s.left_key_sql, self.left_cols, table=False)
            re = self._events("r", s.right_key_sql, self.right_cols, table=False)
            ls, rs, pending = f"{self.name}_l", f"{self.name}_r", f"{self.name}_pending"
            self._ensure_state(ls, le)
            self._ensure_state(rs, re)
            con.register(f"{self.name}_le", con.sql(le).to_arrow_table())
            con.register(f"{self.name}_re", con.sql(re).to_arrow_table())
            le, re = f"{self.name}_le", f"{self.name}_re"
            # Each side's window store keeps what its retention allows (see _kept).
            con.execute(f"CREATE TABLE IF NOT EXISTS {self.name}_observed (side INTEGER, t BIGINT)")
            lkept, rkept = self._kept(le, 0), self._kept(re, 1)
            lall = f"{lkept} UNION ALL SELECT * FROM {ls}"
            rall = f"{rkept} UNION ALL SELECT * FROM {rs}"
            before, after = s.before_ms, s.after_ms
            # Matches of each event with the other side's earlier rows in its window.
            pairs = (
                f'SELECT e."{ORD}" AS e_ord, o."{ORD}" AS o_ord, 0 AS e_side, '
                f"{cols(self.left_cols, 'e.')}, {cols(self.right_cols, 'o.')}, "
                f'greatest(e."{TS}", o."{TS}") AS "{TS}", o."{TS}" AS o_ts, '
                f'{self._key("e.")} AS "{KEY_COL}" '
                f'FROM {le} e JOIN ({rall}) o ON e."{JK}" = o."{JK}" AND o."{ORD}" < e."{ORD}" '
                f'AND o."{TS}" BETWEEN e."{TS}" - {before} AND e."{TS}" + {after} '
                f'UNION ALL SELECT e."{ORD}", o."{ORD}", 1, '
                f"{cols(self.left_cols, 'o.')}, {cols(self.right_cols, 'e.')}, "
                f'greatest(e."{TS}", o."{TS}"), o."{TS}", {self._key("e.")} '
                f'FROM {re} e JOIN ({lall}) o ON e."{JK}" = o."{JK}" AND o."{ORD}" < e."{ORD}" '
                f'AND o."{TS}" BETWEEN e."{TS}" - {after} AND e."{TS}" + {before}'
            )
            con.register(f"{self.name}_pairs", con.sql(pairs).to_arrow_table())
            matches = (
                f'SELECT {cols(self.out_cols)}, e_ord AS "{ORD}", "{TS}", false AS "{DEL}", '
                f'"{KEY_COL}", 1 AS __phase, o_ts AS __s1, o_ord AS __s2, 0 AS __s3 '
                f"FROM {self.name}_pairs"
            )
            parts = [matches]
            outer = self._outer_sql(le, re, pending)
            if outer:
                parts.append(outer)
            out = renumber(con, " UNION ALL ".join(parts), f'"{ORD}", __phase, __s1, __s2, __s3')
            out = out.drop_columns(["__phase", "__s1", "__s2", "__s3"])
            con.execute(f"INSERT INTO {ls} {lkept}")
            con.execute(f"INSERT INTO {rs} {rkept}")
            self._expire(le, ls, 0)
            self._expire(re, rs, 1)
            return out
        finally:
            self._unregister()
            for t in ("le", "re", "pairs", "candidates", "emitted"):
                con.unregister(f"{self.name}_{t}")  # a name never registered is a no-op

    def _key(self, prefix: str = "") -> str:
        """The result key: the join key without the window bounds of windowed sources."""
        return f'{prefix}"{JK}".k' if self.step.windowed else f'{prefix}"{JK}"'

    def _outer_sides(self) -> tuple[bool, bool]:
        kind = self.step.kind
        return kind in ("LEFT", "FULL"), kind in ("RIGHT", "FULL")

    def _null_padded(self, side: int, prefix: str) -> str:
        """Columns of an unmatched row of `side` (0 left, 1 right) with the other side null."""
        mine = self.left_cols if side == 0 else self.right_cols
        cols = []
        for n in self.out_cols:
            cols.append(f"{prefix}{q(n)}" if n in mine else f"NULL AS {q(n)}")
        return ", ".join(cols)

    def _outer_sql(self, le: str, re: str, pending: str) -> str | None:
        left_outer, right_outer = self._outer_sides()
        if not (left_outer or right_outer):
            return None
        unmatched = []
        for side, events, flag in ((0, le, left_outer), (1, re, right_outer)):
            if flag:
                unmatched.append(
                    f'SELECT {side} AS __side, {self._null_padded(side, "e.")}, e."{ORD}", '
                    f'e."{TS}", e."{JK}" FROM {events} e WHERE NOT EXISTS (SELECT 1 FROM '
                    f'{self.name}_pairs p WHERE p.e_ord = e."{ORD}")'
                )
        unmatched_sql = " UNION ALL ".join(unmatched)
        if self.step.grace_ms is None:
            # Without a grace period, outer rows are emitted as soon as they find no match.
            return (
                f'SELECT {cols(self.out_cols)}, "{ORD}", "{TS}", false AS "{DEL}", '
                f'{self._key()} AS "{KEY_COL}", 1 AS __phase, 0 AS __s1, 0 AS __s2, 0 AS __s3 '
                f"FROM ({unmatched_sql})"
            )
        return self._closing_windows_sql(unmatched_sql, pending)

    def _closing_windows_sql(self, unmatched_sql: str, pending: str) -> str:
        """Outer rows wait for their window to close; a later match cancels them."""
        con = self.con
        s = self.step
        grace = s.grace_ms or 0
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {pending} AS SELECT * FROM ({unmatched_sql}) LIMIT 0"
        )
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.name}_time (t BIGINT)")
        candidates = con.sql(
            f"SELECT * FROM ({unmatched_sql}) UNION ALL SELECT * FROM {pending}"
        ).to_arrow_table()
        con.register(f"{self.name}_candidates", candidates)
        # Stream time as each event arrives; events at the stream time close windows.
        events = con.sql(
            f'SELECT "{ORD}", "{TS}" FROM {self.name}_le UNION ALL SELECT "{ORD}", "{TS}" '
            f'FROM {self.name}_re ORDER BY "{ORD}"'
        ).to_arrow_table()
        stored = con.execute(f"SELECT max(t) FROM {self.name}_time").fetchall()[0][0]
        start = -(2**62) if stored is None else int(stored)
        ords = events.column(ORD).to_numpy()
        times = events.column(TS).to_numpy()
        runmax = (
            np.maximum.accumulate(np.concatenate([[start], times]))[1:] if len(times) else times
        )
        previous = np.concatenate([[start], runmax[:-1]]) if len(times) else times
        closing = times >= previous
        close_ords, close_max = ords[closing], runmax[closing]
        c_ord = candidates.column(ORD).to_numpy()
        c_ts = candidates.column(TS).to_numpy()
        c_side = candidates.column("__side").to_numpy()
        lookback = np.where(c_side == 0, s.after_ms, s.before_ms)
        threshold = c_ts + lookback + grace
        # The first closing event after the row whose stream time passes its window end.
        by_time = np.searchsorted(close_max, threshold, side="right")
        by_order = np.searchsorted(close_ords, c_ord, side="right")
        at = np.maximum(by_time, by_order)
        # A row already closed when it arrives is emitted with it.
        n = len(ords)
        idx = np.minimum(np.searchsorted(ords, c_ord, side="left"), max(n - 1, 0))
        in_batch = (ords[idx] == c_ord) if n else np.zeros(len(c_ord), dtype=bool)
        on_arrival = in_batch & ((runmax[idx] if n else c_ts) > threshold)
        later = close_ords[np.minimum(at, len(close_ords) - 1)] if len(close_ords) else at * 0 - 1
        emit_ord = np.where(on_arrival, c_ord, np.where(at < len(close_ords), later, -1))
        con.register(
            f"{self.name}_emit",
            pa.table(
                {
                    "c_ord": pa.array(c_ord, pa.int64()),
                    "c_side": pa.array(c_side, pa.int32()),
                    "emit_ord": pa.array(emit_ord, pa.int64()),
                }
            ),
        )
        first_match = (
            f"SELECT o_ord, 1 - e_side AS o_side, min(e_ord) AS m FROM {self.name}_pairs "
            "GROUP BY ALL"
        )
        decided = (
            f"SELECT c.*, x.emit_ord, m.m FROM {self.name}_candidates c "
            f'JOIN {self.name}_emit x ON x.c_ord = c."{ORD}" AND x.c_side = c.__side '
            f'LEFT JOIN ({first_match}) m ON m.o_ord = c."{ORD}" AND m.o_side = c.__side'
        )
        table = con.sql(decided).to_arrow_table()
        con.unregister(f"{self.name}_emit")
        con.register(f"{self.name}_decided", table)
        con.execute(f"DELETE FROM {pending}")
        con.execute(
            f"INSERT INTO {pending} SELECT * EXCLUDE (emit_ord, m) FROM {self.name}_decided "
            f"WHERE m IS NULL AND emit_ord < 0"
        )
        if len(times):
            con.execute(f"DELETE FROM {self.name}_time")
            con.execute(f"INSERT INTO {self.name}_time VALUES ({int(runmax[-1])})")
        emitted = con.sql(
            f'SELECT {cols(self.out_cols)}, emit_ord AS "{ORD}", "{TS}", false AS "{DEL}", '
            f'{self._key()} AS "{KEY_COL}", 0 AS __phase, "{TS}" AS __s1, -__side AS __s2, '
            f'"{ORD}" AS __s3 '
            f"FROM {self.name}_decided WHERE emit_ord >= 0 AND (m IS NULL OR m > emit_ord)"
        ).to_arrow_table()
        con.unregister(f"{self.name}_decided")
        con.register(f"{self.name}_emitted", emitted)
        return f"SELECT * FROM {self.name}_emitted"

    @staticmethod
    def _retention_ms(step: JoinStepSpec) -> int:
        """How long a side's store keeps records: the whole window plus the grace period
        (ksqlDB's legacy 24 hours without a GRACE PERIOD clause)."""
        grace = DEFAULT_GRACE_MS if step.grace_ms is None else step.grace_ms
        return step.before_ms + step.after_ms + grace

    def _observed(self, side: int) -> int | None:
        rows = self.con.execute(
            f"SELECT max(t) FROM {self.name}_observed WHERE side = {side}"
        ).fetchall()
        return rows[0][0]

    def _kept(self, events: str, side: int) -> str:
        """The events a side's store keeps: a record already older than the retention by the
        store's observed time (its own newest timestamp) is not stored, though it still looks
        up the other side."""
        retention = self._retention_ms(self.step)
        observed = self._observed(side)
        start = -(2**62) if observed is None else int(observed)
        running = f'greatest({start}, max("{TS}") OVER (ORDER BY "{ORD}" ROWS UNBOUNDED PRECEDING))'
        return (
            f"SELECT * EXCLUDE (__obs) FROM (SELECT *, {running} AS __obs FROM {events}) "
            f'WHERE "{TS}" > __obs - {retention}'
        )

    def _expire(self, events: str, store: str, side: int) -> None:
        """Advance a side's observed time and drop the records that fell out of retention."""
        newest = self.con.execute(f'SELECT max("{TS}") FROM {events}').fetchall()[0][0]
        observed = self._observed(side)
        if newest is None:
            return
        observed = int(newest) if observed is None else max(int(observed), int(newest))
        self.con.execute(f"DELETE FROM {self.name}_observed WHERE side = {side}")
        self.con.execute(f"INSERT INTO {self.name}_observed VALUES ({side}, {observed})")
        self.con.execute(
            f'DELETE FROM {store} WHERE "{TS}" <= {observed - self._retention_ms(self.step)}'
        )
