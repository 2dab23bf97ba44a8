"""KsqlEntity JSON for each kind of statement result, with ksqlDB's exact field names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ksql import ast
from ksql.catalog import PersistentQuery, Source
from ksql.results import (
    CommandResult,
    ConnectorDescriptionResult,
    ConnectorInfoResult,
    ConnectorListResult,
    ConnectorPluginsResult,
    DropConnectorResult,
    ExplainResult,
    PropertiesResult,
    QueryListResult,
    Result,
    RowsResult,
    SourceDescriptionResult,
    SourceListResult,
    TopicListResult,
    TypeListResult,
    VariablesResult,
    WarningResult,
)
from server.schema import field_info, schema_info

# Statements that answer with no entity at all (they still run).
NO_ENTITY = (
    ast.InsertValues,
    ast.SetProperty,
    ast.UnsetProperty,
    ast.DefineVariable,
)


@dataclass(slots=True)
class RenderContext:
    """What rendering needs beyond the result: the engine and this server's address."""

    engine: Any
    host: str
    sequence_number: int = 0


def command_id(statement: ast.Statement, result: CommandResult) -> str:
    """ksqlDB's CommandId: `type/entity/action`, e.g. stream/`PAGEVIEWS`/create."""
    if isinstance(statement, ast.CreateSource | ast.CreateAsSelect):
        return f"{statement.kind.lower()}/`{statement.name}`/create"
    if isinstance(statement, ast.InsertInto):
        return f"stream/`{statement.target}`/create"
    if isinstance(statement, ast.DropSource):
        return f"{statement.kind.lower()}/`{statement.name}`/drop"
    if isinstance(statement, ast.AlterSource):
        return f"{statement.kind.lower()}/`{statement.name}`/alter"
    if isinstance(statement, ast.Terminate):
        return f"terminate/`{statement.query_id.upper() if statement.query_id else 'ALL'}`/execute"
    if isinstance(statement, ast.CreateType):
        return f"type/`{statement.name.upper()}`/create"
    if isinstance(statement, ast.DropType):
        return f"type/`{statement.name.upper()}`/drop"
    return result.command_id or f"{type(statement).__name__.lower()}/``/execute"


def render(statement: ast.Statement, result: Result, ctx: RenderContext) -> dict[str, Any] | None:
    """One entity for one statement's result; None for statements ksqlDB answers with nothing."""
    if isinstance(statement, NO_ENTITY):
        return None
    text = getattr(result, "statement_text", "")
    if isinstance(statement, ast.UndefineVariable):
        if result.message:
            return _entity("warning_entity", text, message=result.message)
        return None
    if isinstance(statement, ast.AssertTopic):
        return _entity("assert_topic", text, topicName=statement.topic, exists=statement.exists)
    if isinstance(statement, ast.DescribeFunction):
        return _describe_function(statement, text)
    if isinstance(result, CommandResult):
        return current_status(statement, result, ctx.sequence_number)
    if isinstance(result, SourceListResult):
        return _source_list(result, ctx)
    if isinstance(result, QueryListResult):
        return _query_list(result, ctx)
    if isinstance(result, TopicListResult):
        topics = [
            {"name": t.name, "replicaInfo": [t.replicas] * t.partitions} for t in result.topics
        ]
        return _entity("kafka_topics", text, topics=topics)
    if isinstance(result, SourceDescriptionResult):
        return _entity(
            "sourceDescription", text, sourceDescription=_source_description(result, ctx)
        )
    if isinstance(result, PropertiesResult):
        return _properties(result)
    if isinstance(result, VariablesResult):
        variables = [{"name": k, "value": v} for k, v in sorted(result.variables.items())]
        return _entity("variables", text, variables=variables)
    if isinstance(result, TypeListResult):
        types = {name: schema_info(t) for name, t in sorted(ctx.engine.types().items())}
        return _entity("type_list", text, types=types)
    if isinstance(result, ExplainResult):
        return _explain(result, ctx)
    if isinstance(result, WarningResult):
        return _entity("warning_entity", text, message=result.message)
    connector = _connector_entity(result, ctx)
    if connector is not None:
        return connector
    if isinstance(result, RowsResult) and isinstance(statement, ast.Show):
        functions = [
            {
                "name": row[0],
                "type": row[1] if len(row) > 1 else "SCALAR",
                "category": row[2] if len(row) > 2 else "",
            }
            for row in result.rows
        ]
        return _entity("function_names", text, functions=functions)
    raise TypeError(f"no REST entity for {type(result).__name__}")


