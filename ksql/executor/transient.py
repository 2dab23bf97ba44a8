"""Transient queries: push queries (EMIT CHANGES, over joins too) as row iterators, pull queries
over streams."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import replace

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ksql import ast
from ksql.analyzer.aggregate import analyze_aggregate, is_aggregation
from ksql.analyzer.join_select import analyze_join, is_join
from ksql.analyzer.properties import offset_reset
from ksql.analyzer.select import analyze_select, select_list_sql
from ksql.catalog import KEY
from ksql.errors import KsqlError, StatementError
from ksql.executor.pull_rules import check_key_lookup, check_pull
from ksql.expr_text import format_expr
from ksql.plan import physical
from ksql.plan.builder import logical_plan
from ksql.plan.logical import sources_of
from ksql.results import QueryColumn, RowsResult, TombstoneRow
from ksql.runtime.runner import TOMBSTONE_OUT

_ids = itertools.count()
_WHERE_ERROR = "Error in WHERE expression: "


def run_query(engine, stmt: ast.QueryStatement, text: str, session: dict[str, str]) -> RowsResult:
    query, analysis = analyze_transient(engine, stmt.query, session)
    is_pull = query.emit is None
    aggregation = is_aggregation(query)
    source = analysis.source
    if is_pull and source.is_table:
        return _pull_from_table(engine, analysis, text)
    reset = offset_reset(session)
    plan = logical_plan(analysis, None)
    topics = [s.topic for s in sources_of(plan)]  # in the order the runner numbers its inputs
    # Where each input starts (ends: where a pull query stops).
    ends = [{p: engine.log.end_offset(t, p) for p in _partitions(engine, t)} for t in topics]
    starts = [
        {p: engine.log.start_offset(t, p) if (is_pull or reset == "earliest") else end[p] for p in end}
        for t, end in zip(topics, ends, strict=True)
    ]
    buffer: deque[list] = deque()

    names = [c.name for c in analysis.columns]
    # LIMIT counts the rows a client receives, so it is applied here, after dropping the
    # tombstones of a stream (a null value is no row); a table's changes keep theirs.
    limit = analysis.limit
    if limit is not None:
        analysis = replace(analysis, limit=None)
    keeps_tombstones = source.is_table or aggregation
    emitted = [0]

    def finished() -> bool:
        return limit is not None and emitted[0] >= limit

    def emit(out: pa.Table) -> None:
        tombstones = pc.fill_null(out.column(TOMBSTONE_OUT), False)
        if not keeps_tombstones:
            out = out.filter(pc.invert(tombstones))
            tombstones = pa.nulls(out.num_rows, pa.bool_()).fill_null(False)
        flags = tombstones.to_pylist()
        for row, tombstone in zip(out.select(names).to_pylist(), flags, strict=True):
            if finished():
                return
            values = list(row.values())
            buffer.append(TombstoneRow(values) if tombstone else values)
            emitted[0] += 1

    query_id = f"transient_{source.name}_{next(_ids)}"
    if _scalable(query, source, aggregation, reset, session):
        query_id = f"SCALABLE_PUSH_QUERY_{uuid.uuid4()}"
    runner_kind = physical.runner_kind(plan)
    stateful = runner_kind != physical.STATELESS
    state_dir = engine.data_dir / "state"
    context = physical.RunnerContext(
        query_id=query_id, log=engine.log, processing_log=engine.processing_log,
        state_dir=state_dir, properties=session, positions=starts, emit=emit,
    )  # fmt: skip
    runner = physical.build_runner(plan, analysis, context)
    state_file = state_dir / f"{query_id}.duckdb"
    stopped = threading.Event()
    # A consumer may close the query from another thread while the producing thread is inside
    # a step: closing waits for that step, and no step starts after it.
    stepping = threading.RLock()

    def close() -> None:
        if stopped.is_set():
            return
        stopped.set()
        with stepping:
            if stateful:
                runner.close()
                state_file.unlink(missing_ok=True)

    def step() -> int:
        with stepping:
            return 0 if stopped.is_set() else runner.step()

    columns = tuple(QueryColumn(c.name, str(c.type), c.namespace == KEY) for c in analysis.columns)

    def batches() -> Iterator[list[list]]:
        """The rows in the groups the query produced them (one per micro-batch)."""
        while not stopped.is_set():
            if buffer:
                batch = list(buffer)
                buffer.clear()
                yield batch
            if finished():
                return
            if is_pull and all(runner.reader.positions.get(p, 0) >= e for p, e in ends[0].items()):
                return
            if not step():
                if is_pull or stopped.is_set():
                    return
                engine.log.wait_for_append(0.1)

    message = "Query Completed" if is_pull else "Limit Reached"
    grouped = batches()
    return RowsResult(
        text,
        query_id,
        columns,
        itertools.chain.from_iterable(grouped),
        is_pull=is_pull,
        closer=close,
        completion_message=message,
        batches=grouped,
    )


def analyze_transient(engine, query: ast.Query, session: dict[str, str]):
    """The (possibly rewritten) query and its analysis: a pull query or a push query, checked
    and analyzed; changes nothing (EXPLAIN uses it as is)."""
    is_pull = query.emit is None
    join = is_join(query)
    if join and is_pull:
        raise StatementError("Pull queries don't support JOIN clauses.")
    if is_pull:
        check_pull(query, session)
        if isinstance(query.from_, ast.SourceRef):
            target = engine.catalog.source(query.from_.name)
            if target is not None:
                check_key_lookup(query, target, session)
    aggregation = is_aggregation(query)
    if not aggregation and not join:
        query = _expand_windowed_star(query, engine.catalog)
    if aggregation:
        if is_pull:
            raise StatementError(
                "Pull queries with GROUP BY are not supported on streams; "
                "create a table with CREATE TABLE AS SELECT and query it."
            )
        return query, analyze_aggregate(query, engine.catalog, session, sink_name=None)
    if join:
        return query, analyze_join(query, engine.catalog, session, sink_name=None, sink_kind=None)
    try:
        return query, analyze_select(query, engine.catalog, session, sink_name=None, sink_kind=None)
    except StatementError as error:
        if not (is_pull and query.where is not None and error.message.startswith(_WHERE_ERROR)):
            raise
        # Pull queries name the predicate they could not compile, as ksqlDB does.
        raise StatementError(f"{error.message}\nStatement: {format_expr(query.where)}") from None


def _pull_from_table(engine, analysis, text: str) -> RowsResult:
    """A pull query over a TABLE, answered from its materialization in DuckDB."""
    with engine.lock:
        try:
            rows = engine.materialized.table(analysis.source).query(
                select_list_sql(analysis.columns), analysis.where_sql, analysis.limit
            )
        except duckdb.Error as error:  # a value the expressions cannot compute (an overflow)
            reason = str(error).split("\n", 1)[0]
            raise KsqlError(f"Failed to evaluate the pull query: {reason}") from None
    keys = {c.name for c in analysis.source.key_columns}
    if analysis.source.window is not None:
        keys |= {"WINDOWSTART", "WINDOWEND"}  # a windowed table's key includes its window
    columns = tuple(QueryColumn(c.name, str(c.type), _is_key_ref(c.expr, keys)) for c in analysis.columns)
    values = [list(r.values()) for r in rows.to_pylist()]
    return RowsResult(text, f"pull_{analysis.source.name}_{next(_ids)}", columns, iter(values), is_pull=True)


def _is_key_ref(expr, keys: set[str]) -> bool:
    """A pull query's output column is a KEY column when it is a source key column as is."""
    return isinstance(expr, ast.ColumnRef) and expr.name in keys


