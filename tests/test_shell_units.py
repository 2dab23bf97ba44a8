"""The shell's pieces without a terminal: rendering against ksqlDB's approved CLI output,
statement splitting, and the embedded shell's commands (SET, DEFINE, RUN SCRIPT, SPOOL, JSON)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from repl.embedded import EmbeddedBackend
from repl.jsonfmt import pretty
from repl.output import Output
from repl.render import render_entity
from repl.shell import Shell
from repl.statements import cli_command, is_complete, split_units

APPROVED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "cli-approved"
CASES = sorted(p.stem.removesuffix(".approved") for p in APPROVED.glob("*.approved.json"))


def _approved(case: str, suffix: str) -> str:
    return (APPROVED / f"{case}.approved.{suffix}").read_text(encoding="utf-8")


@pytest.mark.skipif(not APPROVED.exists(), reason="reference/cli-approved not present")
@pytest.mark.parametrize("case", CASES)
def test_tabular_output_matches_ksqldb_cli(case):
    entities = json.loads(_approved(case, "json"))
    rendered = "".join(render_entity(e, width=100) for e in entities) + "\n"
    assert rendered == _approved(case, "tabular")


@pytest.mark.skipif(not APPROVED.exists(), reason="reference/cli-approved not present")
@pytest.mark.parametrize("case", CASES)
def test_json_output_matches_ksqldb_cli(case):
    text = _approved(case, "json")
    assert pretty(json.loads(text)) == text.rstrip("\n")


def test_statement_completion_respects_quotes_and_comments():
    assert not is_complete("CREATE STREAM s (a INT)")
    assert is_complete("CREATE STREAM s (a INT)\n  WITH (kafka_topic='s');")
    assert not is_complete("SELECT 'a;")
    assert not is_complete("SELECT 1 /* ; */")
    assert is_complete("SELECT 1; -- done")
    assert is_complete("help")
    assert is_complete("run script '/tmp/x.sql'")


def test_scripts_split_into_commands_and_statements():
    text = "-- a comment\nhelp\nCREATE STREAM a (x INT)\n  WITH (k='v;');\nRUN SCRIPT 'f.sql'\nSELECT 1; SELECT 2;\n"
    assert split_units(text) == [
        "help",
        "CREATE STREAM a (x INT)\n  WITH (k='v;');",
        "RUN SCRIPT 'f.sql'",
        "SELECT 1;",
        "SELECT 2;",
    ]
    assert cli_command("Output json;").argument == "json"
    assert cli_command("SELECT 1;") is None


@pytest.fixture()
def shell(tmp_path):
    stdout, stderr = io.StringIO(), io.StringIO()
    backend = EmbeddedBackend(tmp_path / "data")
    shell = Shell(backend, out=Output(stdout, stderr))
    shell.stdout, shell.stderr = stdout, stderr  # type: ignore[attr-defined]
    yield shell
    backend.close()


def _take(stream: io.StringIO) -> str:
    text = stream.getvalue()
    stream.seek(0)
    stream.truncate()
    return text


CREATE = (
    "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', partitions=1, "
    "value_format='JSON');"
)


def test_set_refuses_an_unknown_property_or_a_bad_value_as_ksqldbs_cli(shell):
    assert not shell.run_text("SET 'no.such.property'='1';")
    assert "Not recognizable as ksql, streams, consumer, or producer property" in _take(
        shell.stderr
    )
    assert not shell.run_text("SET 'auto.offset.reset'='sideways';")
    assert "String must be one of: latest, earliest, none" in _take(shell.stderr)
    assert shell.properties == {}


def test_set_define_and_pull_query_in_the_embedded_shell(shell):
    assert shell.run_text(CREATE)
    assert " Stream created " in _take(shell.stdout)
    assert shell.run_text("DEFINE val = 'hello';\nINSERT INTO s (id, v) VALUES (1, '${val}');")
    assert shell.run_text("SET 'auto.offset.reset'='earliest';")
    assert "Successfully changed local property 'auto.offset.reset'" in _take(shell.stdout)
    assert shell.run_text("SELECT * FROM s EMIT CHANGES LIMIT 1;")
    lines = _take(shell.stdout).splitlines()
    assert lines[0] == "+" + lines[0][1:]  # boxed header
    assert lines[3].startswith("|1 ") and "hello" in lines[3]
    assert lines[-2:] == ["Limit Reached", "Query terminated"]
    assert shell.run_text("UNSET 'auto.offset.reset';")
    assert "(value was 'earliest')" in _take(shell.stdout)
    assert shell.run_text("SHOW VARIABLES;")
    assert " val           | hello " in _take(shell.stdout)


def test_errors_name_the_position_without_a_traceback(shell):
    assert not shell.run_text("SELECT * FRM s;")
    error = _take(shell.stderr)
    assert error.startswith("line 1:10: Syntax Error")
    assert error.endswith("  SELECT * FRM s;\n           ^\n")
    assert "Traceback" not in error
    assert not shell.run_text("SELECT * FROM nowhere EMIT CHANGES;")
    assert _take(shell.stderr).endswith(
        "  SELECT * FROM nowhere EMIT CHANGES;\n                ^\n"
    )


def test_run_script_spool_and_json_output(shell, tmp_path):
    script = tmp_path / "setup.sql"
    script.write_text(CREATE + "\nINSERT INTO s (id, v) VALUES (7, 'x');\n")
    spool = tmp_path / "spool.txt"
    assert shell.run_text(f"spool '{spool}'\nRUN SCRIPT '{script}';\nSHOW STREAMS;\nspool off")
    spooled = spool.read_text()
    assert f"ksql> RUN SCRIPT '{script}';" in spooled and " Stream created " in spooled
    assert " S           | s           | KAFKA      | JSON         | false    " in spooled
    _take(shell.stdout)
    assert shell.run_text("output json\nSHOW STREAMS;")
    printed = _take(shell.stdout)
    listed = json.loads(printed[printed.index("[") :])
    assert listed[0]["@type"] == "streams" and listed[0]["streams"][0]["name"] == "S"
    assert not shell.run_text("RUN SCRIPT '/nonexistent/file.sql'")
    assert "Cannot read script" in _take(shell.stderr)


def _completions(text: str) -> list[str]:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from repl.backend import Names
    from repl.completion import ShellCompleter

    names = Names(
        sources={"PAGEVIEWS": "STREAM", "USERS": "TABLE"},
        columns={"PAGEVIEWS": ["USER_ID", "PAGE"], "USERS": ["ID", "REGION"]},
        functions=["UCASE", "SUBSTRING"],
        properties=["auto.offset.reset", "ksql.service.id"],
        topics=["pageviews"],
    )
    completer = ShellCompleter(lambda: names)
    event = CompleteEvent(completion_requested=True)
    return [c.text for c in completer.get_completions(Document(text), event)]


def test_completion_offers_what_fits_the_spot():
    assert _completions("SELECT * FROM pa") == ["PAGEVIEWS"]
    assert _completions("DROP TABLE ") == ["USERS"]
    assert _completions("SELECT pa")[:2] == ["PAGE", "PAGEVIEWS"]  # then keywords: partition...
    assert _completions("SELECT re")[0] == "REGION"  # columns of any source when none is named
    assert "USER_ID" not in _completions("SELECT u FROM users")  # not a column of USERS
    assert _completions("select ucas") == ["ucase"]
    assert _completions("SELECT * FROM pageviews wher") == ["where"]
    assert _completions("SELECT * FROM pageviews WHER") == ["WHERE"]
    assert _completions("SET 'auto") == ["auto.offset.reset"]
    assert _completions("PRINT pa") == ["pageviews"]
    assert "help" in _completions("he")
