"""Kafka's file connectors, for demos and tests.

FileStreamSourceConnector tails a text file: one STRING record per line (without its line
end), its source partition `{"filename": file}` and offset `{"position": byte offset after
the line}`, so that a restarted task resumes after the last line written. A last line without
its newline waits until it is completed; a file that shrinks below the position (truncated
by a rotation) is read again from its start; a file that does not exist yet is waited for.

FileStreamSinkConnector appends one line per record to a file: a string value as it is,
bytes as UTF-8, anything else as JSON (null for a tombstone); `flush` makes the lines durable.
Both run a single task."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import IO, Any

from ksql.connect import api
from ksql.connect.api import ConnectError, SourceRecord
from ksql.connect.config import INT, REQUIRED, ConfigDef, ConfigKey, at_least
from ksql.connect.converters.json_values import as_text

# Bytes read from the file per poll at most (more lines wait for the next poll).
READ_BYTES = 1 << 20


def _single_topic(value: str) -> None:
    if "," in value:
        raise ValueError(
            "'topic' in FileStreamSourceConnector configuration requires definition of a "
            "single topic"
        )


SOURCE_CONFIG = ConfigDef([
    ConfigKey("file", default=REQUIRED, doc="Source filename."),
    ConfigKey("topic", default=REQUIRED, valid=_single_topic, doc="The topic to publish data to"),
    ConfigKey("batch.size", INT, 2000, valid=at_least(1),
              doc="The maximum number of records the source task can read from the file each "
                  "time it is polled"),
])  # fmt: skip

SINK_CONFIG = ConfigDef([
    ConfigKey("file", default=REQUIRED, doc="Destination filename."),
])  # fmt: skip

LINE_SCHEMA = api.Schema(api.STRING)


class FileStreamSourceTask(api.SourceTask):
    def start(self, config: Mapping[str, str], context: api.SourceTaskContext) -> None:
        settings = SOURCE_CONFIG.parse(config)
        self.path: str = settings["file"]
        self.topic: str = settings["topic"]
        self.batch_size: int = settings["batch.size"]
        self.partition = {"filename": self.path}
        stored = context.offset(self.partition) or {}
        self.position = int(stored.get("position", 0))  # byte offset after the last line read
        self.pending = b""  # bytes after `position` already read, not yet returned as lines
        self.file: IO[bytes] | None = None
        self.lock = threading.Lock()  # `stop` closes the file while no `poll` reads it
        self.stopped = False

    def poll(self) -> list[SourceRecord]:
        with self.lock:
            if self.stopped or not self._open():
                return []
            assert self.file is not None
            if os.fstat(self.file.fileno()).st_size < self.position + len(self.pending):
                self.position, self.pending = 0, b""  # truncated: read it again
            data = self.pending
            if b"\n" not in data:
                self.file.seek(self.position + len(data))
                data += self.file.read(READ_BYTES)
            return self._lines(data)

    def _open(self) -> bool:
        if self.file is None:
            try:
                self.file = open(self.path, "rb")  # noqa: SIM115 - kept open while tailing
            except FileNotFoundError:
                return False
        return True

    def _lines(self, data: bytes) -> list[SourceRecord]:
        records: list[SourceRecord] = []
        start = 0
        while len(records) < self.batch_size:
            end = data.find(b"\n", start)
            if end < 0:
                break
            line = data[start : end - 1 if end > start and data[end - 1] == 13 else end]
            start = end + 1
            record = SourceRecord(
                self.topic,
                value=line.decode("utf-8", errors="replace"),
                value_schema=LINE_SCHEMA,
                source_partition=self.partition,
                source_offset={"position": self.position + start},
            )
            records.append(record)
        self.position += start
        self.pending = data[start:]
        return records

    def offset_order(self, source_partition: Mapping[str, Any], offset: Mapping[str, Any]) -> Any:
        return (int(offset["position"]),)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            if self.file is not None:
                self.file.close()
                self.file = None


class FileStreamSourceConnector(api.SourceConnector):
    task_class = FileStreamSourceTask

    def config_def(self) -> ConfigDef:
        return SOURCE_CONFIG


class FileStreamSinkTask(api.SinkTask):
    def start(self, config: Mapping[str, str], context: api.SinkTaskContext) -> None:
        self.path: str = SINK_CONFIG.parse(config)["file"]
        try:
            self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
        except OSError as error:
            raise ConnectError(
                f"Couldn't find or create file '{self.path}' for FileStreamSinkTask: {error}"
            ) from None

    def put(self, records: Sequence[api.SinkRecord]) -> None:
        self.file.writelines(f"{as_text(record.value)}\n" for record in records)

    def flush(self, positions: Mapping[tuple[str, int], int]) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())

    def stop(self) -> None:
        self.file.close()


class FileStreamSinkConnector(api.SinkConnector):
    task_class = FileStreamSinkTask

    def config_def(self) -> ConfigDef:
        return SINK_CONFIG


PLUGINS = {
    "org.apache.kafka.connect.file.FileStreamSourceConnector": (
        "ksql.connect.file:FileStreamSourceConnector"
    ),
    "org.apache.kafka.connect.file.FileStreamSinkConnector": (
        "ksql.connect.file:FileStreamSinkConnector"
    ),
}
