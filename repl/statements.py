"""Splitting shell input into units: CLI commands (one line, no `;` needed) and SQL statements."""

from __future__ import annotations

from dataclasses import dataclass

# Commands the shell answers itself; the first word (two for RUN SCRIPT) picks one.
CLI_COMMANDS = (
    "help",
    "clear",
    "exit",
    "quit",
    "history",
    "version",
    "output",
    "server",
    "spool",
    "run script",
    "request-pipelining",
    "set cli",
)


@dataclass(frozen=True, slots=True)
class CliCommand:
    name: str  # one of CLI_COMMANDS
    argument: str  # the rest of the line, without a trailing ';'


def cli_command(text: str) -> CliCommand | None:
    """The CLI command `text` is, if it is one (case-insensitive, `;` optional)."""
    line = text.strip().rstrip(";").strip()
    lowered = line.lower()
    if lowered.startswith("!"):
        return CliCommand("history", line)  # !! and !N recall history entries
    for name in CLI_COMMANDS:
        if lowered == name or lowered.startswith((name + " ", name + "\t")):
            return CliCommand(name, line[len(name) :].strip())
    return None


def _code(text: str) -> tuple[list[tuple[int, str]], bool]:
    """Code characters outside comments as (index, char), a quoted run counting as its closing
    quote; and whether the text ends inside a quote or block comment."""
    found: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if text.startswith("--", i):
            end = text.find("\n", i)
            if end < 0:
                return found, False
            i = end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return found, True
            i = end + 2
        elif char in "'`":
            j = i + 1
            while True:
                j = text.find(char, j)
                if j < 0:
                    return found, True
                if text.startswith(char * 2, j):
                    j += 2
                    continue
                break
            found.append((j, char))
            i = j + 1
        else:
            if not char.isspace():
                found.append((i, char))
            i += 1
    return found, False


def is_complete(buffer: str) -> bool:
    """True when Enter should run the buffer: blank, a CLI command, or SQL ending with `;`."""
    if not buffer.strip():
        return True
    if "\n" not in buffer.strip() and cli_command(buffer) is not None:
        return True
    code, open_quote = _code(buffer)
    return not open_quote and (not code or code[-1][1] == ";")


def split_units(text: str) -> list[str]:
    """Script text -> CLI commands and `;`-terminated statements, in order.

    A line starting a unit with a CLI command word is that command; anything else runs up to
    the next `;` outside quotes and comments. Trailing text without `;` is a unit too.
    """
    units: list[str] = []
    buffer = ""
    for line in text.splitlines(keepends=True):
        if not _has_code(buffer) and cli_command(line) is not None:
            units.append(line.strip())
            buffer = ""
            continue
        buffer += line
        while True:
            cut = _statement_end(buffer)
            if cut is None:
                break
            piece, buffer = buffer[:cut], buffer[cut:]
            if _has_code(piece):
                units.append(piece.strip())
    if _has_code(buffer):
        units.append(buffer.strip())
    return units


def _statement_end(text: str) -> int | None:
    """Index just past the first `;` outside quotes and comments, or None."""
    code, _ = _code(text)
    return next((i + 1 for i, char in code if char == ";"), None)


def _has_code(text: str) -> bool:
    """True if `text` holds anything but whitespace, comments and a lone `;`."""
    code, _ = _code(text)
    return any(char != ";" for _, char in code)
