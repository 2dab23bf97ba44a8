"""Connect schemas and values <-> Avro, as Confluent's AvroData maps them.

Connect to Avro: int8/int16 are Avro ints marked `"connect.type"`; optional schemas are
unions with null (null first, unless the default is not null); structs are records named
after the schema (`io.confluent.connect.avro.ConnectDefault` when unnamed); maps with
string keys are Avro maps and others arrays of `io.confluent.connect.avro.MapEntry` records;
Decimal, Date, Time and Timestamp are Avro's decimal, date, time-millis and timestamp-millis;
names, versions, docs and parameters travel as `connect.*` properties.

Avro to Connect: the inverse, plus what other producers write: unions of null and one type
are optional, other unions a struct named `io.confluent.connect.avro.Union` with one optional
field per branch; enums are strings and fixed bytes (their names and sizes kept as
parameters, so they are written back as they were); time-micros and timestamp-micros read as
Time and Timestamp; uuid as a string.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

from ksql.connect import api
from ksql.connect.api import DataError, Schema
from ksql.connect.converters.json_values import EXACT, decimal_scale, from_unscaled, unscaled_bytes

NAMESPACE = "io.confluent.connect.avro"
DEFAULT_NAME = "ConnectDefault"
UNION = f"{NAMESPACE}.Union"
ENUM = f"{NAMESPACE}.Enum"
FIXED_SIZE = "connect.fixed.size"
PRECISION = "connect.decimal.precision"

_AVRO_PRIMITIVES = {
    api.INT8: "int", api.INT16: "int", api.INT32: "int", api.INT64: "long",
    api.FLOAT32: "float", api.FLOAT64: "double", api.BOOLEAN: "boolean",
    api.STRING: "string", api.BYTES: "bytes",
}  # fmt: skip
_CONNECT_PRIMITIVES = {
    "int": api.INT32, "long": api.INT64, "float": api.FLOAT32, "double": api.FLOAT64,
    "boolean": api.BOOLEAN, "string": api.STRING, "bytes": api.BYTES,
}  # fmt: skip
_LOGICAL = {
    api.DATE: ("int", "date"),
    api.TIME: ("int", "time-millis"),
    api.TIMESTAMP: ("long", "timestamp-millis"),
}
_FROM_LOGICAL = {
    "date": Schema(api.INT32, name=api.DATE, version=1),
    "time-millis": Schema(api.INT32, name=api.TIME, version=1),
    "time-micros": Schema(api.INT32, name=api.TIME, version=1),
    "timestamp-millis": Schema(api.INT64, name=api.TIMESTAMP, version=1),
    "timestamp-micros": Schema(api.INT64, name=api.TIMESTAMP, version=1),
}
_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


# ----------------------------------------------------------------------------- Connect -> Avro


class AvroSchemaWriter:
    """One Connect schema to an Avro schema (a JSON tree); unnamed records and map entries
    are numbered (`ConnectDefault`, `ConnectDefault2`, ...) as Avro names must be unique."""

    def __init__(self) -> None:
        self.defined: set[str] = set()
        self.counters: dict[str, int] = {}

    def schema(self, schema: Schema) -> Any:
        if schema.name == UNION:  # a union read from Avro is written back as one
            branches = [self._base(f.schema) for f in schema.fields]
            return ["null", *branches] if schema.optional else branches
        base = self._base(schema)
        if not schema.optional:
            return base
        return [base, "null"] if schema.default is not None else ["null", base]

    def _unique(self, name: str) -> str:
        count = self.counters[name] = self.counters.get(name, 0) + 1
        return name if count == 1 else f"{name}{count}"

    def _base(self, schema: Schema) -> Any:
        if schema.type == api.STRUCT:
            return self._record(schema)
        if schema.type == api.ARRAY:
            assert schema.value_schema is not None
            out: dict[str, Any] = {"type": "array", "items": self.schema(schema.value_schema)}
        elif schema.type == api.MAP:
            out = self._map(schema)
        elif schema.name == api.DECIMAL:
            scale = decimal_scale(schema)
            precision = int(schema.parameters.get(PRECISION, 64))
            out = {"type": "bytes", "scale": scale, "precision": precision,
                   "logicalType": "decimal"}  # fmt: skip
        elif schema.name in _LOGICAL:
            avro_type, logical = _LOGICAL[schema.name]
            out = {"type": avro_type, "logicalType": logical}
        elif ENUM in schema.parameters or FIXED_SIZE in schema.parameters:
            return self._named_type(schema)
        else:
            out = {"type": _AVRO_PRIMITIVES[schema.type]}
            if schema.type in (api.INT8, api.INT16):
                out["connect.type"] = schema.type
        self._connect_properties(schema, out, doc_key="connect.doc")
        return out["type"] if len(out) == 1 and isinstance(out["type"], str) else out

    def _connect_properties(self, schema: Schema, out: dict[str, Any], doc_key: str) -> None:
        if schema.doc is not None:
            out[doc_key] = schema.doc
        if schema.version is not None:
            out["connect.version"] = schema.version
        if schema.parameters:
            out["connect.parameters"] = dict(schema.parameters)
        if schema.name is not None:
            out["connect.name"] = schema.name

    def _record(self, schema: Schema) -> Any:
        if schema.name is None:
            namespace, name = NAMESPACE, self._unique(DEFAULT_NAME)
        else:
            namespace, _, name = schema.name.rpartition(".")
            namespace = ".".join(_NOT_NAME.sub("_", part) for part in namespace.split(".") if part)
            name = _NOT_NAME.sub("_", name)
        full = f"{namespace}.{name}" if namespace else name
        if full in self.defined:
            return full
        self.defined.add(full)
        fields = []
        for f in schema.fields:
            field: dict[str, Any] = {"name": f.name, "type": self.schema(f.schema)}
            if f.schema.default is not None:
                field["default"] = avro_default(f.schema, f.schema.default)
            elif f.schema.optional:
                field["default"] = None
            fields.append(field)
        out: dict[str, Any] = {"type": "record", "name": name}
        if namespace:
            out["namespace"] = namespace
        out["fields"] = fields
        self._connect_properties(schema, out, doc_key="doc")
        return out

    def _map(self, schema: Schema) -> dict[str, Any]:
        keys, values = schema.key_schema, schema.value_schema
        assert keys is not None and values is not None
        if keys.type == api.STRING and not keys.optional:
            return {"type": "map", "values": self.schema(values)}
        entry = {
            "type": "record", "name": self._unique("MapEntry"), "namespace": NAMESPACE,
            "fields": [{"name": "key", "type": self.schema(keys)},
                       {"name": "value", "type": self.schema(values)}],
        }  # fmt: skip
        return {"type": "array", "items": entry}

    def _named_type(self, schema: Schema) -> Any:
        """An enum (a STRING read from one) or a fixed (BYTES read from one)."""
        parameters = schema.parameters
        full = parameters.get(ENUM) or schema.name or f"{NAMESPACE}.{self._unique('Fixed')}"
        if full in self.defined:
            return full
        self.defined.add(full)
        namespace, _, name = full.rpartition(".")
        out: dict[str, Any] = {"name": name}
        if namespace:
            out["namespace"] = namespace
        if ENUM in parameters:
            prefix = f"{ENUM}."
            symbols = [v for k, v in parameters.items() if k.startswith(prefix)]
            return {"type": "enum", **out, "symbols": symbols}
        return {"type": "fixed", **out, "size": int(parameters[FIXED_SIZE])}


def avro_default(schema: Schema, value: Any) -> Any:
    """A Connect default value as an Avro schema's JSON default (bytes as code points)."""
    if schema.name == api.DECIMAL:
        return unscaled_bytes(Decimal(value), decimal_scale(schema)).decode("latin-1")
    if schema.name in _LOGICAL:
        return _time_number(schema, value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if schema.type == api.ARRAY and schema.value_schema is not None:
        return [avro_default(schema.value_schema, v) for v in value]
    if schema.type == api.MAP and schema.value_schema is not None:
        return {k: avro_default(schema.value_schema, v) for k, v in value.items()}
    if schema.type == api.STRUCT:
        return {f.name: avro_default(f.schema, value.get(f.name)) for f in schema.fields}
    return value


def _time_number(schema: Schema, value: Any) -> int:
    if isinstance(value, dt.datetime):
        return (value - _EPOCH) // dt.timedelta(milliseconds=1)
    if isinstance(value, dt.date):
        return (value - _EPOCH_DATE).days
    if isinstance(value, dt.time):
        return (dt.datetime.combine(_EPOCH_DATE, value) - dt.datetime(1970, 1, 1)) // (
            dt.timedelta(milliseconds=1)
        )
    raise DataError(f"Invalid default for {schema.name}: {value!r}")


