"""Property types and value checks in the manner of Kafka's ConfigDef: parse a value as its
type (BOOLEAN, INT, SHORT, LONG, DOUBLE, STRING, LIST, CLASS, PASSWORD), then validate it,
with Kafka's messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_INTEGRAL = re.compile(r"[+-]?[0-9]+")
_BOUNDS = {"SHORT": 2**15, "INT": 2**31, "LONG": 2**63}

# A check of a parsed value: None when it is fine, else the reason (Kafka's words).
Validator = Callable[[object], str | None]


class InvalidValue(ValueError):
    """A value the property's type or validator refuses; the reason is Kafka's message."""


@dataclass(frozen=True, slots=True)
class Definition:
    """One property: its type and an optional validator of its parsed value."""

    type: str
    validator: Validator | None = None

    def check(self, value: object) -> None:
        """Raise InvalidValue unless `value` parses as this property's type and is valid."""
        parsed = _parse(self.type, value)
        reason = self.validator(parsed) if self.validator is not None else None
        if reason is not None:
            raise InvalidValue(reason)


def _parse(kind: str, value: object) -> object:
    text = str(value).strip()
    if kind == "BOOLEAN":
        if text.lower() not in ("true", "false"):
            raise InvalidValue("Expected value to be either true or false")
        return text.lower() == "true"
    if kind in _BOUNDS:
        bound = _BOUNDS[kind]
        if not _INTEGRAL.fullmatch(text) or not -bound <= int(text) < bound:
            raise InvalidValue(f"Not a number of type {kind}")
        return int(text)
    if kind == "DOUBLE":
        try:
            return float(text)
        except ValueError:
            raise InvalidValue("Not a number of type DOUBLE") from None
    if kind == "LIST":
        return [item.strip() for item in text.split(",")] if text else []
    return str(value)  # STRING, CLASS, PASSWORD: any text


def one_of(*allowed: str) -> Validator:
    """ConfigDef.ValidString.in: exactly one of the strings (case-sensitive)."""

    def check(value: object) -> str | None:
        if value in allowed:
            return None
        return f"String must be one of: {', '.join(allowed)}"

    return check


def each_of(*allowed: str) -> Validator:
    """ConfigDef.ValidList.in: every item of a list is one of the strings."""
    check_item = one_of(*allowed)

    def check(value: object) -> str | None:
        items = value if isinstance(value, list) else [value]
        return next((reason for item in items if (reason := check_item(item))), None)

    return check


def at_least(minimum: int) -> Validator:
    """ConfigDef.Range.atLeast."""

    def check(value: object) -> str | None:
        if isinstance(value, int) and value >= minimum:
            return None
        return f"Value must be at least {minimum}"

    return check


def same_type(kind: str, names: Iterable[str] | str) -> dict[str, Definition]:
    """Definitions of several properties of one type and no validator."""
    listed = names.split() if isinstance(names, str) else names
    return {name: Definition(kind) for name in listed}