def _partitions(engine, topic: str) -> range:
    return range(engine.log.describe_topic(topic).partitions)


def _scalable(query: ast.Query, source, aggregation: bool, reset: str, session) -> bool:
    """A scalable push query (ksqlDB's push v2): enabled, from the latest offset, over the output
    of a persistent query, with no aggregation or re-keying. It taps that output as it is
    written rather than re-running the upstream query; here that is the sink topic's tail."""
    enabled = str(session.get("ksql.query.push.v2.enabled", "false")).lower() == "true"
    return (
        enabled
        and query.emit is not None
        and reset == "latest"
        and source.created_by_query is not None
        and not aggregation
        and not query.partition_by
        and isinstance(query.from_, ast.SourceRef)
    )


def _expand_windowed_star(query: ast.Query, catalog) -> ast.Query:
    """`SELECT *` over a windowed source shows the window bounds after the key columns, as
    ksqlDB's transient queries do: key columns, WINDOWSTART, WINDOWEND, value columns."""
    if not isinstance(query.from_, ast.SourceRef):
        return query
    source = catalog.source(query.from_.name)
    if source is None or source.window is None:
        return query
    if not any(isinstance(i, ast.AllColumns) for i in query.select):
        return query
    qualifier = query.from_.alias or query.from_.name
    items: list[ast.SelectItem] = []
    for item in query.select:
        if isinstance(item, ast.AllColumns) and item.source in (None, qualifier):
            names = [c.name for c in source.key_columns] + ["WINDOWSTART", "WINDOWEND"]
            names += [c.name for c in source.value_columns]
            items += [ast.SelectColumn(ast.ColumnRef(n)) for n in names]
        else:
            items.append(item)
    return replace(query, select=tuple(items))

