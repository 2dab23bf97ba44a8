"""The pgoutput decoder: hand-made protocol 1 messages of every kind, and the real messages a
PostgreSQL server sends for a transaction (read with pg_logical_slot_peek_binary_changes)."""

from __future__ import annotations

import struct
from decimal import Decimal

import psycopg
import pytest

from ksql.connect.debezium.pg_types import SESSION_OPTIONS, TypeMapper, TypeModes
from ksql.connect.debezium.pgoutput import (
    PG_EPOCH_OFFSET_US,
    UNCHANGED_TOAST,
    Begin,
    Commit,
    DecodeError,
    Delete,
    Insert,
    Origin,
    PgOutputDecoder,
    Relation,
    Truncate,
    TypeInfo,
    Update,
)


def cstr(text: str) -> bytes:
    return text.encode() + b"\0"


def tuple_data(*values: str | None | bytes) -> bytes:
    out = struct.pack(">H", len(values))
    for value in values:
        if value is None:
            out += b"n"
        elif value == b"u":
            out += b"u"
        else:
            raw = value.encode() if isinstance(value, str) else value
            out += b"t" + struct.pack(">I", len(raw)) + raw
    return out


RELATION = (
    b"R" + struct.pack(">I", 16385) + cstr("public") + cstr("items") + b"d"
    + struct.pack(">H", 3)
    + b"\x01" + cstr("id") + struct.pack(">Ii", 23, -1)
    + b"\x00" + cstr("name") + struct.pack(">Ii", 25, -1)
    + b"\x00" + cstr("price") + struct.pack(">Ii", 1700, (10 << 16 | 2) + 4)
)  # fmt: skip


def typed_decoder() -> PgOutputDecoder:
    mapper = TypeMapper(TypeModes(), lambda oid: None)
    return PgOutputDecoder(
        lambda rel: [mapper.column_type(c.type_oid, c.type_modifier).convert for c in rel.columns]
    )


def test_begin_and_commit():
    decoder = typed_decoder()
    begin = decoder.decode(b"B" + struct.pack(">QqI", 0x1_0000_0010, 1_000_000, 742))
    assert begin == Begin(0x1_0000_0010, 1_000_000 + PG_EPOCH_OFFSET_US, 742)
    commit = decoder.decode(b"C\x00" + struct.pack(">QQq", 0x10, 0x20, 5))
    assert commit == Commit(0x10, 0x20, 5 + PG_EPOCH_OFFSET_US)


def test_relation_describes_columns_and_key():
    decoder = typed_decoder()
    relation = decoder.decode(RELATION)
    assert isinstance(relation, Relation)
    assert (relation.relid, relation.schema, relation.name) == (16385, "public", "items")
    assert [(c.name, c.type_oid, c.is_key) for c in relation.columns] == [
        ("id", 23, True), ("name", 25, False), ("price", 1700, False),
    ]  # fmt: skip
    assert decoder.relations[16385] is relation


def test_insert_converts_text_by_column_type():
    decoder = typed_decoder()
    decoder.decode(RELATION)
    insert = decoder.decode(b"I" + struct.pack(">I", 16385) + b"N" + tuple_data("7", None, "9.50"))
    assert isinstance(insert, Insert)
    assert insert.new == [7, None, Decimal("9.50")]


def test_update_with_old_key_old_row_or_none():
    decoder = typed_decoder()
    decoder.decode(RELATION)
    head = b"U" + struct.pack(">I", 16385)
    plain = decoder.decode(head + b"N" + tuple_data("1", "a", "1.00"))
    assert plain == Update(plain.relation, None, False, [1, "a", Decimal("1.00")])
    keyed = decoder.decode(
        head + b"K" + tuple_data("1", None, None) + b"N" + tuple_data("2", "a", b"u")
    )
    assert (keyed.old, keyed.old_is_key) == ([1, None, None], True)
    assert keyed.new == [2, "a", UNCHANGED_TOAST]
    full = decoder.decode(head + b"O" + tuple_data("1", "a", "1.00") + b"N" + tuple_data(
        "1", "b", "1.00"
    ))  # fmt: skip
    assert (full.old, full.old_is_key, full.new[1]) == ([1, "a", Decimal("1.00")], False, "b")