def to_avro(schema: Schema, value: Any) -> Any:
    """A Connect value as the datum fastavro writes with `AvroSchemaWriter().schema(schema)`."""
    if value is None:
        return None
    if schema.type == api.STRUCT:
        if not isinstance(value, dict):
            raise DataError(f"A STRUCT value must be a dict, found: {type(value).__name__}")
        if schema.name == UNION:
            for f in schema.fields:
                if value.get(f.name) is not None:
                    return to_avro(f.schema, value[f.name])
            return None
        return {f.name: to_avro(f.schema, value.get(f.name)) for f in schema.fields}
    if schema.type == api.ARRAY and isinstance(value, list | tuple):
        assert schema.value_schema is not None
        return [to_avro(schema.value_schema, v) for v in value]
    if schema.type == api.MAP and isinstance(value, dict):
        keys, values = schema.key_schema, schema.value_schema
        assert keys is not None and values is not None
        if keys.type == api.STRING and not keys.optional:
            return {k: to_avro(values, v) for k, v in value.items()}
        return [{"key": to_avro(keys, k), "value": to_avro(values, v)} for k, v in value.items()]
    if schema.name == api.DECIMAL and isinstance(value, Decimal | int):
        quantum = Decimal(1).scaleb(-decimal_scale(schema))
        exact = Decimal(value).quantize(quantum, context=EXACT)
        if exact != value:
            raise DataError(f"Decimal {value} has more digits after the point than its schema")
        return exact
    return value


