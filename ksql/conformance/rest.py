"""Running rqtt cases through a real `ksql-server` over HTTP, as ksqlDB's RestTestExecutor does.

Per case: create the topics, send the statements before the first SELECT to /ksql in one
request, produce the inputs, wait until the persistent queries have caught up, send each
SELECT to /query, then compare the responses (and the output topics) with the case's.

Records are serialized and decoded through a local "shadow" engine that runs the same DDL and
no queries: the same serde code the in-process runner uses, so the bytes match it exactly.
"""

from __future__ import annotations

import json
import tempfile
import threading
from typing import Any

from ksql import ast
from ksql.analyzer.properties import UnsupportedFormatError
from ksql.conformance.cases import Case
from ksql.conformance.compare import describe, same
from ksql.conformance.execute import Outcome, _check_outputs, _produce
from ksql.conformance.rest_server import HttpResult, ServerProcess
from ksql.engine import Engine
from ksql.errors import KsqlError
from ksql.parser import parse
from ksql.runtime.aggregate import CACHE_PROPERTY

ERROR_TYPES = {
    "KsqlStatementErrorMessage": ("statement_error",),
    "KsqlErrorMessage": ("statement_error", "generic_error"),
}


def is_query(statement: str) -> bool:
    return statement.lstrip().upper().startswith("SELECT ")


def run_case_rest(case: Case, server: ServerProcess) -> Outcome:
    if not case.enabled:
        return Outcome("skipped", "disabled in the corpus")
    fmt = case.unsupported_format()
    if fmt is not None:
        return Outcome("skipped", f"format {fmt} is not supported yet")
    with tempfile.TemporaryDirectory(prefix="ksql-rqtt-shadow-") as tmp:
        shadow = Engine(
            tmp,
            properties={"auto.offset.reset": "earliest", CACHE_PROPERTY: "0"},
            auto_create_topics=True,
        )
        try:
            return _run(case, server, shadow)
        except UnsupportedFormatError as error:
            return Outcome("skipped", str(error))
        finally:
            shadow.close()


def _statement_topics(statements: list[str]) -> dict[str, int | None]:
    """Topics named by CREATE STREAM/TABLE statements, with PARTITIONS when given."""
    topics: dict[str, int | None] = {}
    for text in statements:
        try:
            parsed = parse(text)
        except KsqlError:
            continue
        for item in parsed:
            statement = item.statement
            if not isinstance(statement, ast.CreateSource):
                continue
            props = {k.upper(): v for k, v in statement.properties.items()}
            topic = props.get("KAFKA_TOPIC")
            if topic is not None:
                partitions = props.get("PARTITIONS")
                topics[str(topic)] = None if partitions is None else int(partitions)
    return topics


def _run(case: Case, server: ServerProcess, shadow: Engine) -> Outcome:
    statements = list(case.statements)
    first_query = next((i for i, s in enumerate(statements) if is_query(s)), len(statements))
    admin, queries = statements[:first_query], statements[first_query:]
    if any(not is_query(s) for s in queries):
        return Outcome("failed", "harness: all query statements must come after admin statements")
    properties = {k: v for k, v in case.properties.items()}
    expected_error = case.raw.get("expectedError")
    expected_responses = case.raw.get("responses") or []

    # Step 1: topics the case declares, and those its CREATE statements name without PARTITIONS.
    declared = {t["name"]: int(t.get("partitions", 1)) for t in case.topics if t.get("name")}
    for topic, partitions in _statement_topics(admin).items():
        if topic not in declared and partitions is None:
            declared[topic] = 1
    for record in case.inputs:
        declared.setdefault(record["topic"], 1)
    for topic, partitions in declared.items():
        server.create_topic(topic, partitions)
        if not shadow.log.topic_exists(topic):
            shadow.log.create_topic(topic, partitions=partitions)

    # Step 2: the admin statements, in one /ksql request (and in the shadow, for serdes).
    responses: list[dict[str, Any]] = []
    if admin:
        result = server.post("/ksql", {"ksql": "\n".join(admin), "streamsProperties": properties})
        if result.status != 200:
            return _judge_error(expected_error, result, "admin statements")
        responses.extend({"admin": entity} for entity in result.json())
        for text in admin:
            try:
                shadow.execute(text, {k: str(v) for k, v in properties.items()})
            except KsqlError:
                pass

    # Step 3: inputs, now or once the push query is running (inputConditions).
    conditions = case.raw.get("inputConditions") or {}
    wait_for_push = bool(conditions.get("waitForActivePushQuery"))
    if not wait_for_push:
        _produce_inputs(case, server, shadow)
    if expected_error is None and len(expected_responses) > len(admin):
        server.wait_until_caught_up()

    # Step 4: each query to /query; its response becomes one {"query": [...]} entry.
    for index, text in enumerate(queries):
        expected = _expected_query(expected_responses, len(admin) + index)
        started = threading.Event()
        producer = None
        if wait_for_push and index == 0:

            def produce_when_started(started: threading.Event = started) -> None:
                if started.wait(20):
                    _produce_inputs(case, server, shadow)

            producer = threading.Thread(target=produce_when_started, daemon=True)
            producer.start()
        result = server.stream_query(
            text,
            properties,
            on_header=started.set,
            max_elements=len(expected) if expected else None,
        )
        if producer is not None:
            started.set()
            producer.join(30)
        if result.status != 200:
            return _judge_error(expected_error, result, text)
        responses.append({"query": _elements(result.body)})
    if expected_error is not None:
        return Outcome(
            "failed", f"expected error {expected_error.get('message', '')!r}; all succeeded"
        )

    # Step 5: output topics, decoded as the in-process runner decodes them.
    if case.outputs:
        reason = _check_topic_outputs(case, server, shadow)
        if reason:
            return Outcome("failed", reason)

    # Step 6: the responses, when the case gives them.
    if "responses" not in case.raw:
        return Outcome("passed")
    pull = [False] * (len(responses) - len(queries)) + [_is_pull(q) for q in queries]
    reason = _compare_responses(expected_responses, responses, pull)
    return Outcome("failed", reason) if reason else Outcome("passed")


