"""Parser tests: statement kinds, expression precedence, literals, identifiers, errors."""

from __future__ import annotations

import pytest

from ksql import ast
from ksql.errors import ParseError, StatementError
from ksql.parser import parse, parse_expression, parse_type, split_statements, substitute_variables
from ksql.types import (
    BIGINT,
    BYTES,
    INTEGER,
    STRING,
    TIMESTAMP,
    ArrayType,
    DecimalType,
    MapType,
    StructField,
    StructType,
    TypeReference,
)


def one(text: str) -> ast.Statement:
    statements = parse(text)
    assert len(statements) == 1
    return statements[0].statement


def query(text: str) -> ast.Query:
    statement = one(text)
    assert isinstance(statement, ast.QueryStatement)
    return statement.query


def col(name: str, source: str | None = None) -> ast.ColumnRef:
    return ast.ColumnRef(name, source)


def lit(value: object, kind: str) -> ast.Literal:
    return ast.Literal(value, kind)


# ----------------------------------------------------------------------------- splitting


def test_parse_keeps_statement_text_and_position() -> None:
    parsed = parse("SHOW STREAMS;\n  -- comment; not a split\n  SELECT 'a;b' FROM s;  LIST TOPICS")
    assert [p.text for p in parsed] == ["SHOW STREAMS;", "SELECT 'a;b' FROM s;", "LIST TOPICS"]
    assert [(p.line, p.column) for p in parsed] == [(1, 1), (3, 3), (3, 25)]


def test_split_statements_ignores_semicolons_in_strings_identifiers_and_comments() -> None:
    text = "SELECT 'it''s;' FROM `a;b`; /* x; y */ SHOW TABLES;\n-- c;\n"
    assert split_statements(text) == ["SELECT 'it''s;' FROM `a;b`;", "SHOW TABLES;"]


def test_empty_text_and_lone_semicolons_give_no_statements() -> None:
    assert parse("  ;; -- nothing\n") == []


def test_substitute_variables_is_case_insensitive_and_keeps_unknown() -> None:
    text = "CREATE STREAM ${Name} WITH (kafka_topic='${topic}', x='${missing}');"
    out = substitute_variables(text, {"NAME": "s1", "Topic": "t1"})
    assert out == "CREATE STREAM s1 WITH (kafka_topic='t1', x='${missing}');"


# ----------------------------------------------------------------------------- DDL


def test_create_stream_with_columns_and_properties() -> None:
    statement = one(
        "CREATE STREAM s (id INT KEY, `Val` STRING, size BIGINT) "
        "WITH (kafka_topic='t', partitions=4, replicas=-1, wrap_single_value=false, x=1.5);"
    )
    assert statement == ast.CreateSource(
        "STREAM",
        "S",
        (
            ast.TableElement("ID", INTEGER, "KEY"),
            ast.TableElement("Val", STRING),
            ast.TableElement("SIZE", BIGINT),
        ),
        {"KAFKA_TOPIC": "t", "PARTITIONS": 4, "REPLICAS": -1, "WRAP_SINGLE_VALUE": False, "X": 1.5},
    )


def test_create_source_table_flags_and_header_columns() -> None:
    statement = one(
        "create or replace source table if not exists t "
        "(id INT PRIMARY KEY, h BYTES HEADER('k'), hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS)"
    )
    assert isinstance(statement, ast.CreateSource)
    assert (statement.or_replace, statement.if_not_exists, statement.is_source) == (
        True,
        True,
        True,
    )
    assert statement.properties == {}
    id_, header, headers = statement.elements
    assert id_.constraint == "PRIMARY KEY"
    assert (header.constraint, header.header_key) == ("HEADER", "k")
    assert headers.constraint == "HEADERS"
    assert headers.type == ArrayType(
        StructType((StructField("KEY", STRING), StructField("VALUE", BYTES)))
    )


def test_create_as_select() -> None:
    statement = one("CREATE TABLE IF NOT EXISTS t WITH (kafka_topic='o') AS SELECT * FROM s;")
    assert statement == ast.CreateAsSelect(
        "TABLE",
        "T",
        ast.Query((ast.AllColumns(),), ast.SourceRef("S")),
        {"KAFKA_TOPIC": "o"},
        if_not_exists=True,
    )


def test_insert_into_and_insert_values() -> None:
    insert = one("INSERT INTO s WITH (query_id='q') SELECT * FROM t;")
    assert isinstance(insert, ast.InsertInto)
    assert (insert.target, insert.properties) == ("S", {"QUERY_ID": "q"})
    values = one("INSERT INTO s (a, `B`) VALUES (1, 'x', NULL);")
    assert values == ast.InsertValues(
        "S", ("A", "B"), (lit(1, "INTEGER"), lit("x", "STRING"), lit(None, "NULL"))
    )
    assert one("INSERT INTO s VALUES ();") == ast.InsertValues("S", (), ())


