"""AVRO schemas: validation (fastavro) and Avro's reader/writer schema-resolution rules.

The rules are those of Avro's `SchemaCompatibility`, which Confluent applies: the reader must be
able to decode everything the writer can write. Records match by name (or reader alias) and a
reader field absent from the writer needs a default; the promotions int->long->float->double and
string<->bytes are allowed; enums need every writer symbol unless the reader has a default
symbol; fixed sizes must agree; arrays and maps compare their element types; a writer union needs
every branch readable, a reader union needs one branch that reads the writer. Logical types do
not take part, as in Avro.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import fastavro.schema

from ksql.schemas.kind import Incompatibility, ParsedSchema
from ksql.schemas.model import Dependency

PRIMITIVES = frozenset(("null", "boolean", "int", "long", "float", "double", "bytes", "string"))

# Which writer types each reader type also accepts (Avro's promotions).
_PROMOTIONS = {
    "long": ("int",),
    "float": ("int", "long"),
    "double": ("int", "long", "float"),
    "bytes": ("string",),
    "string": ("bytes",),
}


@dataclass(eq=False, slots=True)
class Node:
    """One type of a parsed schema; named types are shared, so recursion is a cycle of nodes."""

    type: str
    fullname: str = ""
    aliases: tuple[str, ...] = ()
    fields: list[FieldNode] = field(default_factory=list)
    symbols: tuple[str, ...] = ()
    enum_default: str | None = None
    size: int = 0
    children: list[Node] = field(default_factory=list)  # items, values or union branches

    @property
    def name(self) -> str:
        return self.fullname.rsplit(".", 1)[-1]


@dataclass(eq=False, slots=True)
class FieldNode:
    name: str
    aliases: tuple[str, ...]
    type: Node
    has_default: bool


class AvroKind:
    """The AVRO schema type."""

    def parse(self, text: str, dependencies: Sequence[Dependency]) -> ParsedSchema:
        named: dict[str, Any] = {}
        for dep in dependencies:
            _fastavro_parse(_load_json(dep.text.schema), named)
        obj = _load_json(text)
        parsed = _fastavro_parse(obj, named)
        _check_field_names(parsed)
        nodes: dict[str, Node] = {}
        return ParsedSchema(_canonical(obj), _build(parsed, named, nodes))

    def incompatibilities(
        self, reader: ParsedSchema, writer: ParsedSchema, reader_label: str, writer_label: str
    ) -> list[Incompatibility]:
        checker = _Checker(reader_label, writer_label)
        checker.check(reader.model, writer.model, [])
        return checker.found


KIND = AvroKind()


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"Invalid JSON: {e}") from None


def _fastavro_parse(obj: Any, named: dict[str, Any]) -> Any:
    try:
        return fastavro.schema.parse_schema(obj, named_schemas=named, _write_hint=False)
    except Exception as e:  # noqa: BLE001 - fastavro signals bad schemas with many types
        reason = str(e) if not isinstance(e, KeyError) else f"missing attribute {e}"
        raise ValueError(f"{type(e).__name__}: {reason}") from None


def _canonical(obj: Any) -> str:
    """Compact JSON in the author's key order; `{"type": "int"}` is the same as `"int"`."""
    if isinstance(obj, dict) and set(obj) == {"type"} and obj["type"] in PRIMITIVES:
        obj = obj["type"]
    return json.dumps(obj, separators=(",", ":"))


def _check_field_names(schema: Any) -> None:
    """fastavro accepts two fields of one name; Avro does not."""
    stack = [schema]
    while stack:
        s = stack.pop()
        if isinstance(s, list):
            stack.extend(s)
        elif isinstance(s, dict):
            if s.get("type") == "record":
                names = [f["name"] for f in s["fields"]]
                dup = {n for n in names if names.count(n) > 1}
                if dup:
                    raise ValueError(f"Duplicate field {min(dup)} in record {s['name']}")
                stack.extend(f["type"] for f in s["fields"])
            elif s.get("type") == "array":
                stack.append(s["items"])
            elif s.get("type") == "map":
                stack.append(s["values"])


def _qualified_aliases(schema: dict[str, Any]) -> tuple[str, ...]:
    namespace = schema["name"].rpartition(".")[0]
    return tuple(
        a if "." in a or not namespace else f"{namespace}.{a}" for a in schema.get("aliases", ())
    )


def _build(schema: Any, named: dict[str, Any], nodes: dict[str, Node]) -> Node:
    if isinstance(schema, list):
        return Node("union", children=[_build(s, named, nodes) for s in schema])
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return Node(schema)
        if schema in nodes:
            return nodes[schema]
        return _build(named[schema], named, nodes)
    kind = schema["type"]
    if kind in ("record", "error", "enum", "fixed"):
        node = Node(
            "record" if kind == "error" else kind, schema["name"], _qualified_aliases(schema)
        )
        # Registered before the fields are built, so a recursive reference finds it.
        nodes[schema["name"]] = node
        if kind == "enum":
            node.symbols = tuple(schema["symbols"])
            node.enum_default = schema.get("default")
        elif kind == "fixed":
            node.size = schema["size"]
        else:
            node.fields = [
                FieldNode(
                    f["name"],
                    tuple(f.get("aliases", ())),
                    _build(f["type"], named, nodes),
                    "default" in f,
                )
                for f in schema["fields"]
            ]
        return node
    if kind == "array":
        return Node("array", children=[_build(schema["items"], named, nodes)])
    if kind == "map":
        return Node("map", children=[_build(schema["values"], named, nodes)])
    if isinstance(kind, (dict, list)) or kind not in PRIMITIVES:
        return _build(kind, named, nodes)
    return Node(kind)


