"""A decoder of PostgreSQL's `pgoutput` logical replication messages, protocol version 1.

Each message is the payload of one XLogData frame of the replication stream (or one row of
`pg_logical_slot_*_binary_changes`): Begin, Commit, Origin, Relation, Type, Insert, Update,
Delete and Truncate. Tuple values arrive in text format; the decoder converts them with one
function per column, which a `converters` callback chooses when a Relation message describes
the table (from its column type OIDs). The callback may return None for a relation nobody
reads: its rows are then skipped without being parsed.

LSNs are ints; timestamps are microseconds since the Unix epoch.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# pgoutput's timestamps count microseconds from 2000-01-01; ours from 1970-01-01.
PG_EPOCH_OFFSET_US = 946_684_800_000_000

# The value of a column whose TOASTed value did not change (tuple kind 'u'): PostgreSQL does
# not send it, so the decoder cannot know it.
UNCHANGED_TOAST = type("UnchangedToast", (), {"__repr__": lambda self: "UNCHANGED_TOAST"})()

Converter = Callable[[str], Any]

_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from
_BEGIN = struct.Struct(">QqI").unpack_from  # final lsn, commit timestamp, xid
_COMMIT = struct.Struct(">BQQq").unpack_from  # flags, commit lsn, end lsn, commit timestamp
_COLUMN_TAIL = struct.Struct(">Ii").unpack_from  # type oid, type modifier


class DecodeError(ValueError):
    """Bytes that are not a pgoutput protocol 1 message."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type_oid: int
    type_modifier: int
    is_key: bool  # part of the replica identity


@dataclass(slots=True)
class Relation:
    relid: int
    schema: str
    name: str
    replica_identity: str  # d(efault), n(othing), f(ull), i(ndex)
    columns: tuple[Column, ...]
    converters: tuple[Converter, ...] | None = None  # None: rows are not decoded


@dataclass(frozen=True, slots=True)
class Begin:
    final_lsn: int  # the LSN of the transaction's commit record
    commit_ts_us: int
    xid: int


@dataclass(frozen=True, slots=True)
class Commit:
    commit_lsn: int
    end_lsn: int
    commit_ts_us: int


@dataclass(frozen=True, slots=True)
class Origin:
    commit_lsn: int
    name: str


@dataclass(frozen=True, slots=True)
class TypeInfo:
    oid: int
    schema: str
    name: str


@dataclass(frozen=True, slots=True)
class Insert:
    relation: Relation
    new: list[Any] | None  # None when the relation is not decoded


@dataclass(frozen=True, slots=True)
class Update:
    relation: Relation
    old: list[Any] | None  # the old key ('K') or old row ('O'), when PostgreSQL sent one
    old_is_key: bool  # True: `old` holds only the replica identity columns, others None
    new: list[Any] | None


@dataclass(frozen=True, slots=True)
class Delete:
    relation: Relation
    old: list[Any] | None
    old_is_key: bool


@dataclass(frozen=True, slots=True)
class Truncate:
    relations: tuple[Relation, ...]
    cascade: bool
    restart_identity: bool


Message = Begin | Commit | Origin | Relation | TypeInfo | Insert | Update | Delete | Truncate


