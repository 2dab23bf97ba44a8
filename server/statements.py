"""POST /ksql: run statements one by one through the engine and render one entity each."""

from __future__ import annotations

from typing import Any

from ksql import ast
from ksql.errors import KsqlError
from ksql.parser import parse, split_statements, substitute_variables
from ksql.results import CommandResult
from server import errors
from server.entities import RenderContext, render
from server.state import ServerState


def run_statements(
    state: ServerState, sql: str, properties: dict[str, Any], variables: dict[str, Any]
) -> list[dict[str, Any]]:
    """Entities for every statement in `sql`; the first failure raises an ApiError that
    carries the entities of the statements before it.

    SET, UNSET, DEFINE and UNDEFINE apply to the rest of this request only.
    """
    engine = state.engine
    props = {k: str(v) for k, v in properties.items()}
    scope_vars = {k: str(v) for k, v in variables.items()}
    entities: list[dict[str, Any]] = []
    with engine.lock:
        saved_props = dict(engine.properties)
        saved_vars = dict(engine.variables)
        try:
            for text in split_statements(sql):
                if not text.strip() or text.strip() == ";":
                    continue
                _run_one(state, text, props, scope_vars, entities)
        finally:
            engine.properties.clear()
            engine.properties.update(saved_props)
            engine.variables.clear()
            engine.variables.update(saved_vars)
    return entities


def _run_one(
    state: ServerState,
    text: str,
    props: dict[str, str],
    scope_vars: dict[str, str],
    entities: list[dict[str, Any]],
) -> None:
    engine = state.engine
    statement_text = text.strip()
    try:
        parsed = parse(substitute_variables(text, {**engine.variables, **scope_vars}))
    except KsqlError as error:
        if "\nStatement: " not in error.message:
            error.message += f"\nStatement: {statement_text}"
        raise errors.from_ksql_error(error, statement_text, entities) from None
    for item in parsed:
        statement = item.statement
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
                continue
        try:
            (result,) = engine.execute(item.text, props, scope_vars)
        except KsqlError as error:
            raise errors.from_ksql_error(error, statement_text, entities) from None
        except Exception as exc:  # noqa: BLE001 - logged; a fixed message goes out
            raise errors.internal(exc, statement_text) from None
        _carry_session(statement, props, scope_vars)
        sequence = state.sequence_number
        if isinstance(result, CommandResult) and not isinstance(statement, _SESSION_ONLY):
            sequence = state.next_sequence()
        entity = render(statement, result, RenderContext(engine, state.host, sequence))
        if entity is None:
            continue
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


def _carry_session(statement: ast.Statement, props: dict[str, str], scope_vars: dict[str, str]):
    """Make SET/UNSET/DEFINE/UNDEFINE visible to the following statements of the request."""
    if isinstance(statement, ast.SetProperty):
        props[statement.name] = statement.value
    elif isinstance(statement, ast.UnsetProperty):
        props.pop(statement.name, None)
    elif isinstance(statement, ast.DefineVariable):
        scope_vars[statement.name] = statement.value
    elif isinstance(statement, ast.UndefineVariable):
        scope_vars.pop(statement.name, None)
