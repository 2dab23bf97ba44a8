"""The `ksql` command: a shell on a ksql server (URL) or on an embedded engine (--data-dir)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from repl.backend import Backend, BackendError, version
from repl.errors import format_error
from repl.output import Output
from repl.shell import Shell

DEFAULT_DATA_DIR = "~/.ksql/data"
DEFAULT_HISTORY = "~/.ksql-history"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ksql",
        description="Interactive ksql shell: on a server given by URL, else on an embedded engine.",
    )
    parser.add_argument("server", nargs="?", help="server URL, e.g. http://localhost:8088")
    parser.add_argument(
        "--data-dir",
        help=f"data directory of the embedded engine (default {DEFAULT_DATA_DIR}, "
        "or $KSQL_DATA_DIR)",
    )
    parser.add_argument("-u", "--user", help="user name for the server's HTTP basic auth")
    parser.add_argument("-p", "--password", help="password (asked for when -u has none)")
    parser.add_argument("-f", "--file", help="run the statements in this file, then exit")
    parser.add_argument("-e", "--execute", help="run these statements, then exit")
    parser.add_argument(
        "-d",
        "--define",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="define a variable for ${NAME} substitution (repeatable)",
    )
    parser.add_argument(
        "--output",
        choices=["JSON", "TABULAR", "json", "tabular"],
        default="TABULAR",
        help="output format (default TABULAR)",
    )
    parser.add_argument(
        "--query-row-limit", type=int, default=None, metavar="N", help="stop queries after N rows"
    )
    parser.add_argument(
        "--query-timeout",
        type=int,
        default=None,
        metavar="MS",
        help="stop queries after MS milliseconds",
    )
    parser.add_argument(
        "--history-file",
        default=os.environ.get("KSQL_HISTORY_FILE", DEFAULT_HISTORY),
        help=f"history file (default {DEFAULT_HISTORY}, or $KSQL_HISTORY_FILE)",
    )
    return parser


def _variables(definitions: list[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    variables = {}
    for item in definitions:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            parser.error(f"-d takes NAME=VALUE, got '{item}'")
        variables[name.strip()] = value
    return variables


def _backend(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Backend:
    if args.server and args.data_dir:
        parser.error("give a server URL or --data-dir, not both")
    if args.server:
        from repl.rest import RestBackend

        url = args.server if "://" in args.server else f"http://{args.server}"
        auth = None
        if args.user:
            import getpass

            password = args.password if args.password is not None else getpass.getpass()
            auth = (args.user, password)
        return RestBackend(url, auth=auth)
    from repl.embedded import EmbeddedBackend

    data_dir = args.data_dir or os.environ.get("KSQL_DATA_DIR") or DEFAULT_DATA_DIR
    return EmbeddedBackend(Path(data_dir).expanduser())


def banner(backend: Backend, out: Output) -> bool:
    """Versions and server status, as ksqlDB's welcome does; False if the server is not there."""
    out.line(f"ksql {version()}: streaming SQL in the style of ksqlDB")
    out.line("")
    if not backend.location.startswith(("http://", "https://")):
        out.line(f"CLI v{version()}, embedded engine on {backend.location}")
        out.line("Server Status: RUNNING")
        ok = True
    else:
        try:
            info = backend.info()
            out.line(
                f"CLI v{version()}, Server v{info.get('version', '?')} located at "
                f"{backend.location}"
            )
            out.line(f"Server Status: {info.get('serverStatus', 'UNKNOWN')}")
            ok = True
        except BackendError as error:
            out.error(f"{error.message}\nUse 'server <URL>' to connect to another server.")
            ok = False
    out.line("")
    out.line("Having trouble? Type 'help' (case-insensitive) for a rundown of how things work!")
    out.line("")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    variables = _variables(args.define, parser)
    out = Output()
    try:
        backend = _backend(args, parser)
    except BackendError as error:
        out.error(format_error(error))
        return 1
    # Statements piped in (`ksql < script.sql`) run like -f; a terminal gets the prompt.
    scripted = bool(args.file or args.execute or not sys.stdin.isatty())
    shell = Shell(
        backend,
        output_format=args.output,
        row_limit=args.query_row_limit,
        timeout_ms=args.query_timeout,
        variables=variables,
        out=out,
        interactive=not scripted,
    )
    try:
        if scripted:
            try:
                if args.file:
                    text = Path(args.file).read_text(encoding="utf-8")
                else:
                    text = args.execute if args.execute else sys.stdin.read()
            except OSError as error:
                out.error(f"Cannot read {args.file}: {error.strerror}")
                return 1
            return 0 if shell.run_text(text) else 1
        from repl.prompt import interactive

        banner(shell.backend, out)
        interactive(shell, Path(args.history_file).expanduser())
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        shell.backend.close()


if __name__ == "__main__":
    sys.exit(main())
