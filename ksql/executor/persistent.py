"""Persistent queries: CREATE STREAM/TABLE AS SELECT, INSERT INTO ... SELECT, TERMINATE."""

from __future__ import annotations

from dataclasses import replace

from ksql import ast
from ksql.analyzer import properties as P
from ksql.analyzer.aggregate import AggregateAnalysis, analyze_aggregate, is_aggregation
from ksql.analyzer.join_select import JoinAnalysis, analyze_join, is_join
from ksql.analyzer.select import SelectAnalysis, analyze_select
from ksql.catalog import KEY, VALUE, Column, FormatSpec, PersistentQuery, Source, WindowInfo
from ksql.errors import KsqlError, StatementError
from ksql.executor.ddl import check_formats, check_replace, ensure_topic, register_schemas
from ksql.plan import physical
from ksql.plan.builder import logical_plan
from ksql.plan.cluster_rules import check_cluster_plan
from ksql.results import CommandResult

Analysis = SelectAnalysis | AggregateAnalysis | JoinAnalysis


def analyze(query: ast.Query, catalog, session, *, sink_name: str | None, sink_kind: str | None):
    """The analysis of a persistent query's SELECT: a join, an aggregation or a stateless query."""
    if is_join(query) and not is_aggregation(query):
        return analyze_join(query, catalog, session, sink_name=sink_name, sink_kind=sink_kind)
    if is_aggregation(query):
        return analyze_aggregate(query, catalog, session, sink_name=sink_name)
    return analyze_select(query, catalog, session, sink_name=sink_name, sink_kind=sink_kind)


def result_kind(analysis: SelectAnalysis | AggregateAnalysis | JoinAnalysis) -> str:
    if isinstance(analysis, AggregateAnalysis) or analysis.source.is_table:
        return "TABLE"
    return "STREAM"


def create_as_select(engine, stmt: ast.CreateAsSelect, text: str, session: dict[str, str]) -> CommandResult:
    catalog = engine.catalog
    if check_replace(engine, stmt.name, stmt.kind, stmt.or_replace, stmt.if_not_exists, False):
        return CommandResult(text, f"{stmt.kind.title()} {stmt.name} already exists.")
    analysis, sink = plan_create_as_select(engine, stmt, text, session)
    query_id = _next_query_id(engine, "CTAS" if stmt.kind == "TABLE" else "CSAS", stmt.name)
    sink = replace(sink, created_by_query=query_id)
    existing = catalog.source(stmt.name)
    if existing is not None:
        for old in catalog.queries_writing(stmt.name):
            stop_query(engine, old.query_id)
    source_partitions = max(
        engine.log.describe_topic(s.topic).partitions for s in _input_sources(analysis)
    )
    props = stmt.properties
    partitions = _first_given(
        P.int_property(props, "PARTITIONS"),
        P.int_property(session, "ksql.sink.partitions"),
        source_partitions,
    )
    replicas = _first_given(
        P.int_property(props, "REPLICAS", "SHORT"),
        P.int_property(session, "ksql.sink.replicas", "SHORT"),
        1,
    )
    register_schemas(engine, sink)
    ensure_topic(engine, sink.topic, {"partitions": int(partitions), "replicas": int(replicas)})
    catalog.add_source(sink)
    _start(engine, query_id, text, analysis, sink, session)
    engine.record_command(text, session)
    return CommandResult(text, f"Created query with ID {query_id}", query_id=query_id)


def _first_given(*values: int | None) -> int:
    """The first value that is set (0 is a value: the topic refuses it)."""
    return next(v for v in values if v is not None)


