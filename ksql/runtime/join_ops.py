"""The four join operators, each a few DuckDB statements over one micro-batch.

Every row carries `__ORD`, its place in the merged order of all inputs. A batch holds events
of both sides interleaved; an event sees the other side as it was just before it: in-batch
events with a smaller `__ORD` (an ASOF join) and, before those, the state kept from earlier
batches (stored with `__ORD` -1 for tables). So a whole batch is joined at once, with the
result each record would have had if processed one by one, in order.

- StreamTableJoin: stream rows look up the table as of their position; table rows only update.
- TableTableJoin: an update on either side joins the other side's current row (ksqlDB's
  KTable-KTable rules for INNER, LEFT, RIGHT and FULL, including tombstones).
- StreamStreamJoin: rows match the other side's rows with a close enough timestamp; outer
  rows without a match are emitted at once (no GRACE PERIOD) or when their window closes.
- ForeignKeyJoin: left table rows join the right table row their foreign key names; a right
  update re-joins every left row that references it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ksql.analyzer.join_plan import DEL, JK, KEY_COL, ORD, TS, JoinStep
from ksql.types import quote_identifier as q

SUB_BITS = 20
DEFAULT_GRACE_MS = 24 * 3600 * 1000


def _cols(names: list[str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{q(n)}" for n in names)


def _nulls_if(condition: str, names: list[str], prefix: str, keep: tuple[str, ...] = ()) -> str:
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


class _Operator:
    def __init__(self, con, name: str, step: JoinStep, left_cols: list[str], right_cols: list[str]):
        self.con = con
        self.name = name
        self.step = step
        self.left_cols = left_cols
        self.right_cols = right_cols
        self.out_cols = left_cols + right_cols

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
            f'SELECT {key_sql} AS "{JK}", "{ORD}", "{DEL}", "{TS}", {_cols(names)} '
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


class StreamTableJoin(_Operator):
    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:
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
                f"SELECT {_cols(self.left_cols, 'l.')}, "
                f"{_nulls_if(f'NOT ({matched})', self.right_cols, 'r.')}, "
                f'l."{ORD}", l."{TS}", false AS "{DEL}", l."{JK}" AS "{KEY_COL}" '
                f"FROM ({left_events}) l ASOF LEFT JOIN ("
                f'{right_events} UNION ALL SELECT "{JK}", -1, false, "{TS}", {_cols(self.right_cols)} '
                f'FROM {state}) r ON l."{JK}" = r."{JK}" AND l."{ORD}" > r."{ORD}"{inner}'
            )
            # One row per stream record at most: its order stays unique.
            out = self.con.sql(f'{sql} ORDER BY l."{ORD}"').to_arrow_table()
            self._upsert_latest(state, right_events)
            return out
        finally:
            self._unregister()


class TableTableJoin(_Operator):
    """Primary-key table-table join; each update emits at most one change."""

    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:
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
            f'{events[side]} UNION ALL SELECT "{JK}", -1, false, "{TS}", {_cols(names)} '
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
            this: _nulls_if(deleted, this_cols, "e."),
            other: _nulls_if(f"NOT ({exists})", other_cols, "o."),
        }
        return (
            f'SELECT {select["l"]}, {select["r"]}, e."{ORD}", {ts} AS "{TS}", '
            f'{tomb} AS "{DEL}", e."{JK}" AS "{KEY_COL}" '
            f"FROM ({events[this]}) e "
            f'ASOF LEFT JOIN ({self._all(other, events)}) o ON e."{JK}" = o."{JK}" AND e."{ORD}" > o."{ORD}" '
            f'ASOF LEFT JOIN ({self._all(this, events)}) p ON e."{JK}" = p."{JK}" AND e."{ORD}" > p."{ORD}" '
            f"WHERE {emit}"
        )


class ForeignKeyJoin(_Operator):
    """Left table rows join the right table's row keyed by their foreign key."""

    def __init__(self, con, name, step, left_cols, right_cols, left_keys: list[str]):
        super().__init__(con, name, step, left_cols, right_cols)
        self.left_keys = tuple(left_keys)  # the left table's primary key columns (joined names)

    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:
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
                f'"{ORD}", "{DEL}", "{TS}", {_cols(self.left_cols)} FROM {self.name}_lb '
                f"WHERE {lk} IS NOT NULL"
            )
            re = self._events("r", s.right_key_sql, self.right_cols, table=True)
            lstate, rstate = f"{self.name}_l", f"{self.name}_r"
            self._ensure_state(lstate, le)
            self._ensure_state(rstate, re)
            lall = f'{le} UNION ALL SELECT "{JK}", __FK, -1, false, "{TS}", {_cols(self.left_cols)} FROM {lstate}'
            rall = f'{re} UNION ALL SELECT "{JK}", -1, false, "{TS}", {_cols(self.right_cols)} FROM {rstate}'
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
            f"SELECT {_nulls_if(deleted, self.left_cols, 'e.', self.left_keys)}, "
            f"{_nulls_if(f'NOT ({exists}) OR {deleted}', self.right_cols, 'r.')}, "
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
            f"SELECT {_cols(self.left_cols, 'v.')}, {_nulls_if(deleted, self.right_cols, 'e.')}, "
            f'e."{ORD}", greatest(e."{TS}", v."{TS}") AS "{TS}", {tomb} AS "{DEL}", '
            f'v."{JK}" AS "{KEY_COL}" '
            f'FROM ({re}) e JOIN ({versions}) v ON v.__FK = e."{JK}" '
            f'AND v."{ORD}" < e."{ORD}" AND (v.__next IS NULL OR v.__next > e."{ORD}") '
            f'AND NOT v."{DEL}"'
        )