# ----------------------------------------------------------------------------- Avro -> Connect


class ConnectSchemaReader:
    """One Avro schema (a JSON tree) to a Connect schema; named types are resolved by name."""

    def __init__(self) -> None:
        self.named: dict[str, Schema | None] = {}  # None while its definition is being read

    def schema(self, node: Any, namespace: str = "") -> Schema:
        if isinstance(node, list):
            return self._union(node, namespace)
        if isinstance(node, str):
            if node in _CONNECT_PRIMITIVES:
                return Schema(_CONNECT_PRIMITIVES[node])
            return self._reference(node, namespace)
        if not isinstance(node, dict) or "type" not in node:
            raise DataError(f"Not an Avro schema: {node!r:.80}")
        kind = node["type"]
        if isinstance(kind, list | dict):
            return self.schema(kind, namespace)
        logical = node.get("logicalType")
        if logical == "decimal" and kind in ("bytes", "fixed"):
            parameters = {"scale": str(node.get("scale", 0))}
            if "precision" in node:
                parameters[PRECISION] = str(node["precision"])
            return Schema(api.BYTES, name=api.DECIMAL, version=1, parameters=parameters)
        if logical in _FROM_LOGICAL:
            return _FROM_LOGICAL[logical]
        if kind in ("record", "error"):
            return self._record(node, namespace)
        if kind == "enum":
            full = self._define(node, namespace)
            parameters = {ENUM: full, **{f"{ENUM}.{s}": s for s in node["symbols"]}}
            enum = self.named[full] = Schema(api.STRING, name=full, parameters=parameters)
            return enum
        if kind == "fixed":
            full = self._define(node, namespace)
            parameters = {FIXED_SIZE: str(node["size"])}
            fixed = self.named[full] = Schema(api.BYTES, name=full, parameters=parameters)
            return fixed
        if kind == "array":
            return self._array(node, namespace)
        if kind == "map":
            return Schema(api.MAP, key_schema=Schema(api.STRING),
                          value_schema=self.schema(node["values"], namespace))  # fmt: skip
        base = self.schema(kind, namespace)
        if kind == "int" and node.get("connect.type") in (api.INT8, api.INT16):
            base = Schema(node["connect.type"])
        return _with_connect_properties(base, node)

    def _full_name(self, name: str, namespace: str) -> str:
        return name if "." in name or not namespace else f"{namespace}.{name}"

    def _define(self, node: dict[str, Any], namespace: str) -> str:
        return self._full_name(node["name"], node.get("namespace", namespace) or "")

    def _reference(self, name: str, namespace: str) -> Schema:
        for candidate in (self._full_name(name, namespace), name):
            if candidate in self.named:
                found = self.named[candidate]
                if found is None:
                    raise DataError(f"Recursive Avro schemas are not supported: {candidate}")
                return found
        raise DataError(f"Unknown Avro type: {name}")

    def _union(self, branches: list[Any], namespace: str) -> Schema:
        live = [b for b in branches if b != "null"]
        nullable = len(live) < len(branches)
        if len(live) == 1:
            return self.schema(live[0], namespace).replace(optional=nullable)
        fields = []
        for i, branch in enumerate(live):
            member = self.schema(branch, namespace)
            fields.append(api.Field(_branch_name(branch, member), member.replace(optional=True), i))
        return Schema(api.STRUCT, optional=nullable, name=UNION, fields=tuple(fields))

    def _record(self, node: dict[str, Any], namespace: str) -> Schema:
        full = self._define(node, namespace)
        inner = full.rpartition(".")[0]
        self.named[full] = None
        fields = []
        for i, f in enumerate(node.get("fields", ())):
            member = self.schema(f["type"], inner)
            if f.get("default") is not None:
                member = member.replace(default=from_avro_default(member, f["default"]))
            fields.append(api.Field(f["name"], member, i))
        name = None if full.startswith(f"{NAMESPACE}.{DEFAULT_NAME}") else full
        schema = Schema(api.STRUCT, name=name, doc=node.get("doc"), fields=tuple(fields))
        schema = _with_connect_properties(schema, node, keep_name=name is not None)
        self.named[full] = schema
        return schema

    def _array(self, node: dict[str, Any], namespace: str) -> Schema:
        items = node["items"]
        if isinstance(items, dict) and _is_map_entry(items):
            entry = self.schema(items, namespace)
            key, value = entry.field("key"), entry.field("value")
            assert key is not None and value is not None
            return Schema(api.MAP, key_schema=key.schema, value_schema=value.schema)
        return Schema(api.ARRAY, value_schema=self.schema(items, namespace))