def plan_create_as_select(
    engine, stmt: ast.CreateAsSelect, text: str, session: dict[str, str]
) -> tuple[Analysis, Source]:
    """The analysis of a CREATE ... AS SELECT and the sink it would create; checks everything
    and changes nothing (EXPLAIN uses it as is)."""
    catalog = engine.catalog
    if stmt.query.limit is not None:
        raise StatementError(f"CREATE {stmt.kind} AS SELECT statements don't support LIMIT clause.")
    analysis = analyze(stmt.query, catalog, session, sink_name=stmt.name, sink_kind=stmt.kind)
    _check_cluster(engine, analysis)
    produced = result_kind(analysis)
    if produced != stmt.kind:
        wanted = "CREATE STREAM AS SELECT" if produced == "STREAM" else "CREATE TABLE AS SELECT"
        raise StatementError(
            f"Invalid result type. Your SELECT query produces a {produced}. "
            f"Please use {wanted} statement instead."
        )
    props = stmt.properties
    source = analysis.source
    key_fmt, value_fmt = P.choose_formats(props, session, inherited=(source.key_format, source.value_format))
    key_fmt = _sink_key_format(key_fmt, props, session, analysis, stmt.kind)
    prefix = session.get("ksql.output.topic.name.prefix", "")
    topic = str(P.prop(props, "KAFKA_TOPIC") or f"{prefix}{stmt.name}")
    columns = tuple(Column(c.name, c.type, c.namespace) for c in analysis.columns)
    ts_column = P.prop(props, "TIMESTAMP")
    if ts_column is not None:
        ts_column = str(ts_column).upper()
        if not any(c.name == ts_column for c in columns):
            raise StatementError(
                f"The TIMESTAMP column set in the WITH clause does not exist in the schema: '{ts_column}'"
            )
    wrap = P.wrap_single_value(props, session, sum(1 for c in columns if c.namespace == VALUE))
    sink = Source(
        name=stmt.name,
        kind=stmt.kind,
        topic=topic,
        columns=columns,
        key_format=key_fmt,
        value_format=value_fmt,
        timestamp_column=ts_column,
        timestamp_format=P.prop(props, "TIMESTAMP_FORMAT"),
        window=_window_info(analysis),
        wrap_single_value=wrap,
        sql=text,
    )
    check_formats(sink)
    return analysis, sink


def insert_into(engine, stmt: ast.InsertInto, text: str, session: dict[str, str]) -> CommandResult:
    analysis, target = plan_insert_into(engine, stmt, session)
    query_id = _next_query_id(engine, "INSERTQUERY", None)
    _start(engine, query_id, text, analysis, target, session, kind="INSERT")
    engine.record_command(text, session)
    return CommandResult(text, f"Created query with ID {query_id}", query_id=query_id)


def plan_insert_into(
    engine, stmt: ast.InsertInto, session: dict[str, str]
) -> tuple[Analysis, Source]:
    """The analysis of an INSERT INTO ... SELECT and its target; changes nothing."""
    catalog = engine.catalog
    target = catalog.source(stmt.target)
    if target is None:
        raise StatementError(f"{stmt.target} does not exist.")
    if target.is_table:
        raise StatementError(
            f"INSERT INTO can only be used to insert into a stream. {stmt.target} is a table."
        )
    if target.is_source:
        raise StatementError(f"Cannot insert into read-only {target.kind.lower()}: {stmt.target}")
    if target.header_columns:
        raise StatementError(f"Cannot insert into {stmt.target} because it has header columns")
    analysis = analyze(stmt.query, catalog, session, sink_name=stmt.target, sink_kind="STREAM")
    _check_cluster(engine, analysis)
    produced = [(c.name, c.type, c.namespace) for c in analysis.columns]
    expected = [(c.name, c.type, c.namespace) for c in target.columns if not c.is_header]
    if produced != expected:
        result_schema = ", ".join(
            f"`{n}` {t}{' KEY' if ns == KEY else ''}" for n, t, ns in produced
        )
        sink_schema = ", ".join(
            f"`{n}` {t}{' KEY' if ns == KEY else ''}" for n, t, ns in expected
        )
        raise StatementError(
            "Incompatible schema between results and sink.\n"
            f"Result schema is {result_schema}\nSink schema is {sink_schema}"
        )
    return analysis, target


def terminate(engine, stmt: ast.Terminate, text: str, session: dict[str, str]) -> CommandResult:
    if stmt.query_id is None:
        for query_id in list(engine.catalog.queries):
            stop_query(engine, query_id)
        engine.record_command(text, session)
        return CommandResult(text, "All queries terminated.")
    query_id = stmt.query_id.upper()
    if query_id not in engine.catalog.queries:
        raise KsqlError(f"Unknown queryId: {stmt.query_id}")
    stop_query(engine, query_id)
    engine.record_command(text, session)
    return CommandResult(text, "Query terminated.")


def stop_query(engine, query_id: str) -> None:
    query = engine.catalog.queries.pop(query_id, None)
    close = getattr(query.runner if query else None, "close", None)
    if close is not None:
        close()