def test_delete_and_truncate():
    decoder = typed_decoder()
    decoder.decode(RELATION)
    delete = decoder.decode(b"D" + struct.pack(">I", 16385) + b"K" + tuple_data("3", None, None))
    assert delete == Delete(delete.relation, [3, None, None], True)
    truncate = decoder.decode(b"T" + struct.pack(">IBI", 1, 3, 16385))
    assert truncate == Truncate((delete.relation,), True, True)


def test_type_and_origin():
    decoder = typed_decoder()
    assert decoder.decode(b"Y" + struct.pack(">I", 90000) + cstr("public") + cstr("mood")) == (
        TypeInfo(90000, "public", "mood")
    )
    assert decoder.decode(b"O" + struct.pack(">Q", 0x99) + cstr("upstream")) == Origin(
        0x99, "upstream"
    )


def test_relations_nobody_reads_are_not_parsed():
    decoder = PgOutputDecoder(lambda relation: None)
    decoder.decode(RELATION)
    insert = decoder.decode(b"I" + struct.pack(">I", 16385) + b"N" + b"garbage")
    assert insert.new is None


def test_malformed_messages_raise_decode_error():
    decoder = typed_decoder()
    with pytest.raises(DecodeError, match="unknown pgoutput message type"):
        decoder.decode(b"Z123")
    with pytest.raises(DecodeError, match="before its Relation"):
        decoder.decode(b"I" + struct.pack(">I", 1) + b"N" + tuple_data("1"))
    decoder.decode(RELATION)
    with pytest.raises(DecodeError, match="truncated or malformed"):
        decoder.decode(b"I" + struct.pack(">I", 16385) + b"N\x00")
    with pytest.raises(DecodeError, match="tuple of 1 columns"):
        decoder.decode(b"I" + struct.pack(">I", 16385) + b"N" + tuple_data("1"))


def test_messages_of_a_real_server(postgres):
    db = postgres.create_database("pgoutput")
    with postgres.connect(db) as conn:
        conn.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, note text, m mood, at timestamptz)")
        conn.execute("CREATE TABLE f (id int PRIMARY KEY, v text)")
        conn.execute("ALTER TABLE f REPLICA IDENTITY FULL")
        conn.execute("CREATE PUBLICATION pub FOR ALL TABLES")
        conn.execute("SELECT pg_create_logical_replication_slot('peek', 'pgoutput')")
        with conn.transaction():
            conn.execute("INSERT INTO t VALUES (1, 'one', 'happy', '2024-05-06 07:08:09.5+02')")
            conn.execute("INSERT INTO f VALUES (1, 'x')")
        conn.execute("UPDATE t SET id = 2, note = NULL WHERE id = 1")
        conn.execute("UPDATE f SET v = 'y'")
        conn.execute("DELETE FROM t")
        conn.execute("TRUNCATE f")
    with psycopg.connect(postgres.url(db), options=SESSION_OPTIONS) as conn:
        rows = conn.execute(
            "SELECT data FROM pg_logical_slot_peek_binary_changes('peek', NULL, NULL, "
            "'proto_version', '1', 'publication_names', 'pub')"
        ).fetchall()
        mapper = TypeMapper(TypeModes(), lambda oid: None)
        decoder = PgOutputDecoder(
            lambda r: [mapper.column_type(c.type_oid, c.type_modifier).convert for c in r.columns]
        )
        messages = [decoder.decode(bytes(data)) for (data,) in rows]
        conn.execute("SELECT pg_drop_replication_slot('peek')")
    kinds = [type(m).__name__ for m in messages]
    assert kinds == [
        "Begin", "TypeInfo", "Relation", "Insert", "Relation", "Insert", "Commit",
        "Begin", "Update", "Commit", "Begin", "Update", "Commit",
        "Begin", "Delete", "Commit", "Begin", "Relation", "Truncate", "Commit",
    ]  # fmt: skip
    assert messages[1].name == "mood"
    assert messages[3].new == [1, "one", "happy", "2024-05-06T05:08:09.5Z"]
    begin, commit = messages[0], messages[6]
    assert begin.final_lsn == commit.commit_lsn < commit.end_lsn
    key_change = messages[8]
    assert (key_change.old, key_change.old_is_key) == ([1, None, None, None], True)
    assert key_change.new == [2, None, "happy", "2024-05-06T05:08:09.5Z"]
    full = messages[11]
    assert (full.old, full.old_is_key, full.new) == ([1, "x"], False, [1, "y"])
    assert messages[14].old == [2, None, None, None]
    assert [r.name for r in messages[18].relations] == ["f"]  # described again after TRUNCATE
