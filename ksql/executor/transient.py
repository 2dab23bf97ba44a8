"""Transient queries: push queries (EMIT CHANGES) as row iterators, pull queries over streams."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ksql import ast
from ksql.analyzer.aggregate import analyze_aggregate, is_aggregation
from ksql.analyzer.select import analyze_select, select_list_sql
from ksql.errors import StatementError
from ksql.executor.persistent import check_supported
from ksql.results import QueryColumn, RowsResult
from ksql.runtime.aggregation_query import AggregationQuery
from ksql.runtime.runner import TOMBSTONE_OUT, StatelessQuery

_ids = itertools.count()


def run_query(engine, stmt: ast.QueryStatement, text: str, session: dict[str, str]) -> RowsResult:
    query = stmt.query
    check_supported(query)
    is_pull = query.emit is None
    aggregation = is_aggregation(query)
    if aggregation:
        if is_pull:
            raise StatementError(
                "Pull queries with GROUP BY are not supported on streams; "
                "create a table with CREATE TABLE AS SELECT and query it."
            )
        analysis = analyze_aggregate(query, engine.catalog, session, sink_name=None)
    else:
        analysis = analyze_select(query, engine.catalog, session, sink_name=None, sink_kind=None)
    source = analysis.source
    if is_pull and source.is_table:
        return _pull_from_table(engine, analysis, text)
    partitions = engine.log.describe_topic(source.topic).partitions
    reset = session.get("auto.offset.reset", "latest").lower()
    positions = {}
    ends = {}
    for p in range(partitions):
        ends[p] = engine.log.end_offset(source.topic, p)
        start = engine.log.start_offset(source.topic, p)
        positions[p] = start if (is_pull or reset == "earliest") else ends[p]
    buffer: deque[list] = deque()

    names = [c.name for c in analysis.columns]

    def emit(out: pa.Table) -> None:
        out = out.filter(pc.invert(pc.fill_null(out.column(TOMBSTONE_OUT), False)))
        for row in out.select(names).to_pylist():
            buffer.append(list(row.values()))

    query_id = f"transient_{source.name}_{next(_ids)}"
    if aggregation:
        state_dir = engine.data_dir / "state"
        state_dir.mkdir(exist_ok=True)
        state_file = state_dir / f"{query_id}.duckdb"
        runner = AggregationQuery(
            query_id, analysis, engine.log, engine.processing_log, state_file,
            emit=emit, positions=positions, properties=session,
        )
    else:
        runner = StatelessQuery(
            query_id, analysis, engine.log, engine.processing_log, emit=emit, positions=positions
        )
    stopped = threading.Event()

    def close() -> None:
        stopped.set()
        if aggregation:
            runner.close()
            state_file.unlink(missing_ok=True)

    columns = tuple(QueryColumn(c.name, str(c.type)) for c in analysis.columns)

    def rows() -> Iterator[list]:
        while not stopped.is_set():
            while buffer:
                yield buffer.popleft()
            if runner.finished:
                return
            if is_pull and all(runner.reader.positions.get(p, 0) >= ends[p] for p in ends):
                return
            if not runner.step():
                if is_pull:
                    return
                engine.log.wait_for_append(0.1)

    return RowsResult(text, query_id, columns, rows(), is_pull=is_pull, closer=close)


def _pull_from_table(engine, analysis, text: str) -> RowsResult:
    """A pull query over a TABLE, answered from its materialization in DuckDB."""
    with engine.lock:
        rows = engine.materialized.table(analysis.source).query(
            select_list_sql(analysis.columns), analysis.where_sql, analysis.limit
        )
    columns = tuple(QueryColumn(c.name, str(c.type)) for c in analysis.columns)
    values = [list(r.values()) for r in rows.to_pylist()]
    return RowsResult(text, f"pull_{analysis.source.name}_{next(_ids)}", columns, iter(values), is_pull=True)
