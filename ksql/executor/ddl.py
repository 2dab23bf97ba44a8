"""DDL: CREATE/DROP/ALTER of streams and tables, CREATE/DROP TYPE."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ksql import ast
from ksql.analyzer.ddl import build_source, columns_of
from ksql.analyzer.properties import require_supported
from ksql.catalog import KEY, Source
from ksql.errors import KsqlError, StatementError
from ksql.runtime.decode import source_formats
from ksql.executor.infer import infer_columns
from ksql.results import CommandResult


def kind_word(kind: str) -> str:
    return "stream" if kind == "STREAM" else "table"


def check_formats(source: Source) -> None:
    """Both formats must exist, be built, and be able to carry the source's columns."""
    require_supported(source.key_format)
    require_supported(source.value_format)
    keys = [(c.name, c.type) for c in source.key_columns]
    values = [(c.name, c.type) for c in source.value_columns]
    key_format, value_format = source_formats(source)
    try:
        key_format.check_schema(keys, is_key=True, wrap_single=None)
    except KsqlError as error:
        columns = ", ".join(f"`{n}` {t} KEY" for n, t in keys)
        raise StatementError(
            "Key format does not support schema.\n"
            f"format: {source.key_format.name}\n"
            f"schema: Persistence{{columns=[{columns}], features=[]}}\n"
            f"reason: {error.message}"
        ) from None
    value_format.check_schema(values, is_key=False, wrap_single=source.wrap_single_value)


def register_schemas(engine, sink: Source) -> None:
    """A query's sink registers the schemas it writes under `<topic>-key` / `<topic>-value`
    (formats with a registry); a schema the registry refuses fails the statement."""
    key_format, value_format = source_formats(sink, engine.schema_registry())
    sides = (
        (key_format, [(c.name, c.type) for c in sink.key_columns], False),
        (value_format, [(c.name, c.type) for c in sink.value_columns], sink.wrap_single_value),
    )
    for fmt, columns, wrap in sides:
        register = getattr(fmt, "register", None)
        if register is not None and columns:
            try:
                register(columns, wrap_single=wrap)
            except KsqlError as error:
                raise StatementError(error.message) from None


def ensure_topic(
    engine, topic: str, settings: dict[str, Any], *, default_partitions: int = 1
) -> None:
    """Create a missing topic when partitions are given (or the engine auto-creates)."""
    if engine.log.topic_exists(topic):
        return
    partitions = settings.get("partitions")
    if partitions is None and not engine.auto_create_topics:
        raise StatementError(
            f"Topic '{topic}' does not exist. If you want to create a new topic for the "
            "stream/table please re-run the statement providing the required 'PARTITIONS' "
            "configuration in the WITH clause (and optionally 'REPLICAS'). For example: "
            f"CREATE STREAM FOO (ID INT, VALUE STRING) WITH (KAFKA_TOPIC='{topic}', "
            "PARTITIONS=2, REPLICAS=1, VALUE_FORMAT='JSON');"
        )
    replicas = settings.get("replicas")
    engine.log.create_topic(
        topic,
        partitions=int(default_partitions if partitions is None else partitions),
        replicas=int(1 if replicas is None else replicas),
    )


def check_replace(
    engine, name: str, kind: str, or_replace: bool, if_not_exists: bool, is_source: bool
):
    """Rules for a name that already exists; returns True when the statement is a no-op."""
    if is_source and or_replace:
        raise StatementError(
            f"Cannot add {kind_word(kind)} '{name}': CREATE OR REPLACE is not supported on "
            f"source {kind_word(kind)}s."
        )
    existing = engine.catalog.source(name)
    if existing is None:
        return False
    if existing.is_source and or_replace:
        raise StatementError(
            f"Cannot add {kind_word(kind)} '{name}': CREATE OR REPLACE is not supported on "
            f"source {kind_word(existing.kind)}s."
        )
    if existing.kind != kind:
        raise StatementError(
            f"Cannot add {kind_word(kind)} '{name}': A {kind_word(existing.kind)} with the same "
            "name already exists"
        )
    if if_not_exists:
        return True
    if not or_replace:
        raise StatementError(
            f"Cannot add {kind_word(kind)} '{name}': A {kind_word(kind)} with the same name "
            "already exists"
        )
    return False


def create_source(
    engine, stmt: ast.CreateSource, text: str, session: dict[str, str]
) -> CommandResult:
    if check_replace(
        engine, stmt.name, stmt.kind, stmt.or_replace, stmt.if_not_exists, stmt.is_source
    ):
        return CommandResult(text, f"{stmt.kind.title()} {stmt.name} already exists.")
    stmt = infer_columns(engine, stmt, session)
    source, settings = build_source(stmt, text, engine.catalog, session)
    check_formats(source)
    ensure_topic(engine, source.topic, settings)
    engine.catalog.add_source(source)
    engine.record_command(text, session)
    return CommandResult(text, f"{stmt.kind.title()} created")


