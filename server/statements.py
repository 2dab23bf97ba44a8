"""POST /ksql: run statements one by one through the engine and render one entity each."""

from __future__ import annotations

from typing import Any

from ksql import ast
from ksql.errors import KsqlError
from ksql.prepare import PreparedStatement
from ksql.results import CommandResult
from server import errors
from server.entities import RenderContext, render
from server.state import ServerState


def run_statements(
    state: ServerState, sql: str, properties: dict[str, Any], variables: dict[str, Any]
) -> list[dict[str, Any]]:
    """Entities for every statement in `sql`; the first failure raises an ApiError that
    carries the entities of the statements before it.

    The request is parsed whole first: a syntax error anywhere runs nothing. SET, UNSET,
    DEFINE and UNDEFINE apply to the rest of this request only.
    """
    engine = state.engine
    entities: list[dict[str, Any]] = []
    try:
        prepared = engine.prepare(sql, {k: str(v) for k, v in variables.items()})
    except KsqlError as error:
        raise errors.from_ksql_error(error, sql.strip(), entities) from None
    with engine.request_scope():
        session = engine.session(properties)
        for statement in prepared:
            _run_one(state, statement, session, entities)
    return entities


def _run_one(
    state: ServerState,
    prepared: PreparedStatement,
    session: dict[str, str],
    entities: list[dict[str, Any]],
) -> None:
    engine = state.engine
    statement = prepared.statement
    statement_text = prepared.source.text.strip()
    if isinstance(statement, ast.QueryStatement | ast.PrintTopic):
        raise errors.ApiError(
            400,
            errors.statement_error(
                errors.QUERY_ENDPOINT_MESSAGE, statement_text, entities, errors.QUERY_ENDPOINT
            ),
        )
    if isinstance(statement, ast.Terminate) and statement.query_id is not None:
        pump = state.queries.get(statement.query_id)
        if pump is not None:
            pump.close()
            entities.append(
                {
                    "@type": "terminate_query",
                    "statementText": statement_text,
                    "queryId": statement.query_id,
                    "wasTerminated": True,
                    "warnings": [],
                }
            )
            return
    try:
        result = engine.execute_prepared(prepared, session)
    except KsqlError as error:
        raise errors.from_ksql_error(error, statement_text, entities) from None
    except Exception as exc:  # noqa: BLE001 - logged; a fixed message goes out
        raise errors.internal(exc, statement_text) from None
    sequence = state.sequence_number
    if isinstance(result, CommandResult) and not isinstance(statement, _SESSION_ONLY):
        sequence = state.next_sequence()
    entity = render(statement, result, RenderContext(engine, state.host, sequence))
    if entity is None:
        return
    if entity.get("@type") == "currentStatus":
        state.record_status(entity["commandId"], entity["commandStatus"])
    entities.append(entity)


_SESSION_ONLY = (
    ast.SetProperty,
    ast.UnsetProperty,
    ast.DefineVariable,
    ast.UndefineVariable,
    ast.InsertValues,
    ast.DescribeFunction,
    ast.AssertTopic,
)