def test_drop_terminate_and_types() -> None:
    assert one("DROP TABLE IF EXISTS t DELETE TOPIC") == ast.DropSource(
        "TABLE", "T", if_exists=True, delete_topic=True
    )
    assert one("DROP STREAM s") == ast.DropSource("STREAM", "S")
    assert one("TERMINATE ALL") == ast.Terminate(None)
    assert one("terminate csas_out_0") == ast.Terminate("CSAS_OUT_0")
    assert one("CREATE TYPE IF NOT EXISTS addr AS STRUCT<zip INT>") == ast.CreateType(
        "ADDR", StructType((StructField("ZIP", INTEGER),)), if_not_exists=True
    )
    assert one("DROP TYPE IF EXISTS addr") == ast.DropType("ADDR", if_exists=True)


def test_alter_source() -> None:
    assert one("ALTER STREAM s ADD COLUMN a INT, ADD b STRING;") == ast.AlterSource(
        "STREAM", "S", (ast.TableElement("A", INTEGER), ast.TableElement("B", STRING))
    )


# ----------------------------------------------------------------------------- metadata statements


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SHOW STREAMS", ast.Show("STREAMS")),
        ("list tables extended", ast.Show("TABLES", extended=True)),
        ("SHOW ALL TOPICS", ast.Show("TOPICS", all_topics=True)),
        ("SHOW QUERIES EXTENDED", ast.Show("QUERIES", extended=True)),
        ("SHOW FUNCTIONS", ast.Show("FUNCTIONS")),
        ("SHOW PROPERTIES", ast.Show("PROPERTIES")),
        ("SHOW TYPES", ast.Show("TYPES")),
        ("SHOW VARIABLES", ast.Show("VARIABLES")),
        ("SHOW CONNECTORS", ast.Show("CONNECTORS")),
        ("DESCRIBE s EXTENDED", ast.Describe("S", extended=True)),
        ("DESCRIBE `s`", ast.Describe("s")),
        ("DESCRIBE STREAMS", ast.Describe(None, what="STREAMS")),
        ("DESCRIBE TABLES EXTENDED", ast.Describe(None, extended=True, what="TABLES")),
        ("DESCRIBE FUNCTION substring", ast.DescribeFunction("SUBSTRING")),
        ("EXPLAIN CSAS_X_0", ast.Explain(query_id="CSAS_X_0")),
        ("SET 'auto.offset.reset'='earliest'", ast.SetProperty("auto.offset.reset", "earliest")),
        ("UNSET 'auto.offset.reset'", ast.UnsetProperty("auto.offset.reset")),
        ("DEFINE myVar = 'it''s'", ast.DefineVariable("myVar", "it's")),
        ("UNDEFINE myVar", ast.UndefineVariable("myVar")),
        ("PRINT my_topic", ast.PrintTopic("my_topic")),
        (
            "PRINT 'Topic' FROM BEGINNING INTERVAL 2 LIMIT 3",
            ast.PrintTopic("Topic", from_beginning=True, interval=2, limit=3),
        ),
        (
            "ASSERT NOT EXISTS TOPIC 'x' WITH (partitions=3) TIMEOUT 3 SECONDS",
            ast.AssertTopic("x", exists=False, properties={"PARTITIONS": 3}, timeout_ms=3000),
        ),
        ("ASSERT TOPIC t", ast.AssertTopic("t")),
        (
            "ASSERT SCHEMA SUBJECT 'x-value' ID 3 TIMEOUT 1 MINUTE",
            ast.AssertSchema(subject="x-value", schema_id=3, timeout_ms=60_000),
        ),
        ("ASSERT NOT EXISTS SCHEMA ID 4", ast.AssertSchema(schema_id=4, exists=False)),
    ],
)
def test_metadata_statements(text: str, expected: ast.Statement) -> None:
    assert one(text) == expected


def test_explain_statement() -> None:
    statement = one("EXPLAIN SELECT * FROM s EMIT CHANGES;")
    assert isinstance(statement, ast.Explain)
    assert isinstance(statement.statement, ast.QueryStatement)


# ----------------------------------------------------------------------------- queries


def test_select_items() -> None:
    q = query("SELECT *, s.*, a->*, a AS x, b y, c FROM s;")
    assert q.select == (
        ast.AllColumns(),
        ast.AllColumns("S"),
        ast.StructAll(col("A")),
        ast.SelectColumn(col("A"), "X"),
        ast.SelectColumn(col("B"), "Y"),
        ast.SelectColumn(col("C")),
    )


