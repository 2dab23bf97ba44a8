"""The shell's core: route each statement or command to the backend and print what comes back."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

from ksql import ast
from ksql.errors import KsqlError, ParseError
from ksql.parser import substitute_variables
from ksql.prepare import PreparedStatement, prepare_statements
from ksql.properties import check_property
from repl import commands
from repl.backend import Backend, BackendError, Final, Header, Names, Row, Text
from repl.errors import format_error
from repl.jsonfmt import compact, pretty
from repl.output import Output
from repl.render import render_entity
from repl.rows import RowFormatter
from repl.statements import cli_command, split_units

# Statements that change what completion offers are any but these.
_READ_ONLY = (ast.Show, ast.Describe, ast.DescribeFunction, ast.Explain, ast.InsertValues)


class QueryTimeout(Exception):
    """--query-timeout elapsed while a query was running."""


class Shell:
    """Holds the session: backend, output format, local properties and variables, spool."""

    def __init__(
        self,
        backend: Backend,
        *,
        output_format: str = "TABULAR",
        row_limit: int | None = None,
        timeout_ms: int | None = None,
        variables: dict[str, str] | None = None,
        out: Output | None = None,
        interactive: bool = False,
        history: Callable[[], list[str]] | None = None,
    ) -> None:
        self.backend = backend
        self.output_format = output_format.upper()
        self.row_limit = row_limit
        self.timeout_ms = timeout_ms
        self.properties: dict[str, str] = {}
        self.variables: dict[str, str] = dict(variables or {})
        self.out = out or Output()
        self.interactive = interactive
        self.history = history or list
        self.running = True
        self.column_width = 0
        self.script_depth = 0  # RUN SCRIPT nesting
        self._names: Names | None = None
        self._names_at = 0.0

    # ------------------------------------------------------------------ input

    def run_text(self, text: str) -> bool:
        """Run every command and statement in `text`; False if any failed."""
        ok = True
        for unit in split_units(text):
            if not self.running:
                break
            ok = self.handle(unit) and ok
        return ok

    def handle(self, unit: str) -> bool:
        """One command or statement; failures print as one message, never a traceback."""
        self.out.echo(unit)
        try:
            command = cli_command(unit)
            if command is not None:
                return commands.run(self, command)
            return self.statement(unit)
        except BackendError as error:
            self.out.error(format_error(error))
        except Exception as error:  # noqa: BLE001 (a bug must not end the session with a traceback)
            self.out.error(f"Internal error: {type(error).__name__}: {error}")
        return False

    def statement(self, text: str) -> bool:
        """One SQL statement: parsed here, once (so syntax errors never travel), then routed;
        an embedded engine runs what was parsed here."""
        sql = substitute_variables(text, self.variables)
        try:
            prepared = prepare_statements(sql, {})
        except ParseError as error:
            failure = BackendError(error.message, line=error.line, column=error.column)
            self.out.error(format_error(failure, sql))
            return False
        except KsqlError as error:
            self.out.error(format_error(BackendError(error.message), sql))
            return False
        if not prepared:
            return True
        statement = prepared[0].statement
        try:
            local = self._local(statement)
            if local is not None:
                return local
            if isinstance(statement, ast.QueryStatement | ast.PrintTopic):
                return self.run_query(sql, prepared[0])
            entities = self.backend.execute(sql, self.properties, self.variables, prepared)
            if not isinstance(statement, _READ_ONLY):
                self.forget_names()
            self.print_entities(entities)
            return True
        except BackendError as error:
            self.print_entities(error.entities)
            self.out.error(format_error(error, sql))
            return False

    def _local(self, statement: ast.Statement) -> bool | None:
        """SET, UNSET, DEFINE, UNDEFINE and SHOW VARIABLES live in the shell, as in ksqlDB."""
        if isinstance(statement, ast.SetProperty):
            try:  # as ksqlDB's CLI, refuse an unknown property or a bad value at once
                check_property(statement.name, statement.value)
            except KsqlError as error:
                self.out.error(error.message)
                return False
            self.properties[statement.name] = statement.value
            self.out.line(
                f"Successfully changed local property '{statement.name}' to '{statement.value}'. "
                "Use the UNSET command to revert your change."
            )
            return True
        if isinstance(statement, ast.UnsetProperty):
            old = self.properties.pop(statement.name, None)
            if old is None:
                self.out.error(
                    f"Cannot unset local property '{statement.name}' "
                    "which was never set in the first place."
                )
                return False
            self.out.line(
                f"Successfully unset local property '{statement.name}' (value was '{old}')."
            )
            return True
        if isinstance(statement, ast.DefineVariable):
            self.variables[statement.name] = statement.value
            return True
        if isinstance(statement, ast.UndefineVariable):
            match = next((k for k in self.variables if k.upper() == statement.name.upper()), None)
            if match is None:
                self.out.line(f"Variable '{statement.name}' is undefined")
            else:
                del self.variables[match]
            return True
        if isinstance(statement, ast.Show) and statement.what.upper() == "VARIABLES":
            listed = [{"name": k, "value": v} for k, v in sorted(self.variables.items())]
            self.print_entities(
                [
                    {
                        "@type": "variables",
                        "statementText": "SHOW VARIABLES;",
                        "variables": listed,
                        "warnings": [],
                    }
                ]
            )
            return True
        return None

    # ------------------------------------------------------------------ output

    def print_entities(self, entities: list[dict[str, Any]]) -> None:
        if not entities:
            return
        if self.output_format == "JSON":
            self.out.line(pretty(entities))
            return
        for entity in entities:
            self.out.line(render_entity(entity, self.out.width()))

    # ------------------------------------------------------------------ queries

    def run_query(self, sql: str, prepared: PreparedStatement) -> bool:
        """Stream a SELECT or PRINT; Ctrl-C (or --query-timeout) stops it and says so."""
        statement = prepared.statement
        stream = self.backend.query(sql, self.properties, self.variables, prepared)
        is_print = isinstance(statement, ast.PrintTopic)
        is_pull = isinstance(statement, ast.QueryStatement) and statement.query.emit is None
        as_json = self.output_format == "JSON"
        if self.interactive and not is_pull:
            self.out.line("Press CTRL-C to interrupt")
        formatter: RowFormatter | None = None
        header: Header | None = None
        pulled: list[Row] = []
        final: str | None = None
        count = 0
        stopped = False
        events = stream.events()
        self._arm_timeout()
        try:
            for event in events:
                if isinstance(event, Header):
                    header = event
                    if as_json:
                        self.out.line(
                            compact(
                                {"header": {"queryId": event.query_id, "schema": _schema(event)}}
                            )
                        )
                    elif not is_pull:
                        formatter = self._formatter(event, None)
                        self.out.line(formatter.header())
                elif isinstance(event, Row):
                    count += 1
                    if as_json:
                        self.out.line(compact({"row": {"columns": event.values}}))
                    elif is_pull:
                        pulled.append(event)
                    elif formatter is not None:
                        self.out.line(formatter.row(event.values, event.tombstone))
                    if self.row_limit is not None and count >= self.row_limit:
                        stopped = True
                        break
                elif isinstance(event, Final):
                    final = event.message
                elif isinstance(event, Text):
                    self.out.line(event.line)
                    count += 1 if event.line.startswith("rowtime:") else 0
                    if self.row_limit is not None and count >= self.row_limit:
                        stopped = True
                        break
        except (KeyboardInterrupt, QueryTimeout) as reason:
            stopped = True
            if isinstance(reason, KeyboardInterrupt):
                self.out.line()  # the terminal echoed ^C; finish that line
        finally:
            self._disarm_timeout()
            events.close()
            stream.cancel()
        if is_pull and header is not None and not as_json:
            formatter = self._formatter(header, [r.values for r in pulled])
            self.out.line(formatter.header())
            for row in pulled:
                self.out.line(formatter.row(row.values, row.tombstone))
        if formatter is not None and not as_json:
            self.out.line(formatter.rule())
        if final and not stopped:
            self.out.line(compact({"finalMessage": final}) if as_json else final)
        if is_print:
            self.out.line("Topic printing ceased")
        else:
            self.out.line("Query terminated")
        return True

    def _formatter(self, header: Header, rows: list[list[Any]] | None) -> RowFormatter:
        names = [name for name, _ in header.columns]
        return RowFormatter(names, self.out.width(), rows, self.column_width)

    def _arm_timeout(self) -> None:
        if not self.timeout_ms:
            return

        def expire(signum: int, frame: Any) -> None:
            raise QueryTimeout()

        try:
            signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, self.timeout_ms / 1000)
        except ValueError:  # not the main thread: no timeout
            pass

    def _disarm_timeout(self) -> None:
        if self.timeout_ms:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
            except ValueError:
                pass

    # ------------------------------------------------------------------ completion data

    def names(self, max_age_s: float = 5.0) -> Names:
        """Names for completion, refreshed after catalog changes and every few seconds."""
        now = time.monotonic()
        if self._names is None or now - self._names_at > max_age_s:
            try:
                self._names = self.backend.names()
            except BackendError:
                self._names = Names()
            self._names_at = now
        return self._names

    def forget_names(self) -> None:
        """The catalog changed (or the server did): fetch names again at the next Tab."""
        self._names = None


def _schema(header: Header) -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in header.columns)