class PgOutputDecoder:
    """Decodes one message at a time, remembering the Relation messages that later row
    messages refer to by OID. `converters(relation)` picks the column converters."""

    def __init__(self, converters: Callable[[Relation], Sequence[Converter] | None]) -> None:
        self._converters = converters
        self.relations: dict[int, Relation] = {}
        self._dispatch: dict[int, Callable[[bytes, int], Message]] = {
            ord("B"): self._begin, ord("C"): self._commit, ord("O"): self._origin,
            ord("R"): self._relation, ord("Y"): self._type, ord("I"): self._insert,
            ord("U"): self._update, ord("D"): self._delete, ord("T"): self._truncate,
        }  # fmt: skip

    def decode(self, data: bytes, pos: int = 0) -> Message:
        """The message in `data[pos:]`."""
        try:
            handler = self._dispatch[data[pos]]
        except (KeyError, IndexError):
            tag = data[pos : pos + 1]
            raise DecodeError(f"unknown pgoutput message type {tag!r}") from None
        try:
            return handler(data, pos + 1)
        except (struct.error, IndexError, UnicodeDecodeError) as error:
            raise DecodeError(f"truncated or malformed pgoutput message: {error}") from None

    # -- transaction boundaries

    def _begin(self, data: bytes, pos: int) -> Begin:
        final_lsn, ts, xid = _BEGIN(data, pos)
        return Begin(final_lsn, ts + PG_EPOCH_OFFSET_US, xid)

    def _commit(self, data: bytes, pos: int) -> Commit:
        _, commit_lsn, end_lsn, ts = _COMMIT(data, pos)
        return Commit(commit_lsn, end_lsn, ts + PG_EPOCH_OFFSET_US)

    def _origin(self, data: bytes, pos: int) -> Origin:
        name, _ = _cstring(data, pos + 8)
        return Origin(struct.unpack_from(">Q", data, pos)[0], name)

    # -- catalog

    def _relation(self, data: bytes, pos: int) -> Relation:
        relid = _U32(data, pos)[0]
        schema, pos = _cstring(data, pos + 4)
        name, pos = _cstring(data, pos)
        identity = chr(data[pos])
        count = _U16(data, pos + 1)[0]
        pos += 3
        columns = []
        for _ in range(count):
            flags = data[pos]
            column, pos = _cstring(data, pos + 1)
            type_oid, typmod = _COLUMN_TAIL(data, pos)
            pos += 8
            columns.append(Column(column, type_oid, typmod, bool(flags & 1)))
        relation = Relation(relid, schema, name, identity, tuple(columns))
        converters = self._converters(relation)
        relation.converters = None if converters is None else tuple(converters)
        self.relations[relid] = relation
        return relation

    def _type(self, data: bytes, pos: int) -> TypeInfo:
        oid = _U32(data, pos)[0]
        schema, pos = _cstring(data, pos + 4)
        name, _ = _cstring(data, pos)
        return TypeInfo(oid, schema, name)

    # -- rows

    def _insert(self, data: bytes, pos: int) -> Insert:
        relation = self._relation_of(data, pos)
        if relation.converters is None:
            return Insert(relation, None)
        return Insert(relation, self._tuple(data, pos + 5, relation.converters)[0])

    def _update(self, data: bytes, pos: int) -> Update:
        relation = self._relation_of(data, pos)
        converters = relation.converters
        if converters is None:
            return Update(relation, None, False, None)
        pos += 4
        kind = data[pos]
        old = None
        if kind != 78:  # 'K' or 'O' before 'N'
            old, pos = self._tuple(data, pos + 1, converters)
        new, _ = self._tuple(data, pos + 1, converters)
        return Update(relation, old, kind == 75, new)

    def _delete(self, data: bytes, pos: int) -> Delete:
        relation = self._relation_of(data, pos)
        if relation.converters is None:
            return Delete(relation, None, False)
        kind = data[pos + 4]
        old, _ = self._tuple(data, pos + 5, relation.converters)
        return Delete(relation, old, kind == 75)

    def _truncate(self, data: bytes, pos: int) -> Truncate:
        count = _U32(data, pos)[0]
        options = data[pos + 4]
        relids = struct.unpack_from(f">{count}I", data, pos + 5)
        return Truncate(
            tuple(self.relations[r] for r in relids if r in self.relations),
            bool(options & 1),
            bool(options & 2),
        )

    def _relation_of(self, data: bytes, pos: int) -> Relation:
        relid = _U32(data, pos)[0]
        try:
            return self.relations[relid]
        except KeyError:
            raise DecodeError(f"row for relation {relid} before its Relation message") from None

    @staticmethod
    def _tuple(data: bytes, pos: int, converters: tuple[Converter, ...]) -> tuple[list, int]:
        """TupleData at `pos`: the converted values and the position after it. Hot path."""
        count = _U16(data, pos)[0]
        if count != len(converters):
            raise DecodeError(f"tuple of {count} columns for a relation of {len(converters)}")
        pos += 2
        values: list[Any] = []
        append = values.append
        for convert in converters:
            kind = data[pos]
            if kind == 116:  # 't': text
                end = pos + 5 + _U32(data, pos + 1)[0]
                append(convert(data[pos + 5 : end].decode()))
                pos = end
            elif kind == 110:  # 'n': null
                append(None)
                pos += 1
            elif kind == 117:  # 'u': unchanged TOAST value
                append(UNCHANGED_TOAST)
                pos += 1
            else:
                raise DecodeError(f"tuple value kind {chr(kind)!r} (binary needs protocol 2)")
        return values, pos


def _cstring(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(0, pos)
    return data[pos:end].decode(), end + 1