def test_full_query_clauses() -> None:
    q = query(
        "SELECT a, COUNT(*) FROM s WINDOW TUMBLING (SIZE 30 SECONDS, RETENTION 2 DAYS, "
        "GRACE PERIOD 1 MINUTE) WHERE a > 1 GROUP BY a HAVING COUNT(*) > 2 EMIT CHANGES LIMIT 5;"
    )
    assert q.window == ast.WindowSpec("TUMBLING", 30_000, retention_ms=172_800_000, grace_ms=60_000)
    assert q.where == ast.Comparison(">", col("A"), lit(1, "INTEGER"))
    assert q.group_by == (col("A"),)
    assert q.having == ast.Comparison(
        ">", ast.FunctionCall("COUNT", (ast.Star(),)), lit(2, "INTEGER")
    )
    assert (q.emit, q.limit) == ("CHANGES", 5)


def test_pull_query_has_no_emit() -> None:
    assert query("SELECT * FROM t WHERE id = 1;").emit is None


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (
            "HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS)",
            ast.WindowSpec("HOPPING", 10_000, advance_ms=5_000),
        ),
        (
            "SESSION (1 HOUR, GRACE PERIOD 0 MILLISECONDS)",
            ast.WindowSpec("SESSION", 3_600_000, grace_ms=0),
        ),
        ("w TUMBLING (SIZE 1 MILLISECOND)", ast.WindowSpec("TUMBLING", 1)),
    ],
)
def test_windows(window: str, expected: ast.WindowSpec) -> None:
    assert (
        query(f"SELECT COUNT(*) FROM s WINDOW {window} GROUP BY k EMIT FINAL;").window == expected
    )


def test_group_by_and_partition_by_lists() -> None:
    assert query("SELECT * FROM s GROUP BY (a, b);").group_by == (col("A"), col("B"))
    assert query("SELECT * FROM s GROUP BY (a) + 1, b;").group_by == (
        ast.BinaryOp("+", col("A"), lit(1, "INTEGER")),
        col("B"),
    )
    assert query("SELECT * FROM s PARTITION BY a, b->c;").partition_by == (
        col("A"),
        ast.Dereference(col("B"), "C"),
    )


def test_joins_are_flat() -> None:
    q = query(
        "SELECT * FROM s1 AS x LEFT OUTER JOIN s2 y WITHIN (1 HOUR, 2 DAYS) GRACE PERIOD 5 MINUTES "
        "ON x.id = y.id FULL JOIN t3 ON y.a = t3.a JOIN t4 WITHIN 10 SECONDS ON t4.b = x.b;"
    )
    assert isinstance(q.from_, ast.JoinRelation)
    assert q.from_.left == ast.SourceRef("S1", "X")
    first, second, third = q.from_.joins
    assert (first.kind, first.right) == ("LEFT", ast.SourceRef("S2", "Y"))
    assert first.within == ast.WithinClause(3_600_000, 172_800_000, 300_000)
    assert first.on == ast.Comparison("=", col("ID", "X"), col("ID", "Y"))
    assert (second.kind, second.within) == ("FULL", None)
    assert (third.kind, third.within) == ("INNER", ast.WithinClause(10_000, 10_000))


def test_unknown_time_unit_is_an_error() -> None:
    with pytest.raises(ParseError, match="Unknown time unit") as info:
        parse("SELECT * FROM s WINDOW TUMBLING (SIZE 3 WEEKS) GROUP BY a;")
    assert (info.value.line, info.value.column, info.value.near) == (1, 41, "WEEKS")


def test_limit_must_be_an_integer() -> None:
    with pytest.raises(StatementError, match="Value must be integer for command: LIMIT"):
        parse("SELECT * FROM t LIMIT 2.5;")


# ----------------------------------------------------------------------------- expressions


def test_boolean_precedence() -> None:
    assert parse_expression("a OR b AND NOT c") == ast.Or(
        col("A"), ast.And(col("B"), ast.Not(col("C")))
    )


def test_arithmetic_precedence_and_concat() -> None:
    one_, two, three = lit(1, "INTEGER"), lit(2, "INTEGER"), lit(3, "INTEGER")
    assert parse_expression("1 + 2 * 3 - a % 2") == ast.BinaryOp(
        "-",
        ast.BinaryOp("+", one_, ast.BinaryOp("*", two, three)),
        ast.BinaryOp("%", col("A"), two),
    )
    assert parse_expression("a || b + 1") == ast.BinaryOp(
        "||", col("A"), ast.BinaryOp("+", col("B"), one_)
    )