def _check_cluster(engine, analysis) -> None:
    """Cluster mode refuses queries it cannot yet share between servers."""
    if getattr(engine, "cluster", None) is not None:
        check_cluster_plan(logical_plan(analysis, None))


def _sink_key_format(key_fmt: FormatSpec, props, session, analysis, kind: str) -> FormatSpec:
    """A keyless result uses NONE; a keyed result cannot inherit NONE from its source."""
    explicit = P.prop(props, "KEY_FORMAT") is not None or P.prop(props, "FORMAT") is not None
    has_keys = bool(analysis.key_columns)
    if not has_keys:
        if P.prop(props, "KEY_FORMAT") is not None and kind == "STREAM" and key_fmt.name != "NONE":
            raise StatementError("Key format specified for stream without key columns.")
        return key_fmt if explicit else FormatSpec("NONE")
    if key_fmt.name == "NONE" and not explicit:
        default = session.get("ksql.persistence.default.format.key", "KAFKA")
        return FormatSpec(P.format_name(default))
    return key_fmt


def _window_info(analysis) -> WindowInfo | None:
    """A windowed aggregation's window, or the windowed source's a stateless query keeps."""
    if isinstance(analysis, JoinAnalysis):
        return analysis.plan.inputs[0].source.window
    if isinstance(analysis, SelectAnalysis):
        return None if analysis.repartitioned else analysis.source.window
    window = analysis.window
    if window is None:
        return None
    return WindowInfo(window.kind, None if window.kind == "SESSION" else window.size_ms)


def _next_query_id(engine, prefix: str, name: str | None) -> str:
    n = engine.query_counter
    engine.query_counter += 1
    return f"{prefix}_{name}_{n}" if name else f"{prefix}_{n}"


def _input_sources(analysis) -> list[Source]:
    if isinstance(analysis, JoinAnalysis):
        return [i.source for i in analysis.plan.inputs]
    if isinstance(analysis, AggregateAnalysis) and analysis.join is not None:
        return [i.source for i in analysis.join.inputs]
    return [analysis.source]


def _start_positions(engine, group: str, topic: str, session) -> dict[int, int]:
    """Committed positions, or where auto.offset.reset says a new query starts."""
    log = engine.log
    positions: dict[int, int] = {}
    reset = P.offset_reset(session)
    for p in range(log.describe_topic(topic).partitions):
        committed = log.offsets.committed(group, topic, p)
        if committed is not None:
            positions[p] = committed
        elif reset == "earliest":
            positions[p] = log.start_offset(topic, p)
        else:
            positions[p] = log.end_offset(topic, p)
    return positions


def _start(engine, query_id: str, text: str, analysis, sink: Source, session, kind="PERSISTENT") -> None:
    log = engine.log
    group = f"_confluent-ksql-{session.get('ksql.service.id', 'default_')}query_{query_id}"
    sources = _input_sources(analysis)
    all_positions = [_start_positions(engine, group, s.topic, session) for s in sources]

    def commit_input(index: int, offsets: dict[int, int]) -> None:
        log.offsets.commit(group, {(sources[index].topic, p): o for p, o in offsets.items()})

    # The start positions are decided once, when the query is created: a restart resumes
    # from them even if it never processed a record. In cluster mode the group's members
    # commit from then on: a server applying the command later keeps their offsets.
    cluster = getattr(engine, "cluster", None)
    if cluster is None or not log.offsets.group_offsets(group):
        for index, positions in enumerate(all_positions):
            commit_input(index, positions)

    plan = logical_plan(analysis, sink)
    context = physical.RunnerContext(
        query_id=query_id, log=log, processing_log=engine.processing_log,
        state_dir=engine.data_dir / "state", properties=session, positions=all_positions,
        sink=sink, commit=commit_input, cluster=cluster, engine=engine, group=group,
    )  # fmt: skip
    runner = physical.build_runner(plan, analysis, context)
    engine.catalog.queries[query_id] = PersistentQuery(
        query_id=query_id,
        sql=text,
        sink=sink.name,
        sources=tuple(s.name for s in sources),
        kind=kind,
        runner=runner,
        plan=plan,
        analysis=analysis,
        properties=dict(session),
    )


__all__ = ["VALUE", "create_as_select", "insert_into", "stop_query", "terminate"]
