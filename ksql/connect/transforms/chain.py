"""A connector's transform chain, built from its configuration as Kafka Connect reads it:
`transforms=a,b`, `transforms.a.type`, `transforms.a.<property>`, `transforms.a.predicate`,
`transforms.a.negate`, `predicates=p`, `predicates.p.type`, `predicates.p.<property>`.

`TransformChain.apply` runs the transforms in order; a transform with a predicate runs only on
the records the predicate matches (does not match, with `negate`). A record a transform drops
ends the chain (None). A transform or predicate failing on a record raises DataError naming it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectRecord, DataError, RetriableError
from ksql.connect.plugins import load_class

_STAGE_KEYS = ("type", "predicate", "negate")
T = TypeVar("T", api.Transformation, api.Predicate)


@dataclass(frozen=True, slots=True)
class Stage:
    alias: str
    transform: api.Transformation
    predicate: api.Predicate | None = None
    negate: bool = False

    def applies_to(self, record: ConnectRecord) -> bool:
        return self.predicate is None or self.predicate.test(record) != self.negate


@dataclass(frozen=True, slots=True)
class TransformChain:
    stages: tuple[Stage, ...] = ()

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        for stage in self.stages:
            try:
                if stage.applies_to(record):
                    out = stage.transform.apply(record)
                    if out is None:
                        return None
                    record = out
            except RetriableError:
                raise
            except Exception as error:  # any failure is this record's
                name = type(stage.transform).__name__
                raise DataError(f"transforms.{stage.alias} ({name}) failed: {error}") from error
        return record

    def close(self) -> None:
        for stage in self.stages:
            stage.transform.close()


def _aliases(config: Mapping[str, str], key: str) -> list[str]:
    aliases = [a.strip() for a in config.get(key, "").split(",") if a.strip()]
    if len(set(aliases)) != len(aliases):
        raise ConfigError(
            f"Invalid value {config[key]} for configuration {key}: Duplicate alias provided."
        )
    return aliases


def _properties(config: Mapping[str, str], prefix: str, skip: tuple[str, ...]) -> dict[str, str]:
    return {
        k[len(prefix) :]: v
        for k, v in config.items()
        if k.startswith(prefix) and k[len(prefix) :] not in skip
    }


def _plugin(config: Mapping[str, str], kind: str, alias: str, base: type[T]) -> T:
    """The configured plug-in `<kind>.<alias>.type` (a transform or predicate)."""
    key = f"{kind}.{alias}.type"
    name = config.get(key, "").strip()
    if not name:
        raise ConfigError(f'Missing required configuration "{key}" which has no default value.')
    try:
        cls = load_class(name, base)
    except ConfigError as error:
        raise ConfigError(f"Invalid value {name} for configuration {key}: {error}") from None
    plugin: T = cls()
    try:
        plugin.configure(_properties(config, f"{kind}.{alias}.", _STAGE_KEYS))
    except ConfigError as error:
        raise ConfigError(f"{kind}.{alias} ({name}): {error}") from None
    return plugin


def build_chain(config: Mapping[str, str]) -> TransformChain:
    """The transform chain `config` describes; ConfigError when it is invalid."""
    predicates = {
        alias: _plugin(config, "predicates", alias, api.Predicate)
        for alias in _aliases(config, "predicates")
    }
    stages = []
    for alias in _aliases(config, "transforms"):
        transform = _plugin(config, "transforms", alias, api.Transformation)
        predicate_alias = config.get(f"transforms.{alias}.predicate", "").strip()
        negate_text = config.get(f"transforms.{alias}.negate", "false").strip().lower()
        if negate_text not in ("true", "false"):
            raise ConfigError(
                f"Invalid value {negate_text} for configuration transforms.{alias}.negate: "
                "Expected value to be either true or false"
            )
        predicate = None
        if predicate_alias:
            predicate = predicates.get(predicate_alias)
            if predicate is None:
                raise ConfigError(
                    f"Invalid value {predicate_alias} for configuration "
                    f"transforms.{alias}.predicate: no predicate named {predicate_alias} is "
                    f"defined in 'predicates' ({', '.join(predicates) or 'none'})"
                )
        elif negate_text == "true":
            raise ConfigError(
                f"Invalid value true for configuration transforms.{alias}.negate: "
                f"negate needs transforms.{alias}.predicate"
            )
        stages.append(Stage(alias, transform, predicate, negate_text == "true"))
    return TransformChain(tuple(stages))
