"""Properties a session or request may set (SET, `streamsProperties`): which names exist and
which values they take, resolved as ksqlDB resolves them (KsqlConfigResolver): `ksql.` names
are ksqlDB's own, anything else (with or without `ksql.streams.`) is Kafka Streams' or, with or
without a `consumer.` / `producer.` / `admin.` / `topic.` prefix, a Kafka client's or topic's."""

from __future__ import annotations

from collections.abc import Mapping

from ksql.errors import KsqlError
from ksql.properties.definitions import Definition, InvalidValue
from ksql.properties.kafka import ADMIN, CONSUMER, PRODUCER, STREAMS, TOPIC
from ksql.properties.ksqldb import FUNCTIONS_PREFIX, KSQL

STREAMS_PREFIX = "ksql.streams."

# Prefixes Kafka Streams passes on to one client (or to the topics it creates).
_CLIENT_PREFIXES: tuple[tuple[str, dict[str, Definition]], ...] = (
    ("consumer.", CONSUMER),
    ("main.consumer.", CONSUMER),
    ("restore.consumer.", CONSUMER),
    ("global.consumer.", CONSUMER),
    ("producer.", PRODUCER),
    ("admin.", ADMIN),
    ("topic.", TOPIC),
)
# Unprefixed names that are not Streams' own reach its clients.
_UNPREFIXED = (STREAMS, CONSUMER, PRODUCER, ADMIN)


class PropertyError(KsqlError):
    """An unknown property, or a value its type or validator refuses."""


def check_name(name: str) -> None:
    """Raise PropertyError unless `name` is a property a session may set."""
    if _resolve(name) is None and not name.startswith(FUNCTIONS_PREFIX):
        raise PropertyError(
            f"Not recognizable as ksql, streams, consumer, or producer property: '{name}'"
        )


def check_property(name: str, value: object) -> None:
    """Raise PropertyError unless `name` is a known property and `value` valid for it, with
    ksqlDB's messages."""
    resolved = _resolve(name)
    if resolved is None:
        check_name(name)  # a function's own settings (`ksql.functions.`) are free-form
        return
    key, definition = resolved
    try:
        definition.check(value)
    except InvalidValue as error:
        raise PropertyError(f"Invalid value {value} for configuration {key}: {error}") from None


def check_properties(properties: Mapping[str, object]) -> None:
    """check_property for every entry."""
    for name, value in properties.items():
        check_property(name, value)


def _resolve(name: str) -> tuple[str, Definition] | None:
    """(the name its definition goes by, the definition), or None for an unknown name."""
    if name.startswith("ksql.") and not name.startswith(STREAMS_PREFIX):
        definition = KSQL.get(name)
        return None if definition is None else (name, definition)
    key = name.removeprefix(STREAMS_PREFIX)
    for prefix, definitions in _CLIENT_PREFIXES:
        if key.startswith(prefix) and (found := definitions.get(key[len(prefix) :])):
            return key[len(prefix) :], found
    for definitions in _UNPREFIXED:
        if (found := definitions.get(key)) is not None:
            return key, found
    return None
