"""The shell's own commands: help, clear, exit, history, version, output, server, spool, RUN SCRIPT."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from repl.backend import BackendError, version
from repl.statements import CliCommand

if TYPE_CHECKING:
    from repl.shell import Shell

HELP = """
Description:
	The ksql shell: type SQL statements ending with ';' (they may span lines), or a command.

Commands (case-insensitive, no ';' needed):
	help                     Show this text.
	clear                    Clear the screen.
	exit | quit              Leave the shell (Ctrl-D works too).
	history                  List previous input; !! repeats the last line, !N line N.
	version                  Show the shell's version.
	output [JSON|TABULAR]    Show or set the output format.
	server [URL]             Show the server, or connect to another one.
	spool <file> | spool off Copy commands and their output to a file.
	run script '<file>'      Run the statements and commands in a file.
	set cli column-width n   Fixed width of query columns (0: share the terminal width).
	SET 'name'='value'       Set a query property for this session (UNSET 'name' reverts it).
	DEFINE name = 'value'    Define a variable for ${name} substitution (UNDEFINE name).
	PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n]
	                         Show the raw records of a topic as they arrive.

Keys:
	Tab completes keywords, streams, tables, columns, functions and properties.
	Up/Down walk the history; Ctrl-R searches it. Ctrl-C stops a running query; Ctrl-D exits.

Statements: CREATE STREAM/TABLE [AS SELECT], INSERT INTO, SELECT ... [EMIT CHANGES],
DESCRIBE, SHOW STREAMS/TABLES/QUERIES/TOPICS/PROPERTIES/FUNCTIONS/TYPES/VARIABLES,
EXPLAIN, TERMINATE, DROP. See the README for more.
""".strip("\n")


def run(shell: Shell, command: CliCommand) -> bool:
    """Carry out one CLI command; False if it failed."""
    handler = _HANDLERS[command.name]
    return handler(shell, command.argument)


def _help(shell: Shell, argument: str) -> bool:
    shell.out.line(HELP)
    return True


def _clear(shell: Shell, argument: str) -> bool:
    shell.out.stdout.write("\033[2J\033[H")
    shell.out.stdout.flush()
    return True


def _exit(shell: Shell, argument: str) -> bool:
    shell.running = False
    return True


def _history(shell: Shell, argument: str) -> bool:
    entries = shell.history()
    if argument.startswith("!"):
        # The newest entry is this very `!` line; the one before it is "!!".
        earlier = entries[:-1] if entries and entries[-1].strip() == argument else entries
        wanted = argument[1:]
        if wanted == "!":
            chosen = earlier[-1] if earlier else None
        elif wanted.isdigit() and 1 <= int(wanted) <= len(earlier):
            chosen = earlier[int(wanted) - 1]
        else:
            chosen = None
        if chosen is None:
            shell.out.error(f"{argument}: event not found")
            return False
        shell.out.line(chosen)
        return shell.run_text(chosen)
    for number, entry in enumerate(entries, 1):
        shell.out.line(f"{number:5d}  {entry}")
    return True


def _version(shell: Shell, argument: str) -> bool:
    shell.out.line(f"Version: {version()}")
    return True


def _output(shell: Shell, argument: str) -> bool:
    if not argument:
        shell.out.line(f"Output format: {shell.output_format}")
        return True
    wanted = argument.strip().upper()
    if wanted not in ("JSON", "TABULAR"):
        shell.out.error(f"Unknown output format '{argument}': use JSON or TABULAR")
        return False
    shell.output_format = wanted
    shell.out.line(f"Output format set to {wanted}")
    return True


def _server(shell: Shell, argument: str) -> bool:
    if not argument:
        shell.out.line(f"Current server: {shell.backend.location}")
        return True
    from repl.rest import RestBackend

    backend = RestBackend(argument, auth=getattr(shell.backend, "auth", None))
    try:
        info = backend.info()
    except BackendError:
        backend.close()
        raise
    shell.backend.close()
    shell.backend = backend
    shell.forget_names()
    shell.out.line(
        f"Server now: {backend.location} (version {info.get('version', '?')}, "
        f"status {info.get('serverStatus', '?')})"
    )
    return True


def _spool(shell: Shell, argument: str) -> bool:
    if not argument:
        where = shell.out.spool_path or "off"
        shell.out.line(f"Spool: {where}")
        return True
    if argument.strip().lower() == "off":
        if shell.out.spool_path is None:
            shell.out.error("Spool is not on")
            return False
        shell.out.stop_spool()
        shell.out.line("Spool off")
        return True
    path = _unquote(argument)
    try:
        shell.out.start_spool(path)
    except OSError as error:
        shell.out.error(f"Cannot spool to {path}: {error.strerror}")
        return False
    shell.out.line(f"Spooling to {path}")
    return True


def _run_script(shell: Shell, argument: str) -> bool:
    path = Path(_unquote(argument)).expanduser()
    if not argument:
        shell.out.error("RUN SCRIPT needs a file: RUN SCRIPT '/path/to/file.sql'")
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        shell.out.error(f"Cannot read script {path}: {error.strerror}")
        return False
    if shell.script_depth >= 10:
        shell.out.error("RUN SCRIPT nested too deeply (a script running itself?)")
        return False
    shell.script_depth += 1
    try:
        return shell.run_text(text)
    finally:
        shell.script_depth -= 1


def _pipelining(shell: Shell, argument: str) -> bool:
    shell.out.line("Request pipelining is always OFF here: each statement runs after the last.")
    return True


def _set_cli(shell: Shell, argument: str) -> bool:
    """SET CLI COLUMN-WIDTH n: a fixed width for query columns (0: share the terminal)."""
    name, _, value = argument.partition(" ")
    if name.upper() == "COLUMN-WIDTH" and value.strip().isdigit():
        shell.column_width = int(value)
        shell.out.line(f"Column width set to {shell.column_width or 'auto'}")
        return True
    shell.out.error("Usage: SET CLI COLUMN-WIDTH <n> (0 sizes columns to the terminal)")
    return False


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].replace("''", "'")
    return text


_HANDLERS = {
    "help": _help,
    "clear": _clear,
    "exit": _exit,
    "quit": _exit,
    "history": _history,
    "version": _version,
    "output": _output,
    "server": _server,
    "spool": _spool,
    "run script": _run_script,
    "request-pipelining": _pipelining,
    "set cli": _set_cli,
}
