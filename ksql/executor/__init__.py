"""Statement execution: one handler per statement kind, chosen by the statement's class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ksql import ast
from ksql.errors import StatementError
from ksql.executor import (
    connectors,
    ddl,
    explain,
    insert_values,
    metadata,
    persistent,
    transient,
)
from ksql.results import Result

Handler = Callable[[Any, Any, str, dict[str, str]], Result]

HANDLERS: dict[type, Handler] = {
    ast.CreateSource: ddl.create_source,
    ast.CreateType: ddl.create_type,
    ast.DropType: ddl.drop_type,
    ast.DropSource: ddl.drop_source,
    ast.AlterSource: ddl.alter_source,
    ast.CreateAsSelect: persistent.create_as_select,
    ast.InsertInto: persistent.insert_into,
    ast.Terminate: persistent.terminate,
    ast.InsertValues: insert_values.insert_values,
    ast.QueryStatement: transient.run_query,
    ast.Show: metadata.show,
    ast.Describe: metadata.describe,
    ast.DescribeFunction: metadata.describe_function,
    ast.Explain: explain.explain,
    ast.SetProperty: metadata.set_property,
    ast.UnsetProperty: metadata.unset_property,
    ast.DefineVariable: metadata.define_variable,
    ast.UndefineVariable: metadata.undefine_variable,
    ast.PrintTopic: metadata.print_topic,
    ast.AssertTopic: metadata.assert_topic,
    ast.AssertSchema: metadata.assert_schema,
    ast.CreateConnector: connectors.create_connector,
    ast.DropConnector: connectors.drop_connector,
    ast.DescribeConnector: connectors.describe_connector,
}


def dispatch(engine, parsed: ast.ParsedStatement, session: dict[str, str], variables) -> Result:
    handler = HANDLERS.get(type(parsed.statement))
    if handler is None:
        raise StatementError(f"Unsupported statement: {parsed.text.strip()}")
    return handler(engine, parsed.statement, parsed.text.strip(), session)
