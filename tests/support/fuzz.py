"""A seeded mutation fuzzer for the engine: it takes valid scripts (the conformance corpus's
cases and one of its own), mutates a statement of each at the token level, runs the script with
the mutants through a fresh `ksql.engine.Engine` and records every exception that is not a
KsqlError (a crash), and every syntax error without a position."""

from __future__ import annotations

import itertools
import json
import random
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ksql.engine import Engine
from ksql.errors import KsqlError, ParseError
from ksql.parser import parse, split_statements
from ksql.results import RowsResult

# A script that needs no corpus: every type and statement kind, with rows to work on.
SEED_SCRIPT = """
CREATE STREAM s (id INT KEY, i INT, b BIGINT, d DOUBLE, dec DECIMAL(6, 2), v STRING, ok BOOLEAN,
    ts TIMESTAMP, a ARRAY<INT>, m MAP<STRING, INT>, st STRUCT<x INT, y STRING>)
    WITH (kafka_topic='s', partitions=2, value_format='JSON');
INSERT INTO s (id, i, b, d, dec, v, ok, ts, a, m, st) VALUES (1, 2, 3, 4.5, 1.25, 'x', true,
    '2024-01-01T00:00:00', ARRAY[1, 2], MAP('k' := 1), STRUCT(x := 1, y := 'y'));
CREATE TABLE t (id INT PRIMARY KEY, n INT, v STRING)
    WITH (kafka_topic='t', partitions=2, value_format='JSON');
INSERT INTO t (id, n, v) VALUES (7, 1, 'seven');
SELECT id, i + b * 2, d / 0, v || 'y', a[1], m['k'], st->x FROM s EMIT CHANGES;
SELECT * FROM t WHERE id = 7;
CREATE TABLE agg AS SELECT id, COUNT(*) AS c, SUM(d) AS total FROM s
    WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY id EMIT CHANGES;
CREATE STREAM joined AS SELECT s.id, s.v, t.n FROM s JOIN t ON s.id = t.id;
CREATE STREAM keyed AS SELECT v, CASE WHEN i > 1 THEN 'big' ELSE 'small' END AS size
    FROM s PARTITION BY v;
DESCRIBE s EXTENDED;
EXPLAIN SELECT * FROM s WHERE i BETWEEN 1 AND 3 AND v LIKE 'x%' EMIT CHANGES;
SELECT TRANSFORM(a, x => x + 1), FILTER(a, x => x > 1), REDUCE(a, 0, (s, x) => s + x)
    FROM s EMIT CHANGES;
SET 'auto.offset.reset'='earliest';
SHOW QUERIES;
"""


def seed_scripts() -> list[tuple[str, ...]]:
    return [tuple(split_statements(SEED_SCRIPT))]


# Tokens a mutation inserts or substitutes: keywords, operators, awkward literals.
_POOL = (
    "NULL", "TRUE", "FALSE", "0", "-1", "1", "2147483648", "9223372036854775807",
    "9223372036854775808", "99999999999999999999999999999999999999999", "1e309", "1.5e300",
    "0.000000000000000000000000000000000000001", "''", "'x'", "'2024-13-45'", "CAST(NULL AS INT)",
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "PARTITION", "EMIT", "CHANGES", "FINAL",
    "WINDOW", "TUMBLING", "HOPPING", "SESSION", "SIZE", "ADVANCE", "GRACE", "PERIOD", "JOIN",
    "LEFT", "OUTER", "ON", "WITHIN", "AND", "OR", "NOT", "IS", "DISTINCT", "IN", "LIKE",
    "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "AS", "CAST", "ARRAY", "MAP", "STRUCT",
    "INT", "BIGINT", "DOUBLE", "DECIMAL(40, 2)", "DECIMAL(2, 5)", "STRING", "BYTES", "DATE",
    "TIME", "TIMESTAMP", "ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "KEY",
    "PRIMARY", "HEADERS", "+", "-", "*", "/", "%", "||", "=", "<>", "<", ">=", "(", ")", "[",
    "]", ",", "->", "=>", ":=", ".", "*", "COUNT(*)", "SUM(", "ABS(", "SUBSTRING(", "LIMIT",
    "PARTITIONS", "KAFKA_TOPIC", "VALUE_FORMAT", "KEY_FORMAT", "'AVRO'", "'DELIMITED'",
    "'KAFKA'", "'NONE'", "TIMESTAMP_FORMAT", "WINDOW_TYPE", "WINDOW_SIZE", "'1 MINUTE'",
)  # fmt: skip
_TOKEN = re.compile(
    r"'(?:[^']|'')*'|`(?:[^`]|``)*`|[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\w+"
    r"|->|=>|:=|<>|<=|>=|!=|\|\||\S"
)


