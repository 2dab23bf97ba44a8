"""The `ksql` shell: an embedded engine on a data directory, interactive or from a script."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ksql.engine import Engine
from ksql.errors import KsqlError, ParseError
from ksql.parser import split_statements
from ksql.results import RowsResult
from repl.render import render, table


def _print_error(error: KsqlError) -> None:
    where = ""
    if isinstance(error, ParseError) and error.line is not None:
        where = f" (line {error.line}, column {error.column})"
    print(f"Error{where}: {error.message}", file=sys.stderr)


def _stream_rows(result: RowsResult, row_limit: int | None) -> None:
    """Print push-query rows as they arrive; Ctrl-C stops the query."""
    names = [c.name for c in result.columns]
    print(table(names, []).rsplit("\n", 1)[0])
    count = 0
    try:
        for row in result.rows:
            print(table(names, [row]).split("\n")[3])
            count += 1
            if row_limit is not None and count >= row_limit:
                break
    except KeyboardInterrupt:
        print("Query terminated")
    finally:
        result.close()
    if result.is_pull:
        print(f"{count} row{'s' if count != 1 else ''} in set")


def run_statements(engine: Engine, text: str, row_limit: int | None = None) -> bool:
    """Run each statement; print results; False if one failed."""
    ok = True
    for statement in split_statements(text):
        if not statement.strip():
            continue
        try:
            for result in engine.execute(statement):
                if isinstance(result, RowsResult):
                    _stream_rows(result, row_limit)
                else:
                    rendered = render(result)
                    if rendered:
                        print(rendered)
        except KsqlError as error:
            _print_error(error)
            ok = False
    return ok


def interactive(engine: Engine) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = Path.home() / ".ksql-history"
    session: PromptSession = PromptSession(history=FileHistory(str(history)))
    print("ksql shell (embedded engine). End statements with ';'. Ctrl-D exits.")
    buffer = ""
    while True:
        try:
            line = session.prompt("ksql> " if not buffer else "   >> ")
        except KeyboardInterrupt:
            buffer = ""
            continue
        except EOFError:
            print("Exiting ksql.")
            return
        if not buffer and line.strip().lower() in ("exit", "quit"):
            return
        buffer = f"{buffer}\n{line}" if buffer else line
        parts = split_statements(buffer)
        if parts and parts[-1].rstrip().endswith(";"):
            run_statements(engine, buffer)
            buffer = ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ksql", description="ksql interactive shell")
    parser.add_argument("--data-dir", default="ksql-data", help="data directory of the embedded engine")
    parser.add_argument("-f", "--file", help="run the statements in this file, then exit")
    parser.add_argument("-e", "--execute", help="run these statements, then exit")
    parser.add_argument("--query-row-limit", type=int, default=None)
    args = parser.parse_args(argv)
    engine = Engine(args.data_dir)
    engine.start()
    try:
        if args.file:
            return 0 if run_statements(engine, Path(args.file).read_text(), args.query_row_limit) else 1
        if args.execute:
            return 0 if run_statements(engine, args.execute, args.query_row_limit) else 1
        interactive(engine)
        return 0
    finally:
        engine.close()


if __name__ == "__main__":
    sys.exit(main())
