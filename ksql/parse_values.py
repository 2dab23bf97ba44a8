"""Lark callbacks for literals and SQL types, mixed into parse_tree.AstBuilder."""

from __future__ import annotations

from typing import Any

from lark import Token

from ksql import ast
from ksql.errors import ParseError
from ksql.types import (
    PRIMITIVE_ALIASES,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructField,
    StructType,
    TypeReference,
)

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def error_at(token: Token, detail: str) -> ParseError:
    return ParseError(
        f"line {token.line}:{token.column}: Syntax Error\n{detail}",
        line=token.line,
        column=token.column,
        near=str(token),
    )


def decimal_type(precision: int, scale: int) -> DecimalType:
    """DECIMAL(precision, scale), refused as ksqlDB's parser refuses it."""
    shown = f"DECIMAL({precision},{scale})"
    if precision < 1:
        raise ParseError(f"DECIMAL precision must be >= 1: {shown}")
    if scale > precision:
        raise ParseError(f"DECIMAL precision must be >= scale: {shown}")
    return DecimalType(precision, scale)


def integer_literal(value: int) -> ast.Literal:
    kind = "INTEGER" if _INT32_MIN <= value <= _INT32_MAX else "BIGINT"
    return ast.Literal(value, kind)


def unquote_string(token: str) -> str:
    return token[1:-1].replace("''", "'")


class ValueCallbacks:
    """Literal and type rules; `_present` comes from the transformer it is mixed into."""

    def _present(self, children: tuple[Any, ...]) -> list[Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------ literals

    def null(self, _children: list[Any]) -> ast.Literal:
        return ast.Literal(None, "NULL")

    def true(self, _children: list[Any]) -> ast.Literal:
        return ast.Literal(True, "BOOLEAN")

    def false(self, _children: list[Any]) -> ast.Literal:
        return ast.Literal(False, "BOOLEAN")

    def string(self, children: list[Any]) -> ast.Literal:
        return ast.Literal(unquote_string(children[0]), "STRING")

    def integer(self, children: list[Any]) -> ast.Literal:
        return integer_literal(int(children[0]))

    def decimal(self, children: list[Any]) -> ast.Literal:
        return ast.Literal(str(children[0]), "DECIMAL")

    def double(self, children: list[Any]) -> ast.Literal:
        return ast.Literal(float(children[0]), "DOUBLE")

    # ------------------------------------------------------------------ types

    def type_name(self, children: list[Any]) -> str:
        return children[0].upper()

    def named_type(self, children: list[Any]) -> SqlType:
        name = children[0]
        if name == "NULL":
            raise ParseError(f"Syntax Error\nNULL is not a type: {name}")
        return PRIMITIVE_ALIASES.get(name) or TypeReference(name)

    def parameterized_type(self, children: list[Any]) -> DecimalType:
        name, *params = children
        if (
            name != "DECIMAL"
            or len(params) != 2
            or not all(p.type == "INTEGER_VALUE" for p in params)
        ):
            raise error_at(params[0], f"Unexpected type parameters for {name}")
        return decimal_type(int(params[0]), int(params[1]))

    def array_type(self, children: list[Any]) -> ArrayType:
        return ArrayType(children[1])

    def map_type(self, children: list[Any]) -> MapType:
        return MapType(children[1], children[2])

    def struct_type(self, children: list[Any]) -> StructType:
        return StructType(tuple(self._present(children)))

    def struct_field(self, children: list[Any]) -> StructField:
        return StructField(children[0], children[1])
