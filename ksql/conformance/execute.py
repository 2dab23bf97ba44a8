"""Running one conformance case through a fresh engine and judging the outcome."""

from __future__ import annotations

import base64
import re
import tempfile
from dataclasses import dataclass

from ksql.analyzer.properties import UnsupportedFormatError
from ksql.catalog import Source
from ksql.conformance.cases import Case
from ksql.conformance.compare import describe, same
from ksql.conformance.schemas import register_topic_schemas
from ksql.conformance.test_udfs import register as register_test_udfs
from ksql.engine import Engine
from ksql.errors import KsqlError, ParseError
from ksql.runtime.aggregate import CACHE_PROPERTY
from ksql.runtime.decode import SourceDecoder
from ksql.runtime.encode import join_windowed_key, split_windowed_key


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # passed | failed | skipped | error
    reason: str = ""


def _type_matches(expected_type: str, error: KsqlError) -> bool:
    """ksqlDB's exception classes, mapped onto our hierarchy by what they mean."""
    short = expected_type.rsplit(".", 1)[-1]
    if short == "ParseFailedException":
        return isinstance(error, ParseError)
    if short in ("KsqlException", "KsqlStatementException"):
        return True
    return error.kind.rsplit(".", 1)[-1] == short


def run_case(case: Case, *, restart: bool = False, backend=None) -> Outcome:
    """Run one case; `backend` (a KafkaTestCluster) runs it on Kafka under its own prefix."""
    register_test_udfs()  # ksqlDB's test-only functions, as Python plugins
    if not case.enabled:
        return Outcome("skipped", "disabled in the corpus")
    fmt = case.unsupported_format()
    if fmt is not None:
        return Outcome("skipped", f"format {fmt} is not supported yet")
    with tempfile.TemporaryDirectory(prefix="ksql-qtt-") as tmp:
        # ksqlDB's harness runs with the record cache off: every update is an output record.
        properties = {"auto.offset.reset": "earliest", CACHE_PROPERTY: "0"}
        if backend is not None:
            properties.update(backend.case_properties())
        properties.update({k: str(v) for k, v in case.properties.items()})
        engines = [Engine(tmp, properties=properties, auto_create_topics=True)]

        def reopen() -> Engine:
            # Step: stop the engine mid-input and start a new one on the same data directory.
            engines[-1].close()
            engines.append(Engine(tmp, properties=properties, auto_create_topics=True))
            return engines[-1]

        try:
            return _run(engines[0], case, reopen if restart else None)
        except UnsupportedFormatError as error:
            return Outcome("skipped", str(error))
        finally:
            engines[-1].close()
            if backend is not None:
                backend.cleanup(properties)


def _run(engine: Engine, case: Case, reopen=None) -> Outcome:
    """Run a case; with `reopen`, the engine is restarted after half of the inputs."""
    # Step 1: topics the case declares.
    for topic in case.topics:
        name = topic.get("name")
        if name and not engine.log.topic_exists(name):
            engine.log.create_topic(name, partitions=int(topic.get("partitions", 1)))
    register_topic_schemas(engine.schema_registry(), case.topics)
    # Step 2: statements, in order; the first failure ends the run.
    expected_error = case.expected_exception
    # One script, one statement per line, as ksqlDB's harness submits them (so error positions
    # count lines from the first statement).
    try:
        engine.execute("\n".join(case.statements))
    except UnsupportedFormatError:
        raise
    except KsqlError as error:
        if expected_error is None:
            return Outcome("failed", f"statement failed: {_one_line(error.message)}")
        return _judge_error(expected_error, error)
    # Step 3: inputs, then let every query drain them.
    half = len(case.inputs) // 2 if reopen is not None else len(case.inputs)
    # ksqlDB's harness processes each input before the next one is produced; across several
    # topics the arrival order matters (a join), so do the same there.
    one_by_one = len({r["topic"] for r in case.inputs}) > 1
    _feed(engine, case.inputs[:half], one_by_one)
    if reopen is not None:
        engine = reopen()
        _feed(engine, case.inputs[half:], one_by_one)
    failed_query = next((q for q in engine.catalog.queries.values() if q.state == "ERROR"), None)
    if expected_error is not None:
        if failed_query is not None:
            return Outcome("passed") if expected_error.get("message", "") in (failed_query.error or "") else Outcome("failed", f"query error: {failed_query.error}")
        return Outcome("failed", f"expected exception {expected_error.get('message', '')!r} was not raised")
    if failed_query is not None:
        return Outcome("failed", f"query {failed_query.query_id} failed: {_one_line(failed_query.error or '')}")
    # Step 4: outputs, per topic in order.
    reason = _check_outputs(engine, case)
    if reason:
        return Outcome("failed", reason)
    # Step 5: post conditions.
    reason = _check_post(engine, case)
    if reason:
        return Outcome("failed", reason)
    return Outcome("passed")


