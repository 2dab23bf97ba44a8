"""Finds the plug-in class a configuration names: `connector.class`, `transforms.<t>.type`,
`predicates.<p>.type` and `key.converter` / `value.converter`.

A name is looked up, in order:
- among the built-ins, by the Java class name they stand in for (each built-in package lists
  its classes in a `PLUGINS` dict) or by their short alias (`JdbcSourceConnector`);
- among user classes (subclasses of the `ksql.connect.api` bases loaded from
  `ksql.extension.dir`), by their `plugin_name`, their class name or module.class;
- as a dotted Python path `package.module.Class`.
"""

from __future__ import annotations

import importlib
from typing import Any

from ksql.connect.api import (
    ConfigError,
    Connector,
    Converter,
    Predicate,
    SinkConnector,
    SourceConnector,
    Transformation,
)

# Packages whose `PLUGINS` map a Java class name to "module:attribute".
BUILTIN_PACKAGES = (
    "ksql.connect.jdbc",
    "ksql.connect.debezium",
    "ksql.connect.file",
    "ksql.connect.http",
    "ksql.connect.transforms",
    "ksql.connect.converters",
)

_builtins: dict[str, str] | None = None


def builtin_plugins() -> dict[str, str]:
    """Java class name -> "module:attribute" of every built-in plug-in."""
    global _builtins
    if _builtins is None:
        found: dict[str, str] = {}
        for package in BUILTIN_PACKAGES:
            try:
                module = importlib.import_module(package)
            except ModuleNotFoundError as error:
                if error.name != package:
                    raise
                continue
            found.update(getattr(module, "PLUGINS", {}))
        _builtins = found
    return _builtins


def _aliases() -> dict[str, str]:
    """Short names, as Kafka Connect accepts them: the last part of each Java name
    (`JdbcSinkConnector`, `InsertField$Value`), and for connectors that without `Connector`
    (`FileStreamSource`)."""
    aliases = {}
    for name in builtin_plugins():
        short = name.rsplit(".", 1)[-1]
        aliases[short] = name
        if short.endswith("Connector") and short != "Connector":
            aliases.setdefault(short.removesuffix("Connector"), name)
    return aliases


def _user_classes(base: type) -> list[type]:
    out, todo = [], list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith("ksql."):
            out.append(cls)
    return out


def load_class(name: str, base: type = object) -> type:
    """The class `name` stands for, which must subclass `base`; ConfigError otherwise."""
    name = name.strip()
    target = builtin_plugins().get(name) or builtin_plugins().get(_aliases().get(name, ""))
    cls: Any = None
    if target is not None:
        module, _, attribute = target.partition(":")
        cls = getattr(importlib.import_module(module), attribute)
    if cls is None:
        for candidate in _user_classes(base):
            names = {
                getattr(candidate, "plugin_name", None),
                candidate.__name__,
                f"{candidate.__module__}.{candidate.__qualname__}",
            }
            if name in names:
                cls = candidate
                break
    if cls is None and "." in name:
        module, _, attribute = name.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), attribute, None)
        except ImportError:
            cls = None
    if cls is None or not (isinstance(cls, type) and issubclass(cls, base)):
        what = {
            Connector: "Connector",
            Transformation: "Transformation",
            Predicate: "Predicate",
            Converter: "Converter",
        }.get(base, base.__name__)
        raise ConfigError(
            f"Failed to find any class that implements {what} and which name matches {name}"
        )
    return cls


def connector_plugins() -> list[dict[str, str]]:
    """Connect's `/connector-plugins` list: class, type (source/sink) and version."""
    out = []
    for name in sorted(builtin_plugins()):
        try:
            cls = load_class(name)
        except (ConfigError, ImportError):
            continue
        if isinstance(cls, type) and issubclass(cls, SourceConnector | SinkConnector):
            out.append({"class": name, "type": cls.kind, "version": cls().version()})
    for cls in _user_classes(Connector):
        if cls.kind:
            plugin = getattr(cls, "plugin_name", None) or f"{cls.__module__}.{cls.__qualname__}"
            out.append({"class": plugin, "type": cls.kind, "version": cls().version()})
    return out
