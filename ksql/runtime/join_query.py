"""Drives a join query: joined rows from the JoinPipeline, projected and written, with state
and positions checkpointed in one DuckDB transaction per batch.

The analysis (the analyzer's JoinAnalysis) is read by attribute: besides what runner.py reads,
its join `plan` (see join_pipeline.py) and `needed_columns()`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ksql.catalog import Source
from ksql.compiler.columns import DEL, KEY_COL, ORD, TS, select_list_sql
from ksql.runtime.join_pipeline import JoinPipeline
from ksql.runtime.operator import Operator, StateStoreSpec
from ksql.runtime.processing_log import ProcessingLog
from ksql.runtime.runner import ROWTIME_OUT, TOMBSTONE_OUT, WINDOW_OUT, QueryRunner, TopicReader
from ksql.runtime.transaction import step_transaction
from ksql.storage.state import close_database, open_connection

# The keys a table join's result holds, kept when a WHERE clause can delete them.
RESULT_KEYS = StateStoreSpec("result_keys", "JoinQuery", (KEY_COL,))


class JoinQuery(QueryRunner):
    """A query over a JOIN of two or more sources."""

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
        positions: list[dict[int, int]] | None = None,
        commit: Callable[[int, dict[int, int]], None] | None = None,
    ) -> None:
        super().__init__(
            query_id,
            analysis,
            log,
            processing_log,
            sink=sink,
            emit=emit,
            positions=None,
            commit=None,
        )
        plan = analysis.plan
        self.inputs = plan.inputs
        self.commit_input = commit
        self.store_path = str(state_path)
        self.db = open_connection(self.store_path)
        self.pipeline = JoinPipeline(
            query_id, plan, log, processing_log, self.db, positions, analysis.needed_columns()
        )
        self.final_is_table = plan.steps[-1].result_is_table
        if self._keeps_result_keys(analysis):
            self.db.register("joined", self.pipeline.empty)
            try:
                self.db.execute(
                    f'CREATE TABLE IF NOT EXISTS result_keys AS SELECT "{KEY_COL}" FROM joined '
                    "LIMIT 0"
                )
            finally:
                self.db.unregister("joined")
        self.output_schema = pa.schema(
            [pa.field(c.name, c.type.arrow()) for c in analysis.columns]
            + ([pa.field(n, pa.int64()) for n in WINDOW_OUT] if self.windowed else [])
            + [pa.field(ROWTIME_OUT, pa.int64()), pa.field(TOMBSTONE_OUT, pa.bool_())]
        )
        self.project_sql = self._project_sql()

    @classmethod
    def declared_stores(cls, analysis, properties: dict[str, str]) -> tuple[StateStoreSpec, ...]:
        stores = JoinPipeline.declared_stores(analysis.plan)
        return (*stores, RESULT_KEYS) if cls._keeps_result_keys(analysis) else stores

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        stores = self.pipeline.state_stores()
        return (*stores, RESULT_KEYS) if self._keeps_result_keys(self.analysis) else stores

    @staticmethod
    def _keeps_result_keys(analysis) -> bool:  # type: ignore[no-untyped-def]
        """A table result filtered by WHERE: a row that fails it deletes its key only if the
        result held the key."""
        return bool(analysis.plan.steps[-1].result_is_table and analysis.where_sql)

    def _project_sql(self) -> str:
        a = self.analysis
        select = select_list_sql(a.columns)
        if self.windowed:
            # A windowed sink keeps the window of the (left) windowed source in its key.
            alias = self.inputs[0].alias
            select += "".join(
                f', "{alias}_{bound}" AS "{out}"'
                for bound, out in zip(("WINDOWSTART", "WINDOWEND"), WINDOW_OUT, strict=True)
            )
        if self.final_is_table and a.where_sql:
            # A table row that fails WHERE deletes the key, if the key was in the result.
            live = f'(NOT "{DEL}" AND coalesce({a.where_sql}, false))'
            return (
                f"SELECT * EXCLUDE (__live, __was) FROM (SELECT *, coalesce(lag(__live) OVER "
                f'(PARTITION BY "{KEY_COL}" ORDER BY "{ORD}"), "{KEY_COL}" IN (SELECT "{KEY_COL}" '
                f'FROM result_keys)) AS __was FROM (SELECT {select}, "{TS}" AS "{ROWTIME_OUT}", '
                f'NOT {live} AS "{TOMBSTONE_OUT}", {live} AS __live, "{KEY_COL}", "{ORD}" '
                f'FROM joined)) WHERE __live OR __was ORDER BY "{ORD}"'
            )
        tomb = f'"{DEL}"' if self.final_is_table else "false"
        where = f" WHERE {a.where_sql}" if a.where_sql and not self.final_is_table else ""
        return (
            f'SELECT {select}, "{TS}" AS "{ROWTIME_OUT}", {tomb} AS "{TOMBSTONE_OUT}", '
            f'"{KEY_COL}", "{ORD}" FROM joined{where} ORDER BY "{ORD}"'
        )

    def _remember_keys(self, out: pa.Table) -> None:
        """Which keys the table result holds now (for WHERE on a table join)."""
        self.db.register("emitted", out)
        try:
            self.db.execute(
                f'DELETE FROM result_keys WHERE "{KEY_COL}" IN (SELECT "{KEY_COL}" FROM emitted)'
            )
            self.db.execute(
                f'INSERT INTO result_keys SELECT "{KEY_COL}" FROM (SELECT *, row_number() OVER '
                f'(PARTITION BY "{KEY_COL}" ORDER BY "{ORD}" DESC) AS rn FROM emitted) '
                f'WHERE rn = 1 AND NOT "{TOMBSTONE_OUT}"'
            )
        finally:
            self.db.unregister("emitted")

    # ------------------------------------------------------------------ steps
    def input_readers(self) -> list[TopicReader]:
        return self.pipeline.readers

    def step(self, max_records: int = 65536) -> int:
        self._end_rebuild()
        with step_transaction(
            self.db, self.pipeline.readers, self.pipeline.reload, self.pipeline.operators
        ):
            joined, consumed = self.pipeline.next_batch(max_records)
            if joined is None:
                return 0
            if joined.num_rows:
                self._project(joined)
            self.pipeline.save_positions()
        if self.commit_input is not None and not self.rebuilding:
            for n, reader in enumerate(self.pipeline.readers):
                self.commit_input(n, dict(reader.positions))
        return consumed

    def _project(self, joined: pa.Table) -> None:
        """Project the joined rows, apply WHERE and write them."""
        self.db.register("joined", joined)
        try:
            out = self.db.sql(self.project_sql).to_arrow_table()
        finally:
            self.db.unregister("joined")
        if self._keeps_result_keys(self.analysis):
            self._remember_keys(out)
        out = out.select(self.output_schema.names).cast(self.output_schema)
        if not self.final_is_table:
            out = out.filter(pc.invert(out.column(TOMBSTONE_OUT)))
        self._write(out)

    def operators(self) -> list[Operator]:
        return list(self.pipeline.operators)

    def close(self) -> None:
        for op in self.operators():
            op.close()
        self.db.close()
        close_database(self.store_path)
