"""Typed connector configuration, as Kafka's ConfigDef: each key's type, default, allowed
values and documentation; `parse` turns the string properties of a WITH clause into typed
values or raises ConfigError with Kafka's wording."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ksql.connect.api import ConfigError

REQUIRED = object()  # the default of a key that must be given

STRING, INT, LONG, DOUBLE, BOOLEAN, LIST, PASSWORD, CLASS = (
    "STRING", "INT", "LONG", "DOUBLE", "BOOLEAN", "LIST", "PASSWORD", "CLASS",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ConfigKey:
    name: str
    type: str = STRING
    default: Any = None
    doc: str = ""
    importance: str = "MEDIUM"
    # Allowed values (case-insensitive for STRING), or a function raising ValueError.
    valid: Iterable[str] | Callable[[Any], None] | None = None
    group: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class ConfigDef:
    """The keys a plug-in understands. Unknown keys are kept as strings (Kafka Connect lets a
    connector's configuration carry other plug-ins' keys)."""

    def __init__(self, keys: Iterable[ConfigKey] = ()) -> None:
        self.keys: dict[str, ConfigKey] = {}
        for key in keys:
            self.define(key)

    def define(self, key: ConfigKey) -> ConfigDef:
        self.keys[key.name] = key
        return self

    def parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Every known key's typed value (its default when absent) plus unknown keys as given."""
        values: dict[str, Any] = {k: v for k, v in props.items() if k not in self.keys}
        for name, key in self.keys.items():
            if name in props and props[name] is not None:
                values[name] = _check(key, _convert(key, props[name]))
            elif key.required:
                raise ConfigError(
                    f'Missing required configuration "{name}" which has no default value.'
                )
            else:
                values[name] = key.default
        return values

    def validate(self, props: Mapping[str, Any]) -> dict[str, list[str]]:
        """Errors per key, as Connect's `config/validate` endpoint reports them."""
        errors: dict[str, list[str]] = {name: [] for name in self.keys}
        for name in self.keys:
            try:
                self.__class__([self.keys[name]]).parse(props)
            except ConfigError as error:
                errors[name].append(str(error))
        return errors


def _convert(key: ConfigKey, raw: Any) -> Any:
    text = raw if isinstance(raw, str) else str(raw)
    try:
        match key.type:
            case "INT" | "LONG":
                return int(raw) if isinstance(raw, int) else int(text.strip())
            case "DOUBLE":
                return float(text)
            case "BOOLEAN":
                if isinstance(raw, bool):
                    return raw
                lowered = text.strip().lower()
                if lowered not in ("true", "false"):
                    raise ValueError("Expected value to be either true or false")
                return lowered == "true"
            case "LIST":
                if isinstance(raw, list | tuple):
                    return [str(v) for v in raw]
                return [part.strip() for part in text.split(",") if part.strip()]
            case _:
                return text
    except ValueError as error:
        expected = {"INT": "32-bit integer", "LONG": "64-bit integer", "DOUBLE": "double"}
        reason = str(error) if key.type == BOOLEAN else f"Not a number of type {key.type}"
        if key.type in expected:
            reason = f"Not a number of type {key.type}"
        raise ConfigError(
            f"Invalid value {text} for configuration {key.name}: {reason}"
        ) from None


def _check(key: ConfigKey, value: Any) -> Any:
    if key.valid is None:
        return value
    if callable(key.valid):
        try:
            key.valid(value)
        except ValueError as error:
            raise ConfigError(
                f"Invalid value {value} for configuration {key.name}: {error}"
            ) from None
        return value
    allowed = list(key.valid)
    if str(value).lower() not in {a.lower() for a in allowed}:
        raise ConfigError(
            f"Invalid value {value} for configuration {key.name}: "
            f"String must be one of: {', '.join(allowed)}"
        )
    return value


def at_least(minimum: int) -> Callable[[Any], None]:
    """A validator: the value is at least `minimum`."""

    def check(value: Any) -> None:
        if value < minimum:
            raise ValueError(f"Value must be at least {minimum}")

    return check
