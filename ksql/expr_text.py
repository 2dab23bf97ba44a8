"""Expressions back to ksql text, the way ksqlDB prints them in messages and column names."""

from __future__ import annotations

from ksql import ast


def _literal(lit: ast.Literal) -> str:
    if lit.kind == "NULL":
        return "null"
    if lit.kind == "STRING":
        return "'" + str(lit.value).replace("'", "''") + "'"
    if lit.kind == "BOOLEAN":
        return "true" if lit.value else "false"
    return str(lit.value)


def format_expr(expr: ast.Expr) -> str:
    """ksqlDB's textual form: binary operations in parentheses, names upper-case."""
    match expr:
        case ast.Literal():
            return _literal(expr)
        case ast.ColumnRef(name=name, source=None):
            return name
        case ast.ColumnRef(name=name, source=source):
            return f"{source}.{name}"
        case ast.Dereference(base=base, field=field):
            return f"{format_expr(base)}->{field}"
        case ast.Subscript(base=base, index=index):
            return f"{format_expr(base)}[{format_expr(index)}]"
        case ast.UnaryOp(op=op, operand=operand):
            return f"{op}{format_expr(operand)}"
        case ast.BinaryOp(op=op, left=left, right=right) | ast.Comparison(op=op, left=left, right=right):
            return f"({format_expr(left)} {op} {format_expr(right)})"
        case ast.And(left=left, right=right):
            return f"({format_expr(left)} AND {format_expr(right)})"
        case ast.Or(left=left, right=right):
            return f"({format_expr(left)} OR {format_expr(right)})"
        case ast.Not(operand=operand):
            return f"(NOT {format_expr(operand)})"
        case ast.IsNull(value=value, negated=negated):
            return f"({format_expr(value)} IS {'NOT ' if negated else ''}NULL)"
        case ast.Like(value=value, pattern=pattern, escape=escape, negated=negated):
            tail = f" ESCAPE '{escape}'" if escape is not None else ""
            return f"({format_expr(value)} {'NOT ' if negated else ''}LIKE {format_expr(pattern)}{tail})"
        case ast.Between(value=value, low=low, high=high, negated=negated):
            not_ = "NOT " if negated else ""
            return f"({format_expr(value)} {not_}BETWEEN {format_expr(low)} AND {format_expr(high)})"
        case ast.InList(value=value, items=items, negated=negated):
            listed = ", ".join(format_expr(i) for i in items)
            return f"({format_expr(value)} {'NOT ' if negated else ''}IN ({listed}))"
        case ast.Case(operand=operand, whens=whens, default=default):
            head = f"CASE {format_expr(operand)}" if operand is not None else "CASE"
            parts = [f"WHEN {format_expr(w.condition)} THEN {format_expr(w.result)}" for w in whens]
            tail = f" ELSE {format_expr(default)}" if default is not None else ""
            return f"({head} {' '.join(parts)}{tail} END)"
        case ast.Lambda(params=params, body=body):
            return f"({', '.join(params)}) => {format_expr(body)}"
        case ast.LambdaVariable(name=name):
            return name
        case ast.Cast(value=value, type=type_):
            return f"CAST({format_expr(value)} AS {type_})"
        case ast.Star():
            return "*"
        case ast.FunctionCall(name=name, args=args):
            return f"{name}({', '.join(format_expr(a) for a in args)})"
        case ast.IntervalUnit(unit=unit):
            return unit
        case ast.MapConstructor(entries=entries):
            return "MAP(" + ", ".join(f"{format_expr(k)}:={format_expr(v)}" for k, v in entries) + ")"
        case ast.StructConstructor(fields=fields):
            return "STRUCT(" + ", ".join(f"{n}:={format_expr(v)}" for n, v in fields) + ")"
        case ast.ArrayConstructor(items=items):
            return f"ARRAY[{', '.join(format_expr(i) for i in items)}]"
    return str(expr)
