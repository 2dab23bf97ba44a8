"""POST /ksql/terminate: stop every query, drop every source and type, delete the listed topics
(regular expressions) and clear the command log, so the server holds a clean slate."""

from __future__ import annotations

import re
from typing import Any

from ksql.engine import COMMAND_LOG
from server.state import ServerState


def terminate_cluster(state: ServerState, delete_topics: list[str]) -> dict[str, Any]:
    engine = state.engine
    state.queries.close_all()
    patterns = [re.compile(p) for p in delete_topics]
    with engine.lock:
        if engine.catalog.queries:
            engine.execute("TERMINATE ALL;")
        # Sinks before the sources they read from: the reverse of creation order.
        for name in reversed(list(engine.catalog.sources)):
            source = engine.catalog.sources[name]
            engine.execute(f"DROP {source.kind} `{name}`;")
        for name in list(engine.catalog.types):
            engine.execute(f"DROP TYPE `{name}`;")
        for info in engine.log.list_topics():
            if any(p.fullmatch(info.name) for p in patterns):
                engine.log.delete_topic(info.name)
        (engine.data_dir / COMMAND_LOG).unlink(missing_ok=True)
    state.command_statuses.clear()
    return {
        "@type": "currentStatus",
        "statementText": "TERMINATE CLUSTER;",
        "commandId": "cluster/`CLUSTER`/terminate",
        "commandStatus": {"status": "SUCCESS", "message": "Cluster terminated.", "queryId": None},
        "commandSequenceNumber": state.next_sequence(),
        "warnings": [],
    }
