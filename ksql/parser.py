"""SQL text to AST: statement splitting, variable substitution, parsing with line/column errors."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from ksql import ast
from ksql.errors import KsqlError, ParseError
from ksql.parse_limits import check_tree, first_token, make_room_for_nesting
from ksql.parse_tree import AstBuilder
from ksql.types import SqlType

_START_RULES = ["start", "single_expression", "single_type"]

# How the terminals of grammar/ksql.lark read in error messages.
_TERMINAL_NAMES = {
    "$END": "<EOF>",
    "IDENT": "IDENTIFIER",
    "QUOTED_IDENT": "BACKQUOTED_IDENTIFIER",
    "DIGIT_IDENT": "DIGIT_IDENTIFIER",
    "STRING": "STRING",
    "INTEGER_VALUE": "INTEGER_VALUE",
    "DECIMAL_VALUE": "DECIMAL_VALUE",
    "DOUBLE_VALUE": "FLOATING_POINT_VALUE",
}

_VARIABLE = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


@dataclass(frozen=True, slots=True)
class _Parsers:
    """The LALR parser, the tree-to-AST transformer and the display names of terminals."""

    lark: Lark
    builder: AstBuilder
    display: dict[str, str]


@functools.cache
def _parsers() -> _Parsers:
    """Build the parser once per process (the grammar is package data of `grammar`)."""
    grammar = resources.files("grammar").joinpath("ksql.lark").read_text(encoding="utf-8")
    lark = Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=_START_RULES,
        maybe_placeholders=True,
        cache=True,
    )
    string_terminals = [t for t in lark.terminals if t.pattern.type == "str"]
    keywords = frozenset(t.name for t in string_terminals if t.pattern.value.isalpha())
    display = {t.name: f"'{t.pattern.value.upper()}'" for t in string_terminals}
    display.update(_TERMINAL_NAMES)
    make_room_for_nesting()  # for the stages that recurse over what the parser accepts
    return _Parsers(lark, AstBuilder(keywords), display)


# ----------------------------------------------------------------------------- public API


def parse(text: str) -> list[ast.ParsedStatement]:
    """Parse one or more ';'-separated statements; each keeps its exact source text."""
    parsed = []
    for start, end in _statement_spans(text):
        line, column = _position(text, start)
        # Pad so that Lark's line/column count from the start of `text`, not of the piece.
        padded = "\n" * (line - 1) + " " * (column - 1) + text[start:end]
        statement = _run("start", padded)
        parsed.append(ast.ParsedStatement(statement, text[start:end], line, column))
    return parsed


def parse_expression(text: str) -> ast.Expr:
    """Parse a single expression, e.g. `a + 1 > b->c`."""
    return _run("single_expression", text)


def parse_type(text: str) -> SqlType:
    """Parse a SQL type, e.g. `MAP<STRING, ARRAY<INT>>`."""
    return _run("single_type", text)


def split_statements(text: str) -> list[str]:
    """Split on ';' outside strings, quoted identifiers and comments; each piece keeps its ';'."""
    return [text[start:end] for start, end in _statement_spans(text)]


def statements_with_lines(text: str) -> list[tuple[str, int]]:
    """Each statement with the number of lines before it in `text` (to report positions in
    the text as submitted, not in the statement alone)."""
    return [(text[start:end], text.count("\n", 0, start)) for start, end in _statement_spans(text)]


def substitute_variables(text: str, variables: dict[str, str]) -> str:
    """Replace `${name}` (name case-insensitive) with its value; unknown variables stay as written."""
    if "${" not in text:
        return text
    by_name = {name.upper(): value for name, value in variables.items()}

    def replace(match: re.Match[str]) -> str:
        return by_name.get(match.group(1).upper(), match.group(0))

    return _VARIABLE.sub(replace, text)


# ----------------------------------------------------------------------------- splitting


def _statement_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each statement: from its first code character to its ';' inclusive."""
    start: int | None = None
    last_end = 0
    for kind, begin, end in _scan(text):
        if kind == "comment":
            continue
        if kind == ";":
            if start is not None:
                yield start, end
            start = None
            continue
        if start is None:
            start = begin
        last_end = end
    if start is not None:
        yield start, last_end


def _scan(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (kind, start, end) of code pieces: 'comment', ';', or 'code' for anything else."""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            yield "comment", i, end
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            yield "comment", i, end
            i = end
        elif char in "'`":
            end = _quoted_end(text, i)
            yield "code", i, end
            i = end
        elif char == ";":
            yield ";", i, i + 1
            i += 1
        else:
            yield "code", i, i + 1
            i += 1


def _quoted_end(text: str, start: int) -> int:
    """End of a quoted run starting at `start`; a doubled quote character escapes itself."""
    quote, i = text[start], start + 1
    while True:
        i = text.find(quote, i)
        if i < 0:
            return len(text)
        if text.startswith(quote * 2, i):
            i += 2
            continue
        return i + 1


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


# ----------------------------------------------------------------------------- errors


def _run(start: str, text: str):  # type: ignore[no-untyped-def]
    """Parse `text` from the `start` rule, then build the AST; every failure is a KsqlError."""
    parsers = _parsers()
    try:
        tree = parsers.lark.parse(text, start=start)
    except UnexpectedInput as error:
        raise _syntax_error(error, text, parsers.display) from None
    check_tree(tree)
    try:
        return parsers.builder.transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, ParseError):
            raise _located(error.orig_exc, error.obj) from None
        if isinstance(error.orig_exc, KsqlError):
            raise error.orig_exc from None
        raise


def _located(error: ParseError, node: object) -> ParseError:
    """A ParseError raised while building the AST, placed at the node it was raised for when
    it carries no position of its own."""
    token = first_token(node) if isinstance(node, Tree) else None
    if error.line is not None or token is None:
        return error
    error.message = f"line {token.line}:{token.column}: {error.message}"
    error.line, error.column, error.near = token.line, token.column, str(token)
    return error


def _syntax_error(error: UnexpectedInput, text: str, display: dict[str, str]) -> ParseError:
    """A ParseError worded like ksqlDB's: `line L:C: Syntax Error` and a detail line.

    As in ksqlDB the detail of a misplaced token lists what was expected; the token itself is
    in the error's `near` (and at `line`/`column`).
    """
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        token: Token = error.token
        line, column, near = token.line, token.column, str(token)
        if text[: token.start_pos].strip() == "":
            detail = f"Unknown statement '{near}'"
        else:
            expected = ", ".join(sorted({display.get(name, name) for name in error.expected}))
            detail = f"Expecting {{{expected}}}"
    elif isinstance(error, UnexpectedCharacters):
        line, column, near = error.line, error.column, error.char
        detail = f"token recognition error at: '{near}'"
    else:
        line, column = _position(text, len(text.rstrip()))
        near = "<EOF>"
        detail = "Unexpected end of input"
    return ParseError(
        f"line {line}:{column}: Syntax Error\n{detail}", line=line, column=column, near=near
    )
