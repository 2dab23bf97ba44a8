"""The embedded backend: an Engine on a local data directory, answering like the REST server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ksql import ast
from ksql.engine import DEFAULT_PROPERTIES, Engine
from ksql.errors import KsqlError, ParseError
from ksql.prepare import PreparedStatement
from ksql.results import RowsResult
from repl.backend import BackendError, Event, Final, Header, Names, QueryStream, Row, version
from repl.print_topic import PrintStream
from server.entities import RenderContext, render


def as_backend_error(error: KsqlError) -> BackendError:
    """An engine error as the shell reports it, with the parser's position when there is one."""
    line = error.line if isinstance(error, ParseError) else None
    column = error.column if isinstance(error, ParseError) else None
    return BackendError(
        error.message, statement_text=error.statement_text, line=line, column=column
    )


class EmbeddedQuery:
    """A push or pull query of the embedded engine, as header, rows and a final message."""

    def __init__(self, result: RowsResult) -> None:
        self.result = result
        self.cancelled = False
        self._closed = False

    def cancel(self) -> None:
        self.cancelled = True
        self._close()

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self.result.close()

    def events(self) -> Iterator[Event]:
        result = self.result
        columns = tuple(
            (c.name, f"{c.type} KEY" if c.is_key and result.is_pull else c.type)
            for c in result.columns
        )
        yield Header(result.query_id, columns)
        try:
            for values in result.rows:
                if self.cancelled:
                    return
                yield Row(list(values))
        except KsqlError as error:
            raise as_backend_error(error) from None
        finally:
            self._close()
        # What the server would say when the rows end by themselves (a push query's LIMIT).
        message = getattr(result, "completion_message", None)
        if message is None and not result.is_pull:
            message = "Limit Reached"
        if message and not self.cancelled:
            yield Final(message)


class EmbeddedBackend:
    """Runs statements in this process; persistent queries advance on a background thread."""

    def __init__(self, data_dir: str | Path) -> None:
        self.location = str(data_dir)
        try:
            self.engine = Engine(data_dir)
        except KsqlError as error:
            raise as_backend_error(error) from None
        except OSError as error:  # e.g. another process holds the data directory's lock
            raise BackendError(f"Cannot open data directory {data_dir}: {error}") from None
        self.engine.start()
        self._sequence = 0

    def info(self) -> dict[str, Any]:
        return {
            "version": version(),
            "kafkaClusterId": "embedded",
            "ksqlServiceId": self.engine.properties.get("ksql.service.id", "default_"),
            "serverStatus": "RUNNING",
        }

    def execute(
        self,
        sql: str,
        properties: dict[str, str],
        variables: dict[str, str],
        prepared: list[PreparedStatement] | None = None,
    ) -> list[dict[str, Any]]:
        # The server's own entity rendering, so both backends answer with the same JSON.
        engine = self.engine
        results = []
        try:
            statements = engine.prepare(sql, variables) if prepared is None else prepared
            session = engine.session(properties)
            for statement in statements:
                results.append((statement.statement, engine.execute_prepared(statement, session)))
        except KsqlError as error:
            raise as_backend_error(error) from None
        entities: list[dict[str, Any]] = []
        context = RenderContext(engine, "embedded")
        for statement, result in results:
            self._sequence += 1
            context.sequence_number = self._sequence
            try:
                entity = render(statement, result, context)
            except TypeError:  # a result the REST API has no entity for
                entity = {
                    "@type": "warning_entity",
                    "statementText": sql,
                    "message": str(result),
                    "warnings": [],
                }
            if entity is not None:
                entities.append(entity)
        return entities

    def query(
        self,
        sql: str,
        properties: dict[str, str],
        variables: dict[str, str],
        prepared: PreparedStatement | None = None,
    ) -> QueryStream:
        engine = self.engine
        try:
            if prepared is None:
                statements = engine.prepare(sql, variables)
                prepared = statements[0] if len(statements) == 1 else None
            statement = prepared.statement if prepared is not None else None
            if isinstance(statement, ast.PrintTopic):
                return PrintStream(
                    engine,
                    statement.topic,
                    statement.from_beginning,
                    statement.interval,
                    statement.limit,
                )
            if prepared is None or not isinstance(statement, ast.QueryStatement):
                raise BackendError("Not a query: use SELECT or PRINT", statement_text=sql)
            result = engine.execute_prepared(prepared, engine.session(properties))
        except KsqlError as error:
            raise as_backend_error(error) from None
        if not isinstance(result, RowsResult):
            raise BackendError("Not a query: use SELECT or PRINT", statement_text=sql)
        return EmbeddedQuery(result)

    def names(self) -> Names:
        from ksql.functions.registry import default_registry

        sources = self.engine.sources()
        kinds = {s.name: s.kind for s in sources}
        columns = {s.name: [c.name for c in s.columns] for s in sources}
        topics = [t.name for t in self.engine.topics()]
        properties = sorted(set(DEFAULT_PROPERTIES) | set(self.engine.properties) | _KNOWN_PROPS)
        return Names(kinds, columns, list(default_registry().names()), properties, topics)

    def close(self) -> None:
        self.engine.close()


# Properties users commonly SET, offered by completion beside the engine's own.
_KNOWN_PROPS = frozenset(
    {
        "auto.offset.reset",
        "ksql.streams.auto.offset.reset",
        "ksql.query.pull.table.scan.enabled",
        "ksql.output.topic.name.prefix",
        "ksql.persistence.default.format.value",
        "ksql.persistence.wrap.single.values",
        "commit.interval.ms",
        "cache.max.bytes.buffering",
    }
)