def _connector_entity(result: Result, ctx: RenderContext) -> dict[str, Any] | None:
    text = getattr(result, "statement_text", "")
    if isinstance(result, ConnectorInfoResult):
        return _entity("connector_info", text, info=result.info)
    if isinstance(result, ConnectorListResult):
        entity = _entity("connector_list", text, connectors=list(result.connectors))
        entity["warnings"] = [{"message": w} for w in result.warnings]
        return entity
    if isinstance(result, ConnectorDescriptionResult):
        sources = [_source_description(s, ctx) for s in result.sources]
        return _entity(
            "connector_description", text, connectorClass=result.connector_class,
            status=result.status, sources=sources, topics=list(result.topics), errors=[],
        )  # fmt: skip
    if isinstance(result, DropConnectorResult):
        return _entity("drop_connector", text, connectorName=result.name)
    if isinstance(result, ConnectorPluginsResult):
        plugins = [{"className": p["class"], "type": p["type"], "version": p["version"]}
                   for p in result.plugins]  # fmt: skip
        return _entity("connector_plugins_list", text, connectorsPlugins=plugins)
    return None


def _entity(kind: str, text: str, **fields: Any) -> dict[str, Any]:
    return {"@type": kind, "statementText": text, **fields, "warnings": []}


def current_status(
    statement: ast.Statement, result: CommandResult, sequence: int
) -> dict[str, Any]:
    entity = _entity(
        "currentStatus",
        result.statement_text,
        commandId=command_id(statement, result),
        commandStatus={
            "status": result.status,
            "message": result.message,
            "queryId": result.query_id,
        },
        commandSequenceNumber=sequence,
    )
    entity["warnings"] = [{"message": w} for w in result.warnings]
    return entity


def _source_summary(source: Source) -> dict[str, Any]:
    return {
        "type": source.kind,
        "name": source.name,
        "topic": source.topic,
        "keyFormat": source.key_format.name,
        "valueFormat": source.value_format.name,
        "isWindowed": source.window is not None,
    }


def _source_list(result: SourceListResult, ctx: RenderContext) -> dict[str, Any]:
    if result.extended:
        descriptions = [
            _source_description(_describe(ctx.engine, s, True), ctx) for s in result.sources
        ]
        return _entity(
            "source_descriptions", result.statement_text, sourceDescriptions=descriptions
        )
    key = "streams" if result.kind == "STREAM" else "tables"
    return _entity(
        key, result.statement_text, **{key: [_source_summary(s) for s in result.sources]}
    )


def _describe(engine, source: Source, extended: bool) -> SourceDescriptionResult:
    info = engine.topic_info(source.topic)
    return SourceDescriptionResult(
        source.sql,
        source,
        extended,
        tuple(q.query_id for q in engine.queries(reading=source.name)),
        tuple(q.query_id for q in engine.queries(writing=source.name)),
        info.partitions if info else 0,
        info.replicas if info else 0,
    )


def running_query(query: PersistentQuery, ctx: RenderContext) -> dict[str, Any]:
    sinks = [query.sink] if query.sink else []
    found = [ctx.engine.source(s) for s in sinks]
    topics = [s.topic for s in found if s is not None]
    return {
        "queryString": query.sql,
        "sinks": sinks,
        "sinkKafkaTopics": topics,
        "id": query.query_id,
        "statusCount": {query.state: 1},
        "queryType": "PERSISTENT",
        "state": query.state,
    }


