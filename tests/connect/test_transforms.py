"""Kafka Connect's Single Message Transforms and predicates (ksql.connect.transforms), each
with and without a schema, and the chain a connector configuration builds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ksql.connect import api
from ksql.connect.api import ConfigError, DataError, Schema, SinkRecord, SourceRecord
from ksql.connect.plugins import load_class
from ksql.connect.transforms import PLUGINS
from ksql.connect.transforms.chain import build_chain
from ksql.connect.transforms.java_dates import JavaDateFormat

UTC = dt.UTC
STRING = Schema(api.STRING)
OPT_STRING = Schema(api.STRING, optional=True)
INT32 = Schema(api.INT32)
INT64 = Schema(api.INT64)
TIMESTAMP = Schema(api.INT64, name=api.TIMESTAMP, version=1)
PERSON = api.struct_schema([("id", INT32), ("name", OPT_STRING)], name="Person")


def make(name: str, config: dict[str, str] | None = None) -> api.Transformation:
    transform = load_class(name, api.Transformation)()
    transform.configure(config or {})
    return transform


def sink(value=None, schema=None, *, key=None, key_schema=None, topic="orders", **extra):
    return SinkRecord(
        topic, key, value, key_schema, schema, extra.pop("timestamp", 1_700_000_000_123),
        extra.pop("headers", []), extra.pop("partition", 2), extra.pop("offset", 42),
    )  # fmt: skip


def test_every_plugin_loads_by_java_name_and_alias():
    for name in PLUGINS:
        cls = load_class(name)
        assert issubclass(cls, api.Transformation | api.Predicate), name
    assert load_class("InsertField$Key").is_key
    assert not load_class("org.apache.kafka.connect.transforms.Cast$Value").is_key


# ----------------------------------------------------------------------------- InsertField


def test_insert_field_schemaless():
    t = make("InsertField$Value", {
        "topic.field": "t", "partition.field": "p", "offset.field": "o",
        "timestamp.field": "ts", "static.field": "src", "static.value": "db1",
    })  # fmt: skip
    out = t.apply(sink({"a": 1}))
    assert out.value == {"a": 1, "t": "orders", "p": 2, "o": 42, "ts": 1_700_000_000_123,
                         "src": "db1"}  # fmt: skip
    assert out.value_schema is None


def test_insert_field_with_schema_appends_typed_fields():
    t = make(
        "InsertField$Value", {"topic.field": "t!", "timestamp.field": "ts", "offset.field": "o"}
    )
    out = t.apply(sink({"id": 1, "name": "x"}, PERSON))
    schema = out.value_schema
    assert [f.name for f in schema.fields] == ["id", "name", "t", "o", "ts"]  # Kafka's order
    assert schema.name == "Person"
    assert schema.field("t").schema == STRING  # `!`: required
    assert schema.field("ts").schema == Schema(api.INT64, optional=True, name=api.TIMESTAMP)
    assert schema.field("o").schema == Schema(api.INT64, optional=True)
    assert out.value["ts"] == dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert out.value["t"] == "orders" and out.value["o"] == 42


def test_insert_field_key_and_tombstones():
    t = make("InsertField$Key", {"topic.field": "topic"})
    out = t.apply(sink(None, key={"k": 1}))
    assert out.key == {"k": 1, "topic": "orders"}
    assert make("InsertField$Value", {"topic.field": "t"}).apply(sink(None)).value is None


def test_insert_field_errors():
    offsets = make("InsertField$Value", {"offset.field": "o"})
    with pytest.raises(DataError, match="Only SinkRecord supported"):
        offsets.apply(SourceRecord("t", value={"a": 1}))
    with pytest.raises(DataError, match=r"Only Map objects supported .* found: str"):
        offsets.apply(sink("text"))
    with pytest.raises(DataError, match=r"Only Struct objects supported .* found: STRING"):
        offsets.apply(sink("text", STRING))
    with pytest.raises(DataError, match="duplication id"):
        make("InsertField$Value", {"topic.field": "id"}).apply(sink({"id": 1}, PERSON))
    required = make("InsertField$Value", {"timestamp.field": "ts!"})
    with pytest.raises(DataError, match="null used for required field"):
        required.apply(sink({"id": 1, "name": None}, PERSON, timestamp=None))


# ----------------------------------------------------------------------------- ReplaceField


def test_replace_field_schemaless_and_with_schema():
    t = make("ReplaceField$Value", {"exclude": "name", "renames": "id:person_id"})
    assert t.apply(sink({"id": 1, "name": "a", "x": 2})).value == {"person_id": 1, "x": 2}
    out = t.apply(sink({"id": 1, "name": "a"}, PERSON))
    assert out.value == {"person_id": 1}
    assert [(f.name, f.schema, f.index) for f in out.value_schema.fields] == [
        ("person_id", INT32, 0)
    ]
    assert out.value_schema.name == "Person"


def test_replace_field_include_and_the_older_names():
    include = make("ReplaceField$Value", {"include": "id"})
    assert include.apply(sink({"id": 1, "name": "a"})).value == {"id": 1}
    whitelist = make("ReplaceField$Key", {"whitelist": "name"})
    assert whitelist.apply(sink(None, key={"id": 1, "name": "a"})).key == {"name": "a"}
    blacklist = make("ReplaceField$Value", {"blacklist": "id"})
    assert blacklist.apply(sink({"id": 1, "name": "a"}, PERSON)).value == {"name": "a"}


def test_replace_field_bad_renames():
    with pytest.raises(ConfigError, match="Invalid rename mapping: oops"):
        make("ReplaceField$Value", {"renames": "a:b,oops"})


# ----------------------------------------------------------------------------- ValueToKey


def test_value_to_key():
    t = make("ValueToKey", {"fields": "id"})
    assert t.apply(sink({"id": 1, "name": "a"})).key == {"id": 1}
    out = t.apply(sink({"id": 1, "name": "a"}, PERSON))
    assert out.key == {"id": 1}
    assert out.key_schema == api.struct_schema([("id", INT32)])
    with pytest.raises(DataError, match="Field does not exist: nope"):
        make("ValueToKey", {"fields": "nope"}).apply(sink({"id": 1, "name": "a"}, PERSON))
    with pytest.raises(ConfigError, match='Missing required configuration "fields"'):
        make("ValueToKey")
    with pytest.raises(ConfigError, match="Empty list"):
        make("ValueToKey", {"fields": ""})


# ----------------------------------------------------------------------------- Extract/Hoist


def test_extract_field_and_hoist_field():
    extract = make("ExtractField$Value", {"field": "name"})
    assert extract.apply(sink({"id": 1, "name": "a"})).value == "a"
    out = extract.apply(sink({"id": 1, "name": "a"}, PERSON))
    assert (out.value_schema, out.value) == (OPT_STRING, "a")
    assert extract.apply(sink(None, PERSON)).value is None
    with pytest.raises(DataError, match="Unknown field: name"):
        extract.apply(sink({"id": 1}, api.struct_schema([("id", INT32)])))
    key = make("ExtractField$Key", {"field": "id"})
    assert key.apply(sink(None, key={"id": 7})).key == 7

    hoist = make("HoistField$Value", {"field": "line"})
    assert hoist.apply(sink("text")).value == {"line": "text"}
    out = hoist.apply(sink("text", STRING))
    assert out.value_schema == api.struct_schema([("line", STRING)])
    with pytest.raises(ConfigError, match='"field"'):
        make("HoistField$Value")


# ----------------------------------------------------------------------------- Cast


def test_cast_fields_with_schema():
    schema = api.struct_schema([
        ("a", Schema(api.INT64)), ("b", Schema(api.STRING, optional=True)),
        ("c", Schema(api.FLOAT64)), ("d", TIMESTAMP), ("e", Schema(api.BYTES)),
    ])  # fmt: skip
    t = make("Cast$Value", {"spec": "a:int8,b:int32,c:string,d:string,e:string"})
    when = dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    value = {"a": 300, "b": "12", "c": 1e10, "d": when,
             "e": b"\x00\xff"}  # fmt: skip
    out = t.apply(sink(value, schema))
    assert out.value == {"a": 44, "b": 12, "c": "1.0E10", "d": "2024-01-02T03:04:05.006Z",
                         "e": "AP8="}  # fmt: skip
    types = [(f.name, f.schema.type, f.schema.optional) for f in out.value_schema.fields]
    assert types == [("a", "int8", False), ("b", "int32", True), ("c", "string", False),
                     ("d", "string", False), ("e", "string", False)]  # fmt: skip


def test_cast_schemaless_and_whole_value():
    t = make("Cast$Value", {"spec": "n:float64,flag:boolean,s:boolean,x:int16"})
    out = t.apply(sink({"n": "2.5", "flag": 3, "s": "TRUE", "x": 7.9, "other": "kept"}))
    assert out.value == {"n": 2.5, "flag": True, "s": True, "x": 7, "other": "kept"}
    whole = make("Cast$Key", {"spec": "string"})
    out = whole.apply(sink(None, key=True, key_schema=Schema(api.BOOLEAN, optional=True)))
    assert (out.key, out.key_schema) == ("true", Schema(api.STRING, optional=True))
    assert make("Cast$Value", {"spec": "int64"}).apply(sink(Decimal("12.7"))).value == 12


def test_cast_errors():
    with pytest.raises(ConfigError, match="Invalid type found in casting spec: uuid"):
        make("Cast$Value", {"spec": "a:uuid"})
    with pytest.raises(ConfigError, match="may only specify a single cast"):
        make("Cast$Value", {"spec": "int8,a:string"})
    with pytest.raises(ConfigError, match='Missing required configuration "spec"'):
        make("Cast$Value")
    t = make("Cast$Value", {"spec": "a:int32"})
    with pytest.raises(DataError, match="could not cast 'abc' to int32"):
        t.apply(sink({"a": "abc"}))
    with pytest.raises(DataError, match="casting to/from MAP"):
        t.apply(sink({"a": {"nested": 1}}))
    with pytest.raises(DataError, match="casting to/from STRUCT"):
        t.apply(sink({"a": {"id": 1}}, api.struct_schema([("a", PERSON)])))


# ----------------------------------------------------------------------------- MaskField


def test_mask_field():
    t = make("MaskField$Value", {"fields": "n,s,when,tags,gone"})
    value = {"n": 5, "s": "secret", "when": dt.datetime(2024, 1, 1, tzinfo=UTC), "tags": ["a"],
             "gone": None, "kept": 1}  # fmt: skip
    out = t.apply(sink(value))
    assert out.value == {"n": 0, "s": "", "when": dt.datetime(1970, 1, 1, tzinfo=UTC),
                         "tags": [], "gone": None, "kept": 1}  # fmt: skip
    replace = make("MaskField$Value", {"fields": "name,id", "replacement": "9"})
    out = replace.apply(sink({"id": 1, "name": "a"}, PERSON))
    assert out.value == {"id": 9, "name": "9"} and out.value_schema == PERSON


def test_mask_field_errors():
    with pytest.raises(DataError, match="Cannot mask value of type bool with custom replacement"):
        make("MaskField$Value", {"fields": "b", "replacement": "x"}).apply(sink({"b": True}))
    with pytest.raises(DataError, match="Unable to convert x"):
        make("MaskField$Value", {"fields": "n", "replacement": "x"}).apply(sink({"n": 1}))
    with pytest.raises(ConfigError, match="String may not be empty"):
        make("MaskField$Value", {"fields": "n", "replacement": ""})


# ----------------------------------------------------------------------------- Timestamps


def test_java_date_formats_round_trip():
    when = dt.datetime(2024, 3, 5, 14, 7, 9, 123000, tzinfo=UTC)
    cases = {
        "yyyy-MM-dd HH:mm:ss.SSS": "2024-03-05 14:07:09.123",
        "yyyyMMdd": "20240305",
        "dd MMM yyyy hh:mm a": "05 Mar 2024 02:07 PM",
        "EEEE, MMMM d, yyyy": "Tuesday, March 5, 2024",
        "yyyy-MM-dd'T'HH:mm:ss.SSSXXX": "2024-03-05T14:07:09.123Z",
        "h 'o''clock'": "2 o'clock",
    }
    for pattern, text in cases.items():
        assert JavaDateFormat(pattern).format(when) == text, pattern
    assert JavaDateFormat("yyyy-MM-dd HH:mm:ss.SSS").parse("2024-03-05 14:07:09.123") == when
    assert JavaDateFormat("yyyyMMddHHmm").parse("202403051407") == when.replace(
        second=0, microsecond=0
    )
    shifted = JavaDateFormat("yyyy-MM-dd HH:mm:ssZ").parse("2024-03-05 16:07:09+0200")
    assert shifted == when.replace(microsecond=0)
    with pytest.raises(ValueError, match="Illegal pattern character 'q'"):
        JavaDateFormat("yyyy-qq")
    with pytest.raises(ValueError):
        JavaDateFormat("yyyy-MM-dd").parse("2024-02-30")


def test_timestamp_converter_string_to_timestamp_with_schema():
    schema = api.struct_schema([("id", INT32), ("at", Schema(api.STRING, optional=True))])
    t = make("TimestampConverter$Value", {
        "field": "at", "target.type": "Timestamp", "format": "yyyy-MM-dd HH:mm:ss",
    })  # fmt: skip
    out = t.apply(sink({"id": 1, "at": "2024-01-02 03:04:05"}, schema))
    assert out.value == {"id": 1, "at": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}
    at = out.value_schema.field("at").schema
    assert (at.type, at.name, at.optional) == (api.INT64, api.TIMESTAMP, True)
    assert t.apply(sink({"id": 1, "at": None}, schema)).value == {"id": 1, "at": None}
    tombstone = t.apply(sink(None, schema.replace(optional=True)))
    assert (
        tombstone.value is None and tombstone.value_schema.field("at").schema.name == api.TIMESTAMP
    )
    with pytest.raises(DataError, match=r"value \(yesterday\) does not match pattern"):
        t.apply(sink({"id": 1, "at": "yesterday"}, schema))


def test_timestamp_converter_targets_schemaless():
    when = dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    ms = int(when.timestamp() * 1000)

    def convert(target: str, value, **config):
        t = make("TimestampConverter$Value", {"target.type": target, **config})
        return t.apply(sink(value)).value

    assert convert("unix", when) == ms
    assert convert("unix", when, **{"unix.precision": "seconds"}) == ms // 1000
    assert convert("Timestamp", ms // 1000, **{"unix.precision": "seconds"}) == when.replace(
        microsecond=0
    )
    assert convert("Timestamp", ms * 1000, **{"unix.precision": "microseconds"}) == when
    assert convert("unix", when, **{"unix.precision": "nanoseconds"}) == ms * 1_000_000
    assert convert("Date", ms) == dt.date(2024, 1, 2)
    assert convert("Time", ms) == dt.time(3, 4, 5, 678000)
    assert convert("string", ms, format="yyyy-MM-dd'T'HH:mm") == "2024-01-02T03:04"
    assert convert("unix", "2024-01-02", format="yyyy-MM-dd") == 1704153600000
    schema_out = make("TimestampConverter$Key", {"target.type": "Date"}).apply(
        sink(None, key=ms, key_schema=INT64)
    )
    assert (schema_out.key, schema_out.key_schema.name) == (dt.date(2024, 1, 2), api.DATE)


def test_timestamp_converter_config_errors():
    with pytest.raises(ConfigError, match="requires format option"):
        make("TimestampConverter$Value", {"target.type": "string"})
    with pytest.raises(ConfigError, match="SimpleDateFormat-compatible pattern"):
        make("TimestampConverter$Value", {"target.type": "string", "format": "yyyy-qq"})
    with pytest.raises(ConfigError, match="String must be one of"):
        make("TimestampConverter$Value", {"target.type": "week"})
    with pytest.raises(DataError, match="requires format option"):
        make("TimestampConverter$Value", {"target.type": "unix"}).apply(sink("2024-01-01"))


# ----------------------------------------------------------------------------- Flatten


def test_flatten_with_schema():
    address = api.struct_schema([("city", STRING), ("zip", INT32)], optional=True)
    schema = api.struct_schema([
        ("id", INT32), ("address", address),
        ("tags", Schema(api.ARRAY, value_schema=STRING)),
    ], name="Customer")  # fmt: skip
    t = make("Flatten$Value", {"delimiter": "_"})
    out = t.apply(sink({"id": 1, "address": {"city": "Oslo", "zip": 150}, "tags": ["a"]}, schema))
    assert out.value == {"id": 1, "address_city": "Oslo", "address_zip": 150, "tags": ["a"]}
    fields = [(f.name, f.schema.type, f.schema.optional) for f in out.value_schema.fields]
    assert fields == [("id", "int32", False), ("address_city", "string", True),
                      ("address_zip", "int32", True), ("tags", "array", False)]  # fmt: skip
    out = t.apply(sink({"id": 2, "address": None, "tags": []}, schema))
    assert out.value == {"id": 2, "address_city": None, "address_zip": None, "tags": []}


def test_flatten_schemaless():
    t = make("Flatten$Value")
    value = {"a": {"b": {"c": 1}, "d": [1, {"e": 2}]}, "f": None}
    assert t.apply(sink(value)).value == {"a.b.c": 1, "a.d": [1, {"e": 2}], "f": None}
    assert t.apply(sink(None)).value is None


# ----------------------------------------------------------------------------- routers


def test_regex_router():
    t = make("RegexRouter", {"regex": r"db1\.(?<schema>\w+)\.(\w+)", "replacement": "$2-${schema}"})
    assert t.apply(sink({}, topic="db1.public.users")).topic == "users-public"
    assert t.apply(sink({}, topic="other")).topic == "other"
    dollar = make("RegexRouter", {"regex": "(.*)", "replacement": r"\$$1"})
    assert dollar.apply(sink({}, topic="t")).topic == "$t"


def test_regex_router_errors():
    with pytest.raises(ConfigError, match="Invalid value .* for configuration regex"):
        make("RegexRouter", {"regex": "(unclosed", "replacement": "x"})
    with pytest.raises(ConfigError, match="configuration replacement: No group 2"):
        make("RegexRouter", {"regex": "(a)", "replacement": "$2"})
    with pytest.raises(ConfigError, match='Missing required configuration "replacement"'):
        make("RegexRouter", {"regex": "a"})


def test_timestamp_router():
    t = make("TimestampRouter")
    assert t.apply(sink({}, timestamp=1_700_000_000_000)).topic == "orders-20231114"
    custom = make("TimestampRouter", {
        "topic.format": "${timestamp}_${topic}", "timestamp.format": "yyyy-MM-dd'T'HH",
    })  # fmt: skip
    assert custom.apply(sink({}, timestamp=0)).topic == "1970-01-01T00_orders"
    with pytest.raises(DataError, match="Timestamp missing"):
        t.apply(sink({}, timestamp=None))


def test_extract_topic():
    t = make("io.confluent.connect.transforms.ExtractTopic$Value", {"field": "kind"})
    assert t.apply(sink({"kind": "clicks"})).topic == "clicks"
    assert t.apply(sink({"kind": "views"}, api.struct_schema([("kind", STRING)]))).topic == "views"
    with pytest.raises(DataError, match="field 'kind' of the value is missing or null"):
        t.apply(sink({"other": 1}))
    skip = make("ExtractTopic$Value", {"field": "kind", "skip.missing.or.null": "true"})
    assert skip.apply(sink({"other": 1})).topic == "orders"
    key = make("ExtractTopic$Key")
    assert key.apply(sink({}, key="by-key")).topic == "by-key"
    with pytest.raises(DataError, match="must be a string"):
        key.apply(sink({}, key={"nested": 1}))


# ----------------------------------------------------------------------------- small ones


def test_set_schema_metadata_and_headers():
    t = make(
        "SetSchemaMetadata$Value", {"schema.name": "com.example.Person", "schema.version": "3"}
    )
    out = t.apply(sink({"id": 1, "name": None}, PERSON))
    assert (out.value_schema.name, out.value_schema.version) == ("com.example.Person", 3)
    with pytest.raises(DataError, match="Schema required"):
        t.apply(sink({"id": 1}))
    with pytest.raises(ConfigError, match="Neither schema name nor version"):
        make("SetSchemaMetadata$Value")

    insert = make("InsertHeader", {"header": "source", "value.literal": "db1"})
    dropped = make("DropHeaders", {"headers": "trace"})
    record = insert.apply(sink({}, headers=[("trace", b"1")]))
    assert record.headers == [("trace", b"1"), ("source", b"db1")]
    assert dropped.apply(record).headers == [("source", b"db1")]


def test_transforms_do_not_change_their_input():
    record = sink({"id": 1, "name": "a"}, PERSON)
    make("ReplaceField$Value", {"renames": "id:key"}).apply(record)
    make("MaskField$Value", {"fields": "name"}).apply(record)
    assert record.value == {"id": 1, "name": "a"} and record.value_schema == PERSON


# ----------------------------------------------------------------------------- predicates


def test_predicates():
    def predicate(name, config=None):
        p = load_class(name, api.Predicate)()
        p.configure(config or {})
        return p

    matches = predicate("TopicNameMatches", {"pattern": "db1\\..*"})
    assert matches.test(sink({}, topic="db1.users")) and not matches.test(sink({}, topic="x.db1.y"))
    header = predicate("HasHeaderKey", {"name": "trace"})
    assert header.test(sink({}, headers=[("trace", None)])) and not header.test(sink({}))
    tombstone = predicate("org.apache.kafka.connect.transforms.predicates.RecordIsTombstone")
    assert tombstone.test(sink(None)) and not tombstone.test(sink({}))
    with pytest.raises(ConfigError, match='Missing required configuration "pattern"'):
        predicate("TopicNameMatches")
    with pytest.raises(ConfigError, match="configuration pattern"):
        predicate("TopicNameMatches", {"pattern": "[bad"})


# ----------------------------------------------------------------------------- the chain


def test_chain_runs_transforms_in_order_under_predicates():
    chain = build_chain({
        "transforms": "dropTombstones, route, stamp",
        "transforms.dropTombstones.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.dropTombstones.predicate": "isTombstone",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "db1\\.(.*)",
        "transforms.route.replacement": "copy_$1",
        "transforms.stamp.type": "InsertField$Value",
        "transforms.stamp.topic.field": "from",
        "transforms.stamp.predicate": "isCopy",
        "transforms.stamp.negate": "true",
        "predicates": "isTombstone,isCopy",
        "predicates.isTombstone.type": "RecordIsTombstone",
        "predicates.isCopy.type": "TopicNameMatches",
        "predicates.isCopy.pattern": "copy_.*",
    })  # fmt: skip
    assert [s.alias for s in chain.stages] == ["dropTombstones", "route", "stamp"]
    assert chain.apply(sink(None, topic="db1.users")) is None
    routed = chain.apply(sink({"a": 1}, topic="db1.users"))
    assert (routed.topic, routed.value) == ("copy_users", {"a": 1})
    other = chain.apply(sink({"a": 1}, topic="other"))
    assert (other.topic, other.value) == ("other", {"a": 1, "from": "other"})
    assert build_chain({}).apply(sink({"a": 1})).value == {"a": 1}


class Upper(api.Transformation):
    """A user transform, named by its dotted Python path."""

    def apply(self, record):
        return record.replace(value=record.value.upper())


def test_chain_loads_user_transforms_and_wraps_failures():
    chain = build_chain({"transforms": "up", "transforms.up.type": f"{__name__}.Upper"})
    assert chain.apply(sink("abc")).value == "ABC"
    with pytest.raises(DataError, match=r"transforms.up \(Upper\) failed: .*upper"):
        chain.apply(sink(5))
    failing = build_chain({
        "transforms": "cast", "transforms.cast.type": "Cast$Value",
        "transforms.cast.spec": "a:int8",
    })  # fmt: skip
    with pytest.raises(DataError, match=r"transforms.cast \(CastValue\) failed: .*could not cast"):
        failing.apply(sink({"a": "x"}))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"transforms": "a"}, 'Missing required configuration "transforms.a.type"'),
        ({"transforms": "a", "transforms.a.type": "NoSuchTransform"},
         ("Invalid value NoSuchTransform for configuration transforms.a.type: Failed to find "
          "any class that implements Transformation")),
        ({"transforms": "a,a", "transforms.a.type": "Filter"}, "Duplicate alias provided"),
        ({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p"},
         "no predicate named p is defined"),
        ({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "true"},
         "negate needs transforms.a.predicate"),
        ({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "maybe"},
         "Expected value to be either true or false"),
        ({"transforms": "a", "transforms.a.type": "ExtractField$Value"},
         'transforms.a \\(ExtractField\\$Value\\): Missing required configuration "field"'),
        ({"predicates": "p", "predicates.p.type": "Filter"},
         "Failed to find any class that implements Predicate"),
        ({"transforms": "a", "transforms.a.type": "HasHeaderKey"},
         "implements Transformation and which name matches HasHeaderKey"),
    ],
)  # fmt: skip
def test_chain_configuration_errors(config, message):
    with pytest.raises(ConfigError, match=message):
        build_chain(config)