def _is_pull(text: str) -> bool:
    try:
        statement = parse(text)[0].statement
    except KsqlError:
        return False
    return isinstance(statement, ast.QueryStatement) and statement.query.emit is None


def _produce_inputs(case: Case, server: ServerProcess, shadow: Engine) -> None:
    """Serialize each input through the shadow engine's serdes, then produce it to the server."""
    for record in case.inputs:
        topic = record["topic"]
        before = _end_offsets(shadow, topic)
        _produce(shadow, record)
        after = _end_offsets(shadow, topic)
        for partition, end in after.items():
            if end == before.get(partition, 0):
                continue
            batch = shadow.log.read(topic, partition, end - 1).to_pylist()
            row = batch[-1]
            server.produce(
                topic,
                row["key"],
                row["value"],
                int(row["timestamp"]),
                partition,
                [(h["key"], h["value"]) for h in row.get("headers") or []],
            )


def _end_offsets(engine: Engine, topic: str) -> dict[int, int]:
    if not engine.log.topic_exists(topic):
        return {}
    partitions = engine.log.describe_topic(topic).partitions
    return {p: engine.log.end_offset(topic, p) for p in range(partitions)}


def _expected_query(expected_responses: list[dict], index: int) -> list[dict] | None:
    if index < len(expected_responses) and "query" in expected_responses[index]:
        return expected_responses[index]["query"]
    return None


def _elements(body: bytes) -> list[Any]:
    """The v1 JSON array, read line by line so that a cut-off stream still parses."""
    elements = []
    for raw in body.decode().splitlines():
        line = raw.strip()
        line = line.removeprefix("[")
        while line.endswith((",", "]")):
            line = line[:-1].rstrip()
        if line:
            elements.append(json.loads(line))
    return elements


def _judge_error(expected: dict | None, result: HttpResult, where: str) -> Outcome:
    try:
        body = result.json()
    except ValueError:
        body = {"message": result.body.decode(errors="replace")}
    message = body.get("message", "") if isinstance(body, dict) else ""
    if expected is None:
        return Outcome("failed", f"{where}: HTTP {result.status}: {_one_line(message)}")
    if "status" in expected and int(expected["status"]) != result.status:
        return Outcome(
            "failed",
            f"expected HTTP {expected['status']}, got {result.status}: {_one_line(message)}",
        )
    expected_type = str(expected.get("type", "")).rsplit(".", 1)[-1]
    if expected_type in ERROR_TYPES and body.get("@type") not in ERROR_TYPES[expected_type]:
        return Outcome("failed", f"expected {expected_type}, got {body.get('@type')}")
    if expected.get("message", "") not in message:
        return Outcome("failed", f"expected message {expected.get('message')!r}, got {message!r}")
    return Outcome("passed")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:300]