def _source_description(result: SourceDescriptionResult, ctx: RenderContext) -> dict[str, Any]:
    source = result.source
    queries = {q.query_id: q for q in ctx.engine.queries()}
    return {
        "name": source.name,
        "windowType": source.window.kind if source.window else None,
        "readQueries": [running_query(queries[q], ctx) for q in result.readers if q in queries],
        "writeQueries": [running_query(queries[q], ctx) for q in result.writers if q in queries],
        "fields": [field_info(c) for c in source.columns],
        "type": source.kind,
        "timestamp": source.timestamp_column or "",
        "statistics": result.statistics,
        "errorStats": result.error_stats,
        "extended": result.extended,
        "keyFormat": source.key_format.name,
        "valueFormat": source.value_format.name,
        "topic": source.topic,
        "partitions": result.partitions,
        "replication": result.replicas,
        "statement": source.sql,
        "queryOffsetSummaries": [],
        "sourceConstraints": [],
        "clusterStatistics": [],
        "clusterErrorStats": [],
    }


def query_description(
    query: PersistentQuery, ctx: RenderContext, plan: str = "", topology: str = ""
) -> dict[str, Any]:
    sink = ctx.engine.source(query.sink) if query.sink else None
    errors = []
    if query.error:
        errors.append({"errorMessage": query.error, "timestamp": 0, "type": "UNKNOWN"})
    return {
        "id": query.query_id,
        "statementText": query.sql,
        "windowType": sink.window.kind if sink is not None and sink.window else None,
        "fields": [field_info(c) for c in sink.columns] if sink is not None else [],
        "sources": list(query.sources),
        "sinks": [query.sink] if query.sink else [],
        "topology": topology,
        "executionPlan": plan,
        "overriddenProperties": {},
        "ksqlHostQueryStatus": {ctx.host: query.state},
        "queryType": "PERSISTENT",
        "queryErrors": errors,
        "tasksMetadata": [],
        "consumerGroupId": f"_confluent-ksql-default_query_{query.query_id}",
        "state": query.state,
    }


def _query_list(result: QueryListResult, ctx: RenderContext) -> dict[str, Any]:
    if result.extended:
        descriptions = [query_description(q, ctx) for q in result.queries]
        return _entity("query_descriptions", result.statement_text, queryDescriptions=descriptions)
    return _entity(
        "queries", result.statement_text, queries=[running_query(q, ctx) for q in result.queries]
    )


def _properties(result: PropertiesResult) -> dict[str, Any]:
    properties = []
    for name, value in sorted(result.properties.items()):
        scope = "KSQL" if name.startswith("ksql.") else "STREAMS"
        properties.append(
            {"name": name, "scope": scope, "value": str(value), "editable": True, "level": "SERVER"}
        )
    return _entity(
        "properties",
        result.statement_text,
        properties=properties,
        overwrittenProperties=list(result.overwritten),
        defaultProperties=[],
    )


def _explain(result: ExplainResult, ctx: RenderContext) -> dict[str, Any]:
    """ksqlDB's queryDescription: the logical plan as executionPlan, the physical plan with
    its state stores and topics as topology."""
    query = ctx.engine.query(result.query_id or "")
    if query is not None:
        description = query_description(query, ctx, result.plan, result.topology)
    else:
        description = {
            "id": "",
            "statementText": result.sql,
            "windowType": None,
            "fields": [field_info(c) for c in result.columns],
            "sources": list(result.sources),
            "sinks": list(result.sinks),
            "topology": result.topology,
            "executionPlan": result.plan,
            "overriddenProperties": {},
            "ksqlHostQueryStatus": {},
            "queryType": "PERSISTENT" if result.sinks else "PUSH",
            "queryErrors": [],
            "tasksMetadata": [],
            "consumerGroupId": "",
            "state": "UNKNOWN",
        }
    return _entity("queryDescription", result.statement_text, queryDescription=description)


def _describe_function(statement: ast.DescribeFunction, text: str) -> dict[str, Any]:
    from ksql.functions.listing import describe, rest_fields

    info = describe(statement.name.upper())
    if info is None:  # the engine answered, so the name resolved; keep the entity well-formed
        fields = {"name": statement.name.upper(), "description": "", "author": "", "version": ""}
        fields |= {"path": "internal", "functions": [], "type": "SCALAR"}
        return _entity("describe_function", text, **fields)
    return _entity("describe_function", text, **rest_fields(info))
