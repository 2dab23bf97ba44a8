"""Comparing actual records with expected ones, the way ksqlDB's test harness does."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

DOUBLE_TOLERANCE = 1e-6


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return None


def same(expected: Any, actual: Any) -> bool:
    """JSON-tree equality: fields looked up as written then upper-cased, doubles within 1e-6."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or len(expected) != len(actual):
            return False
        for key, value in expected.items():
            if key in actual:
                other = actual[key]
            elif key.upper() in actual:
                other = actual[key.upper()]
            else:
                other = None  # ksqlDB's comparator reads a missing field as null
            if not same(value, other):
                return False
        return True
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return False
        return all(same(e, a) for e, a in zip(expected, actual, strict=True))
    e_num, a_num = _number(expected), _number(actual)
    if e_num is not None and a_num is not None:
        if isinstance(expected, float) or isinstance(actual, float):
            if e_num.is_nan() or a_num.is_nan():
                return e_num.is_nan() and a_num.is_nan()
            if e_num.is_infinite() or a_num.is_infinite():
                return e_num == a_num
            return abs(e_num - a_num) <= Decimal(str(DOUBLE_TOLERANCE)) * max(1, abs(e_num))
        return e_num == a_num
    if isinstance(expected, str) and isinstance(actual, str):
        return expected == actual
    if isinstance(expected, str) and isinstance(actual, Decimal):
        # A decimal read from a binary format is a number; the case writes its text.
        return _number_text(expected) == actual
    return expected == actual


def _number_text(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def describe(value: Any) -> str:
    import json

    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)