def _check_topic_outputs(case: Case, server: ServerProcess, shadow: Engine) -> str:
    """Copy each output topic's records from the server into the shadow, then compare there."""
    import base64

    for topic in {r["topic"] for r in case.outputs}:
        records = server.records(topic)
        if records is None:
            return f"output topic {topic} does not exist"
        partitions = max([r["partition"] for r in records], default=0) + 1
        if shadow.log.topic_exists(topic):
            partitions = max(partitions, shadow.log.describe_topic(topic).partitions)
            shadow.log.delete_topic(topic)
        shadow.log.create_topic(topic, partitions=partitions)
        for r in records:

            def raw(value: str | None) -> bytes | None:
                return None if value is None else base64.b64decode(value)

            shadow.produce(
                topic,
                raw(r["key"]),
                raw(r["value"]),
                int(r["timestamp"]),
                [(h["key"], raw(h["value"])) for h in r.get("headers") or []],
                partition=int(r["partition"]),
            )
    return _check_outputs(shadow, case)


def _matches(expected: Any, actual: Any) -> bool:
    """Expected fields must be present and equal; `name|starts_with` compares a prefix."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        for key, value in expected.items():
            name, _, op = key.partition("|")
            if name not in actual:
                return False
            if op == "starts_with":
                if not str(actual[name]).startswith(str(value)):
                    return False
            elif not _matches(value, actual[name]):
                return False
        return True
    return same(expected, actual)


def _align_rows(want: list[dict], got: list[dict]) -> list[dict]:
    """`got` with its rows reordered to match `want` where a matching row exists."""
    spare = [g for g in got if "row" in g]
    aligned = []
    for w in want:
        if "row" not in w:
            continue
        match = next(
            (g for g in spare if same(w["row"].get("columns"), g["row"].get("columns"))), None
        )
        if match is None:
            return got
        spare.remove(match)
        aligned.append(match)
    rows = iter(aligned)
    return [next(rows) if "row" in g else g for g in got]


def _compare_responses(expected: list[dict], actual: list[dict], pull: list[bool]) -> str:
    if len(expected) != len(actual):
        return f"expected {len(expected)} responses, got {len(actual)}: {describe(actual)[:300]}"
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        kind = next(iter(want))
        if kind not in got:
            return f"response {index}: expected {kind}, got {describe(got)[:300]}"
        if kind == "admin":
            if not _matches(want["admin"], got["admin"]):
                return (
                    f"response {index}: {describe(got['admin'])[:300]} != {describe(want['admin'])}"
                )
            continue
        want_rows, got_rows = want["query"], got["query"]
        if index < len(pull) and pull[index] and len(want_rows) == len(got_rows):
            # A pull query scans a store: ksqlDB's harness takes its rows in any order.
            got_rows = _align_rows(want_rows, got_rows)
        if len(want_rows) != len(got_rows):
            return (
                f"response {index}: expected {len(want_rows)} elements, got {len(got_rows)}: "
                f"{describe(got_rows)[:400]}"
            )
        for element, (w, g) in enumerate(zip(want_rows, got_rows, strict=True)):
            if "row" in w and "row" in g:
                ok = same(w["row"].get("columns"), g["row"].get("columns")) and bool(
                    w["row"].get("tombstone", False)
                ) == bool(g["row"].get("tombstone", False))
            else:
                ok = _matches(w, g)
            if not ok:
                return f"response {index}[{element}]: {describe(g)[:300]} != {describe(w)[:300]}"
    return ""


class ServerPool:
    """One server per case file, reset between its cases; restarted when it dies or a reset
    fails."""

    def __init__(self) -> None:
        self.server: ServerProcess | None = None
        self.file: str | None = None

    def run_case(self, case: Case, restart: bool = False) -> Outcome:
        if not case.enabled or case.unsupported_format() is not None:
            return run_case_rest(case, self.server)  # type: ignore[arg-type]  # skips early
        fresh = self.server is None or self.file != case.file or not self.server.alive()
        if not fresh and not self.server.reset():  # type: ignore[union-attr]
            fresh = True
        if fresh:
            self.close()
            self.server = ServerProcess()
            self.file = case.file
        outcome = run_case_rest(case, self.server)  # type: ignore[arg-type]
        if not self.server.alive():  # type: ignore[union-attr]
            tail = self.server.log_text()[-300:]  # type: ignore[union-attr]
            outcome = Outcome("error", f"server died: {_one_line(tail)}")
        return outcome

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
