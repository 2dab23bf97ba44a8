"""GET /info, /healthcheck, /status, /clusterStatus, /is_valid_property, /v1/metadata."""

from __future__ import annotations

import time
from typing import Any

from ksql.errors import KsqlError
from ksql.properties import check_name
from server import errors
from server.state import VERSION, ServerState

# Properties a client may not override per request (ksqlDB's prohibited list, in short).
PROHIBITED_PROPERTIES = ("ksql.service.id", "ksql.internal.topic.replicas", "bootstrap.servers")


def info(state: ServerState) -> dict[str, Any]:
    return {
        "KsqlServerInfo": {
            "version": VERSION,
            "kafkaClusterId": "embedded",
            "ksqlServiceId": state.service_id,
            "serverStatus": "RUNNING" if state.server_state == "READY" else "DEGRADED",
        }
    }


def healthcheck(state: ServerState) -> dict[str, Any]:
    healthy = state.server_state == "READY"
    return {
        "isHealthy": healthy,
        "details": {
            "metastore": {"isHealthy": healthy},
            "kafka": {"isHealthy": True},
            "commandRunner": {"isHealthy": healthy},
        },
        "serverState": state.server_state,
    }


def command_statuses(state: ServerState) -> dict[str, Any]:
    return {"commandStatuses": {k: v["status"] for k, v in state.command_statuses.items()}}


def command_status(state: ServerState, command_id: str) -> dict[str, Any]:
    status = state.command_statuses.get(command_id)
    if status is None:
        raise errors.ApiError(
            404, errors.generic(errors.NOT_FOUND, f"Command not found: {command_id}")
        )
    return status


def _reader_lags(engine: Any, query: Any) -> dict[str, dict[str, int]]:
    """Per partition: the query's read position against the end of its source topic."""
    runner = query.runner
    readers = list(getattr(runner, "readers", None) or [])
    if getattr(runner, "reader", None) is not None:
        readers.append(runner.reader)
    lags: dict[str, dict[str, int]] = {}
    for reader in readers:
        topic = getattr(reader, "topic", None)
        positions = getattr(reader, "positions", None)
        if topic is None or positions is None:
            continue
        for p, end in engine.end_offsets(topic).items():
            current = int(positions.get(p, 0))
            key = str(p) if len(readers) == 1 else f"{topic}-{p}"
            lags[key] = {
                "currentOffsetPosition": current,
                "endOffsetPosition": end,
                "offsetLag": max(0, end - current),
            }
    return lags


def _cluster_members(engine: Any) -> dict[str, Any]:
    """Cluster mode: every member's latest heartbeat (ksql/cluster/node.py) in ksqlDB's
    shape; each query's active partitions are the source partitions the member owns."""
    status: dict[str, Any] = {}
    for member in engine.cluster_members():
        per_query = {}
        for query_id, owned in member.get("assignments", {}).items():
            per_query[query_id] = {
                "activeStores": ["state"],
                "activePartitions": [
                    {"topic": owned["topic"], "partition": int(p)} for p in owned["positions"]
                ],
                "standByStores": [],
                "standByPartitions": [],
                "positions": owned["positions"],
            }
        host = member["url"].split("://", 1)[-1]
        status[host] = {
            "hostAlive": member["alive"],
            "lastStatusUpdateMs": member["ts"],
            "activeStandbyPerQuery": per_query,
            "hostStoreLags": {"stateStoreLags": {}, "updateTimeMs": member["ts"]},
        }
    return {"clusterStatus": status}


def cluster_status(state: ServerState) -> dict[str, Any]:
    engine = state.engine
    if engine.in_cluster:
        return _cluster_members(engine)
    now_ms = int(time.time() * 1000)
    queries = engine.queries()
    store_lags = {}
    active = {}
    for query in queries:
        if query.state != "RUNNING":
            continue
        store_lags[f"{query.query_id}#state"] = {
            "lagByPartition": _reader_lags(engine, query),
            "size": 1,
        }
        active[query.query_id] = {"activeStores": ["state"], "standByStores": []}
    return {
        "clusterStatus": {
            state.host: {
                "hostAlive": True,
                "lastStatusUpdateMs": now_ms,
                "activeStandbyPerQuery": active,
                "hostStoreLags": {"stateStoreLags": store_lags, "updateTimeMs": now_ms},
            }
        }
    }


def is_valid_property(name: str) -> bool:
    """True for a property a request may set; 400 for an unknown or prohibited one."""
    try:
        check_name(name)
    except KsqlError as error:
        raise errors.ApiError(400, errors.generic(errors.BAD_REQUEST, error.message)) from None
    if name in PROHIBITED_PROPERTIES:
        raise errors.ApiError(
            400,
            errors.generic(
                errors.BAD_REQUEST,
                "One or more properties overrides set locally are prohibited by the KSQL server "
                f"(use UNSET to reset their default value): [{name}]",
            ),
        )
    return True


def metadata(state: ServerState) -> dict[str, Any]:
    return {"version": VERSION, "clusterId": "embedded"}


def metadata_id(state: ServerState) -> dict[str, Any]:
    return {
        "scope": {
            "path": [],
            "clusters": {"kafka-cluster": "embedded", "ksql-cluster": state.service_id},
        },
        "id": "",
    }
