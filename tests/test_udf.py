"""User-defined functions in Python (ksql/udf.py), as a user registers and calls them from SQL."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ksql import udf
from ksql.engine import Engine
from ksql.errors import KsqlError

# Registered once per process (functions are process-wide); names are unique to this file.


@udf.scalar("T_SHOUT", params=["STRING"], returns="STRING", description="Upper-case with a bang")
def _shout(s):
    return None if s is None else s.upper() + "!"


@udf.scalar("T_PLUS", params=["BIGINT", "BIGINT"], returns="BIGINT", vectorized=True)
def _plus(a: pa.Array, b: pa.Array) -> pa.Array:
    return pc.add(a, b)


@udf.scalar("T_INVERSE", params=["INTEGER"], returns="DOUBLE")
def _inverse(x):
    return 1 / x  # ZeroDivisionError for 0: that row gives NULL


@udf.scalar("T_KIND", params=["INTEGER"], returns="STRING")
def _kind_int(x):
    return "int"


@udf.scalar("T_KIND", params=["DOUBLE"], returns="STRING")
def _kind_double(x):
    return "double"


@udf.scalar("T_KIND", params=["STRING..."], returns="STRING")
def _kind_strings(*xs):
    return f"{len(xs)} strings"


@udf.scalar("T_FIRST", params=["ARRAY<T>"], returns="T")
def _first(values):
    return values[0] if values else None


@udf.scalar("T_TOTAL", params=["MAP<STRING, INTEGER>"], returns="INTEGER")
def _total(m):
    return None if m is None else sum(v or 0 for v in m.values())


@udf.table("T_UPTO", params=["INTEGER"], returns="INTEGER")
def _upto(n):
    return range(1, n + 1)


@udf.aggregate("T_LONGEST", params=["STRING"], returns="STRING")
class _Longest:
    def initialize(self):
        return None

    def add(self, best, value):
        return value if value is not None and (best is None or len(value) > len(best)) else best


@udf.aggregate("T_SUMSQ", params=["INTEGER"], returns="BIGINT", init_params=["INTEGER"])
class _SumOfSquares:
    """Sum of squares plus a literal offset; undo lets it aggregate TABLE sources."""

    def __init__(self, offset):
        self.offset = offset

    def initialize(self):
        return self.offset

    def add(self, total, x):
        return total + (x or 0) ** 2

    def undo(self, total, x):
        return total - (x or 0) ** 2


@udf.aggregate("T_MEAN", params=["DOUBLE"], returns="DOUBLE", state="STRUCT<S DOUBLE, N BIGINT>")
class _Mean:
    def initialize(self):
        return {"S": 0.0, "N": 0}

    def add(self, acc, x):
        return acc if x is None else {"S": acc["S"] + x, "N": acc["N"] + 1}

    def merge(self, a, b):
        return {"S": a["S"] + b["S"], "N": a["N"] + b["N"]}

    def result(self, acc):
        return None if not acc["N"] else acc["S"] / acc["N"]


STREAM = (
    "CREATE STREAM s (id INT KEY, name STRING, n INT, d DOUBLE, tags MAP<STRING, INTEGER>) "
    "WITH (kafka_topic='s', partitions=1, value_format='JSON');"
)


def _values(engine: Engine, topic: str) -> list:
    return [json.loads(r["value"]) for r in engine.read_topic(topic).to_pylist()]


# Every update as an output record (no record cache): the tests read each step of a fold.
PER_RECORD = {"auto.offset.reset": "earliest", "cache.max.bytes.buffering": "0"}


def _run(tmp_path: Path, inserts: list[str], query: str, topic: str = "OUT") -> list:
    with Engine(tmp_path, properties=PER_RECORD) as engine:
        engine.execute(STREAM)
        for values in inserts:
            engine.execute(f"INSERT INTO s (id, name, n, d, tags) VALUES ({values});")
        engine.execute(query)
        engine.run_until_idle()
        return _values(engine, topic)


def test_scalar_functions_row_vectorized_failing_rows_and_overloads(tmp_path: Path) -> None:
    rows = _run(
        tmp_path,
        ["1, 'ann', 2, 1.5, MAP('a' := 1, 'b' := 2)", "2, NULL, 0, 2.5, NULL"],
        "CREATE STREAM out AS SELECT id, T_SHOUT(name) AS s, T_PLUS(n, 10) AS p, "
        "T_INVERSE(n) AS inv, T_KIND(n) AS k1, T_KIND(d) AS k2, T_KIND(name, 'x') AS k3, "
        "T_FIRST(ARRAY[d, 9.0E0]) AS f, T_TOTAL(tags) AS t FROM s;",
    )
    assert rows == [
        {"S": "ANN!", "P": 12, "INV": 0.5, "K1": "int", "K2": "double", "K3": "2 strings",
         "F": 1.5, "T": 3},
        {"S": None, "P": 10, "INV": None, "K1": "int", "K2": "double", "K3": "2 strings",
         "F": 2.5, "T": None},
    ]  # fmt: skip


def test_scalar_function_argument_types_are_checked(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        engine.execute(STREAM)
        with pytest.raises(KsqlError, match="does not accept parameters"):
            engine.execute("CREATE STREAM out AS SELECT T_SHOUT(n) FROM s;")


def test_table_function_emits_one_row_per_element(tmp_path: Path) -> None:
    rows = _run(
        tmp_path,
        ["1, 'a', 2, 0.0, NULL", "2, 'b', 0, 0.0, NULL", "3, 'c', 1, 0.0, NULL"],
        "CREATE STREAM out AS SELECT id, T_UPTO(n) AS i FROM s;",
    )
    assert rows == [{"I": 1}, {"I": 2}, {"I": 1}]


def test_aggregate_over_a_stream_with_literal_init_argument(tmp_path: Path) -> None:
    rows = _run(
        tmp_path,
        ["1, 'a', 2, 0.0, NULL", "1, 'bbb', 3, 0.0, NULL", "2, 'cc', 1, 0.0, NULL"],
        "CREATE TABLE out AS SELECT id, T_SUMSQ(n, 100) AS sq, T_LONGEST(name) AS l, "
        "T_MEAN(CAST(n AS DOUBLE)) AS m FROM s GROUP BY id;",
    )
    assert rows == [
        {"SQ": 104, "L": "a", "M": 2.0},
        {"SQ": 113, "L": "bbb", "M": 2.5},
        {"SQ": 101, "L": "cc", "M": 1.0},
    ]


def test_aggregate_with_undo_over_a_table_retracts_old_rows(tmp_path: Path) -> None:
    with Engine(tmp_path, properties=PER_RECORD) as engine:
        engine.execute(
            "CREATE TABLE t (id INT PRIMARY KEY, region STRING, n INT) "
            "WITH (kafka_topic='t', partitions=1, value_format='JSON');"
        )
        for values in ("1, 'east', 2", "2, 'east', 3", "1, 'west', 2"):
            engine.execute(f"INSERT INTO t (id, region, n) VALUES ({values});")
        engine.execute(
            "CREATE TABLE out AS SELECT region, T_SUMSQ(n, 0) AS sq FROM t GROUP BY region;"
        )
        engine.run_until_idle()
        assert _values(engine, "OUT") == [{"SQ": 4}, {"SQ": 13}, {"SQ": 9}, {"SQ": 4}]


def test_aggregate_without_undo_is_rejected_for_tables(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        engine.execute(
            "CREATE TABLE t (id INT PRIMARY KEY, name STRING) "
            "WITH (kafka_topic='t', partitions=1, value_format='JSON');"
        )
        with pytest.raises(KsqlError, match="T_LONGEST cannot be applied to a table source"):
            engine.execute("CREATE TABLE out AS SELECT name, T_LONGEST(name) FROM t GROUP BY name;")


def test_aggregate_state_survives_a_restart(tmp_path: Path) -> None:
    props = {"auto.offset.reset": "earliest"}
    with Engine(tmp_path, properties=props) as engine:
        engine.execute(STREAM)
        engine.execute("INSERT INTO s (id, name, n, d, tags) VALUES (1, 'a', 3, 0.0, NULL);")
        engine.execute("CREATE TABLE out AS SELECT id, T_MEAN(d + n) AS m FROM s GROUP BY id;")
        engine.run_until_idle()
    with Engine(tmp_path, properties=props) as engine:
        engine.execute("INSERT INTO s (id, name, n, d, tags) VALUES (1, 'b', 5, 0.0, NULL);")
        engine.run_until_idle()
        assert _values(engine, "OUT") == [{"M": 3.0}, {"M": 4.0}]


def test_show_and_describe_list_user_functions(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        [shown] = engine.execute("SHOW FUNCTIONS;")
        rows = {r[0]: r for r in shown.rows}
        assert rows["T_SHOUT"] == ["T_SHOUT", "SCALAR", "USER"]
        assert rows["T_UPTO"][1] == "TABLE" and rows["T_SUMSQ"][1] == "AGGREGATE"
        assert rows["EXPLODE"][1] == "TABLE" and rows["SUBSTRING"][1] == "SCALAR"
        [described] = engine.execute("DESCRIBE FUNCTION t_kind;")
        assert "T_KIND(xs VARCHAR[])" in described.message  # ksqlDB's type names
        assert "T_KIND(x DOUBLE)" in described.message
        [described] = engine.execute("DESCRIBE FUNCTION t_shout;")
        assert "Upper-case with a bang" in described.message


def test_load_extensions_imports_every_module_of_a_directory(tmp_path: Path) -> None:
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "reverse.py").write_text(
        textwrap.dedent(
            """
            from ksql import udf

            @udf.scalar("T_REVERSE", params=["STRING"], returns="STRING")
            def reverse(s):
                return None if s is None else s[::-1]
            """
        )
    )
    assert udf.load_extensions(ext) == ["ksql_extension_reverse"]
    rows = _run(
        tmp_path / "data",
        ["1, 'abc', 0, 0.0, NULL"],
        "CREATE STREAM out AS SELECT id, T_REVERSE(name) AS r FROM s;",
    )
    assert rows == [{"R": "cba"}]


def test_registering_a_built_in_name_is_refused() -> None:
    with pytest.raises(ValueError, match="already a function"):
        udf.scalar("SUBSTRING", params=["STRING"], returns="STRING")(lambda s: s)
    with pytest.raises(ValueError, match="already a function"):
        udf.aggregate("T_SHOUT", params=["STRING"], returns="STRING")(_Longest)


@udf.aggregate("T_SUM", params=["INTEGER"], returns="BIGINT")
class _PlainSum:
    def initialize(self):
        return 0

    def add(self, total, x):
        return total + (x or 0)


@pytest.mark.parametrize(
    "window",
    [
        "TUMBLING (SIZE 10 SECONDS)",
        "HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS)",
        "TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS)",
    ],
)
@pytest.mark.parametrize("emit", ["", " EMIT FINAL"])
def test_windowed_user_aggregate_matches_the_built_in(
    tmp_path: Path, window: str, emit: str
) -> None:
    """Time windows fold user aggregates record by record: same rows as SUM's vectorized path."""
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        for rowtime, key, n in (
            (1000, 1, 1),
            (6000, 1, 2),
            (12000, 2, 3),
            (3000, 1, 4),
            (31000, 1, 5),
        ):
            engine.execute(
                f"INSERT INTO s (ROWTIME, id, name, n, d, tags) VALUES ({rowtime}, {key}, 'x', {n}, 0.0, NULL);"
            )
        for name, fn in (("BUILTIN", "SUM"), ("USER", "T_SUM")):
            engine.execute(
                f"CREATE TABLE {name} AS SELECT id, CAST({fn}(n) AS BIGINT) AS total FROM s "
                f"WINDOW {window} GROUP BY id{emit};"
            )
        engine.run_until_idle()
        builtin = engine.read_topic("BUILTIN").to_pylist()
        user = engine.read_topic("USER").to_pylist()
        assert builtin, "the built-in query emitted nothing"
        strip = [(r["key"], r["value"], r["timestamp"]) for r in builtin]
        assert [(r["key"], r["value"], r["timestamp"]) for r in user] == strip


