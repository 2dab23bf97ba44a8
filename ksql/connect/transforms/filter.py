"""Filter: drops every record it is applied to; with a predicate it drops the records the
predicate matches (`transforms.<t>.predicate`, optionally `negate`)."""

from __future__ import annotations

from ksql.connect import api
from ksql.connect.api import ConnectRecord


class Filter(api.Transformation):
    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return None
