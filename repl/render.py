"""KsqlEntity JSON as the ksqlDB CLI prints it in TABULAR mode (see reference/cli-approved)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from repl.jsonfmt import pretty

Entity = dict[str, Any]

DEFAULT_WIDTH = 100


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    width: int = DEFAULT_WIDTH,
    header_line: str | None = None,
) -> str:
    """ksqlDB's Table: ` A | B ` lines under a dash rule no longer than the terminal."""
    cells = [[_text(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            # A multi-line cell is as wide as its widest line (then padded whole, as Java does).
            widths[i] = max(widths[i], *(len(part) for part in v.split("\n")))

    def line(values: Sequence[str]) -> str:
        return "|".join(f" {v:<{w}} " for v, w in zip(values, widths, strict=True))

    head = line(headers)
    rule = "-" * min(len(head), width)
    out = [header_line] if header_line is not None else []
    out += [head, rule, *(line(r) for r in cells), rule]
    return "\n".join(out)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def entity_kind(entity: Entity) -> str:
    """The entity's @type; inferred from its fields when absent (older servers, test fixtures)."""
    kind = entity.get("@type")
    if kind:
        return str(kind)
    for field, inferred in (
        ("sourceDescription", "sourceDescription"),
        ("wasTerminated", "terminate_query"),
        ("errorMessage", "error_entity"),
        ("commandStatus", "currentStatus"),
        ("queryDescription", "queryDescription"),
        ("connectorName", "drop_connector"),
    ):
        if field in entity:
            return inferred
    return "unknown"


def render_entity(entity: Entity, width: int = DEFAULT_WIDTH) -> str:
    """The text printed for one entity, starting with the blank line the CLI prints first."""
    kind = entity_kind(entity)
    renderer = _RENDERERS.get(kind)
    body = renderer(entity, width) if renderer else pretty(entity)
    warnings = "".join(f"\nWARNING: {w.get('message', '')}" for w in entity.get("warnings") or [])
    return "\n" + body + warnings


def format_schema(schema: dict[str, Any] | None) -> str:
    """A SchemaInfo as the CLI prints types: VARCHAR(STRING), ARRAY<...>, STRUCT<a DOUBLE>."""
    if not schema:
        return ""
    kind = schema.get("type", "")
    member = schema.get("memberSchema")
    if kind == "STRING":
        return "VARCHAR(STRING)"
    if kind == "ARRAY":
        return f"ARRAY<{format_schema(member)}>"
    if kind == "MAP":
        return f"MAP<STRING, {format_schema(member)}>"
    if kind == "STRUCT":
        inner = ", ".join(
            f"{f['name']} {format_schema(f.get('schema'))}" for f in schema.get("fields") or []
        )
        return f"STRUCT<{inner}>"
    if kind == "DECIMAL" and schema.get("parameters"):
        p = schema["parameters"]
        return f"DECIMAL({p.get('precision')}, {p.get('scale')})"
    return str(kind)


# ----------------------------------------------------------------------------- entity kinds


def _message(text: str, width: int) -> str:
    return table(["Message"], [[text]], width)


def _current_status(e: Entity, width: int) -> str:
    return _message(e.get("commandStatus", {}).get("message", ""), width)


def _sources(e: Entity, width: int) -> str:
    key = "streams" if entity_kind(e) == "streams" else "tables"
    title = "Stream Name" if key == "streams" else "Table Name"
    rows = [
        [
            s.get("name"),
            s.get("topic"),
            s.get("keyFormat"),
            s.get("valueFormat"),
            s.get("isWindowed", False),
        ]
        for s in sorted(e.get(key) or [], key=lambda s: str(s.get("name")))
    ]
    return table([title, "Kafka Topic", "Key Format", "Value Format", "Windowed"], rows, width)


def _queries(e: Entity, width: int) -> str:
    rows = [
        [
            q.get("id"),
            q.get("queryType", ""),
            ",".join(f"{k}:{v}" for k, v in (q.get("statusCount") or {}).items()),
            ",".join(q.get("sinks") or []),
            ",".join(q.get("sinkKafkaTopics") or []),
            " ".join(str(q.get("queryString", "")).split()),
        ]
        for q in e.get("queries") or []
    ]
    headers = ["Query ID", "Query Type", "Status", "Sink Name", "Sink Kafka Topic", "Query String"]
    return (
        table(headers, rows, width)
        + "\nFor detailed information on a Query run: EXPLAIN <Query ID>;"
    )


def _properties(e: Entity, width: int) -> str:
    overwritten = set(e.get("overwrittenProperties") or [])
    defaults = set(e.get("defaultProperties") or [])
    rows = []
    for p in sorted(e.get("properties") or [], key=lambda p: str(p.get("name"))):
        name = p.get("name")
        level = "SESSION" if name in overwritten else ("" if name in defaults else p.get("level"))
        rows.append([name, p.get("scope", ""), level, p.get("value")])
    return table(["Property", "Scope", "Default override", "Effective Value"], rows, width)


def _topics(e: Entity, width: int) -> str:
    extended = entity_kind(e) == "kafka_topics_extended"
    rows = []
    for t in e.get("topics") or []:
        replicas = t.get("replicaInfo") or []
        row = [t.get("name"), len(replicas), replicas[0] if replicas else 0]
        if extended:
            row += [t.get("consumerCount", 0), t.get("consumerGroupCount", 0)]
        rows.append(row)
    headers = ["Kafka Topic", "Partitions", "Partition Replicas"]
    if extended:
        headers += ["Consumers", "ConsumerGroups"]
    return table(headers, rows, width)


def _types(e: Entity, width: int) -> str:
    rows = [
        [name, format_schema(schema)] for name, schema in sorted((e.get("types") or {}).items())
    ]
    return table(["Type Name", "Schema"], rows, width)


def _variables(e: Entity, width: int) -> str:
    rows = [[v.get("name"), v.get("value")] for v in e.get("variables") or []]
    return table(["Variable Name", "Value"], rows, width)


def _function_names(e: Entity, width: int) -> str:
    functions = sorted(
        e.get("functions") or [], key=lambda f: (str(f.get("category", "")), str(f.get("name")))
    )
    rows = [[f.get("name"), f.get("category", "")] for f in functions]
    return (
        table(["Function Name", "Category"], rows, width)
        + "\nFor detailed information about a function, run: DESCRIBE FUNCTION <Function Name>;"
    )


def _field_type(field: Entity, window_type: str | None, is_table: bool) -> str:
    text = format_schema(field.get("schema"))
    kind = field.get("type")
    if kind == "KEY":
        window = f" (Window type: {window_type})" if window_type else ""
        return f"{text:<16} {'(primary key)' if is_table else '(key)'}{window}"
    if kind == "HEADER":
        key = field.get("headerKey")
        return f"{text:<16} {f'(header({chr(39)}{key}{chr(39)}))' if key else '(headers)'}"
    return text


def _schema_table(fields: list[Entity], window_type: str | None, is_table: bool, width: int) -> str:
    if not fields:
        return ""
    rows = [[f.get("name"), _field_type(f, window_type, is_table)] for f in fields]
    return table(["Field", "Type"], rows, width) + "\n"


def _kv(name: str, value: Any) -> str:
    return f"{name:<20} : {value}\n"


def _query_lines(queries: list[Entity], source_type: str, operation: str) -> str:
    if not queries:
        return ""
    out = (
        f"\nQueries that {operation} from this {source_type}\n-----------------------------------\n"
    )
    for q in queries:
        out += f"{q.get('id')} ({q.get('state') or 'N/A'}) : {q.get('queryString', '')}\n"
    return out + "\nFor query topology and execution plan please run: EXPLAIN <QueryId>\n"


def _source_description(e: Entity, width: int) -> str:
    s = e.get("sourceDescription", e)
    is_table = str(s.get("type", "")).upper() == "TABLE"
    window = s.get("windowType")
    out = _kv("Name", s.get("name"))
    if not s.get("extended"):
        out += _schema_table(s.get("fields") or [], window, is_table, width)
        return (
            out + "For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;"
        )
    out += _kv("Type", s.get("type"))
    out += _kv("Timestamp field", s.get("timestamp") or "Not set - using <ROWTIME>")
    out += _kv("Key format", s.get("keyFormat"))
    out += _kv("Value format", s.get("valueFormat"))
    if s.get("topic"):
        out += (
            f"{'Kafka topic':<20} : {s.get('topic')} (partitions: {s.get('partitions')}, "
            f"replication: {s.get('replication')})\n"
        )
    out += _kv("Statement", s.get("statement", ""))
    out += "\n" + _schema_table(s.get("fields") or [], window, is_table, width)
    constraints = s.get("sourceConstraints") or []
    if constraints:
        out += "\nSources that have a DROP constraint on this source\n" + "-" * 50 + "\n"
        out += "".join(f"{c}\n" for c in constraints)
    out += _query_lines(s.get("readQueries") or [], str(s.get("type")), "read")
    out += _query_lines(s.get("writeQueries") or [], str(s.get("type")), "write")
    out += _statistics(s, width)
    out += (
        f"(Statistics of the local KSQL server interaction with the Kafka topic {s.get('topic')})"
    )
    out += _offsets(s.get("queryOffsetSummaries") or [], width)
    return out


def _statistics(s: Entity, width: int) -> str:
    cluster = s.get("clusterStatistics") or []
    errors = s.get("clusterErrorStats") or []
    if cluster or errors:
        stats = sorted([*cluster, *errors], key=lambda m: (str(m.get("host")), str(m.get("name"))))
        rows = [
            [
                m.get("host"),
                m.get("name"),
                f"{float(m.get('value') or 0):10.0f}",
                _iso_time(m.get("timestamp")),
            ]
            for m in stats
        ]
        return (
            "\nRuntime statistics by host\n-------------------------\n"
            + table(["Host", "Metric", "Value", "Last Message"], rows, width)
            + "\n"
        )
    out = "\nLocal runtime statistics\n------------------------\n"
    for text in (s.get("statistics"), s.get("errorStats")):
        if text:
            out += f"{text}\n"
    return out


def _offsets(summaries: list[Entity], width: int) -> str:
    if not summaries:
        return ""
    out = "\n\nConsumer Groups summary:\n"
    for group in summaries:
        out += f"\n{'Consumer Group':<20} : {group.get('groupId')}\n"
        topics = group.get("topicSummaries") or []
        if not topics:
            out += "<no offsets committed by this group yet>\n"
        for topic in topics:
            offsets = topic.get("offsets") or []
            lag = [o["logEndOffset"] - o["consumerOffset"] for o in offsets]
            out += f"\n{'Kafka topic':<20} : {topic.get('kafkaTopic')}\n"
            out += f"{'Max lag':<20} : {max(lag) if lag else 0}\n\n"
            rows = [
                [o["partition"], o["logStartOffset"], o["logEndOffset"], o["consumerOffset"], g]
                for o, g in zip(offsets, lag, strict=True)
            ]
            headers = ["Partition", "Start Offset", "End Offset", "Offset", "Lag"]
            out += table(headers, rows, width) + "\n"
    return out.rstrip("\n")


def _source_descriptions(e: Entity, width: int) -> str:
    parts = [_source_description(d, width) for d in e.get("sourceDescriptions") or []]
    return "\n\n".join(parts)


def _query_descriptions(e: Entity, width: int) -> str:
    parts = [_query_description(d, width) for d in e.get("queryDescriptions") or []]
    return "\n\n".join(parts)


def _query_description(e: Entity, width: int) -> str:
    q = e.get("queryDescription", e)
    out = _kv("ID", q.get("id"))
    if q.get("queryType"):
        out += _kv("Query Type", q.get("queryType"))
    out += _kv("SQL", q.get("statementText", ""))
    hosts = q.get("ksqlHostQueryStatus") or {}
    if hosts:
        out += _kv("Host Query Status", "{" + ", ".join(f"{k}={v}" for k, v in hosts.items()) + "}")
    out += "\n" + _schema_table(q.get("fields") or [], q.get("windowType"), False, width)
    for title, items, hint in (
        (
            "Sources that this query reads from: ",
            q.get("sources"),
            "source",
        ),
        ("Sinks that this query writes to: ", q.get("sinks"), "sink"),
    ):
        if items:
            out += f"\n{title}\n-----------------------------------\n"
            out += "".join(f"{i}\n" for i in items)
            noun = "Source" if hint == "source" else "Sink"
            out += f"\nFor {hint} description please run: DESCRIBE [EXTENDED] <{noun}Id>\n"
    out += f"\n{'Execution plan':<20}\n{'--------------':<20}\n{q.get('executionPlan', '')}\n"
    if q.get("topology"):
        out += f"\n{'Processing topology':<20}\n{'-------------------':<20}\n{q.get('topology')}\n"
    overridden = q.get("overriddenProperties") or {}
    if overridden:
        rows = [[k, v] for k, v in overridden.items()]
        out += (
            "\n"
            + table(
                ["Property", "Value"],
                rows,
                width,
                header_line="Overridden Properties\n---------------------",
            )
            + "\n"
        )
    for error in q.get("queryErrors") or []:
        out += "\n" + _kv("Error Date", _error_date(error.get("timestamp")))
        out += _kv("Error Details", error.get("errorMessage"))
        out += _kv("Error Type", error.get("type"))
    return out.rstrip("\n")


def _error_date(timestamp_ms: Any) -> str:
    import datetime

    if not isinstance(timestamp_ms, int):
        return str(timestamp_ms)
    moment = datetime.datetime.fromtimestamp(timestamp_ms / 1000, tz=datetime.UTC)
    # Java's "hh" is the 12-hour clock.
    return moment.strftime("%Y-%m-%d %I:%M:%S,") + f"{timestamp_ms % 1000:03d} (UTC)"


def _iso_time(timestamp_ms: Any) -> str:
    import datetime

    if not isinstance(timestamp_ms, int):
        return str(timestamp_ms)
    moment = datetime.datetime.fromtimestamp(timestamp_ms / 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{timestamp_ms % 1000:03d}Z"


def _execution_plan(e: Entity, width: int) -> str:
    return table(["Execution Plan"], [[e.get("executionPlan", "")]], width)


def _terminate(e: Entity, width: int) -> str:
    query_id = e.get("queryId")
    if e.get("wasTerminated", True):
        return _message(f'Terminated query "{query_id}"', width)
    return _message(f'Query "{query_id}" was not terminated', width)


def _assert_topic(e: Entity, width: int) -> str:
    state = "exists" if e.get("exists") else "does not exist"
    return f"Topic {e.get('topicName')} {state}."


def _assert_schema(e: Entity, width: int) -> str:
    subject = f" subject {e['subject']}" if e.get("subject") else ""
    ident = f" id {e['id']}" if e.get("id") is not None else ""
    return f"Schema with{subject}{ident} {'exists' if e.get('exists') else 'does not exist'}."


def _connectors(e: Entity, width: int) -> str:
    rows = [
        [
            c.get("name"),
            str(c.get("type") or "UNKNOWN").upper(),
            c.get("className", ""),
            c.get("state", ""),
        ]
        for c in e.get("connectors") or []
    ]
    return table(["Connector Name", "Type", "Class", "Status"], rows, width)


def _connector_info(e: Entity, width: int) -> str:
    return _message(f"Created connector {(e.get('info') or {}).get('name')}", width)


def _connector_plugins(e: Entity, width: int) -> str:
    rows = [
        [p.get("className"), str(p.get("type", "")).upper(), p.get("version", "")]
        for p in e.get("connectorsPlugins") or []
    ]
    return table(["Connector Plugin Class", "Type", "Version"], rows, width)


def _drop_connector(e: Entity, width: int) -> str:
    return _message(f'Dropped connector "{e.get("connectorName")}"', width)


def _connector_description(e: Entity, width: int) -> str:
    status = e.get("status") or {}
    connector = status.get("connector") or {}
    out = _kv("Name", status.get("name"))
    out += _kv("Class", e.get("connectorClass"))
    out += _kv("Type", status.get("type"))
    out += _kv("State", connector.get("state"))
    out += _kv("WorkerId", connector.get("worker_id"))
    if connector.get("trace"):
        out += _kv("Trace", connector.get("trace"))
    tasks = status.get("tasks") or []
    if tasks:
        rows = [[t.get("id"), t.get("state"), t.get("trace", "")] for t in tasks]
        out += "\n" + table(["Task ID", "State", "Error Trace"], rows, width) + "\n"
    sources = e.get("sources") or []
    if sources:
        rows = [[x.get("name"), x.get("topic"), x.get("type")] for x in sources]
        out += "\n" + table(["KSQL Source Name", "Kafka Topic", "Type"], rows, width) + "\n"
    topics = e.get("topics") or []
    if topics:
        out += "\n" + table(["Related Topics"], [[t] for t in topics], width) + "\n"
    return out.rstrip("\n")


def _topic_description(e: Entity, width: int) -> str:
    row = [e.get("name"), e.get("kafkaTopic"), e.get("format"), e.get("schemaString")]
    return table(["Table Name", "Kafka Topic", "Type", "Schema"], [row], width)


def _warning(e: Entity, width: int) -> str:
    return str(e.get("message", ""))


def _describe_function(e: Entity, width: int) -> str:
    name = str(e.get("name", "")).upper()
    out = f"{'Name':<12}: {name}\n"
    for label, key in (("Author", "author"), ("Version", "version")):
        if str(e.get(key) or "").strip():
            out += f"{label:<12}: {e.get(key)}\n"
    out += _description(f"{'Overview':<12}: ", 14, e.get("description"), width)
    out += f"{'Type':<12}: {e.get('type')}\n"
    out += f"{'Jar':<12}: {e.get('path')}\n"
    out += f"{'Variations':<12}: \n"
    for f in e.get("functions") or []:
        args = ", ".join(_argument(a) for a in f.get("arguments") or [])
        out += f"\n\t{'Variation':<12}: {name}({args})\n"
        out += f"\t{'Returns':<12}: {f.get('returnType')}\n"
        # A tab counts as two columns in ksqlDB's label width.
        out += _description(f"\t{'Description':<12}: ", 16, f.get("description"), width)
        for a in f.get("arguments") or []:
            out += _description(f"\t{a.get('name', ''):<12}: ", 16, a.get("description"), width)
    return out.rstrip("\n")


def _argument(arg: Entity) -> str:
    kind = f"{arg.get('type')}{'[]' if arg.get('isVariadic') else ''}"
    return f"{arg['name']} {kind}" if arg.get("name") else kind


def _description(label: str, label_width: int, text: Any, width: int) -> str:
    """A label and text wrapped at word boundaries, continuation lines under the text."""
    trimmed = str(text or "").strip()
    if not trimmed:
        return ""
    limit = max(width, 80) - label_width
    lines, line = [], ""
    for token in re.split(r"([ \n])", trimmed):
        if not token:
            continue
        if token == "\n" or len(line) + len(token) > limit:
            lines.append(line)
            line = ""
            if token == "\n":
                continue
        line += token
    lines.append(line)
    return label + ("\n" + " " * label_width).join(lines) + "\n"


def _error_entity(e: Entity, width: int) -> str:
    message = str(e.get("errorMessage", ""))
    try:
        parsed = json.loads(message)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict | list):
        text = pretty(parsed)
    else:  # ksqlDB cuts plain messages into 60-character pieces
        text = "\n".join(message[i : i + 60] for i in range(0, len(message), 60))
    return table(["Error"], [[text]], width)


_RENDERERS: dict[str, Callable[[Entity, int], str]] = {
    "currentStatus": _current_status,
    "streams": _sources,
    "tables": _sources,
    "queries": _queries,
    "properties": _properties,
    "kafka_topics": _topics,
    "kafka_topics_extended": _topics,
    "type_list": _types,
    "variables": _variables,
    "function_names": _function_names,
    "sourceDescription": _source_description,
    "source_descriptions": _source_descriptions,
    "queryDescription": _query_description,
    "query_descriptions": _query_descriptions,
    "executionPlan": _execution_plan,
    "terminate_query": _terminate,
    "assert_topic": _assert_topic,
    "assert_schema": _assert_schema,
    "connector_list": _connectors,
    "connector_info": _connector_info,
    "connector_plugins_list": _connector_plugins,
    "drop_connector": _drop_connector,
    "topicDescription": _topic_description,
    "connector_description": _connector_description,
    "warning_entity": _warning,
    "describe_function": _describe_function,
    "error_entity": _error_entity,
}