def test_user_functions_in_pull_queries_insert_values_and_having(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(STREAM)
        engine.execute(
            "INSERT INTO s (id, name, n, d, tags) VALUES (1, T_SHOUT('ann'), 2, 0.0, NULL);"
        )
        engine.execute("INSERT INTO s (id, name, n, d, tags) VALUES (2, 'bob', 3, 0.0, NULL);")
        engine.execute(
            "CREATE TABLE t AS SELECT id, LATEST_BY_OFFSET(name) AS name, COUNT(*) AS c FROM s "
            "GROUP BY id HAVING T_PLUS(COUNT(*), 0) >= 1;"
        )
        engine.run_until_idle()
        [result] = engine.execute(
            "SELECT id, T_SHOUT(name) AS s, EXTRACTJSONFIELD('{\"a\": 1}}', '$.a') AS j FROM t "
            "WHERE T_PLUS(id, 0) = 1;"
        )
        assert list(result.rows) == [[1, "ANN!!", "1"]]


def test_registering_the_same_signature_again_replaces_it(tmp_path: Path) -> None:
    udf.scalar("T_AGAIN", params=["ANY"], returns="STRING")(lambda v: "first")
    udf.scalar("T_AGAIN", params=["ANY"], returns="STRING")(lambda v: "second")
    rows = _run(
        tmp_path,
        ["1, 'a', 0, 0.0, NULL"],
        "CREATE STREAM out AS SELECT id, T_AGAIN(n) AS r FROM s;",
    )
    assert rows == [{"R": "second"}]


def test_engine_loads_the_extension_dir_property_before_replaying(tmp_path: Path) -> None:
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "twice.py").write_text(
        "from ksql import udf\n\n"
        "@udf.scalar('T_TWICE', params=['INTEGER'], returns='INTEGER')\n"
        "def twice(x):\n"
        "    return None if x is None else 2 * x\n"
    )
    props = {"auto.offset.reset": "earliest", "ksql.extension.dir": str(ext)}
    with Engine(tmp_path / "data", properties=props) as engine:
        engine.execute(STREAM)
        engine.execute("CREATE STREAM out AS SELECT id, T_TWICE(n) AS t FROM s;")
        engine.execute("INSERT INTO s (id, name, n, d, tags) VALUES (1, 'a', 4, 0.0, NULL);")
        engine.run_until_idle()
    with Engine(tmp_path / "data", properties=props) as engine:  # the query is re-created
        engine.execute("INSERT INTO s (id, name, n, d, tags) VALUES (1, 'a', 5, 0.0, NULL);")
        engine.run_until_idle()
        assert _values(engine, "OUT") == [{"T": 8}, {"T": 10}]


def test_rest_fields_of_a_user_function() -> None:
    from ksql.functions.listing import describe, rest_fields

    fields = rest_fields(describe("t_sumsq"))
    assert fields["type"] == "AGGREGATE" and fields["path"].endswith("test_udf.py")
    [variation] = fields["functions"]
    assert variation["argumentTypes"] == ["INT", "INT"]  # as ksqlDB names parameter types
    assert [a["name"] for a in variation["arguments"]] == ["x", "offset"]
    assert variation["returnType"] == "BIGINT"


@udf.scalar("T_HALF", params=["DECIMAL"], returns="DECIMAL(10, 2)")
def _half(x):
    return None if x is None else float(x) / 2  # a float for a DECIMAL result is rounded


def test_decimal_results_take_the_declared_scale(tmp_path: Path) -> None:
    rows = _run(
        tmp_path,
        ["1, 'a', 0, 0.0, NULL"],
        "CREATE STREAM out AS SELECT id, T_HALF(CAST(3 AS DECIMAL(4, 1))) AS h FROM s;",
    )
    assert rows == [{"H": 1.5}]
