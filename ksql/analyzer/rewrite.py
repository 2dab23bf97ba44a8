"""Generic walks over expression trees: visit every node, or rebuild a tree bottom-up."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from ksql import ast


def _children(value: Any) -> Iterator[ast.Node]:
    if isinstance(value, ast.Node):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _children(item)


def walk(node: ast.Node) -> Iterator[ast.Node]:
    """Every node of the tree, parents before children."""
    yield node
    for f in dataclasses.fields(node):
        for child in _children(getattr(node, f.name)):
            yield from walk(child)


def _rebuild(value: Any, fn: Callable[[ast.Expr], ast.Expr | None]) -> Any:
    if isinstance(value, ast.Node):
        return transform(value, fn)
    if isinstance(value, tuple):
        return tuple(_rebuild(item, fn) for item in value)
    return value


def transform(node: ast.Node, fn: Callable[[ast.Expr], ast.Expr | None]) -> Any:
    """Rebuild the tree: where fn returns a node it replaces the subtree (not descended into);
    where it returns None the node's children are transformed instead."""
    if isinstance(node, ast.Expr):
        replaced = fn(node)
        if replaced is not None:
            return replaced
    if isinstance(node, ast.Lambda):
        return node  # lambda bodies see their own parameters; leave them to the compiler
    changes = {}
    for f in dataclasses.fields(node):
        old = getattr(node, f.name)
        new = _rebuild(old, fn)
        if new is not old and new != old:
            changes[f.name] = new
    return dataclasses.replace(node, **changes) if changes else node


def strip_qualifiers(expr: ast.Expr) -> ast.Expr:
    """The same expression with `src.col` written as `col` (for matching within one source)."""

    def unqualify(node: ast.Expr) -> ast.Expr | None:
        if isinstance(node, ast.ColumnRef) and node.source is not None:
            return ast.ColumnRef(node.name)
        return None

    return transform(expr, unqualify)
