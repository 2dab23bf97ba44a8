"""Push queries over joins (EMIT CHANGES), with or without GROUP BY: rows go to the client."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ksql import ast
from ksql.analyzer.aggregate import analyze_aggregate, is_aggregation
from ksql.analyzer.join_select import analyze_join
from ksql.errors import StatementError
from ksql.results import QueryColumn, RowsResult
from ksql.runtime.join_aggregation import JoinAggregationQuery
from ksql.runtime.join_query import JoinQuery
from ksql.runtime.runner import TOMBSTONE_OUT

_ids = itertools.count()


def run_join_query(
    engine, stmt: ast.QueryStatement, text: str, session: dict[str, str]
) -> RowsResult:
    query = stmt.query
    if query.emit is None:
        raise StatementError("Pull queries don't support JOIN clauses.")
    aggregation = is_aggregation(query)
    if aggregation:
        analysis = analyze_aggregate(query, engine.catalog, session, sink_name=None)
        plan = analysis.join
    else:
        analysis = analyze_join(query, engine.catalog, session, sink_name=None, sink_kind=None)
        plan = analysis.plan
    reset = session.get("auto.offset.reset", "latest").lower()
    positions = []
    for inp in plan.inputs:
        topic = inp.source.topic
        partitions = engine.log.describe_topic(topic).partitions
        positions.append(
            {
                p: engine.log.start_offset(topic, p)
                if reset == "earliest"
                else engine.log.end_offset(topic, p)
                for p in range(partitions)
            }
        )
    buffer: deque[list] = deque()
    names = [c.name for c in analysis.columns]
    is_table = plan.is_table and not aggregation

    def emit(out: pa.Table) -> None:
        if not is_table:
            out = out.filter(pc.invert(pc.fill_null(out.column(TOMBSTONE_OUT), False)))
        for row in out.select(names).to_pylist():
            buffer.append(list(row.values()))

    query_id = f"transient_{plan.inputs[0].alias}_{next(_ids)}"
    state_dir = engine.data_dir / "state"
    state_dir.mkdir(exist_ok=True)
    state_file = state_dir / f"{query_id}.duckdb"
    runner_class = JoinAggregationQuery if aggregation else JoinQuery
    runner = runner_class(
        query_id,
        analysis,
        engine.log,
        engine.processing_log,
        state_file,
        emit=emit,
        positions=positions,
    )
    stopped = threading.Event()

    def close() -> None:
        if not stopped.is_set():
            stopped.set()
            runner.close()
            state_file.unlink(missing_ok=True)

    def rows() -> Iterator[list]:
        while not stopped.is_set():
            while buffer:
                yield buffer.popleft()
            if runner.finished:
                return
            if not runner.step():
                engine.log.wait_for_append(0.1)

    columns = tuple(QueryColumn(c.name, str(c.type)) for c in analysis.columns)
    return RowsResult(text, query_id, columns, rows(), is_pull=False, closer=close)
