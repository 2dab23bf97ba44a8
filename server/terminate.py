"""POST /ksql/terminate: stop every query, drop every source and type, delete the listed topics
(regular expressions) and clear the command log, so the server holds a clean slate."""

from __future__ import annotations

import re
from typing import Any

from server import errors
from server.state import ServerState


def delete_topic_patterns(body: dict[str, Any]) -> list[re.Pattern[str]]:
    """`deleteTopicList`: a list of regular expressions (absent or null: none), checked before
    anything is terminated; anything else is a 400."""
    listed = body.get("deleteTopicList")
    if listed is None:
        return []
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        raise _bad_request("'deleteTopicList' must be a list of strings")
    try:
        return [re.compile(p) for p in listed]
    except re.error as error:
        raise _bad_request(f"Invalid pattern in 'deleteTopicList': {error}") from None


def _bad_request(detail: str) -> errors.ApiError:
    return errors.ApiError(
        400, errors.generic(errors.BAD_REQUEST, f"Invalid JSON in request: {detail}")
    )


def terminate_cluster(state: ServerState, delete_topics: list[re.Pattern[str]]) -> dict[str, Any]:
    state.queries.close_all()
    state.engine.terminate_cluster(delete_topics)
    state.command_statuses.clear()
    return {
        "@type": "currentStatus",
        "statementText": "TERMINATE CLUSTER;",
        "commandId": "cluster/`CLUSTER`/terminate",
        "commandStatus": {"status": "SUCCESS", "message": "Cluster terminated.", "queryId": None},
        "commandSequenceNumber": state.next_sequence(),
        "warnings": [],
    }