class StreamStreamJoin(_Operator):
    """Windowed stream-stream join with ksqlDB's outer-join emission rules."""

    def process(self, left: pa.Table, right: pa.Table) -> pa.Table:
        s = self.step
        con = self.con
        self._register(left, right)
        try:
            le = self._events("l", s.left_key_sql, self.left_cols, table=False)
            re = self._events("r", s.right_key_sql, self.right_cols, table=False)
            ls, rs, pending = f"{self.name}_l", f"{self.name}_r", f"{self.name}_pending"
            self._ensure_state(ls, le)
            self._ensure_state(rs, re)
            con.execute(f"CREATE TABLE IF NOT EXISTS {self.name}_time (t BIGINT)")
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
                f"{_cols(self.left_cols, 'e.')}, {_cols(self.right_cols, 'o.')}, "
                f'greatest(e."{TS}", o."{TS}") AS "{TS}", o."{TS}" AS o_ts, {self._key("e.")} AS "{KEY_COL}" '
                f'FROM {le} e JOIN ({rall}) o ON e."{JK}" = o."{JK}" AND o."{ORD}" < e."{ORD}" '
                f'AND o."{TS}" BETWEEN e."{TS}" - {before} AND e."{TS}" + {after} '
                f'UNION ALL SELECT e."{ORD}", o."{ORD}", 1, '
                f"{_cols(self.left_cols, 'o.')}, {_cols(self.right_cols, 'e.')}, "
                f'greatest(e."{TS}", o."{TS}"), o."{TS}", {self._key("e.")} '
                f'FROM {re} e JOIN ({lall}) o ON e."{JK}" = o."{JK}" AND o."{ORD}" < e."{ORD}" '
                f'AND o."{TS}" BETWEEN e."{TS}" - {after} AND e."{TS}" + {before}'
            )
            con.register(f"{self.name}_pairs", con.sql(pairs).to_arrow_table())
            matches = (
                f'SELECT {_cols(self.out_cols)}, e_ord AS "{ORD}", "{TS}", false AS "{DEL}", '
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
                f'SELECT {_cols(self.out_cols)}, "{ORD}", "{TS}", false AS "{DEL}", '
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
        first_match = f"SELECT o_ord, 1 - e_side AS o_side, min(e_ord) AS m FROM {self.name}_pairs GROUP BY ALL"
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
            f'SELECT {_cols(self.out_cols)}, emit_ord AS "{ORD}", "{TS}", false AS "{DEL}", '
            f'{self._key()} AS "{KEY_COL}", 0 AS __phase, "{TS}" AS __s1, -__side AS __s2, "{ORD}" AS __s3 '
            f"FROM {self.name}_decided WHERE emit_ord >= 0 AND (m IS NULL OR m > emit_ord)"
        ).to_arrow_table()
        con.unregister(f"{self.name}_decided")
        con.register(f"{self.name}_emitted", emitted)
        return f"SELECT * FROM {self.name}_emitted"

    def _retention(self) -> int:
        """How long a side's store keeps records: the whole window plus the grace period."""
        s = self.step
        grace = DEFAULT_GRACE_MS if s.grace_ms is None else s.grace_ms
        return s.before_ms + s.after_ms + grace

    def _observed(self, side: int) -> int | None:
        rows = self.con.execute(
            f"SELECT max(t) FROM {self.name}_observed WHERE side = {side}"
        ).fetchall()
        return rows[0][0]

    def _kept(self, events: str, side: int) -> str:
        """The events a side's store keeps: a record already older than the retention by the
        store's observed time (its own newest timestamp) is not stored, though it still looks
        up the other side."""
        retention = self._retention()
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
        self.con.execute(f'DELETE FROM {store} WHERE "{TS}" <= {observed - self._retention()}')
