"""Topics of the embedded log over HTTP, in the shape of Confluent REST Proxy (binary v2 records):
the embedded store has no Kafka listener, so tools and tests produce and read records here.

GET /topics, POST /v3/clusters/{id}/topics, POST /topics/{t}, GET /topics/{t}/records.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ksql.errors import KsqlError
from server import errors
from server.state import ServerState


def _b64(value: Any, what: str) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise errors.ApiError(422, errors.generic(42205, f"{what} is not valid base64")) from None


def list_topics(state: ServerState) -> list[str]:
    return sorted(t.name for t in state.engine.topics())


def create_topic(state: ServerState, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("topic_name")
    if not isinstance(name, str):
        raise errors.ApiError(400, errors.generic(40000, "topic_name is required"))
    partitions = int(body.get("partitions_count") or 1)
    replicas = int(body.get("replication_factor") or 1)
    engine = state.engine
    if engine.topic_info(name) is not None:
        raise errors.ApiError(400, errors.generic(40002, f"Topic '{name}' already exists."))
    try:
        engine.create_topic(name, partitions=partitions, replicas=replicas)
    except KsqlError as error:
        raise errors.ApiError(400, errors.generic(40000, error.message)) from None
    return {
        "kind": "KafkaTopic",
        "topic_name": name,
        "partitions_count": partitions,
        "replication_factor": replicas,
        "is_internal": False,
    }


def produce(state: ServerState, topic: str, body: dict[str, Any]) -> dict[str, Any]:
    engine = state.engine
    if engine.topic_info(topic) is None:
        raise errors.ApiError(404, errors.generic(40403, f"Topic {topic} not found."))
    records = body.get("records")
    if not isinstance(records, list):
        raise errors.ApiError(422, errors.generic(42200, "records must be a list"))
    offsets = []
    for record in records:
        if not isinstance(record, dict):
            raise errors.ApiError(422, errors.generic(42200, "a record must be an object"))
        headers = [
            (str(h.get("key")), _b64(h.get("value"), "header value"))
            for h in record.get("headers") or []
        ]
        partition = record.get("partition")
        engine.produce(
            topic,
            _b64(record.get("key"), "key"),
            _b64(record.get("value"), "value"),
            int(record.get("timestamp") or 0),
            headers,
            partition=None if partition is None else int(partition),
        )
        offsets.append({"partition": partition, "offset": None, "error_code": None, "error": None})
    return {"offsets": offsets, "key_schema_id": None, "value_schema_id": None}


def read_records(state: ServerState, topic: str) -> list[dict[str, Any]]:
    engine = state.engine
    if engine.topic_info(topic) is None:
        raise errors.ApiError(404, errors.generic(40403, f"Topic {topic} not found."))
    table = engine.read_topic(topic)
    out = []
    for row in table.to_pylist():
        out.append(
            {
                "topic": topic,
                "key": None if row["key"] is None else base64.b64encode(row["key"]).decode(),
                "value": None if row["value"] is None else base64.b64encode(row["value"]).decode(),
                "partition": row["partition"],
                "offset": row["offset"],
                "timestamp": row["timestamp"],
                "headers": [
                    {
                        "key": h["key"],
                        "value": None
                        if h["value"] is None
                        else base64.b64encode(h["value"]).decode(),
                    }
                    for h in row.get("headers") or []
                ],
            }
        )
    return out