def _path(location: list[str]) -> str:
    return "/" + "/".join(location)


class _Checker:
    """Avro's reader/writer resolution, collecting every incompatibility with its path."""

    def __init__(self, reader_label: str, writer_label: str) -> None:
        self.reader_label = reader_label
        self.writer_label = writer_label
        self.found: list[Incompatibility] = []
        # Pairs under check: a recursive record is assumed readable while its fields are checked.
        self._in_progress: set[tuple[int, int]] = set()

    def check(self, reader: Node, writer: Node, location: list[str]) -> None:
        pair = (id(reader), id(writer))
        if pair in self._in_progress:
            return
        self._in_progress.add(pair)
        try:
            self._check_pair(reader, writer, location)
        finally:
            self._in_progress.discard(pair)

    def _check_pair(self, reader: Node, writer: Node, location: list[str]) -> None:
        if reader.type == writer.type:
            self._same_type(reader, writer, location)
        elif writer.type == "union":
            for i, branch in enumerate(writer.children):
                self.check(reader, branch, [*location, str(i)])
        elif reader.type == "union":
            self._reader_union(reader, writer, location)
        elif writer.type not in _PROMOTIONS.get(reader.type, ()):
            self._type_mismatch(reader, writer, location)

    def _same_type(self, reader: Node, writer: Node, location: list[str]) -> None:
        if reader.type in ("array", "map"):
            step = "items" if reader.type == "array" else "values"
            self.check(reader.children[0], writer.children[0], [*location, step])
        elif reader.type == "union":
            for i, branch in enumerate(writer.children):
                self.check(reader, branch, [*location, str(i)])
        elif reader.type in ("record", "enum", "fixed"):
            if not self._names_match(reader, writer, location):
                return
            if reader.type == "fixed" and reader.size != writer.size:
                self._add(
                    "FIXED_SIZE_MISMATCH",
                    f"The size of FIXED type field at path '{_path([*location, 'size'])}' in the "
                    f"{self.reader_label} schema does not match with the {self.writer_label} "
                    "schema",
                    f"expected: {writer.size}, found: {reader.size}",
                )
            elif reader.type == "enum":
                self._enum(reader, writer, location)
            elif reader.type == "record":
                self._record(reader, writer, location)

    def _names_match(self, reader: Node, writer: Node, location: list[str]) -> bool:
        if reader.name == writer.name or writer.fullname in reader.aliases:
            return True
        self._add(
            "NAME_MISMATCH",
            f"The name of the schema has changed (path '{_path([*location, 'name'])}')",
            f"expected: {writer.fullname}",
        )
        return False

    def _enum(self, reader: Node, writer: Node, location: list[str]) -> None:
        missing = [s for s in writer.symbols if s not in reader.symbols]
        if missing and reader.enum_default is None:
            self._add(
                "MISSING_ENUM_SYMBOLS",
                f"The {self.reader_label} schema is missing enum symbols '{', '.join(missing)}' "
                f"at path '{_path([*location, 'symbols'])}' in the {self.writer_label} schema",
                "[" + ", ".join(missing) + "]",
            )

    def _record(self, reader: Node, writer: Node, location: list[str]) -> None:
        by_name = {f.name: f for f in writer.fields}
        for i, rf in enumerate(reader.fields):
            wf = by_name.get(rf.name)
            if wf is None:
                wf = next((by_name[a] for a in rf.aliases if a in by_name), None)
            if wf is not None:
                self.check(rf.type, wf.type, [*location, "fields", str(i), "type"])
            elif not rf.has_default:
                self._add(
                    "READER_FIELD_MISSING_DEFAULT_VALUE",
                    f"The field '{rf.name}' at path '{_path([*location, 'fields', str(i)])}' in "
                    f"the {self.reader_label} schema has no default value and is missing in the "
                    f"{self.writer_label} schema",
                    rf.name,
                )

    def _reader_union(self, reader: Node, writer: Node, location: list[str]) -> None:
        for branch in reader.children:
            probe = _Checker(self.reader_label, self.writer_label)
            probe._in_progress = set(self._in_progress)
            probe.check(branch, writer, location)
            if not probe.found:
                return
        self._add(
            "MISSING_UNION_BRANCH",
            f"The {self.reader_label} schema is missing a type inside a union field at path "
            f"'{_path(location)}' in the {self.writer_label} schema",
            f"reader union lacking writer type: {writer.type.upper()}",
        )

    def _type_mismatch(self, reader: Node, writer: Node, location: list[str]) -> None:
        self._add(
            "TYPE_MISMATCH",
            f"The type (path '{_path(location)}') of a field in the {self.reader_label} schema "
            f"does not match with the {self.writer_label} schema",
            f"reader type: {reader.type.upper()} not compatible with writer type: "
            f"{writer.type.upper()}",
        )

    def _add(self, error_type: str, description: str, info: str) -> None:
        self.found.append(Incompatibility(error_type, description, info))
