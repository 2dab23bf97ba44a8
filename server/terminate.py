"""POST /ksql/terminate: stop every query, drop every source and type, delete the listed topics
(regular expressions) and clear the command log, so the server holds a clean slate."""

from __future__ import annotations

import re
from typing import Any

from server.state import ServerState


def terminate_cluster(state: ServerState, delete_topics: list[str]) -> dict[str, Any]:
    state.queries.close_all()
    state.engine.terminate_cluster([re.compile(p) for p in delete_topics])
    state.command_statuses.clear()
    return {
        "@type": "currentStatus",
        "statementText": "TERMINATE CLUSTER;",
        "commandId": "cluster/`CLUSTER`/terminate",
        "commandStatus": {"status": "SUCCESS", "message": "Cluster terminated.", "queryId": None},
        "commandSequenceNumber": state.next_sequence(),
        "warnings": [],
    }
