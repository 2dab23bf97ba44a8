"""Drives a GROUP BY query: pre-project, (undo/add for tables), aggregate, project, write, commit.

The analysis (the analyzer's AggregateAnalysis) is read by attribute: besides what runner.py
reads, its group `keys` (name, type, sql), aggregate `calls` (function, arg_sqls, arg_names,
output), `window` (kind, size_ms, advance_ms, grace_ms, retention_ms), `emit_final` and
`having_sql`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pyarrow as pa

from ksql.catalog import Source
from ksql.compiler.columns import select_list_sql
from ksql.functions.python_udf import attach as attach_udfs
from ksql.runtime import windows as W
from ksql.runtime.aggregate import AggregateOperator, AggregateSpec
from ksql.runtime.aggregate_columns import TOMBSTONE, WINDOWSTART
from ksql.runtime.decode import DELETED
from ksql.runtime.having import PASS, HavingFilter
from ksql.runtime.operator import Operator, StateStoreSpec
from ksql.runtime.processing_log import ProcessingLog
from ksql.runtime.runner import ROWTIME_OUT, WINDOW_OUT, QueryRunner
from ksql.runtime.runner import TOMBSTONE_OUT as OUT_TOMBSTONE
from ksql.runtime.table_changes import LIVE, TableChanges
from ksql.runtime.transaction import step_transaction
from ksql.storage.state import META_TABLE, StateStore, close_database, open_connection
from ksql.types import quote_identifier as q

# The StateStore names of the query's stores (tables `state_<name>`).
AGGREGATE = "aggregate"
SOURCE_ROWS = "source_rows"
HAVING = "having"
OWNER = "AggregationQuery"
# The stores' metadata (stream time, counters) and the next offset per source partition.
META_STORE = StateStoreSpec(META_TABLE, "StateStore", ("store", "k"))
POSITIONS_STORE = StateStoreSpec(
    "query_positions", OWNER, ("part",), (("part", "INTEGER"), ("next", "BIGINT"))
)


def window_spec(window) -> W.WindowSpec | None:
    """The runtime's window description from the query's WINDOW clause."""
    if window is None:
        return None
    if window.kind == "TUMBLING":
        return W.WindowSpec.tumbling(window.size_ms, window.grace_ms, window.retention_ms)
    if window.kind == "HOPPING":
        return W.WindowSpec.hopping(
            window.size_ms, window.advance_ms, window.grace_ms, window.retention_ms
        )
    return W.WindowSpec.session(window.size_ms, window.grace_ms, window.retention_ms)


class AggregationQuery(QueryRunner):
    """GROUP BY over a stream or a table, optionally windowed, into a table."""

    def __init__(
        self,
        query_id: str,
        analysis,
        log,
        processing_log: ProcessingLog,
        state_path: Path,
        *,
        sink: Source | None = None,
        emit: Callable[[pa.Table], None] | None = None,
        positions: dict[int, int] | None = None,
        commit: Callable[[dict[int, int]], None] | None = None,
        properties: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            query_id, analysis, log, processing_log, sink=sink, emit=emit, positions=positions,
            commit=commit,
        )
        source = analysis.source
        self.store_path = str(state_path)
        # One connection and one transaction for all of this query's state and its source
        # positions: a checkpoint is atomic, so a crash never counts an input twice.
        self.db = open_connection(self.store_path)
        attach_udfs(self.db)  # user functions a HAVING clause calls
        self._restore_positions()
        self.pre_sql = self._pre_sql()
        specs = [AggregateSpec(c.function, c.arg_names, c.output) for c in analysis.calls]
        keys = [(k.name, k.type) for k in analysis.keys]
        self.operator = AggregateOperator(
            keys,
            specs,
            StateStore(self.store_path, AGGREGATE, self.db),
            window_spec(analysis.window),
            analysis.emit_final,
            properties,
        )
        self.changes = None
        if source.is_table:
            columns = [(k.name, k.type.arrow()) for k in analysis.keys]
            for call in analysis.calls:
                types = call.function.arg_types
                columns += [(n, t.arrow()) for n, t in zip(call.arg_names, types, strict=True)]
            self.changes = TableChanges(
                StateStore(self.store_path, SOURCE_ROWS, self.db),
                [c.name for c in source.key_columns], columns,
            )  # fmt: skip
            self.changes.ensure([c.type.arrow() for c in source.key_columns])
        self.having = None
        if analysis.having_sql:
            keys = [(k.name, k.type.arrow()) for k in analysis.keys]
            if analysis.window is not None:
                keys.append((WINDOWSTART, pa.int64()))
            store = StateStore(self.store_path, HAVING, self.db)
            self.having = HavingFilter(store, keys, analysis.having_sql)
        self.post_sql = self._post_sql()
        self.output_schema = pa.schema(
            [pa.field(c.name, c.type.arrow()) for c in analysis.columns]
            + self._window_fields()
            + [pa.field(ROWTIME_OUT, pa.int64()), pa.field(OUT_TOMBSTONE, pa.bool_())]
        )

    # ------------------------------------------------------------------ state
    @classmethod
    def declared_stores(cls, analysis, properties: dict[str, str]) -> tuple[StateStoreSpec, ...]:
        return (*cls._aggregation_stores(analysis), META_STORE, POSITIONS_STORE)

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        return (*self._operator_stores(), META_STORE, POSITIONS_STORE)

    @staticmethod
    def _aggregation_stores(analysis) -> tuple[StateStoreSpec, ...]:  # type: ignore[no-untyped-def]
        """The operators' stores of an aggregation of `analysis`."""
        window = window_spec(analysis.window)
        keys = [k.name for k in analysis.keys]
        stores = AggregateOperator.declared_stores(AGGREGATE, keys, window, analysis.emit_final)
        if analysis.source.is_table:
            pk_names = [c.name for c in analysis.source.key_columns]
            stores += TableChanges.declared_stores(SOURCE_ROWS, pk_names)
        if analysis.having_sql:
            having_keys = keys + ([WINDOWSTART] if window is not None else [])
            stores += HavingFilter.declared_stores(HAVING, having_keys)
        return stores

    def _aggregation_operators(self) -> list[Operator]:
        """Table changes (table sources), the aggregate, HAVING: in their stores' order."""
        ops: list[Operator] = [self.operator]
        if self.changes is not None:
            ops.append(self.changes)
        if self.having is not None:
            ops.append(self.having)
        return ops

    def _operator_stores(self) -> tuple[StateStoreSpec, ...]:
        return tuple(s for op in self._aggregation_operators() for s in op.state_stores())

    def operators(self) -> list[Operator]:
        return self._aggregation_operators()

    def _restore_positions(self) -> None:
        """Resume from the source positions committed with the state."""
        self.db.execute("CREATE TABLE IF NOT EXISTS query_positions (part INTEGER, next BIGINT)")
        stored = self.db.execute("SELECT part, next FROM query_positions").fetchall()
        if stored:
            self.reader.positions.update({int(p): int(o) for p, o in stored})

    def _save_positions(self) -> None:
        self.db.execute("DELETE FROM query_positions")
        self.db.executemany(
            "INSERT INTO query_positions VALUES (?, ?)", list(self.reader.positions.items())
        )

    def _transaction(self) -> AbstractContextManager[None]:
        """The step's transaction on the state file (see transaction.py)."""
        return step_transaction(self.db, self.input_readers(), self._reload, self.operators())

    def _reload(self) -> None:
        """What the runner keeps in memory, as committed in the state file."""
        if self.changes is not None:
            self.changes.reload()

    # ------------------------------------------------------------------ SQL
    def _pre_sql(self) -> str:
        a = self.analysis
        parts = [f"{k.sql} AS {q(k.name)}" for k in a.keys]
        for call in a.calls:
            args = zip(call.arg_sqls, call.arg_names, strict=True)
            parts += [f"{sql} AS {q(name)}" for sql, name in args]
        parts.append('"ROWTIME"')
        not_null_keys = " AND ".join(f"({k.sql}) IS NOT NULL" for k in a.keys) or "true"
        condition = f"({a.where_sql}) AND {not_null_keys}" if a.where_sql else not_null_keys
        if a.source.is_table:
            parts += [q(c.name) for c in a.source.key_columns]
            parts.append(f"coalesce(NOT {DELETED} AND ({condition}), false) AS {LIVE}")
            return f"SELECT {', '.join(parts)} FROM batch"
        return f"SELECT {', '.join(parts)} FROM batch WHERE NOT {DELETED} AND {condition}"

    def _window_fields(self) -> list[pa.Field]:
        return [pa.field(n, pa.int64()) for n in WINDOW_OUT] if self.windowed else []

    def _post_sql(self) -> str:
        a = self.analysis
        select = select_list_sql(a.columns)
        bounds = (
            f', "WINDOWSTART" AS "{WINDOW_OUT[0]}", "WINDOWEND" AS "{WINDOW_OUT[1]}"'
            if self.windowed
            else ""
        )
        tombstone = f'"{TOMBSTONE}"'
        if a.having_sql:
            tombstone = f'(NOT "{PASS}")'
        return (
            f'SELECT {select}{bounds}, "ROWTIME" AS "{ROWTIME_OUT}", '
            f'{tombstone} AS "{OUT_TOMBSTONE}" '
            "FROM agg"
        )

    # ------------------------------------------------------------------ steps
    def step(self, max_records: int = 65536) -> int:
        self._end_rebuild()
        with self._transaction():
            # Step 1: read.
            records = self.reader.poll(max_records)
            if records is None:
                return 0
            # Step 2: decode; bad records go to the processing log.
            self._aggregate(self._decode(records))
            # Step 5: commit state and source positions together, after the output is written.
            self._save_positions()
        self._commit_positions()
        return records.num_rows

    def _aggregate(self, decoded: pa.Table) -> None:
        """Steps 3 and 4 over decoded rows: pre-project, aggregate, project, write."""
        if not decoded.num_rows:
            return
        # Step 3: group keys and aggregate arguments; table updates undo the old row first.
        pre = self._query(self.pre_sql, "batch", decoded)
        if self.changes is not None:
            pre = self.changes.process(pre)
        # Step 4: aggregate, then project and apply HAVING.
        if pre.num_rows:
            aggregated = self.operator.process(pre)
            if self.having is not None and aggregated.num_rows:
                aggregated = self.having.process(aggregated)
            if aggregated.num_rows:
                out = self._query(self.post_sql, "agg", aggregated).cast(self.output_schema)
                self._write(out)

    def close(self) -> None:
        """Release the state file (uncommitted work is rolled back by DuckDB)."""
        for op in self.operators():
            op.close()
        self.db.close()
        close_database(self.store_path)
