"""A request's statements, split, with variables substituted, each parsed once.

Preparing is pure: it needs no catalog, so a shell can prepare what it sends to a server, and
the engine executes what it prepared without parsing again. Positions in errors count lines of
the whole request, as ksqlDB reports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ksql import ast
from ksql.errors import KsqlError, ParseError, shift_lines
from ksql.parser import parse, statements_with_lines, substitute_variables


@dataclass(frozen=True, slots=True)
class StatementSource:
    """One statement as written in a request, and the number of lines before it there."""

    text: str
    line_offset: int


@dataclass(frozen=True, slots=True)
class PreparedStatement:
    """One parsed statement of a request: its AST, the text it was parsed from (variables
    substituted), the text as written, and where it stands in the request."""

    parsed: ast.ParsedStatement
    source: StatementSource
    index: int  # position in the request, from 0

    @property
    def statement(self) -> ast.Statement:
        return self.parsed.statement

    @property
    def text(self) -> str:
        return self.parsed.text


def split_request(sql: str) -> list[StatementSource]:
    """The statements of `sql` (blank pieces and lone `;` dropped), in order."""
    return [
        StatementSource(text, offset)
        for text, offset in statements_with_lines(sql)
        if text.strip() and text.strip() != ";"
    ]


def prepare_statements(
    request: str | Sequence[StatementSource], variables: dict[str, str]
) -> list[PreparedStatement]:
    """Parse every statement of `request` once, substituting `${name}` from `variables` and
    from the DEFINE/UNDEFINE statements before it in the request.

    The first statement that does not parse raises its ParseError: nothing of a request with
    a syntax error runs, as in ksqlDB, which parses a request whole before executing it.
    """
    sources = split_request(request) if isinstance(request, str) else request
    scope = dict(variables)
    prepared: list[PreparedStatement] = []
    for source in sources:
        text = substitute_variables(source.text, scope)
        try:
            parsed = parse(text)
        except KsqlError as error:
            in_request(error, text, source.line_offset)
            raise
        for item in parsed:
            prepared.append(PreparedStatement(item, source, len(prepared)))
            scope = _scope_after(item.statement, scope)
    return prepared


def in_request(error: KsqlError, text: str, line_offset: int) -> None:
    """Make `error` of the statement `text` read as the request reports it: lines counted from
    the start of the request, the statement attached (and quoted after a syntax error)."""
    error.message = shift_lines(error.message, line_offset)
    if isinstance(error, ParseError) and error.line is not None:
        error.line += line_offset
    if error.statement_text is None:
        error.statement_text = text
    if isinstance(error, ParseError) and "\nStatement: " not in error.message:
        error.message += f"\nStatement: {text.strip()}"


def _scope_after(statement: ast.Statement, scope: dict[str, str]) -> dict[str, str]:
    """The variables in force after `statement`: DEFINE and UNDEFINE change them for the rest
    of the request (names are case-insensitive)."""
    if not isinstance(statement, ast.DefineVariable | ast.UndefineVariable):
        return scope
    kept = {k: v for k, v in scope.items() if k.upper() != statement.name.upper()}
    if isinstance(statement, ast.DefineVariable):
        kept[statement.name] = statement.value
    return kept
