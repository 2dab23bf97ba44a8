"""The expression compiler: ksql expressions to DuckDB SQL over Arrow batches, with ksql types."""

from __future__ import annotations

from ksql import ast
from ksql.compiler.scope import Scope
from ksql.compiler.sql import Compiled, Compiler
from ksql.types import SqlType

__all__ = ["Compiled", "compile_expression", "infer_type"]


def compile_expression(expr: ast.Expr, scope: Scope) -> Compiled:
    """SQL evaluating `expr` over the relation `scope` describes, and the result's type."""
    return Compiler(scope).compile(expr)


def infer_type(expr: ast.Expr, scope: Scope) -> SqlType | None:
    return compile_expression(expr, scope).type
