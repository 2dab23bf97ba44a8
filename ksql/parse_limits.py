"""Limits checked on a parse tree before the AST is built: how deeply it nests (every later
stage recurses over expressions and types) and whether each number fits its type (BIGINT for
integers, DOUBLE for floating point), as ksqlDB's parser checks them."""

from __future__ import annotations

import sys

from lark import Token, Tree

from ksql.errors import ParseError

# Nesting a statement may have, in parse-tree levels (one per operator of a chain like
# `a AND b AND c`, two per nested function call or CASE): ksqlDB-sized statements of a few
# hundred terms fit. Two limits downstream set it: DuckDB refuses expressions nested deeper
# than 1000 of its levels (most operators take two), and the stages after the parser recurse
# a few frames per level, so the interpreter's recursion limit is raised to cover them. That
# many frames stay well inside a thread's default 8 MiB stack (one that recurses through C
# takes under 1 KiB).
MAX_DEPTH = 450
RECURSION_LIMIT = 4000

_BIGINT_MAX = 2**63 - 1
_NEGATIONS = frozenset({"unary_op", "negative"})  # grammar rules of a prefix sign


def make_room_for_nesting() -> None:
    """Raise the recursion limit to what MAX_DEPTH levels need (never lower it)."""
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


def check_tree(tree: Tree) -> None:
    """Raise a ParseError at the first place (in the text) where the tree nests deeper than
    MAX_DEPTH or holds a number out of its type's range. Iterative: the tree may be arbitrarily
    deep."""
    stack: list[tuple[Tree, int, bool]] = [(tree, 1, False)]
    while stack:  # depth first, left to right
        node, depth, negated = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(node)
        signed = node.data in _NEGATIONS and node.children[0] == "-"
        for child in reversed(node.children):
            if isinstance(child, Tree):
                stack.append((child, depth + 1, signed))
            elif isinstance(child, Token):
                _check_number(child, negated)


def _check_number(token: Token, negated: bool) -> None:
    text = ("-" if negated else "") + str(token)
    if token.type == "INTEGER_VALUE":
        if int(token) > _BIGINT_MAX + negated:  # -2^63 is a BIGINT, 2^63 is not
            raise _literal_error(token, f"Invalid numeric literal: {text}")
    elif token.type == "DOUBLE_VALUE" and float(token) == float("inf"):
        raise _literal_error(token, f"Number overflows DOUBLE: {text}")


def _literal_error(token: Token, message: str) -> ParseError:
    # ksqlDB reports errors found while building its AST one column right of the token (its
    # node locations count from 1 and its message adds 1 again); its clients see that column.
    return ParseError(
        f"Failed to prepare statement: line {token.line}:{(token.column or 0) + 1}: {message}",
        line=token.line,
        column=token.column,
        near=str(token),
    )


def _too_deep(node: Tree) -> ParseError:
    token = first_token(node)
    detail = f"Statement is too deeply nested: more than {MAX_DEPTH} levels"
    if token is None:
        return ParseError(detail)
    return ParseError(
        f"line {token.line}:{token.column}: {detail}",
        line=token.line,
        column=token.column,
        near=str(token),
    )


def first_token(node: Tree) -> Token | None:
    """The first token written inside `node` (depth-first, left to right)."""
    stack: list[Tree | Token | None] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Token):
            return item
        if isinstance(item, Tree):
            stack.extend(reversed(item.children))
    return None
