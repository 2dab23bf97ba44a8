"""Predicates, conditions a transform is applied under: TopicNameMatches (the whole topic
name matches the Java regular expression `pattern`), HasHeaderKey (a header named `name`),
RecordIsTombstone (a null value)."""

from __future__ import annotations

from collections.abc import Mapping

from ksql.connect import api
from ksql.connect.api import ConnectRecord
from ksql.connect.config import REQUIRED, ConfigDef, ConfigKey
from ksql.connect.transforms.java_regex import java_pattern

PATTERN_CONFIG = ConfigDef([
    ConfigKey("pattern", default=REQUIRED,
              doc="A Java regular expression for matching against the name of a record's topic."),
])  # fmt: skip

HEADER_CONFIG = ConfigDef([
    ConfigKey("name", default=REQUIRED, doc="The header name."),
])  # fmt: skip


class TopicNameMatches(api.Predicate):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        self.pattern = java_pattern(PATTERN_CONFIG.parse(config)["pattern"], "pattern")

    def test(self, record: ConnectRecord) -> bool:
        return self.pattern.fullmatch(record.topic) is not None


class HasHeaderKey(api.Predicate):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        self.name: str = HEADER_CONFIG.parse(config)["name"]

    def test(self, record: ConnectRecord) -> bool:
        return any(key == self.name for key, _ in record.headers)


class RecordIsTombstone(api.Predicate):
    def test(self, record: ConnectRecord) -> bool:
        return record.value is None
