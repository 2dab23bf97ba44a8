"""EXPLAIN: the plans of a running query (by id) or of a statement that would run one."""

from __future__ import annotations

from ksql import ast
from ksql.catalog import Column
from ksql.errors import KsqlError, StatementError
from ksql.executor.persistent import plan_create_as_select, plan_insert_into
from ksql.executor.transient import analyze_transient
from ksql.plan.builder import logical_plan
from ksql.plan.explain import logical_text, physical_text
from ksql.plan.logical import sources_of
from ksql.plan.physical import PhysicalPlan, physical_plan
from ksql.results import ExplainResult


def explain(engine, stmt: ast.Explain, text: str, session: dict[str, str]) -> ExplainResult:
    if stmt.query_id is not None:
        return _running(engine, stmt.query_id.upper(), text)
    target = stmt.statement
    cluster = getattr(engine, "cluster", None) is not None
    sink = None
    pull = False
    if isinstance(target, ast.CreateAsSelect):
        analysis, sink = plan_create_as_select(engine, target, text, session)
    elif isinstance(target, ast.InsertInto):
        analysis, sink = plan_insert_into(engine, target, session)
    elif isinstance(target, ast.QueryStatement):
        query, analysis = analyze_transient(engine, target.query, session)
        pull = query.emit is None and analysis.source.is_table
        cluster = False  # transient queries run on the server that was asked
    else:
        raise StatementError(
            "EXPLAIN shows the plan of a query: SELECT, CREATE STREAM/TABLE ... AS SELECT or "
            "INSERT INTO ... SELECT, or of a running query by its id."
        )
    plan = logical_plan(analysis, sink)
    if pull:
        physical = _pull_plan(plan)
    else:
        physical = physical_plan(plan, analysis, session, cluster=cluster)
    columns = sink.columns if sink is not None else _columns(analysis)
    return ExplainResult(
        text, None, logical_text(plan), _statement_text(text), physical_text(physical),
        sources=tuple(s.name for s in sources_of(plan)),
        sinks=(sink.name,) if sink is not None else (),
        columns=columns,
    )


def _running(engine, query_id: str, text: str) -> ExplainResult:
    query = engine.catalog.queries.get(query_id)
    if query is None:
        raise KsqlError(
            f"Query with id:{query_id} does not exist, use SHOW QUERIES to view the full set of "
            "running queries."
        )
    physical = physical_plan(
        query.plan, query.analysis, query.properties, query_id=query.query_id,
        cluster=getattr(engine, "cluster", None) is not None,
        stores=query.runner.state_stores(),
    )  # fmt: skip
    sink = engine.catalog.source(query.sink) if query.sink else None
    return ExplainResult(
        text, query.query_id, logical_text(query.plan), query.sql, physical_text(physical),
        sources=query.sources, sinks=(query.sink,) if query.sink else (),
        columns=sink.columns if sink is not None else (),
    )


def _pull_plan(plan) -> PhysicalPlan:
    """A pull query over a table reads the table's materialization; nothing keeps running."""
    source = sources_of(plan)[0]
    return PhysicalPlan(
        kind="pull",
        runner="MaterializedTable",
        operators=(
            f"Catch the materialization of {source.name} up with {source.topic}",
            "WHERE, projection and LIMIT in one DuckDB query over the latest row per key",
            "Hand the rows to the client",
        ),
        stores=(),
        source_topics=(source.topic,),
        sink_topic=None,
    )


def _columns(analysis) -> tuple[Column, ...]:
    return tuple(Column(c.name, c.type, c.namespace) for c in analysis.columns)


def _statement_text(text: str) -> str:
    """The explained statement without the EXPLAIN keyword."""
    stripped = text.strip()
    return stripped[len("EXPLAIN"):].strip() if stripped.upper().startswith("EXPLAIN") else stripped