def test_comparison_binds_looser_than_arithmetic() -> None:
    assert parse_expression("a + 1 != b") == ast.Comparison(
        "<>", ast.BinaryOp("+", col("A"), lit(1, "INTEGER")), col("B")
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a IS DISTINCT FROM b", ast.Comparison("IS DISTINCT FROM", col("A"), col("B"))),
        ("a IS NOT DISTINCT FROM b", ast.Comparison("IS NOT DISTINCT FROM", col("A"), col("B"))),
        (
            "a NOT BETWEEN 1 AND 2",
            ast.Between(col("A"), lit(1, "INTEGER"), lit(2, "INTEGER"), negated=True),
        ),
        ("a IN (1, 'x')", ast.InList(col("A"), (lit(1, "INTEGER"), lit("x", "STRING")))),
        ("a NOT IN (1)", ast.InList(col("A"), (lit(1, "INTEGER"),), negated=True)),
        (
            "a NOT LIKE 'x!%' ESCAPE '!'",
            ast.Like(col("A"), lit("x!%", "STRING"), "!", negated=True),
        ),
        ("a IS NULL", ast.IsNull(col("A"))),
        ("a IS NOT NULL", ast.IsNull(col("A"), negated=True)),
        ("a <= b", ast.Comparison("<=", col("A"), col("B"))),
        ("a <> b", ast.Comparison("<>", col("A"), col("B"))),
    ],
)
def test_predicates(text: str, expected: ast.Expr) -> None:
    assert parse_expression(text) == expected


def test_between_and_binds_before_boolean_and() -> None:
    assert parse_expression("a BETWEEN 1 AND 2 AND b") == ast.And(
        ast.Between(col("A"), lit(1, "INTEGER"), lit(2, "INTEGER")), col("B")
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NULL", lit(None, "NULL")),
        ("true", lit(True, "BOOLEAN")),
        ("FALSE", lit(False, "BOOLEAN")),
        ("'it''s'", lit("it's", "STRING")),
        ("42", lit(42, "INTEGER")),
        ("2147483647", lit(2147483647, "INTEGER")),
        ("2147483648", lit(2147483648, "BIGINT")),
        ("-2147483648", lit(-2147483648, "INTEGER")),
        ("1.50", lit("1.50", "DECIMAL")),
        ("-1.50", lit("-1.50", "DECIMAL")),
        ("1.5E3", lit(1500.0, "DOUBLE")),
        ("-2e-1", lit(-0.2, "DOUBLE")),
        ("-a", ast.UnaryOp("-", col("A"))),
    ],
)
def test_literals(text: str, expected: ast.Expr) -> None:
    assert parse_expression(text) == expected


def test_case_and_cast() -> None:
    assert parse_expression("CASE a WHEN 1 THEN 'x' ELSE 'y' END") == ast.Case(
        col("A"), (ast.WhenClause(lit(1, "INTEGER"), lit("x", "STRING")),), lit("y", "STRING")
    )
    assert parse_expression("CASE WHEN a THEN 1 WHEN b THEN 2 END") == ast.Case(
        None,
        (ast.WhenClause(col("A"), lit(1, "INTEGER")), ast.WhenClause(col("B"), lit(2, "INTEGER"))),
    )
    assert parse_expression("CAST(a AS DECIMAL(4, 2))") == ast.Cast(col("A"), DecimalType(4, 2))


def test_dereference_and_subscript_chains() -> None:
    assert parse_expression("a->b->`c`[1]['k']") == ast.Subscript(
        ast.Subscript(ast.Dereference(ast.Dereference(col("A"), "B"), "c"), lit(1, "INTEGER")),
        lit("k", "STRING"),
    )
    assert parse_expression("s.col->f") == ast.Dereference(col("COL", "S"), "F")


def test_function_calls() -> None:
    assert parse_expression("count(*)") == ast.FunctionCall("COUNT", (ast.Star(),))
    assert parse_expression("COUNT(DISTINCT x)") == ast.FunctionCall(
        "COUNT", (col("X"),), distinct=True
    )
    assert parse_expression("now()") == ast.FunctionCall("NOW")
    assert parse_expression("TIMESTAMPADD(MILLISECONDS, 5, ts)") == ast.FunctionCall(
        "TIMESTAMPADD", (ast.IntervalUnit("MILLISECONDS"), lit(5, "INTEGER"), col("TS"))
    )


