"""PROTOBUF schemas: a .proto parser for the schema's shape and a subset of Confluent's rules.

A schema is .proto text (proto2 or proto3) or, as Confluent's serializers send it, a base64
FileDescriptorProto. Either becomes the same model: the package and every message (nested ones
by full name) with its fields by number (name, label, type, oneof). Options, services,
extensions and reserved ranges are read past.

Confluent judges the differences from the writer's (original) schema to the reader's (updated)
one; this module implements:

- PACKAGE_CHANGED.
- MESSAGE_REMOVED: a message of the writer is absent (a rename is a removal).
- FIELD_KIND_CHANGED: a field number changes between scalar, message, enum and map, or between
  singular and repeated.
- FIELD_SCALAR_KIND_CHANGED: a scalar changes outside the wire-compatible groups
  (int32/uint32/int64/uint64/bool, sint32/sint64, fixed32/sfixed32, fixed64/sfixed64,
  string/bytes).
- FIELD_NAMED_TYPE_CHANGED: a message or enum field now names another type.
- REQUIRED_FIELD_ADDED / REQUIRED_FIELD_REMOVED (proto2 `required`).
- ONEOF_FIELD_REMOVED and FIELD_MOVED_TO_EXISTING_ONEOF.

Adding or removing optional fields and messages is compatible, as in Confluent.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ksql.schemas.kind import Incompatibility, ParsedSchema
from ksql.schemas.model import Dependency

SCALARS = frozenset(
    [
        "double",
        "float",
        "int32",
        "int64",
        "uint32",
        "uint64",
        "sint32",
        "sint64",
        "fixed32",
        "fixed64",
        "sfixed32",
        "sfixed64",
        "bool",
        "string",
        "bytes",
    ]
)

_SCALAR_GROUPS = (
    frozenset(("int32", "uint32", "int64", "uint64", "bool")),
    frozenset(("sint32", "sint64")),
    frozenset(("fixed32", "sfixed32")),
    frozenset(("fixed64", "sfixed64")),
    frozenset(("string", "bytes")),
)

_TOKEN = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/|(?P<tok>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_][\w.]*|"""
    r"""\.[A-Za-z_][\w.]*|-?\d[\w.+-]*|[{}\[\]()<>;=,:.-])""",
    re.DOTALL,
)


@dataclass(slots=True)
class ProtoField:
    name: str
    number: int
    label: str  # "optional", "repeated", "required" or "" (proto3 singular)
    type: str  # a scalar name, "map<K,V>", or a type name (resolved to a full name when known)
    oneof: str | None = None


@dataclass(slots=True)
class ProtoMessage:
    fullname: str
    fields: dict[int, ProtoField] = field(default_factory=dict)


@dataclass(slots=True)
class ProtoFile:
    package: str = ""
    syntax: str = "proto2"
    imports: list[str] = field(default_factory=list)
    messages: dict[str, ProtoMessage] = field(default_factory=dict)
    enums: set[str] = field(default_factory=set)


class ProtobufKind:
    """The PROTOBUF schema type."""

    def parse(self, text: str, dependencies: Sequence[Dependency]) -> ParsedSchema:
        known: set[str] = set()
        for dep in dependencies:
            model = _load(dep.text.schema)
            known |= set(model.messages) | model.enums
        model = _load(text)
        _resolve(model, known | set(model.messages) | model.enums)
        return ParsedSchema(text.strip(), model)

    def incompatibilities(
        self, reader: ParsedSchema, writer: ParsedSchema, reader_label: str, writer_label: str
    ) -> list[Incompatibility]:
        return _diff(writer.model, reader.model, reader_label, writer_label)


KIND = ProtobufKind()


def _load(text: str) -> ProtoFile:
    stripped = text.strip()
    # A .proto text always has a ';' or a '{'; base64 never does.
    if stripped and re.fullmatch(r"[A-Za-z0-9+/=\s]+", stripped):
        return _from_descriptor(stripped)
    return _Parser(text).parse_file()


