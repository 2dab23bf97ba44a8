"""The registry's state: subjects, versions, global ids, configs and modes, kept in a journal.

Every change is one journal event (see `journal.py`), appended before it is applied, and the
state is rebuilt at open by replaying the journal. The rules are Confluent's: one id per distinct
(type, schema, references); re-registering a live identical schema returns its id and version;
deletes are soft first (hidden unless asked for) and permanent only after; a version another
live schema references cannot be deleted; READONLY subjects refuse changes, IMPORT subjects take
the ids they are given and skip compatibility checks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ksql.schemas import errors
from ksql.schemas.compatibility import KINDS, Previous, check, incompatible_message
from ksql.schemas.journal import Event, FileJournal, Journal
from ksql.schemas.kind import ParsedSchema
from ksql.schemas.model import (
    COMPATIBILITY_LEVELS,
    DEFAULT_COMPATIBILITY,
    DEFAULT_MODE,
    MODES,
    Dependency,
    Reference,
    RegisteredSchema,
    SchemaText,
)

LATEST = "latest"
MAX_VERSION = 2**31 - 1

Version = int | str  # an int in [1, 2^31-1] or LATEST


def schema_key(subject: str, version: int) -> dict[str, Any]:
    return {"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1}


def config_key(subject: str | None) -> dict[str, Any]:
    return {"keytype": "CONFIG", "subject": subject, "magic": 0}


def mode_key(subject: str | None) -> dict[str, Any]:
    return {"keytype": "MODE", "subject": subject, "magic": 0}


class SchemaStore:
    """The registry. Thread-safe: the REST layer calls it from a thread pool."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._lock = threading.RLock()
        self._subjects: dict[str, dict[int, RegisteredSchema]] = {}
        self._ids: dict[SchemaText, int] = {}
        self._texts: dict[int, SchemaText] = {}
        self._max_id = 0
        self._config: dict[str | None, str] = {}
        self._mode: dict[str | None, str] = {}
        self._parsed: dict[SchemaText, ParsedSchema] = {}
        for event in journal.replay():
            self._apply(event)

    @classmethod
    def open(cls, directory: Path) -> SchemaStore:
        """The registry kept in `directory` (created if missing), e.g. `<data-dir>/schemas`."""
        return cls(FileJournal(Path(directory) / "registry.jsonl"))

    def close(self) -> None:
        close = getattr(self._journal, "close", None)
        if close is not None:
            close()

    # -- Reads ---------------------------------------------------------------------------------

    def subjects(
        self, prefix: str = "", deleted: bool = False, deleted_only: bool = False
    ) -> list[str]:
        with self._lock:
            out = []
            for subject, versions in self._subjects.items():
                if not subject.startswith(prefix):
                    continue
                live = any(not v.deleted for v in versions.values())
                if (live and not deleted_only) or (not live and (deleted or deleted_only)):
                    out.append(subject)
            return sorted(out)

    def versions(
        self, subject: str, deleted: bool = False, deleted_only: bool = False
    ) -> list[int]:
        with self._lock:
            records = self._records(subject, deleted or deleted_only)
            if deleted_only:
                records = [r for r in records if r.deleted]
            return [r.version for r in records]

    def get_version(
        self, subject: str, version: Version, deleted: bool = False
    ) -> RegisteredSchema:
        with self._lock:
            records = self._records(subject, deleted)
            if version == LATEST:
                return records[-1]
            for record in records:
                if record.version == version:
                    return record
            raise errors.version_not_found(subject, version)

    def schema_by_id(self, schema_id: int) -> SchemaText:
        with self._lock:
            if schema_id not in self._texts:
                raise errors.schema_not_found(f"Schema {schema_id} not found")
            return self._texts[schema_id]

    def versions_for_id(self, schema_id: int, deleted: bool = False) -> list[RegisteredSchema]:
        with self._lock:
            self.schema_by_id(schema_id)
            return [
                r
                for subject in sorted(self._subjects)
                for r in self._subjects[subject].values()
                if r.id == schema_id and (deleted or not r.deleted)
            ]

    def all_schemas(
        self, prefix: str = "", deleted: bool = False, latest_only: bool = False
    ) -> list[RegisteredSchema]:
        with self._lock:
            out: list[RegisteredSchema] = []
            for subject in sorted(self._subjects):
                if not subject.startswith(prefix):
                    continue
                records = [r for r in self._subjects[subject].values() if deleted or not r.deleted]
                out.extend(records[-1:] if latest_only else records)
            return out

    def referenced_by(self, subject: str, version: Version) -> list[int]:
        with self._lock:
            target = self.get_version(subject, version)
            return sorted({r.id for r in self._referrers(target.subject, target.version)})

    def lookup(
        self,
        subject: str,
        schema: str,
        schema_type: str = "AVRO",
        references: Sequence[Reference] = (),
        deleted: bool = False,
    ) -> RegisteredSchema:
        """The version of `subject` whose schema is `schema`, as POST /subjects/{subject}."""
        with self._lock:
            records = self._records(subject, deleted)
            text, _ = self._parse(subject, schema, schema_type, references)
            for record in reversed(records):
                if record.text == text:
                    return record
            raise errors.schema_not_found()

    # -- Registration and compatibility -----------------------------------------------------------

    def register(
        self,
        subject: str,
        schema: str,
        schema_type: str = "AVRO",
        references: Sequence[Reference] = (),
        schema_id: int | None = None,
        version: int | None = None,
    ) -> RegisteredSchema:
        """Register `schema` under `subject`, or return the live version that already has it."""
        with self._lock:
            mode = self.effective_mode(subject)
            if mode in ("READONLY", "READONLY_OVERRIDE"):
                raise errors.operation_not_permitted(f"Subject {subject} is in read-only mode")
            if schema_id is not None and mode != "IMPORT":
                raise errors.operation_not_permitted(
                    f"Subject {subject} is not in import mode; a schema id cannot be specified"
                )
            text, parsed = self._parse(subject, schema, schema_type, references)
            records = self._subjects.get(subject, {})
            live = [r for r in records.values() if not r.deleted]
            for record in live:
                if record.text == text and (schema_id is None or schema_id == record.id):
                    return record
            if mode != "IMPORT":
                messages = self._check(
                    subject, self.effective_compatibility(subject), text, parsed, live
                )
                if messages:
                    raise errors.incompatible(incompatible_message(subject, messages))
            new_id = self._assign_id(text, schema_id)
            if version is None:
                version = max(records, default=0) + 1
            elif version in records:
                raise errors.operation_not_permitted(
                    f"Version {version} of subject {subject} already exists"
                )
            record = RegisteredSchema(subject, version, new_id, text)
            self._append(Event(schema_key(subject, version), _record_value(record)))
            return record

    def test_compatibility(
        self,
        subject: str,
        schema: str,
        schema_type: str = "AVRO",
        references: Sequence[Reference] = (),
        version: Version | None = None,
    ) -> list[str]:
        """Why `schema` could not be registered (empty when it could).

        `version` None checks as registration would (the latest version, or all of them for a
        transitive level); a version checks against that version alone.
        """
        with self._lock:
            text, parsed = self._parse(subject, schema, schema_type, references)
            level = self.effective_compatibility(subject)
            if version is None:
                against = [r for r in self._subjects.get(subject, {}).values() if not r.deleted]
            elif version == LATEST and not self.subjects_has_live(subject):
                return []
            else:
                against = [self.get_version(subject, version)]
                level = level.removesuffix("_TRANSITIVE")
            return self._check(subject, level, text, parsed, against)

    def subjects_has_live(self, subject: str) -> bool:
        with self._lock:
            return any(not r.deleted for r in self._subjects.get(subject, {}).values())

    # -- Deletes --------------------------------------------------------------------------------

    def delete_version(self, subject: str, version: Version, permanent: bool = False) -> int:
        with self._lock:
            self._require_writable(subject)
            # A soft-deleted version is found too, to say so (40406) rather than 'not found'.
            record = self.get_version(subject, version, deleted=permanent or version != LATEST)
            if permanent and not record.deleted:
                raise errors.version_not_soft_deleted(subject, record.version)
            if not permanent and record.deleted:
                raise errors.version_soft_deleted(subject, record.version)
            self._refuse_if_referenced([record])
            self._delete([record], permanent)
            return record.version

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        with self._lock:
            self._require_writable(subject)
            records = list(self._subjects.get(subject, {}).values())
            if not records:
                raise errors.subject_not_found(subject)
            live = [r for r in records if not r.deleted]
            if permanent and live:
                raise errors.subject_not_soft_deleted(subject)
            if not permanent and not live:
                raise errors.subject_soft_deleted(subject)
            targets = records if permanent else live
            self._refuse_if_referenced(targets)
            self._delete(targets, permanent)
            if not permanent:
                return [r.version for r in targets]
            # A subject deleted for good starts over with the global config and mode.
            for key, table in (
                (config_key(subject), self._config),
                (mode_key(subject), self._mode),
            ):
                if subject in table:
                    self._append(Event(key, None))
            return [r.version for r in targets]

    # -- Config and mode ------------------------------------------------------------------------

    def effective_compatibility(self, subject: str | None) -> str:
        with self._lock:
            return self._config.get(subject) or self._config.get(None) or DEFAULT_COMPATIBILITY

    def get_compatibility(self, subject: str | None, default_to_global: bool = False) -> str:
        with self._lock:
            if subject is None or default_to_global or subject in self._config:
                return self.effective_compatibility(subject)
            raise errors.compatibility_not_configured(subject)

    def set_compatibility(self, subject: str | None, level: str) -> str:
        level = str(level).upper()
        if level not in COMPATIBILITY_LEVELS:
            raise errors.invalid_compatibility_level(level)
        with self._lock:
            self._append(Event(config_key(subject), {"compatibilityLevel": level}))
            return level

    def delete_compatibility(self, subject: str | None) -> str:
        """Forget a level set with `set_compatibility`; returns the level in force before."""
        with self._lock:
            old = self.get_compatibility(subject) if subject in self._config else None
            if old is None and subject is not None:
                if not self._subjects.get(subject):
                    raise errors.subject_not_found(subject)
                raise errors.compatibility_not_configured(subject)
            old = old or self.effective_compatibility(None)
            if subject in self._config:
                self._append(Event(config_key(subject), None))
            return old

    def effective_mode(self, subject: str | None) -> str:
        with self._lock:
            return self._mode.get(subject) or self._mode.get(None) or DEFAULT_MODE

    def get_mode(self, subject: str | None, default_to_global: bool = False) -> str:
        with self._lock:
            if subject is None or default_to_global or subject in self._mode:
                return self.effective_mode(subject)
            raise errors.mode_not_configured(subject)

    def set_mode(self, subject: str | None, mode: str, force: bool = False) -> str:
        mode = str(mode).upper()
        if mode not in MODES:
            raise errors.invalid_mode(mode)
        with self._lock:
            if mode == "IMPORT" and not force:
                # Importing ids into a registry that already assigned some could collide.
                existing = self._subjects if subject is None else self._subjects.get(subject)
                if existing:
                    raise errors.operation_not_permitted(
                        "Cannot import since found existing subjects"
                    )
            self._append(Event(mode_key(subject), {"mode": mode}))
            return mode

    def delete_mode(self, subject: str | None) -> str:
        with self._lock:
            if subject is not None and subject not in self._mode:
                if not self._subjects.get(subject):
                    raise errors.subject_not_found(subject)
                raise errors.mode_not_configured(subject)
            old = self.effective_mode(subject)
            if subject in self._mode:
                self._append(Event(mode_key(subject), None))
            return old

    # -- Internals ------------------------------------------------------------------------------

    def _records(self, subject: str, deleted: bool) -> list[RegisteredSchema]:
        """The subject's versions in order; 40401 when it has none to show."""
        records = [
            r
            for _, r in sorted(self._subjects.get(subject, {}).items())
            if deleted or not r.deleted
        ]
        if not records:
            raise errors.subject_not_found(subject)
        return records

    def _parse(
        self, subject: str, schema: str, schema_type: str, references: Sequence[Reference]
    ) -> tuple[SchemaText, ParsedSchema]:
        schema_type = (schema_type or "AVRO").upper()
        if schema_type not in KINDS:
            raise errors.invalid_schema(f"Invalid schema type {schema_type}")
        refs = tuple(references)
        try:
            parsed = KINDS[schema_type].parse(schema, self._dependencies(refs, set()))
        except ValueError as e:
            ref_text = "[" + ", ".join(f"{r.to_json()}" for r in refs) + "]"
            raise errors.invalid_schema(
                f"Invalid schema {{subject={subject}, schemaType={schema_type}, "
                f"references={ref_text}, schema={schema}}} with refs {ref_text} of type "
                f"{schema_type}, details: {e}"
            ) from None
        text = SchemaText(schema_type, parsed.canonical, refs)
        self._parsed.setdefault(text, parsed)
        return text, parsed

    def _dependencies(
        self, refs: Iterable[Reference], seen: set[tuple[str, int]]
    ) -> list[Dependency]:
        """Referenced schemas, each after its own references, each once."""
        out: list[Dependency] = []
        for ref in refs:
            if (ref.subject, ref.version) in seen:
                continue
            seen.add((ref.subject, ref.version))
            record = self._subjects.get(ref.subject, {}).get(ref.version)
            if record is None:
                raise ValueError(
                    f"reference {ref.name} names subject {ref.subject} version {ref.version}, "
                    "which does not exist"
                )
            out += self._dependencies(record.text.references, seen)
            out.append(Dependency(ref.name, record.text))
        return out

    def _parsed_of(self, text: SchemaText) -> ParsedSchema:
        if text not in self._parsed:
            deps = self._dependencies(text.references, set())
            self._parsed[text] = KINDS[text.schema_type].parse(text.schema, deps)
        return self._parsed[text]

    def _check(
        self,
        subject: str,
        level: str,
        text: SchemaText,
        parsed: ParsedSchema,
        against: Sequence[RegisteredSchema],
    ) -> list[str]:
        if level == "NONE":
            return []
        newest_first = sorted(against, key=lambda r: r.version, reverse=True)
        if not level.endswith("_TRANSITIVE"):
            newest_first = newest_first[:1]
        for record in newest_first:
            if record.text.schema_type != text.schema_type:
                return [
                    "Incompatible because of different schema type",
                    f"{{oldSchemaVersion: {record.version}}}",
                    f"{{compatibility: '{level}'}}",
                ]
        previous = [
            Previous(r.version, r.text.schema, self._parsed_of(r.text)) for r in newest_first
        ]
        return check(text.schema_type, level, parsed, previous)

    def _assign_id(self, text: SchemaText, requested: int | None) -> int:
        existing = self._ids.get(text)
        if requested is None:
            return existing if existing is not None else self._max_id + 1
        if existing not in (None, requested) or self._texts.get(requested, text) != text:
            raise errors.operation_not_permitted(
                f"Overwrite new schema with id {requested} is not permitted."
            )
        return requested

    def _require_writable(self, subject: str) -> None:
        if self.effective_mode(subject) in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.operation_not_permitted(f"Subject {subject} is in read-only mode")

    def _referrers(self, subject: str, version: int) -> list[RegisteredSchema]:
        return [
            r
            for records in self._subjects.values()
            for r in records.values()
            if not r.deleted
            and any(ref.subject == subject and ref.version == version for ref in r.text.references)
        ]

    def _refuse_if_referenced(self, records: Sequence[RegisteredSchema]) -> None:
        doomed = {(r.subject, r.version) for r in records}
        for record in records:
            referrers = [
                r
                for r in self._referrers(record.subject, record.version)
                if (r.subject, r.version) not in doomed
            ]
            if referrers:
                raise errors.reference_exists(
                    "One or more references exist to the schema "
                    f"{{magic=1,keytype=SCHEMA,subject={record.subject},version={record.version}}}."
                )

    def _delete(self, records: Sequence[RegisteredSchema], permanent: bool) -> None:
        for record in records:
            key = schema_key(record.subject, record.version)
            if permanent:
                self._append(Event(key, None))
            else:
                soft = RegisteredSchema(
                    record.subject, record.version, record.id, record.text, True
                )
                self._append(Event(key, _record_value(soft)))

    def _append(self, event: Event) -> None:
        """Journal first, then apply: what a caller saw succeed survives a crash."""
        try:
            self._journal.append(event)
        except OSError as e:
            raise errors.RegistryError(500, 50001, f"Error in the backend data store: {e}") from e
        self._apply(event)

    def _apply(self, event: Event) -> None:
        key, value = event.key, event.value
        keytype = key.get("keytype")
        subject = key.get("subject")
        if keytype == "SCHEMA":
            self._apply_schema(str(subject), int(key["version"]), value)
        elif keytype == "CONFIG":
            _set_or_pop(self._config, subject, (value or {}).get("compatibilityLevel"))
        elif keytype == "MODE":
            _set_or_pop(self._mode, subject, (value or {}).get("mode"))

    def _apply_schema(self, subject: str, version: int, value: dict[str, Any] | None) -> None:
        versions = self._subjects.setdefault(subject, {})
        old = versions.pop(version, None)
        if value is not None:
            text = SchemaText(
                value.get("schemaType", "AVRO"),
                value["schema"],
                tuple(
                    Reference(r["name"], r["subject"], int(r["version"]))
                    for r in value.get("references", ())
                ),
            )
            record = RegisteredSchema(
                subject, version, int(value["id"]), text, bool(value.get("deleted"))
            )
            versions[version] = record
            self._ids.setdefault(text, record.id)
            self._texts[record.id] = text
            self._max_id = max(self._max_id, record.id)
        if not versions:
            del self._subjects[subject]
        if old is not None and value is None:
            self._forget_unused_id(old)

    def _forget_unused_id(self, gone: RegisteredSchema) -> None:
        """After a permanent delete, an id no version uses is no longer served (nor reused)."""
        for records in self._subjects.values():
            if any(r.id == gone.id for r in records.values()):
                return
        self._texts.pop(gone.id, None)
        self._ids.pop(gone.text, None)
        self._parsed.pop(gone.text, None)


def _record_value(record: RegisteredSchema) -> dict[str, Any]:
    value: dict[str, Any] = {
        "subject": record.subject,
        "version": record.version,
        "id": record.id,
        "schemaType": record.text.schema_type,
        "schema": record.text.schema,
        "deleted": record.deleted,
    }
    if record.text.references:
        value["references"] = [r.to_json() for r in record.text.references]
    return value


def _set_or_pop(table: dict[str | None, str], subject: str | None, value: str | None) -> None:
    if value:
        table[subject] = value
    else:
        table.pop(subject, None)
