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


_SHORT_MAX, _INT_MAX, _LONG_MAX = 2**15 - 1, 2**31 - 1, 2**63 - 1


def list_topics(state: ServerState) -> list[str]:
    return sorted(t.name for t in state.engine.topics())


def create_topic(state: ServerState, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("topic_name")
    if not isinstance(name, str):
        raise errors.ApiError(400, errors.generic(40000, "topic_name is required"))
    partitions = _whole(body.get("partitions_count", 1), "partitions_count", 1, _INT_MAX)
    replicas = _whole(body.get("replication_factor", 1), "replication_factor", 1, _SHORT_MAX)
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
    """Append the records of a REST Proxy produce request; every record is checked first, so
    a bad one (400) writes none."""
    engine = state.engine
    info = engine.topic_info(topic)
    if info is None:
        raise errors.ApiError(404, errors.generic(40403, f"Topic {topic} not found."))
    records = body.get("records")
    if not isinstance(records, list):
        raise errors.ApiError(422, errors.generic(42200, "records must be a list"))
    parsed = [_record(record, info.partitions) for record in records]
    offsets = []
    for key, value, timestamp, headers, partition in parsed:
        try:
            engine.produce(topic, key, value, timestamp, headers, partition=partition)
        except KsqlError as error:
            raise _bad_request(error.message) from None
        offsets.append({"partition": partition, "offset": None, "error_code": None, "error": None})
    return {"offsets": offsets, "key_schema_id": None, "value_schema_id": None}


def _record(record: Any, partitions: int) -> tuple:
    """(key, value, timestamp, headers, partition) of one record of a produce request."""
    if not isinstance(record, dict):
        raise errors.ApiError(422, errors.generic(42200, "a record must be an object"))
    headers = record.get("headers") or []
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("key"), str) for h in headers
    ):
        raise _bad_request("headers must be a list of objects with a string key")
    partition = record.get("partition")
    if partition is not None:
        partition = _whole(partition, "partition", 0, partitions - 1)
    return (
        _b64(record.get("key"), "key"),
        _b64(record.get("value"), "value"),
        _whole(record.get("timestamp", 0), "timestamp", 0, _LONG_MAX),
        [(h["key"], _b64(h.get("value"), "header value")) for h in headers],
        partition,
    )


def _whole(value: Any, name: str, low: int, high: int) -> int:
    """An integer field of a request within [low, high] (null: low), else a 400."""
    if value is None:
        return low
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad_request(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def _bad_request(message: str) -> errors.ApiError:
    return errors.ApiError(400, errors.generic(errors.BAD_REQUEST, message))


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
