"""Errors as the shell prints them: one message, then the statement line with a caret under the spot."""

from __future__ import annotations

import re

from repl.backend import BackendError

_QUOTED_NAME = re.compile(r"'([A-Za-z_][\w.]*)'|`([^`]+)`")
_MISSING = re.compile(r"(?:^|\s)([A-Za-z_][\w]*) does not exist")


def locate(error: BackendError, statement: str) -> tuple[int, int] | None:
    """(line, column), 1-based, of what the error is about: the parser's position, else the
    first whole-word occurrence of the name the message quotes."""
    if error.line is not None and error.column is not None:
        return error.line, error.column
    names = [a or b for a, b in _QUOTED_NAME.findall(error.message)]
    names += _MISSING.findall(error.message)
    for name in names:
        found = re.search(rf"(?<![\w`]){re.escape(name)}(?![\w`])", statement, re.IGNORECASE)
        if found:
            before = statement[: found.start()]
            line = before.count("\n") + 1
            return line, found.start() - (before.rfind("\n") + 1) + 1
    return None


def format_error(error: BackendError, statement: str | None = None) -> str:
    """The message, without a repeated statement, and the offending line marked with `^`."""
    message = error.message.split("\nStatement: ")[0].rstrip()
    text = statement or error.statement_text or ""
    where = locate(error, text) if text else None
    if where is None:
        return message
    line, column = where
    lines = text.splitlines() or [""]
    if not 1 <= line <= len(lines):
        return message
    source = lines[line - 1]
    prefix = f"line {line}:{column}:"
    header = message if message.startswith("line ") else f"{prefix} {message}"
    return f"{header}\n  {source}\n  {' ' * (column - 1)}^"
