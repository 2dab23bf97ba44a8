"""The interactive prompt: multi-line SQL up to `;`, history with search, highlighting, completion."""

from __future__ import annotations

from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.filters import is_searching
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer
from pygments.lexers.sql import SqlLexer

from repl.completion import ShellCompleter
from repl.shell import Shell
from repl.statements import is_complete

PROMPT = "ksql> "


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter", filter=~is_searching)
    def _enter(event: KeyPressEvent) -> None:
        # Enter runs a finished statement or command; inside one it starts a new line.
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
            return
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return bindings


def _continuation(width: int, line_number: int, wrap_count: int) -> str:
    return " " * (width - 2) + "> "


def make_session(shell: Shell, history_file: Path) -> PromptSession:
    history_file.parent.mkdir(parents=True, exist_ok=True)
    return PromptSession(
        history=FileHistory(str(history_file)),
        lexer=PygmentsLexer(SqlLexer),
        completer=ShellCompleter(shell.names),
        complete_while_typing=False,
        auto_suggest=AutoSuggestFromHistory(),
        multiline=True,
        key_bindings=_key_bindings(),
        prompt_continuation=_continuation,
    )


def interactive(shell: Shell, history_file: Path) -> None:
    """Read and run input until `exit` or Ctrl-D."""
    session = make_session(shell, history_file)
    shell.history = session.history.get_strings
    while shell.running:
        try:
            text = session.prompt(PROMPT)
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt drops the line, as in ksqlDB
        except EOFError:
            break
        if text.strip():
            try:
                shell.run_text(text)
            except KeyboardInterrupt:
                shell.out.line()
                shell.out.error("Interrupted")
    shell.out.line("Exiting ksql.")