def create_type(engine, stmt: ast.CreateType, text: str, session: dict[str, str]) -> CommandResult:
    name = stmt.name.upper()
    if name in engine.catalog.types:
        if stmt.if_not_exists:
            return CommandResult(text, f"Type {name} already exists.")
        raise StatementError(
            f"Cannot register custom type '{name}' since it is already registered with type: "
            f"{engine.catalog.types[name]}"
        )
    engine.catalog.types[name] = engine.catalog.resolve_type(stmt.type)
    engine.record_command(text, session)
    return CommandResult(
        text, f"Registered custom type with name '{name}' and SQL type {engine.catalog.types[name]}"
    )


def drop_type(engine, stmt: ast.DropType, text: str, session: dict[str, str]) -> CommandResult:
    name = stmt.name.upper()
    if name not in engine.catalog.types:
        if stmt.if_exists:
            return CommandResult(text, f"Type {name} does not exist.")
        raise StatementError(f"Type {name} does not exist.")
    del engine.catalog.types[name]
    engine.record_command(text, session)
    return CommandResult(text, f"Dropped type '{name}'")


def drop_source(engine, stmt: ast.DropSource, text: str, session: dict[str, str]) -> CommandResult:
    from ksql.executor.persistent import stop_query  # persistent imports this module

    catalog = engine.catalog
    source = catalog.source(stmt.name)
    if source is None or source.kind != stmt.kind:
        if stmt.if_exists:
            return CommandResult(text, f"Source {stmt.name} does not exist.")
        raise KsqlError(f"{stmt.kind.title()} {stmt.name} does not exist.")
    if stmt.delete_topic and source.is_source:
        raise KsqlError(f"Cannot delete topic for read-only source: {stmt.name}")
    _check_unused(catalog, source)
    # The C*AS query that populates the source ends with it, as in ksqlDB.
    if source.created_by_query in catalog.queries:
        stop_query(engine, source.created_by_query)
    catalog.drop_source(stmt.name)
    engine.materialized.forget(stmt.name)
    if stmt.delete_topic and engine.log.topic_exists(source.topic):
        engine.log.delete_topic(source.topic)
    engine.record_command(text, session)
    return CommandResult(text, f"Source `{stmt.name}` (topic: {source.topic}) was dropped.")


def _check_unused(catalog, source: Source) -> None:
    """Only the query that creates a source may use it when it is dropped: streams and tables
    built from it are dropped first, other queries reading or writing it terminated first."""
    name = source.name
    others = [q for q in catalog.queries.values() if q.query_id != source.created_by_query]
    readers = [q for q in others if name in q.sources]
    writers = [q for q in others if q.sink == name]
    derived = sorted({q.sink for q in readers if q.kind != "INSERT" and q.sink is not None})
    if derived:
        raise KsqlError(
            f"Cannot drop {name}.\n"
            "The following streams and/or tables read from this source: "
            f"[{', '.join(derived)}].\n"
            f"You need to drop them before dropping {name}."
        )
    if readers or writers:
        reading = ", ".join(sorted(q.query_id for q in readers))
        writing = ", ".join(sorted(q.query_id for q in writers))
        raise KsqlError(
            f"Cannot drop {name}.\n"
            f"The following queries read from this source: [{reading}].\n"
            f"The following queries write into this source: [{writing}].\n"
            f"You need to terminate them before dropping {name}."
        )


def alter_source(
    engine, stmt: ast.AlterSource, text: str, session: dict[str, str]
) -> CommandResult:
    source = engine.catalog.source(stmt.name)
    if source is None:
        raise KsqlError(f"Source {stmt.name} does not exist.")
    if source.is_source:
        raise KsqlError(
            f"Cannot alter {kind_word(stmt.kind)} '{stmt.name}': ALTER operations are not "
            f"supported on source {kind_word(stmt.kind)}s."
        )
    if source.created_by_query is not None:
        raise KsqlError("ALTER command is not supported for CREATE ... AS statements.")
    fake = ast.CreateSource(stmt.kind, stmt.name, stmt.added)
    added = columns_of(fake, engine.catalog)
    for column in added:
        if source.column(column.name) is not None:
            raise KsqlError(
                f"Cannot add column `{column.name}` to schema. A column with the same name "
                "already exists."
            )
        if column.namespace == KEY:
            raise KsqlError("Cannot add key columns with ALTER")
    engine.catalog.add_source(replace(source, columns=source.columns + tuple(added)))
    engine.record_command(text, session)
    return CommandResult(text, f"{stmt.kind.title()} {stmt.name} altered.")
