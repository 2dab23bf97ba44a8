"""The registry as the engine uses it: register, latest, by id, compatibility check.

Two implementations behind one small interface: `LocalRegistry` over the built-in SchemaStore
(the default, kept in `<data-dir>/schemas`), and `ExternalRegistry` over confluent-kafka's
SchemaRegistryClient when `ksql.schema.registry.url` names another registry. Failures surface
as `RegistryFailure` carrying the registry's own message, so a statement can report it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ksql.schemas.errors import RegistryError
from ksql.schemas.model import SchemaText


class RegistryFailure(Exception):
    """The registry refused a request (or could not be reached); `str()` is its reason."""


@dataclass(frozen=True, slots=True)
class Latest:
    """The latest live version of a subject."""

    id: int
    version: int
    text: SchemaText


class RegistryClient(Protocol):
    def register(self, subject: str, text: SchemaText) -> int: ...

    def latest(self, subject: str) -> Latest | None: ...

    def by_id(self, schema_id: int) -> SchemaText: ...

    def incompatibilities(self, subject: str, text: SchemaText) -> list[str]: ...


class LocalRegistry:
    """The built-in registry; `store` is also what the server's registry API serves."""

    def __init__(self, store) -> None:
        self.store = store
        self._by_id: dict[int, SchemaText] = {}

    @classmethod
    def open(cls, directory: Path) -> LocalRegistry:
        from ksql.schemas.store import SchemaStore

        return cls(SchemaStore.open(directory))

    def register(self, subject: str, text: SchemaText) -> int:
        try:
            return self.store.register(subject, text.schema, text.schema_type, text.references).id
        except RegistryError as error:
            raise RegistryFailure(error.message) from None

    def latest(self, subject: str) -> Latest | None:
        if not self.store.subjects_has_live(subject):
            return None
        record = self.store.get_version(subject, "latest")
        return Latest(record.id, record.version, record.text)

    def by_id(self, schema_id: int) -> SchemaText:
        text = self._by_id.get(schema_id)
        if text is None:
            try:
                text = self._by_id[schema_id] = self.store.schema_by_id(schema_id)
            except RegistryError as error:
                raise RegistryFailure(error.message) from None
        return text

    def incompatibilities(self, subject: str, text: SchemaText) -> list[str]:
        try:
            return self.store.test_compatibility(
                subject, text.schema, text.schema_type, text.references
            )
        except RegistryError as error:
            return [error.message]

    def close(self) -> None:
        self.store.close()


class ExternalRegistry:
    """Another registry over HTTP (Confluent's, Karapace, Redpanda's, Apicurio's ccompat API).

    `basic.auth.user.info` (`user:password`) is passed on as confluent-kafka takes it.
    """

    def __init__(self, url: str, user_info: str | None = None) -> None:
        try:
            from confluent_kafka.schema_registry import SchemaRegistryClient
        except ImportError as error:  # pragma: no cover - depends on the install
            raise RegistryFailure(
                "ksql.schema.registry.url needs confluent-kafka[schemaregistry] installed"
            ) from error
        config = {"url": url}
        if user_info:
            config["basic.auth.user.info"] = user_info
        self.client = SchemaRegistryClient(config)
        self.url = url

    def _schema(self, text: SchemaText):
        from confluent_kafka.schema_registry import Schema, SchemaReference

        refs = [SchemaReference(r.name, r.subject, r.version) for r in text.references]
        return Schema(text.schema, text.schema_type, refs)

    def _call(self, fn, *args):
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        try:
            return fn(*args)
        except SchemaRegistryError as error:
            raise RegistryFailure(error.error_message) from None
        except Exception as error:  # noqa: BLE001 - connection refused, timeouts: say why
            raise RegistryFailure(f"schema registry {self.url}: {error}") from None

    def register(self, subject: str, text: SchemaText) -> int:
        return self._call(self.client.register_schema, subject, self._schema(text))

    def latest(self, subject: str) -> Latest | None:
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        try:
            found = self.client.get_latest_version(subject)
        except SchemaRegistryError as error:
            if error.http_status_code == 404:
                return None
            raise RegistryFailure(error.error_message) from None
        return Latest(found.schema_id, found.version, _text(found.schema))

    def by_id(self, schema_id: int) -> SchemaText:
        return _text(self._call(self.client.get_schema, schema_id))

    def incompatibilities(self, subject: str, text: SchemaText) -> list[str]:
        if self.latest(subject) is None:
            return []
        ok = self._call(self.client.test_compatibility, subject, self._schema(text))
        return [] if ok else [f"Schema being registered is incompatible with subject {subject}"]

    def close(self) -> None:
        pass


def _text(schema) -> SchemaText:
    from ksql.schemas.model import Reference

    refs = tuple(Reference(r.name, r.subject, r.version) for r in schema.references or ())
    return SchemaText(schema.schema_type or "AVRO", schema.schema_str, refs)


def open_registry(data_dir: Path, properties: dict[str, str]) -> RegistryClient:
    """The external registry `ksql.schema.registry.url` names, else the built-in one."""
    url = properties.get("ksql.schema.registry.url")
    if url:
        user_info = properties.get("ksql.schema.registry.basic.auth.user.info")
        return ExternalRegistry(url, user_info)
    return LocalRegistry.open(Path(data_dir) / "schemas")