def _feed(engine: Engine, records: list[dict], one_by_one: bool) -> None:
    for record in records:
        _produce(engine, record)
        if one_by_one:
            engine.run_until_idle()
    engine.run_until_idle()


def _judge_error(expected: dict, error: KsqlError) -> Outcome:
    expected_type = expected.get("type", "")
    message = expected.get("message", "")
    if expected_type and not _type_matches(expected_type, error):
        return Outcome("failed", f"expected {expected_type.rsplit('.', 1)[-1]}, got {type(error).__name__}: {_one_line(error.message)}")
    if message and message not in error.message:
        return Outcome("failed", f"expected message {message!r}, got {error.message!r}")
    return Outcome("passed")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _source_for_topic(engine: Engine, topic: str) -> Source | None:
    """The source declared over a topic (the first created wins, as the harness's does)."""
    for source in engine.catalog.sources.values():
        if source.topic == topic:
            return source
    return None


def _produce(engine: Engine, record: dict) -> None:
    topic = record["topic"]
    if not engine.log.topic_exists(topic):
        engine.log.create_topic(topic, partitions=1)
    source = _source_for_topic(engine, topic)
    key, value = record.get("key"), record.get("value")
    if source is not None:
        serde = SourceDecoder(source, engine.schema_registry())
        key_bytes = None if key is None else serde.key_format.to_bytes(key, serde.key_columns, wrap_single=False)
        value_bytes = None if value is None else serde.value_format.to_bytes(value, serde.value_columns, wrap_single=source.wrap_single_value)
        window = record.get("window")
        if source.window is not None and isinstance(window, dict):
            key_bytes = join_windowed_key(
                key_bytes or b"", int(window["start"]), int(window["end"]),
                session=source.window.kind == "SESSION",
            )
    else:
        import orjson

        key_bytes = None if key is None else str(key).encode()
        value_bytes = None if value is None else orjson.dumps(value)
    headers = [
        (h.get("KEY") or h.get("key"), None if (v := h.get("VALUE", h.get("value"))) is None else base64.b64decode(v))
        for h in record.get("headers") or []
    ]
    engine.produce(topic, key_bytes, value_bytes, int(record.get("timestamp") or 0), headers)


def _split_window(source: Source | None, key: bytes | None) -> tuple[bytes | None, dict | None]:
    """A windowed sink's key bytes carry the window; the harness compares it separately."""
    if source is None or source.window is None or key is None:
        return key, None
    session = source.window.kind == "SESSION"
    raw, start, end = split_windowed_key(key, session=session)
    if end is None:
        end = start + (source.window.size_ms or 0)
    return raw, {"start": start, "end": end, "type": "session" if session else "time"}


def _decode_output(engine: Engine, source: Source | None, key: bytes | None, value: bytes | None):
    if source is None:
        return (None if key is None else key.decode(errors="replace"),
                None if value is None else value.decode(errors="replace"))
    serde = SourceDecoder(source, engine.schema_registry())
    decoded_key = None if key is None else serde.key_format.from_bytes(key, serde.key_columns, wrap_single=False)
    decoded_value = None if value is None else serde.value_format.from_bytes(value, serde.value_columns, wrap_single=source.wrap_single_value)
    return decoded_key, decoded_value


