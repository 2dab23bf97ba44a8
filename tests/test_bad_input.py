"""Every bad input is a clear 4xx (issue 21): out-of-range values, deep expressions, malformed
REST bodies, unknown properties, and the crashes fuzzing found. Findings about HTTP go through
the real server; the others through the Engine."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator

import pytest

from ksql.conformance.rest_server import ServerProcess
from ksql.engine import Engine
from ksql.errors import KsqlError, ParseError
from ksql.parse_limits import MAX_DEPTH

STREAM = (
    "CREATE STREAM s (id INT KEY, i INT, b BIGINT, d DOUBLE, v STRING) "
    "WITH (kafka_topic='s', partitions=1, value_format='JSON');"
)


WINDOWED = "CREATE TABLE w AS SELECT id, COUNT(*) FROM s WINDOW {} GROUP BY id;"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    process = ServerProcess()
    assert process.post("/ksql", {"ksql": STREAM}).status == 200
    yield process
    process.stop()


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = Engine(properties={"auto.offset.reset": "earliest"})
    engine.execute(STREAM)
    yield engine
    engine.close()


def _error(engine: Engine, sql: str) -> KsqlError:
    with pytest.raises(KsqlError) as caught:
        engine.execute(sql)
    return caught.value


def _records(server: ServerProcess, topic: str) -> list:
    result = server.get(f"/topics/{topic}/records")
    assert result.status == 200
    return result.json()


# ----------------------------------------------------------------------------- INSERT VALUES


def test_insert_values_refuses_out_of_range_numbers_and_stores_nothing(engine: Engine) -> None:
    message = _error(engine, "INSERT INTO s (id, i) VALUES (1, 3000000000);").message
    assert message.startswith(
        "Failed to insert values into 'S'. Expected type INTEGER for field I but got "
        "3000000000(BIGINT)"
    )
    message = _error(engine, "INSERT INTO s (id, b) VALUES (1, 1.5e300);").message
    assert "Expected type BIGINT for field B but got 1.5E300(DOUBLE)" in message
    message = _error(engine, "INSERT INTO s (id, i) VALUES (1, 1.5);").message
    assert "Expected type INTEGER for field I but got 1.5(DECIMAL(2, 1))" in message
    assert engine.read_topic("s").num_rows == 0
    engine.execute("INSERT INTO s (id, b, d) VALUES (1, 2147483647, 3);")  # numbers widen
    assert engine.read_topic("s").num_rows == 1


def test_a_40_digit_literal_is_a_400_naming_the_literal(server: ServerProcess) -> None:
    literal = "1234567890123456789012345678901234567890"
    result = server.post("/ksql", {"ksql": f"INSERT INTO s (id, b) VALUES (1, {literal});"})
    assert result.status == 400
    body = result.json()
    assert body["@type"] == "statement_error"
    assert f"line 1:35: Invalid numeric literal: {literal}" in body["message"]
    assert _records(server, "s") == []


def _inserts_stream(server: ServerProcess, lines: list[dict]) -> list[dict]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        body = "\n".join(json.dumps(line) for line in lines).encode()
        conn.request("POST", "/inserts-stream", body=body)
        response = conn.getresponse()
        assert response.status == 200
        return [json.loads(line) for line in response.read().splitlines() if line.strip()]
    finally:
        conn.close()


def test_inserts_stream_refuses_a_double_for_a_bigint(server: ServerProcess) -> None:
    acks = _inserts_stream(server, [{"target": "S"}, {"ID": 1, "B": 2}, {"ID": 2, "B": 1.5}])
    assert acks[0] == {"status": "ok", "seq": 0}
    assert acks[1]["status"] == "error" and acks[1]["error_code"] == 40000
    assert acks[1]["message"] == (
        "Can't coerce a field of type class java.lang.Double (1.5) into type BIGINT"
    )
    acks = _inserts_stream(server, [{"target": "S"}, {"ID": 3, "I": 3000000000}])
    assert "(3000000000) into type INTEGER" in acks[0]["message"]
    values = [json.loads(base64.b64decode(r["value"])) for r in _records(server, "s")]
    assert [v["B"] for v in values] == [2]  # only the good row


# ----------------------------------------------------------------------------- expression depth


@pytest.mark.parametrize("operator", [" AND ", " OR ", " + ", " || "])
def test_a_few_hundred_chained_terms_run(engine: Engine, operator: str) -> None:
    term = {" AND ": "i = 1", " OR ": "i = 1", " + ": "i", " || ": "v"}[operator]
    predicate = operator.join([term] * 400) + (" > 0" if operator == " + " else "")
    if operator == " || ":
        predicate += " IS NOT NULL"
    engine.execute(f"CREATE STREAM deep AS SELECT * FROM s WHERE {predicate};")
    engine.execute("INSERT INTO s (id, i, v) VALUES (1, 1, 'x');")
    engine.run_until_idle()
    assert engine.read_topic("DEEP").num_rows == 1
    assert [q.state for q in engine.queries()] == ["RUNNING"]


def test_deeper_nesting_is_a_parse_error_with_a_position(engine: Engine) -> None:
    predicate = " AND ".join(["i = 1"] * (MAX_DEPTH + 10))
    error = _error(engine, f"SELECT * FROM s WHERE {predicate} EMIT CHANGES;")
    assert isinstance(error, ParseError)
    assert (error.line, error.column) == (1, 23)
    assert f"Statement is too deeply nested: more than {MAX_DEPTH} levels" in error.message
    error = _error(engine, "SELECT " + "ABS(" * MAX_DEPTH + "i" + ")" * MAX_DEPTH + " FROM s;")
    assert isinstance(error, ParseError) and error.line == 1


def test_a_thousand_chained_terms_are_a_400_not_a_500(server: ServerProcess) -> None:
    predicate = " AND ".join(["i = 1"] * 400)
    result = server.post("/ksql", {"ksql": f"CREATE STREAM d1 AS SELECT * FROM s WHERE {predicate};"})
    assert result.status == 200  # on a server thread, as in the engine
    predicate = " AND ".join(["i = 1"] * 1000)
    result = server.post("/ksql", {"ksql": f"CREATE STREAM d2 AS SELECT * FROM s WHERE {predicate};"})
    assert result.status == 400
    assert "too deeply nested" in result.json()["message"]
    result = server.post("/ksql", {"ksql": "SELECT " + " + ".join(["i"] * 1000) + " FROM s;"})
    assert result.status == 400


# ----------------------------------------------------------------------------- REST bodies


@pytest.mark.parametrize(
    ("record", "detail"),
    [
        ({"value": "e30=", "partition": "zero"}, "partition must be an integer from 0 to 0"),
        ({"value": "e30=", "partition": 5}, "partition must be an integer from 0 to 0"),
        ({"value": "e30=", "timestamp": "yesterday"}, "timestamp must be an integer"),
        ({"value": "e30=", "timestamp": -5}, "timestamp must be an integer"),
        ({"value": "e30=", "headers": "h"}, "headers must be a list of objects"),
        ({"value": "e30=", "headers": [{"value": "eA=="}]}, "headers must be a list of objects"),
    ],
)
def test_bad_produce_fields_are_400s_that_write_nothing(
    server: ServerProcess, record: dict, detail: str
) -> None:
    server.create_topic("raw", 1)
    good = {"value": "e30="}
    result = server.post("/topics/raw", {"records": [good, record]})
    assert result.status == 400, result.body
    assert result.json()["error_code"] == 40000
    assert detail in result.json()["message"]
    assert _records(server, "raw") == []


@pytest.mark.parametrize(
    "patterns", ["FOO", 5, [5], ["ok", None], ["[unclosed"]], ids=repr
)
def test_a_bad_delete_topic_list_is_a_400_and_terminates_nothing(
    server: ServerProcess, patterns: object
) -> None:
    result = server.post("/ksql/terminate", {"deleteTopicList": patterns})
    assert result.status == 400
    assert result.json()["message"].startswith("Invalid JSON in request: ")
    assert "deleteTopicList" in result.json()["message"]
    streams = server.post("/ksql", {"ksql": "SHOW STREAMS;"}).json()[0]["streams"]
    assert "S" in [s["name"] for s in streams]


# ----------------------------------------------------------------------------- properties


def test_set_refuses_unknown_properties_and_bad_values(engine: Engine) -> None:
    message = _error(engine, "SET 'auto.offset.reset'='sideways';").message
    assert message.startswith(
        "Invalid value sideways for configuration auto.offset.reset: "
        "String must be one of: latest, earliest, none"
    )
    message = _error(engine, "SET 'no.such.property'='1';").message
    assert message.startswith(
        "Not recognizable as ksql, streams, consumer, or producer property: 'no.such.property'"
    )
    message = _error(engine, "SET 'ksql.query.pull.table.scan.enabled'='maybe';").message
    assert "Expected value to be either true or false" in message
    for name, value in [
        ("ksql.streams.auto.offset.reset", "earliest"),
        ("ksql.streams.producer.compression.type", "zstd"),
        ("ksql.streams.consumer.max.poll.records", "10"),
        ("cache.max.bytes.buffering", "0"),
        ("ksql.functions.substring.legacy.args", "false"),
        ("ksql.query.pull.table.scan.enabled", "False"),
    ]:
        engine.execute(f"SET '{name}'='{value}';")


def test_request_properties_are_checked_before_the_request_runs(server: ServerProcess) -> None:
    result = server.post(
        "/ksql",
        {
            "ksql": "CREATE STREAM never (id INT KEY) WITH (kafka_topic='never', partitions=1, "
            "value_format='JSON');",
            "streamsProperties": {"auto.offset.reset": "sideways"},
        },
    )
    assert result.status == 400
    assert result.json() == {
        "@type": "generic_error",
        "error_code": 40000,
        "message": "Invalid value sideways for configuration auto.offset.reset: "
        "String must be one of: latest, earliest, none",
    }
    result = server.post(
        "/query-stream", {"sql": "SELECT * FROM s;", "properties": {"ksql.nonsense": "1"}}
    )
    assert result.status == 400
    assert "'ksql.nonsense'" in result.json()["message"]
    assert server.get("/is_valid_property/ksql.nonsense").status == 400
    assert server.get("/is_valid_property/ksql.streams.num.stream.threads").status == 200
    streams = server.post("/ksql", {"ksql": "SHOW STREAMS;"}).json()[0]["streams"]
    assert "NEVER" not in [s["name"] for s in streams]


# ----------------------------------------------------------------------------- fuzzing's finds


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT + NULL FROM s EMIT CHANGES;", "Can't infer a type of null."),
        ("SELECT NULL FROM s EMIT CHANGES;", "Can't infer a type of null."),
        ("SELECT 1e309 FROM s EMIT CHANGES;", "line 1:9: Number overflows DOUBLE: 1e309"),
        ("SELECT -9223372036854775809 FROM s;", "Invalid numeric literal: -9223372036854775809"),
        (
            "CREATE STREAM p (a INT) WITH (kafka_topic='p', value_format='JSON', partitions='x');",
            "Invalid value x for configuration PARTITIONS: Not a number of type INT",
        ),
        (
            "CREATE STREAM q WITH (partitions=true) AS SELECT * FROM s;",
            "Invalid value True for configuration PARTITIONS: Not a number of type INT",
        ),
        (
            "CREATE STREAM q WITH (partitions=0) AS SELECT * FROM s;",
            "Number of partitions must be larger than 0",
        ),
        (
            "SELECT CAST(i AS DECIMAL(40, 2)) FROM s;",
            "DECIMAL(40, 2) is not supported: DECIMAL precision must be <= 38",
        ),
        (
            "CREATE STREAM x (a DECIMAL(0, 0)) WITH (kafka_topic='x', value_format='JSON');",
            "line 1:20: DECIMAL precision must be >= 1: DECIMAL(0,0)",
        ),
        ("SELECT CAST(NULL AS HOPPING) FROM s;", "Unknown type: HOPPING"),
        (
            "CREATE TABLE l AS SELECT id, LATEST_BY_OFFSET() AS l FROM s GROUP BY id;",
            "Function 'LATEST_BY_OFFSET' does not accept parameters ().",
        ),
        ("SELECT CAST(i AS DECIMAL(2, 5)) FROM s;", "DECIMAL precision must be >= scale"),
        ("SELECT 0." + "0" * 40 + "1 FROM s;", "DECIMAL(41, 41) is not supported"),
        (
            "SELECT * FROM s WHERE ROWTIME > '2024-13-45' EMIT CHANGES;",
            "Failed to parse timestamp '2024-13-45'",
        ),
        (
            WINDOWED.format("TUMBLING (SIZE 9223372036854775807 DAYS)"),
            "Duration too long: 9223372036854775807 DAYS",
        ),
        (
            WINDOWED.format("HOPPING (SIZE 10 SECONDS, ADVANCE BY 0 SECONDS)"),
            "Window advancement interval should be more than zero",
        ),
        (
            WINDOWED.format("TUMBLING (SIZE 0 SECONDS)"),
            "Window size (sizeMs) must be larger than zero.",
        ),
    ],
)
def test_fuzzed_statements_fail_with_a_ksql_error(engine: Engine, sql: str, message: str) -> None:
    assert message in _error(engine, sql).message


def test_a_pull_query_that_cannot_compute_a_value_fails_with_a_ksql_error(
    engine: Engine,
) -> None:
    engine.execute("CREATE TABLE m AS SELECT id, MAX(i) AS top FROM s GROUP BY id;")
    engine.execute("INSERT INTO s (id, i) VALUES (1, 2147483647);")
    engine.run_until_idle()
    message = _error(engine, "SELECT top + 1 FROM m WHERE id = 1;").message
    assert message.startswith("Failed to evaluate the pull query: Out of Range Error")


def test_a_source_with_a_decimal_wider_than_38_digits_fails_its_queries_cleanly(
    engine: Engine,
) -> None:
    engine.execute(
        "CREATE STREAM wide (id INT KEY, a DECIMAL(50, 30)) "
        "WITH (kafka_topic='wide', partitions=1, value_format='JSON');"
    )  # as ksqlDB declares it
    for sql in ("CREATE STREAM copy AS SELECT * FROM wide;", "SELECT * FROM wide;"):
        assert "DECIMAL(50, 30) is not supported" in _error(engine, sql).message
    assert [s.name for s in engine.sources()] == ["S", "WIDE"]  # nothing half-created


def test_checking_a_rowtime_literal_leaves_the_engine_usable(engine: Engine) -> None:
    engine.execute("SELECT * FROM s WHERE ROWTIME > '2024-01-01' EMIT CHANGES;")[0].close()
    engine.execute("INSERT INTO s (id, i) VALUES (1, 2);")  # encodes on the same thread
    assert engine.read_topic("s").num_rows == 1


def test_the_smallest_bigint_literal_is_valid(engine: Engine) -> None:
    engine.execute("INSERT INTO s (id, b) VALUES (1, -9223372036854775808);")
    assert engine.read_topic("s").num_rows == 1


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        ("SELECT CAST(i AS NULL) FROM s;", 18),
        ("SELECT TRANSFORM(a, (x.y) => 1) FROM s;", 22),
    ],
)
def test_syntax_errors_found_while_building_the_ast_carry_a_position(
    engine: Engine, sql: str, column: int
) -> None:
    error = _error(engine, sql)
    assert isinstance(error, ParseError)
    assert (error.line, error.column) == (1, column)
    assert error.message.startswith(f"line 1:{column}: Syntax Error")
