"""The registry store on its own: durability through the journal, torn writes, Confluent's rules."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ksql.schemas.errors import RegistryError
from ksql.schemas.journal import Event, FileJournal, JournalCorruptError, decode, encode
from ksql.schemas.model import Reference
from ksql.schemas.store import LATEST, SchemaStore


def user(*extra: str) -> str:
    fields = [{"name": "name", "type": "string"}]
    fields += [{"name": f, "type": "int", "default": 0} for f in extra]
    return json.dumps({"type": "record", "name": "User", "fields": fields})


def snapshot(store: SchemaStore) -> dict[str, object]:
    """Everything a client can see, to compare before and after a reopen."""
    subjects = store.subjects(deleted=True)
    return {
        "subjects": store.subjects(),
        "deleted_subjects": subjects,
        "versions": {
            s: [
                r.to_json()
                for r in (store.get_version(s, v, True) for v in store.versions(s, True))
            ]
            for s in subjects
        },
        "global": store.get_compatibility(None),
        "configs": {s: store.get_compatibility(s, True) for s in subjects},
        "modes": {s: store.get_mode(s, True) for s in subjects},
    }


def populate(store: SchemaStore) -> None:
    store.register("a-value", user())
    store.register("a-value", user("age"))
    store.register("b-value", user())  # same id as a-value v1
    store.register("c-value", user())
    store.register("c-value", user("x"))
    store.delete_version("c-value", 1)
    store.delete_version("c-value", 1, permanent=True)
    store.register("d-value", user("zip"))
    store.delete_subject("d-value")
    store.set_compatibility(None, "FULL")
    store.set_compatibility("a-value", "NONE")
    store.set_mode("b-value", "READONLY")
    address = json.dumps({"type": "record", "name": "Address", "fields": []})
    store.register("address", address)
    ref = Reference("Address", "address", 1)
    store.register(
        "customer",
        json.dumps({"type": "record", "name": "C", "fields": [{"name": "a", "type": "Address"}]}),
        references=[ref],
    )
    store.register("gone-value", user("gone"))  # the highest id, then deleted for good
    store.delete_subject("gone-value")
    store.delete_subject("gone-value", permanent=True)


def test_reopen_restores_subjects_ids_versions_and_config(tmp_path: Path) -> None:
    store = SchemaStore.open(tmp_path)
    populate(store)
    before = snapshot(store)
    assert store.get_version("b-value", 1).id == store.get_version("a-value", 1).id
    store.close()

    reopened = SchemaStore.open(tmp_path)
    assert snapshot(reopened) == before
    assert reopened.subjects() == ["a-value", "address", "b-value", "c-value", "customer"]
    assert reopened.get_compatibility("a-value") == "NONE"
    assert reopened.get_compatibility(None) == "FULL"
    assert reopened.get_mode("b-value") == "READONLY"
    assert reopened.versions("c-value", deleted=True) == [2]
    assert reopened.versions("d-value", deleted=True) == [1]
    assert reopened.get_version("customer", LATEST).text.references == (
        Reference("Address", "address", 1),
    )
    # Ids keep counting from the journal: a new schema never takes an id used before, not even
    # one whose last version was deleted for good.
    assert max(r.id for r in reopened.all_schemas(deleted=True)) == 6
    assert reopened.register("e-value", user("new")).id == 8
    # An identical schema still maps to its old id after the reopen.
    assert reopened.register("f-value", user()).id == before["versions"]["a-value"][0]["id"]


def test_torn_last_line_is_ignored_with_a_warning_and_cut(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SchemaStore.open(tmp_path)
    store.register("a-value", user())
    store.set_compatibility("a-value", "FORWARD")
    before = snapshot(store)
    store.register("a-value", user("age"))
    store.close()

    journal = tmp_path / "registry.jsonl"
    data = journal.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    journal.write_bytes(data[: last_start + (len(data) - last_start) // 2])  # crash mid-write

    with caplog.at_level(logging.WARNING, logger="ksql.schemas"):
        reopened = SchemaStore.open(tmp_path)
    assert "torn last event" in caplog.text
    assert snapshot(reopened) == before
    # The torn bytes are gone, so the next event starts on its own line.
    registered = reopened.register("a-value", user("age"))
    assert registered.version == 2
    reopened.close()
    assert snapshot(SchemaStore.open(tmp_path))["versions"]["a-value"][1]["version"] == 2
    for line in journal.read_bytes().splitlines():
        decode(line)


def test_damage_before_the_last_line_is_an_error(tmp_path: Path) -> None:
    store = SchemaStore.open(tmp_path)
    store.register("a-value", user())
    store.register("b-value", user("x"))
    store.close()
    journal = tmp_path / "registry.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"garbage\n" + b"".join(lines[1:]))
    with pytest.raises(JournalCorruptError):
        SchemaStore.open(tmp_path)


def test_events_encode_as_one_json_line_and_compact_by_key() -> None:
    event = Event({"keytype": "CONFIG", "subject": "s", "magic": 0}, {"compatibilityLevel": "FULL"})
    line = encode(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line.rstrip(b"\n")) == event
    tombstone = Event({"magic": 0, "subject": "s", "keytype": "CONFIG"}, None)
    assert tombstone.key_bytes() == event.key_bytes()
    assert tombstone.value_bytes() is None


def test_a_compacted_journal_replays_to_the_same_state(tmp_path: Path) -> None:
    """What the Kafka backend's compacted _schemas topic keeps (last value per key) suffices."""
    full = SchemaStore.open(tmp_path / "full")
    populate(full)
    full.close()
    last: dict[bytes, Event] = {}
    for event in FileJournal(tmp_path / "full" / "registry.jsonl").replay():
        last.pop(event.key_bytes(), None)
        last[event.key_bytes()] = event
    compacted = FileJournal(tmp_path / "compacted" / "registry.jsonl")
    for event in last.values():
        if event.value is not None:
            compacted.append(event)
    assert snapshot(SchemaStore(compacted)) == snapshot(SchemaStore.open(tmp_path / "full"))


def test_confluent_rules_without_http(tmp_path: Path) -> None:
    store = SchemaStore.open(tmp_path)
    first = store.register("s", user())
    assert store.register("s", user()) == first
    with pytest.raises(RegistryError) as e:
        store.register("s", json.dumps({"type": "record", "name": "User", "fields": []}) + "x")
    assert e.value.error_code == 42201
    with pytest.raises(RegistryError) as e:
        store.register("s", user(), schema_type="XML")
    assert e.value.error_code == 42201
    with pytest.raises(RegistryError) as e:
        store.delete_subject("s", permanent=True)
    assert e.value.error_code == 40405
    store.set_compatibility("s", "NONE")
    assert store.delete_subject("s") == [1]
    assert store.get_compatibility("s") == "NONE"  # kept until the subject is deleted for good
    with pytest.raises(RegistryError) as e:
        store.get_version("s", LATEST)
    assert e.value.error_code == 40401
    assert store.get_version("s", LATEST, deleted=True).deleted
    # The soft-deleted schema is still served by id.
    assert store.schema_by_id(first.id).schema == first.text.schema
    with pytest.raises(RegistryError) as e:
        store.register("s", user(), schema_id=7)
    assert e.value.error_code == 42205
    assert store.delete_subject("s", permanent=True) == [1]
    with pytest.raises(RegistryError) as e:
        store.get_compatibility("s")
    assert e.value.error_code == 40408