def _is_map_entry(node: dict[str, Any]) -> bool:
    name = node.get("name", "")
    full = name if "." in name else f"{node.get('namespace', '')}.{name}"
    fields = [f.get("name") for f in node.get("fields", ())]
    return full.startswith(f"{NAMESPACE}.MapEntry") and fields == ["key", "value"]


def _branch_name(node: Any, schema: Schema) -> str:
    if isinstance(node, dict):
        if "name" in node:
            return str(node["name"]).rpartition(".")[2]
        node = node.get("logicalType") or node["type"]
    return str(node).rpartition(".")[2] if isinstance(node, str) else schema.type


def _with_connect_properties(
    schema: Schema, node: dict[str, Any], keep_name: bool = True
) -> Schema:
    changes: dict[str, Any] = {}
    if keep_name and isinstance(node.get("connect.name"), str):
        changes["name"] = node["connect.name"]
    if isinstance(node.get("connect.version"), int):
        changes["version"] = node["connect.version"]
    if isinstance(node.get("connect.doc"), str):
        changes["doc"] = node["connect.doc"]
    if isinstance(node.get("connect.parameters"), dict):
        changes["parameters"] = {**schema.parameters, **node["connect.parameters"]}
    return schema.replace(**changes) if changes else schema


def from_avro_default(schema: Schema, value: Any) -> Any:
    """An Avro field default (JSON) as the Connect value of `schema`."""
    if schema.name == api.DECIMAL and isinstance(value, str):
        return from_unscaled(value.encode("latin-1"), decimal_scale(schema))
    if schema.name == api.DATE and isinstance(value, int):
        return _EPOCH_DATE + dt.timedelta(days=value)
    if schema.name == api.TIME and isinstance(value, int):
        return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=value)).time()
    if schema.name == api.TIMESTAMP and isinstance(value, int):
        return _EPOCH + dt.timedelta(milliseconds=value)
    if schema.type == api.BYTES and isinstance(value, str):
        return value.encode("latin-1")
    return value


def from_avro(schema: Schema, datum: Any) -> Any:
    """A datum fastavro read as the Connect value of `schema` (read from the same schema)."""
    if datum is None:
        return None
    if schema.type == api.STRUCT:
        if schema.name == UNION:
            return _union_value(schema, datum)
        return {f.name: from_avro(f.schema, datum.get(f.name)) for f in schema.fields}
    if schema.type == api.ARRAY:
        assert schema.value_schema is not None
        return [from_avro(schema.value_schema, v) for v in datum]
    if schema.type == api.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        if isinstance(datum, list):
            keys, values = schema.key_schema, schema.value_schema
            return {from_avro(keys, e["key"]): from_avro(values, e["value"]) for e in datum}
        return {k: from_avro(schema.value_schema, v) for k, v in datum.items()}
    if isinstance(datum, uuid.UUID):
        return str(datum)
    return datum


def _union_value(schema: Schema, datum: Any) -> dict[str, Any]:
    out: dict[str, Any] = {f.name: None for f in schema.fields}
    for f in schema.fields:
        if _fits(f.schema, datum):
            out[f.name] = from_avro(f.schema, datum)
            return out
    raise DataError(f"No branch of the union fits {datum!r:.60}")


def _fits(schema: Schema, datum: Any) -> bool:
    kinds: dict[str, Any] = {
        api.BOOLEAN: bool, api.STRING: str | uuid.UUID, api.BYTES: bytes | Decimal,
        api.ARRAY: list, api.MAP: dict | list, api.STRUCT: dict,
    }  # fmt: skip
    if schema.name in (api.DATE, api.TIME, api.TIMESTAMP):
        return isinstance(datum, dt.date | dt.time)
    if schema.type in (api.FLOAT32, api.FLOAT64):
        return isinstance(datum, float)
    if schema.type in kinds:
        return isinstance(datum, kinds[schema.type])
    return isinstance(datum, int) and not isinstance(datum, bool)