def _from_descriptor(b64: str) -> ProtoFile:
    """A base64 FileDescriptorProto, the form Confluent's serializers register."""
    try:
        from google.protobuf import descriptor_pb2
    except ImportError:  # pragma: no cover - protobuf is a dependency
        raise ValueError("serialized protobuf schemas need the protobuf package") from None
    try:
        fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(b64, validate=True))
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"not a .proto text nor a base64 FileDescriptorProto: {e}") from None
    out = ProtoFile(
        package=fdp.package, syntax=fdp.syntax or "proto2", imports=list(fdp.dependency)
    )
    labels = {1: "optional", 2: "required", 3: "repeated"}
    prefix = f"{fdp.package}." if fdp.package else ""

    def add_message(msg: descriptor_pb2.DescriptorProto, scope: str) -> None:
        name = f"{scope}{msg.name}"
        maps = {n.name: n for n in msg.nested_type if n.options.map_entry}
        m = ProtoMessage(name)
        for f in msg.field:
            type_name = f.type_name.lstrip(".")
            kind = descriptor_pb2.FieldDescriptorProto.Type.Name(f.type)[5:].lower()
            label = labels[f.label]
            if f.type_name and f.type_name.rsplit(".", 1)[-1] in maps and label == "repeated":
                entry = maps[f.type_name.rsplit(".", 1)[-1]]
                k, v = entry.field[0], entry.field[1]
                kt = descriptor_pb2.FieldDescriptorProto.Type.Name(k.type)[5:].lower()
                vt = (
                    v.type_name.lstrip(".")
                    or descriptor_pb2.FieldDescriptorProto.Type.Name(v.type)[5:].lower()
                )
                type_, label = f"map<{kt},{vt}>", ""
            else:
                type_ = type_name if kind in ("message", "enum", "group") else kind
            if fdp.syntax == "proto3" and label == "optional" and not f.proto3_optional:
                label = ""
            oneof = (
                msg.oneof_decl[f.oneof_index].name
                if f.HasField("oneof_index") and not f.proto3_optional
                else None
            )
            m.fields[f.number] = ProtoField(f.name, f.number, label, type_, oneof)
        out.messages[name] = m
        for e in msg.enum_type:
            out.enums.add(f"{name}.{e.name}")
        for nested in msg.nested_type:
            if not nested.options.map_entry:
                add_message(nested, f"{name}.")

    for msg in fdp.message_type:
        add_message(msg, prefix)
    out.enums |= {f"{prefix}{e.name}" for e in fdp.enum_type}
    return out


class _Parser:
    """Recursive descent over .proto tokens, keeping only what the rules look at."""

    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise ValueError(f"unexpected character {text[pos]!r} at offset {pos}")
            if m.group("tok"):
                self.tokens.append(m.group("tok"))
            pos = m.end()
        self.i = 0
        self.file = ProtoFile()

    def peek(self) -> str:
        return self.tokens[self.i] if self.i < len(self.tokens) else ""

    def next(self) -> str:
        tok = self.peek()
        if not tok:
            raise ValueError("unexpected end of schema")
        self.i += 1
        return tok

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            raise ValueError(f"expected '{tok}' but found '{got}'")

    def skip_statement(self) -> None:
        """Past the next ';' or a balanced {...} block."""
        depth = 0
        while True:
            tok = self.next()
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if depth == 0:
                    return
            elif tok == ";" and depth == 0:
                return

    def parse_file(self) -> ProtoFile:
        while self.peek():
            tok = self.next()
            if tok == "syntax" or tok == "edition":
                self.expect("=")
                self.file.syntax = self.next().strip("\"'")
                self.expect(";")
            elif tok == "package":
                self.file.package = self.next()
                self.expect(";")
            elif tok == "import":
                name = self.next()
                if name in ("public", "weak"):
                    name = self.next()
                self.file.imports.append(name.strip("\"'"))
                self.expect(";")
            elif tok == "message":
                self.message(self._scope())
            elif tok == "enum":
                self.file.enums.add(self._scope() + self.next())
                self.skip_statement()
            elif tok in ("option", "service", "extend"):
                self.skip_statement()
            elif tok != ";":
                raise ValueError(f"unexpected '{tok}' at top level")
        if not self.file.messages and not self.file.enums:
            raise ValueError("a protobuf schema must define at least one message or enum")
        return self.file

    def _scope(self) -> str:
        return f"{self.file.package}." if self.file.package else ""

    def message(self, scope: str) -> None:
        name = self.next()
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValueError(f"invalid message name '{name}'")
        msg = ProtoMessage(scope + name)
        self.file.messages[msg.fullname] = msg
        self.expect("{")
        self.body(msg, None)

    def body(self, msg: ProtoMessage, oneof: str | None) -> None:
        while (tok := self.next()) != "}":
            if tok == "message":
                self.message(msg.fullname + ".")
            elif tok == "enum":
                self.file.enums.add(f"{msg.fullname}.{self.next()}")
                self.skip_statement()
            elif tok == "oneof":
                name = self.next()
                self.expect("{")
                self.body(msg, name)
            elif tok in ("option", "reserved", "extensions", "extend"):
                self.skip_statement()
            elif tok == ";":
                continue
            else:
                self.field(msg, tok, oneof)

    def field(self, msg: ProtoMessage, tok: str, oneof: str | None) -> None:
        label = ""
        if tok in ("optional", "repeated", "required"):
            label, tok = tok, self.next()
        if tok == "map":
            self.expect("<")
            key = self.next()
            self.expect(",")
            value = self.next()
            self.expect(">")
            type_ = f"map<{key},{value}>"
        elif tok == "group":
            raise ValueError("proto2 groups are not supported")
        else:
            type_ = tok
        name = self.next()
        self.expect("=")
        number_text = self.next()
        if not number_text.isdigit() or not 1 <= int(number_text) <= 536870911:
            raise ValueError(f"invalid field number '{number_text}' for field '{name}'")
        number = int(number_text)
        if number in msg.fields:
            raise ValueError(f"field number {number} is used twice in message {msg.fullname}")
        if self.peek() == "[":
            while self.next() != "]":
                pass
        self.expect(";")
        if (
            self.file.syntax == "proto2"
            and not label
            and oneof is None
            and not type_.startswith("map<")
        ):
            raise ValueError(f"field '{name}' needs a label (optional, required or repeated)")
        msg.fields[number] = ProtoField(name, number, label, type_, oneof)