def _check_outputs(engine: Engine, case: Case) -> str:
    by_topic: dict[str, list[dict]] = {}
    for record in case.outputs:
        by_topic.setdefault(record["topic"], []).append(record)
    for topic, expected in by_topic.items():
        if not engine.log.topic_exists(topic):
            return f"output topic {topic} does not exist"
        table = engine.read_topic(topic)
        if table.num_rows and len(set(table.column("partition").to_pylist())) > 1:
            table = table.sort_by([("timestamp", "ascending")])
        rows = table.to_pylist()
        source = _source_for_topic(engine, topic)
        if len(rows) != len(expected):
            actual = [_decode_output(engine, source, r["key"], r["value"]) for r in rows[:5]]
            return f"{topic}: expected {len(expected)} records, got {len(rows)}: {describe(actual)}"
        for index, (want, row) in enumerate(zip(expected, rows, strict=True)):
            raw_key, window = _split_window(source, row["key"])
            key, value = _decode_output(engine, source, raw_key, row["value"])
            if "window" in want and want["window"] != window:
                return f"{topic}[{index}]: window {window} != expected {want['window']}"
            if "key" in want and not same(want["key"], key):
                return f"{topic}[{index}]: key {describe(key)} != expected {describe(want['key'])}"
            if not same(want.get("value"), value):
                return f"{topic}[{index}]: value {describe(value)} != expected {describe(want.get('value'))}"
            if "timestamp" in want and want["timestamp"] != row["timestamp"]:
                return f"{topic}[{index}]: timestamp {row['timestamp']} != expected {want['timestamp']}"
    return ""


def _check_post(engine: Engine, case: Case) -> str:
    post = case.post or {}
    for expected in post.get("sources", []):
        name = expected["name"]
        source = engine.catalog.source(name) or engine.catalog.source(name.upper())
        if source is None:
            return f"post: source {name} does not exist"
        if str(expected.get("type", source.kind)).upper() != source.kind:
            return f"post: {name} is a {source.kind}, expected {expected['type']}"
        schema = expected.get("schema")
        if schema:
            reason = _compare_schema(schema, source)
            if reason:
                return f"post: {name}: {reason}"
        key_format = expected.get("keyFormat")
        if isinstance(key_format, dict) and key_format.get("format"):
            if key_format["format"].upper() != source.key_format.name:
                return f"post: {name} key format {source.key_format.name} != {key_format['format']}"
        value_format = expected.get("valueFormat")
        if isinstance(value_format, dict):
            value_format = value_format.get("format")
        if value_format and str(value_format).upper() != source.value_format.name:
            return f"post: {name} value format {source.value_format.name} != {value_format}"
        if "isSource" in expected and bool(expected["isSource"]) != source.is_source:
            return f"post: {name} isSource {source.is_source} != {expected['isSource']}"
    topics = post.get("topics") or {}
    blacklist = topics.get("blacklist")
    if blacklist:
        pattern = re.compile(blacklist)
        for info in engine.log.list_topics():
            if pattern.fullmatch(info.name):
                return f"post: topic {info.name} should not exist"
    return ""


def _compare_schema(schema: str, source: Source) -> str:
    from ksql.parser import parse

    text = re.sub(r"PRIMARY\s+KEY", "KEY", schema, flags=re.IGNORECASE)
    statement = parse(f"CREATE STREAM X ({text}) WITH (kafka_topic='x', value_format='JSON');")[0].statement
    expected = [(e.name, str(e.type), e.constraint in ("KEY", "PRIMARY KEY")) for e in statement.elements]
    actual = [(c.name, str(c.type), c.is_key) for c in source.columns]
    if expected != actual:
        return f"schema {source.schema_text()} != expected {schema}"
    return ""
