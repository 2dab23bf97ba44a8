"""ksqlDB's type rules: numeric widening, decimal arithmetic, comparability, common types."""

from __future__ import annotations

from ksql.errors import StatementError
from ksql.types import (
    BIGINT,
    DATE,
    DOUBLE,
    INTEGER,
    MAX_DECIMAL_PRECISION,
    STRING,
    TIME,
    TIMESTAMP,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
    decimal_of_integral,
    numeric_rank,
)


def is_numeric(t: SqlType | None) -> bool:
    return t is not None and numeric_rank(t) >= 0


def _as_decimal(t: SqlType) -> DecimalType:
    return t if isinstance(t, DecimalType) else decimal_of_integral(t)


def _cap(precision: int, scale: int) -> DecimalType:
    if precision > MAX_DECIMAL_PRECISION:
        scale = max(0, scale - (precision - MAX_DECIMAL_PRECISION))
        precision = MAX_DECIMAL_PRECISION
    return DecimalType(precision, min(scale, precision))


def decimal_result(op: str, left: DecimalType, right: DecimalType) -> DecimalType:
    """Precision and scale of a decimal operation, as ksqlDB (and SQL Server) define them."""
    p1, s1, p2, s2 = left.precision, left.scale, right.precision, right.scale
    if op in ("+", "-"):
        scale = max(s1, s2)
        return _cap(max(p1 - s1, p2 - s2) + scale + 1, scale)
    if op == "*":
        return _cap(p1 + p2 + 1, s1 + s2)
    if op == "/":
        scale = max(6, s1 + p2 + 1)
        return _cap(p1 - s1 + s2 + scale, scale)
    # '%'
    scale = max(s1, s2)
    return _cap(min(p1 - s1, p2 - s2) + scale, scale)


def exact_decimal_product(
    op: str, left: SqlType | None, right: SqlType | None, result: SqlType
) -> tuple[DecimalType, DecimalType] | None:
    """The operand types to multiply decimals in when DuckDB's product (precision p1 + p2,
    scale s1 + s2) is exactly ksqlDB's value (scale s1 + s2, not capped): then the product
    needs no widening of both operands to the result type and no rescaling after (4x faster
    on a DECIMAL(23, 3) result). None for anything else."""
    if op != "*" or not isinstance(result, DecimalType) or left is None or right is None:
        return None
    if DOUBLE in (left, right):
        return None
    a, b = _as_decimal(left), _as_decimal(right)
    if a.precision + b.precision > MAX_DECIMAL_PRECISION or result.scale != a.scale + b.scale:
        return None
    return a, b


def arithmetic_type(op: str, left: SqlType | None, right: SqlType | None) -> SqlType:
    """The result type of a numeric binary operation (NULL literals take the other side)."""
    if left is None:
        left = right
    if right is None:
        right = left
    if left is None or right is None:
        return INTEGER
    if not (is_numeric(left) and is_numeric(right)):
        raise StatementError(
            f"Error processing expression: Unsupported arithmetic types. {left} {right}"
        )
    if DOUBLE in (left, right):
        return DOUBLE
    if isinstance(left, DecimalType) or isinstance(right, DecimalType):
        return decimal_result(op, _as_decimal(left), _as_decimal(right))
    if BIGINT in (left, right):
        return BIGINT
    return INTEGER


_TEMPORAL = (TIMESTAMP, DATE, TIME)


def comparable(left: SqlType | None, right: SqlType | None) -> bool:
    """Whether ksqlDB lets the two types be compared."""
    if left is None or right is None or left == right:
        return True
    if is_numeric(left) and is_numeric(right):
        return True
    # Strings compare with temporal values (the string is parsed); temporals with each other.
    if (left == STRING and right in _TEMPORAL) or (right == STRING and left in _TEMPORAL):
        return True
    if left in _TEMPORAL and right in _TEMPORAL:
        return TIME not in (left, right)
    # Complex types compare by shape (=, <> only; checked by the caller); primitives must match.
    return isinstance(left, ArrayType | MapType | StructType) and type(left) is type(right)


def common_type(types: list[SqlType | None]) -> SqlType | None:
    """The type all values widen to (ARRAY[...], CASE branches, COALESCE); None when all NULL."""
    known = [t for t in types if t is not None]
    if not known:
        return None
    result = known[0]
    for t in known[1:]:
        if t == result:
            continue
        if is_numeric(t) and is_numeric(result):
            if DOUBLE in (t, result):
                result = DOUBLE
            elif isinstance(t, DecimalType) or isinstance(result, DecimalType):
                a, b = _as_decimal(t), _as_decimal(result)
                scale = max(a.scale, b.scale)
                result = _cap(max(a.precision - a.scale, b.precision - b.scale) + scale, scale)
            else:
                result = BIGINT
            continue
        if isinstance(t, ArrayType) and isinstance(result, ArrayType):
            element = common_type([t.element, result.element])
            result = ArrayType(element or t.element)
            continue
        if isinstance(t, MapType | StructType) and type(t) is type(result):
            continue
        return None
    return result
