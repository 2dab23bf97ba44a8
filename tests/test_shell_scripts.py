"""`ksql -f` and `ksql -e` as a user runs them: the examples end to end, options, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.sql"))


def _ksql(*args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ksql"), *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_end_to_end(example, tmp_path):
    done = _ksql("--data-dir", str(tmp_path / "data"), "-f", str(example))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    assert "Limit Reached\nQuery terminated" in done.stdout


def test_execute_with_variables_json_output_and_row_limit(tmp_path):
    data = str(tmp_path / "data")
    create = (
        "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='${t}', partitions=1, "
        "value_format='JSON'); INSERT INTO s (id, v) VALUES (1, 'a'); "
        "INSERT INTO s (id, v) VALUES (2, 'b');"
    )
    assert _ksql("--data-dir", data, "-d", "t=topic_t", "-e", create).returncode == 0
    done = _ksql(
        "--data-dir", data, "--output", "JSON", "--query-row-limit", "1",
        "-e", "SET 'auto.offset.reset'='earliest'; SELECT * FROM s EMIT CHANGES; SHOW TOPICS;",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert '{"row":{"columns":[1,"a"]}}' in lines
    assert '{"row":{"columns":[2,"b"]}}' not in lines  # the row limit stopped the query
    assert '    "name" : "topic_t",' in lines


def test_query_timeout_ends_a_push_query_and_errors_set_the_exit_code(tmp_path):
    data = str(tmp_path / "data")
    create = "CREATE STREAM s (id INT KEY) WITH (kafka_topic='s', partitions=1, format='JSON');"
    assert _ksql("--data-dir", data, "-e", create).returncode == 0
    done = _ksql(
        "--data-dir", data, "--query-timeout", "500", "-e", "SELECT * FROM s EMIT CHANGES;"
    )
    assert done.returncode == 0 and done.stdout.rstrip().endswith("Query terminated")
    failed = _ksql("--data-dir", data, "-e", "DESCRIBE nope;")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert failed.stderr.endswith("  DESCRIBE nope;\n           ^\n")