@dataclass
class Crash:
    """One statement that escaped with something other than a KsqlError."""

    statement: str
    error: str
    where: str

    def __str__(self) -> str:
        return f"{self.error} at {self.where}\n    {self.statement}"


@dataclass
class Report:
    statements: int = 0
    scripts: int = 0
    crashes: list[Crash] = field(default_factory=list)

    def summary(self, limit: int = 20) -> str:
        """Counts, then one example of each distinct crash (kind of error and place)."""
        distinct = {(c.error.split(":")[0], c.where): c for c in self.crashes}
        scripts = f" of {self.scripts} scripts" if self.scripts else ""
        head = (
            f"{len(self.crashes)} crashes ({len(distinct)} distinct) in "
            f"{self.statements} statements{scripts}"
        )
        return "\n".join([head, *(str(c) for c in list(distinct.values())[:limit])])


def corpus_scripts(corpus: Path) -> list[tuple[str, ...]]:
    """The statements of every case of the conformance corpus (JSON format where a case
    runs in several), as scripts; none when the corpus is absent."""
    scripts = []
    for path in sorted(corpus.glob("*/*.json")):
        for case in json.loads(path.read_text()).get("tests", []):
            statements = [s.replace("{FORMAT}", "JSON") for s in case.get("statements", [])]
            if statements:
                scripts.append(tuple(statements))
    return scripts


def mutate(statement: str, rng: random.Random) -> str:
    """1 to 3 token-level edits: delete, duplicate, swap, replace or insert a token."""
    tokens = _TOKEN.findall(statement)
    for _ in range(rng.randint(1, 3)):
        if not tokens:
            break
        i = rng.randrange(len(tokens))
        kind = rng.randrange(5)
        if kind == 0:
            del tokens[i]
        elif kind == 1:
            tokens.insert(i, tokens[i])
        elif kind == 2 and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif kind == 3:
            tokens[i] = rng.choice(_POOL)
        else:
            tokens.insert(i, rng.choice(_POOL))
    return " ".join(tokens)


def fuzz(scripts: list[tuple[str, ...]], seed: int, seconds: float, mutants: int = 8) -> Report:
    """Run scripts with mutated statements for about `seconds` (at least one script),
    deterministic in `seed`: each script runs up to a statement it picks, then `mutants`
    mutations of that statement, then the rest of the script, on one fresh engine."""
    rng = random.Random(seed)
    report = Report()
    deadline = time.monotonic() + seconds
    while report.scripts == 0 or time.monotonic() < deadline:
        script = rng.choice(scripts)
        at = rng.randrange(len(script))
        variants = [mutate(script[at], rng) for _ in range(mutants)]
        _run([*script[:at], *variants, *script[at + 1 :]], report)
        report.scripts += 1
    return report


def fuzz_parser(scripts: list[tuple[str, ...]], seed: int, seconds: float) -> Report:
    """Mutated statements through the parser alone (thousands a second), for about `seconds`."""
    rng = random.Random(seed)
    statements = [statement for script in scripts for statement in script]
    report = Report()
    deadline = time.monotonic() + seconds
    while report.statements == 0 or time.monotonic() < deadline:
        for _ in range(100):
            statement = mutate(rng.choice(statements), rng)
            report.statements += 1
            _check(statement, report, lambda s=statement: parse(s))
    return report


def _run(script: list[str], report: Report) -> None:
    engine = Engine(properties={"auto.offset.reset": "earliest"}, auto_create_topics=True)
    try:
        for statement in script:
            report.statements += 1
            _check(statement, report, lambda s=statement: _execute(engine, s))
        _check("(running the persistent queries)", report, lambda: engine.run_until_idle(50))
    finally:
        engine.close()


def _execute(engine: Engine, statement: str) -> None:
    for result in engine.execute(statement):
        if isinstance(result, RowsResult):
            _drain(result)


def _drain(result: RowsResult) -> None:
    """Pull queries to the end (a thousand rows at most); push queries are closed unread
    (they would wait for rows)."""
    try:
        if result.is_pull:
            for _ in itertools.islice(result.rows, 1000):
                pass
    finally:
        result.close()


def _check(statement: str, report: Report, action: Callable[[], object]) -> None:
    try:
        action()
    except ParseError as error:
        if error.line is None and "Syntax Error" in error.message:
            problem = f"syntax error without a position: {error.message}"
            report.crashes.append(Crash(statement, problem, "parser"))
    except KsqlError:
        pass
    except Exception as error:  # noqa: BLE001 - a crash: recorded, the fuzzing goes on
        frame = traceback.extract_tb(error.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno} {frame.name}"
        report.crashes.append(Crash(statement, f"{type(error).__name__}: {error}", where))
