"""GROUP BY over a join: the JoinPipeline's rows aggregated as AggregationQuery does, with the
join state, the aggregation state and the input positions in one checkpoint per batch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ksql.catalog import Source
from ksql.compiler.columns import DEL, ORD, TS
from ksql.runtime.aggregation_query import META_STORE, AggregationQuery
from ksql.runtime.decode import DELETED
from ksql.runtime.join_pipeline import JoinPipeline
from ksql.runtime.operator import Operator, StateStoreSpec
from ksql.runtime.processing_log import ProcessingLog
from ksql.runtime.runner import TopicReader


class JoinAggregationQuery(AggregationQuery):
    """An aggregation whose input rows come from a join instead of a topic (the analysis'
    `join` plan; its `source` is the flat joined source)."""

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
        properties: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            query_id,
            analysis,
            log,
            processing_log,
            state_path,
            sink=sink,
            emit=emit,
            properties=properties,
        )
        assert analysis.join is not None
        self.commit_input = commit
        self.pipeline = JoinPipeline(
            query_id, analysis.join, log, processing_log, self.db, positions
        )
        self.flat_names = [c.name for c in analysis.source.columns]

    @classmethod
    def declared_stores(cls, analysis, properties: dict[str, str]) -> tuple[StateStoreSpec, ...]:
        stores = cls._aggregation_stores(analysis)
        return (*stores, META_STORE, *JoinPipeline.declared_stores(analysis.join))

    def state_stores(self) -> tuple[StateStoreSpec, ...]:
        return (*self._operator_stores(), META_STORE, *self.pipeline.state_stores())

    def _restore_positions(self) -> None:
        """The join pipeline keeps the inputs' positions (none for the flat source)."""

    def _reload(self) -> None:
        super()._reload()
        self.pipeline.reload()

    def operators(self) -> list[Operator]:
        return [*self.pipeline.operators, *self._aggregation_operators()]

    def input_readers(self) -> list[TopicReader]:
        return self.pipeline.readers

    def step(self, max_records: int = 65536) -> int:
        self._end_rebuild()
        with self._transaction():
            joined, consumed = self.pipeline.next_batch(max_records)
            if joined is None:
                return 0
            self._aggregate(self._as_rows(joined))
            self.pipeline.save_positions()
        if self.commit_input is not None and not self.rebuilding:
            for n, reader in enumerate(self.pipeline.readers):
                self.commit_input(n, dict(reader.positions))
        return consumed

    def _as_rows(self, joined: pa.Table) -> pa.Table:
        """Joined rows in the shape of a decoded batch of the flat joined source."""
        arrays = {name: joined.column(name) for name in self.flat_names}
        arrays["ROWTIME"] = joined.column(TS)
        arrays["ROWPARTITION"] = pa.array([0] * joined.num_rows, pa.int32())
        arrays["ROWOFFSET"] = joined.column(ORD)
        arrays[DELETED] = pc.fill_null(joined.column(DEL), False)
        return pa.table(arrays)