def _resolve(model: ProtoFile, known: set[str]) -> None:
    """Type names to full names, by protobuf's scoping (innermost scope first)."""
    for msg in model.messages.values():
        for f in msg.fields.values():
            if f.type in SCALARS:
                continue
            if f.type.startswith("map<"):
                key, value = f.type[4:-1].split(",")
                f.type = f"map<{key},{_lookup(value, msg.fullname, known)}>"
            else:
                f.type = _lookup(f.type, msg.fullname, known)


def _lookup(name: str, scope: str, known: set[str]) -> str:
    if name in SCALARS:
        return name
    if name.startswith("."):
        return name[1:]
    parts = scope.split(".")
    while parts:
        candidate = ".".join([*parts, name])
        if candidate in known:
            return candidate
        parts.pop()
    return name


def _kind(type_: str, enums: set[str]) -> str:
    if type_ in SCALARS:
        return "scalar"
    if type_.startswith("map<"):
        return "map"
    return "enum" if type_ in enums else "message"


def _diff(
    original: ProtoFile, update: ProtoFile, reader_label: str, writer_label: str
) -> list[Incompatibility]:
    found: list[Incompatibility] = []

    def add(error_type: str, path: str, what: str) -> None:
        found.append(
            Incompatibility(
                error_type,
                f"The {reader_label} schema is not compatible with the {writer_label} schema at "
                f"'{path}': {what}",
                path,
            )
        )

    if original.package != update.package:
        add("PACKAGE_CHANGED", "#/", f"package {original.package!r} became {update.package!r}")
    for name, old in original.messages.items():
        new = update.messages.get(_rename_package(name, original.package, update.package))
        if new is None:
            add("MESSAGE_REMOVED", f"#/{name}", f"message {name} is missing")
            continue
        for number, of in old.fields.items():
            path = f"#/{name}/{number}"
            nf = new.fields.get(number)
            if nf is None:
                if of.label == "required":
                    add("REQUIRED_FIELD_REMOVED", path, f"required field {of.name} is missing")
                elif of.oneof is not None and any(f.oneof == of.oneof for f in new.fields.values()):
                    add("ONEOF_FIELD_REMOVED", path, f"field {of.name} left oneof {of.oneof}")
                continue
            _compare_field(of, nf, original, update, path, add)
        for number, nf in new.fields.items():
            if number not in old.fields and nf.label == "required":
                add("REQUIRED_FIELD_ADDED", f"#/{name}/{number}", f"new required field {nf.name}")
    return found


def _compare_field(
    of: ProtoField,
    nf: ProtoField,
    original: ProtoFile,
    update: ProtoFile,
    path: str,
    add: Callable[[str, str, str], None],
) -> None:
    old_kind, new_kind = _kind(of.type, original.enums), _kind(nf.type, update.enums)
    if old_kind != new_kind or (of.label == "repeated") != (nf.label == "repeated"):
        add("FIELD_KIND_CHANGED", path, f"field {of.name} changed from {of.type} to {nf.type}")
    elif old_kind == "scalar" and of.type != nf.type:
        if not any(of.type in g and nf.type in g for g in _SCALAR_GROUPS):
            add("FIELD_SCALAR_KIND_CHANGED", path, f"{of.type} became {nf.type}")
    elif of.type.rsplit(".", 1)[-1] != nf.type.rsplit(".", 1)[-1] or (
        old_kind == "map" and of.type != nf.type
    ):
        add("FIELD_NAMED_TYPE_CHANGED", path, f"{of.type} became {nf.type}")
    if of.oneof is None and nf.oneof is not None:
        add("FIELD_MOVED_TO_EXISTING_ONEOF", path, f"field {nf.name} moved into oneof {nf.oneof}")
    if (of.label == "required") != (nf.label == "required"):
        error = "REQUIRED_FIELD_ADDED" if nf.label == "required" else "REQUIRED_FIELD_REMOVED"
        add(error, path, f"field {nf.name} changed from {of.label} to {nf.label}")


def _rename_package(name: str, old_package: str, new_package: str) -> str:
    """A message keeps its identity across a package change (reported once, as PACKAGE_CHANGED)."""
    if old_package and name.startswith(old_package + "."):
        name = name[len(old_package) + 1 :]
    return f"{new_package}.{name}" if new_package else name