def test_lambdas() -> None:
    assert parse_expression("TRANSFORM(xs, x => x + 1)") == ast.FunctionCall(
        "TRANSFORM", (col("XS"), ast.Lambda(("X",), ast.BinaryOp("+", col("X"), lit(1, "INTEGER"))))
    )
    reduced = parse_expression("REDUCE(map, 0, (s, k, v) => s + v)")
    assert isinstance(reduced, ast.FunctionCall)
    assert reduced.args[0] == col("MAP")
    assert reduced.args[2] == ast.Lambda(("S", "K", "V"), ast.BinaryOp("+", col("S"), col("V")))
    assert parse_expression("TRANSFORM(xs, (o) => o)").args[1] == ast.Lambda(("O",), col("O"))


def test_constructors() -> None:
    assert parse_expression("ARRAY[1, 2]") == ast.ArrayConstructor(
        (lit(1, "INTEGER"), lit(2, "INTEGER"))
    )
    assert parse_expression("ARRAY[]") == ast.ArrayConstructor(())
    assert parse_expression("MAP('a' := 1)") == ast.MapConstructor(
        ((lit("a", "STRING"), lit(1, "INTEGER")),)
    )
    assert parse_expression("STRUCT(f := 1, `g` := 'x')") == ast.StructConstructor(
        (("F", lit(1, "INTEGER")), ("g", lit("x", "STRING")))
    )


# ----------------------------------------------------------------------------- identifiers and types


def test_identifier_case_rules() -> None:
    assert parse_expression("myCol") == col("MYCOL")
    assert parse_expression("`myCol`") == col("myCol")
    assert parse_expression("`a``b`") == col("a`b")
    assert parse_expression("`Src`.`Col`") == col("Col", "Src")


@pytest.mark.parametrize(
    "name", ["KEY", "VALUE", "TIMESTAMP", "DATE", "TIME", "SIZE", "TYPE", "TOPIC", "WINDOW"]
)
def test_keywords_usable_as_column_names(name: str) -> None:
    statement = one(f"CREATE STREAM s ({name} STRING KEY, v INT) WITH (kafka_topic='t');")
    assert isinstance(statement, ast.CreateSource)
    assert statement.elements[0].name == name
    q = query(f"SELECT {name}, s.{name} AS {name} FROM s WHERE {name} = 'x';")
    assert q.select[0] == ast.SelectColumn(col(name))
    assert q.where == ast.Comparison("=", col(name), lit("x", "STRING"))


def test_digit_identifier_alias() -> None:
    assert query("SELECT ROUND(v, -1) AS 1R FROM s;").select[0].alias == "1R"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INT", INTEGER),
        ("varchar", STRING),
        ("TIMESTAMP", TIMESTAMP),
        ("DECIMAL(10, 2)", DecimalType(10, 2)),
        ("ARRAY<MAP<STRING, ARRAY<BIGINT>>>", ArrayType(MapType(STRING, ArrayType(BIGINT)))),
        (
            "STRUCT<a INT, `b` STRUCT<c STRING>>",
            StructType(
                (
                    StructField("A", INTEGER),
                    StructField("b", StructType((StructField("C", STRING),))),
                )
            ),
        ),
        ("STRUCT<>", StructType(())),
        ("address", TypeReference("ADDRESS")),
    ],
)
def test_types(text: str, expected: object) -> None:
    assert parse_type(text) == expected


# ----------------------------------------------------------------------------- errors


def test_syntax_error_position_and_token() -> None:
    with pytest.raises(ParseError) as info:
        parse("SHOW STREAMS;\nSELECT * FROM s WHERE a = = 1;")
    error = info.value
    assert (error.line, error.column, error.near) == (2, 27, "=")
    assert error.message.startswith("line 2:27: Syntax Error")


def test_unknown_statement() -> None:
    with pytest.raises(ParseError) as info:
        parse("RUN SCRIPT 'foo';")
    assert info.value.message == "line 1:1: Syntax Error\nUnknown statement 'RUN'"


def test_expected_tokens_are_listed() -> None:
    with pytest.raises(ParseError) as info:
        parse("CREATE STREAM INPUT (K INT (KEY)) WITH (kafka_topic='input');")
    assert info.value.message == "line 1:29: Syntax Error\nExpecting {'STRING', INTEGER_VALUE}"
    assert info.value.near == "KEY"


def test_unexpected_end_and_bad_character() -> None:
    with pytest.raises(ParseError) as info:
        parse("SELECT * FROM")
    assert (info.value.line, info.value.column, info.value.near) == (1, 14, "<EOF>")
    with pytest.raises(ParseError) as info:
        parse_expression("a # b")
    assert (info.value.line, info.value.column, info.value.near) == (1, 3, "#")
