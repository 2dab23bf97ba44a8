"""Topic routers: RegexRouter renames a record's topic when the whole name matches `regex`
(`replacement` may refer to its groups as `$1`); TimestampRouter names it after the topic and
the record's timestamp (`topic.format` with `${topic}` and `${timestamp}`, the timestamp in
the SimpleDateFormat `timestamp.format`, in UTC)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectRecord, DataError
from ksql.connect.config import REQUIRED, ConfigDef, ConfigKey
from ksql.connect.transforms.java_dates import JavaDateFormat
from ksql.connect.transforms.java_regex import JavaReplacement, java_pattern

REGEX_CONFIG = ConfigDef([
    ConfigKey("regex", default=REQUIRED, doc="Regular expression to use for matching."),
    ConfigKey("replacement", default=REQUIRED, doc="Replacement string."),
])  # fmt: skip

TIMESTAMP_CONFIG = ConfigDef([
    ConfigKey("topic.format", default="${topic}-${timestamp}",
              doc="Format string which can contain ${topic} and ${timestamp} as placeholders."),
    ConfigKey("timestamp.format", default="yyyyMMdd",
              doc="Format string for the timestamp, compatible with java.text.SimpleDateFormat."),
])  # fmt: skip

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class RegexRouter(api.Transformation):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = REGEX_CONFIG.parse(config)
        self.regex = java_pattern(settings["regex"], "regex")
        try:
            self.replacement = JavaReplacement(settings["replacement"], self.regex)
        except ValueError as error:
            raise ConfigError(
                f"Invalid value {settings['replacement']} for configuration replacement: {error}"
            ) from None

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        match = self.regex.fullmatch(record.topic)
        if match is None:
            return record
        return record.replace(topic=self.replacement.expand(match))


class TimestampRouter(api.Transformation):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = TIMESTAMP_CONFIG.parse(config)
        self.topic_format: str = settings["topic.format"]
        try:
            self.timestamp_format = JavaDateFormat(settings["timestamp.format"])
        except ValueError as error:
            raise ConfigError(
                f"Invalid value {settings['timestamp.format']} for configuration "
                f"timestamp.format: {error}"
            ) from None

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if record.timestamp is None:
            raise DataError(f"Timestamp missing on record: {record}")
        when = _EPOCH + dt.timedelta(milliseconds=record.timestamp)
        topic = self.topic_format.replace("${topic}", record.topic).replace(
            "${timestamp}", self.timestamp_format.format(when)
        )
        return record.replace(topic=topic)
