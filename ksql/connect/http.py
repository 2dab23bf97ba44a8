"""An HTTP sink with the configuration of Confluent's HttpSinkConnector: records are sent in
batches of up to `batch.max.size` to `http.api.url` (where `${topic}` and `${key}` stand for
the record's; consecutive records with the same URL share a batch) with `request.method`.

A batch's body is its records' values, as text (`request.body.format=string`: strings as they
are, others as JSON) or as JSON, joined by `batch.separator` between `batch.prefix` and
`batch.suffix`, or a JSON array with `batch.json.as.array`. Tombstones are skipped
(`behavior.on.null.values=ignore`) or fail the task (`fail`).

A response whose status is in `retry.on.status.codes` (408, 429 and 5xx by default), or a
connection failure or timeout, is retried up to `max.retries` times, waiting `retry.backoff.ms`
and twice as long after each further failure. A server still unreachable then raises
RetriableError (the runtime puts the records again after a pause, batches already taken
included: delivery is at least once); an error response that is not retried, or still comes
after the retries, is handled as `behavior.on.error` says: fail the task, or log or ignore it
and drop the batch. `put` returns once every batch is answered, so `flush` has nothing to do."""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectError, RetriableError, SinkRecord
from ksql.connect.config import BOOLEAN, INT, PASSWORD, REQUIRED, ConfigDef, ConfigKey, at_least
from ksql.connect.converters.json_values import as_text, dumps, to_json

log = logging.getLogger(__name__)


def _url(value: str) -> None:
    if urllib.parse.urlsplit(value).scheme not in ("http", "https"):
        raise ValueError("Must be an http:// or https:// URL")


def _check_status_codes(value: str) -> None:
    status_codes(value)


def status_codes(value: str) -> list[tuple[int, int]]:
    """`408,429,500-599,600-` as (low, high) ranges; ValueError when it is not one."""
    ranges = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        low, dash, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise ValueError(f"Invalid status code or range: {part}")
        ranges.append((int(low), int(high) if high else (999 if dash else int(low))))
    return ranges


CONFIG = ConfigDef([
    ConfigKey("http.api.url", default=REQUIRED, valid=_url,
              doc="The URL to send records to; ${topic} and ${key} are replaced by the "
                  "record's."),
    ConfigKey("request.method", default="POST", valid=("POST", "PUT", "PATCH", "DELETE"),
              doc="The HTTP request method."),
    ConfigKey("headers", default="", doc="Request headers, `Name:Value|Name2:Value2`."),
    ConfigKey("header.separator", default="|", doc="The separator of `headers`."),
    ConfigKey("batch.max.size", INT, 1, valid=at_least(1),
              doc="The most records sent in one request."),
    ConfigKey("batch.json.as.array", BOOLEAN, False,
              doc="Send a batch as a JSON array of its records."),
    ConfigKey("batch.prefix", default="", doc="Text before a batch's records."),
    ConfigKey("batch.suffix", default="", doc="Text after a batch's records."),
    ConfigKey("batch.separator", default=",", doc="Text between a batch's records."),
    ConfigKey("request.body.format", default="string", valid=("string", "json"),
              doc="How a record value is written in the body: string or json."),
    ConfigKey("max.retries", INT, 10, valid=at_least(0),
              doc="How many times a failed request is retried."),
    ConfigKey("retry.backoff.ms", INT, 3000, valid=at_least(0),
              doc="The wait before the first retry; it doubles after each retry."),
    ConfigKey("retry.on.status.codes", default="408,429,500-", valid=_check_status_codes,
              doc="Response codes retried: codes and ranges such as `429,500-599` or `500-`."),
    ConfigKey("auth.type", default="none", valid=("none", "basic"),
              doc="Authentication: none or basic."),
    ConfigKey("connection.user", doc="The user name for basic authentication."),
    ConfigKey("connection.password", PASSWORD, doc="The password for basic authentication."),
    ConfigKey("behavior.on.error", default="fail", valid=("fail", "log", "ignore"),
              doc="What an error response does after its retries: fail the task, log, ignore."),
    ConfigKey("behavior.on.null.values", default="ignore", valid=("ignore", "fail"),
              doc="What a record with a null value does: ignore it or fail the task."),
    ConfigKey("http.connect.timeout.ms", INT, 30000, valid=at_least(1),
              doc="The timeout to connect to the server."),
    ConfigKey("http.request.timeout.ms", INT, 30000, valid=at_least(1),
              doc="The timeout of a request once connected."),
])  # fmt: skip


def headers_of(text: str, separator: str) -> dict[str, str]:
    headers = {}
    for part in text.split(separator) if text else ():
        name, colon, value = part.partition(":")
        if not colon or not name.strip():
            raise ConfigError(
                f"Invalid value {text} for configuration headers: expected Name:Value, found "
                f"{part!r}"
            )
        headers[name.strip()] = value.strip()
    return headers


def parse_settings(config: Mapping[str, str]) -> dict[str, Any]:
    settings = CONFIG.parse(config)
    settings["retry.on.status.codes"] = status_codes(settings["retry.on.status.codes"])
    settings["headers"] = headers_of(settings["headers"], settings["header.separator"])
    basic = settings["auth.type"].lower() == "basic"
    if basic and not (settings["connection.user"] and settings["connection.password"]):
        raise ConfigError(
            "connection.user and connection.password are required when auth.type is basic"
        )
    return settings


class HttpSinkTask(api.SinkTask):
    def start(self, config: Mapping[str, str], context: api.SinkTaskContext) -> None:
        s = self.settings = parse_settings(config)
        self.method = s["request.method"].upper()
        self.json = s["request.body.format"].lower() == "json"
        self.retry_codes: list[tuple[int, int]] = s["retry.on.status.codes"]
        headers = dict(s["headers"])
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json" if self.json else "text/plain"
        auth = None
        if s["auth.type"].lower() == "basic":
            auth = httpx.BasicAuth(s["connection.user"], s["connection.password"])
        timeout = httpx.Timeout(
            s["http.request.timeout.ms"] / 1000, connect=s["http.connect.timeout.ms"] / 1000
        )
        self.client = httpx.Client(
            headers=headers, auth=auth, timeout=timeout, follow_redirects=True
        )
        self.stopping = threading.Event()

    # ------------------------------------------------------------ batches

    def put(self, records: Sequence[SinkRecord]) -> None:
        for url, batch in self._batches(records):
            self._send(url, self._body(batch))

    def _batches(self, records: Sequence[SinkRecord]) -> list[tuple[str, list[SinkRecord]]]:
        size = self.settings["batch.max.size"]
        batches: list[tuple[str, list[SinkRecord]]] = []
        for record in records:
            if record.value is None:
                if self.settings["behavior.on.null.values"].lower() == "fail":
                    raise ConnectError(
                        f"Null valued record from topic '{record.topic}', partition "
                        f"{record.partition} and offset {record.offset} was failed "
                        "(behavior.on.null.values=fail)"
                    )
                continue
            url = self._url(record)
            if batches and batches[-1][0] == url and len(batches[-1][1]) < size:
                batches[-1][1].append(record)
            else:
                batches.append((url, [record]))
        return batches

    def _url(self, record: SinkRecord) -> str:
        url: str = self.settings["http.api.url"]
        if "${" not in url:
            return url
        key = "" if record.key is None else as_text(record.key)
        url = url.replace("${topic}", urllib.parse.quote(record.topic, safe=""))
        return url.replace("${key}", urllib.parse.quote(key, safe=""))

    def _body(self, batch: list[SinkRecord]) -> bytes:
        if self.json:
            items = [dumps(to_json(r.value_schema, r.value, numeric=True)) for r in batch]
        else:
            items = [as_text(r.value).encode() for r in batch]
        if self.settings["batch.json.as.array"]:
            return b"[" + b",".join(items) + b"]"
        s = self.settings
        separator = s["batch.separator"].encode()
        return s["batch.prefix"].encode() + separator.join(items) + s["batch.suffix"].encode()

    # ------------------------------------------------------------ requests

    def _retriable(self, status: int) -> bool:
        return any(low <= status <= high for low, high in self.retry_codes)

    def _send(self, url: str, body: bytes) -> None:
        retries, backoff_ms = self.settings["max.retries"], self.settings["retry.backoff.ms"]
        attempt = 0
        while True:
            status, failure = self._request(url, body)
            if failure is None:
                return
            if (status is not None and not self._retriable(status)) or attempt >= retries:
                break
            log.info("HTTP sink: %s (attempt %d of %d)", failure, attempt + 1, retries + 1)
            if self.stopping.wait(backoff_ms * 2**attempt / 1000):
                raise RetriableError("The task is stopping")
            attempt += 1
        if status is None:  # no answer: the server may come back
            raise RetriableError(f"{failure}, after {attempt + 1} attempts")
        self._failed(failure)

    def _request(self, url: str, body: bytes) -> tuple[int | None, str | None]:
        """(status, None) when the server took the batch, else (status, or None when it did
        not answer, and why)."""
        try:
            response = self.client.request(self.method, url, content=body)
        except httpx.TransportError as error:
            return None, f"{self.method} {url} failed: {type(error).__name__}: {error}"
        if response.is_success:
            return response.status_code, None
        text = response.text[:500]
        return response.status_code, f"{self.method} {url} returned {response.status_code}: {text}"

    def _failed(self, failure: str) -> None:
        behavior = self.settings["behavior.on.error"].lower()
        if behavior == "fail":
            raise ConnectError(f"Error sending records to the HTTP server: {failure}")
        if behavior == "log":
            log.warning("HTTP sink: dropping a batch of records: %s", failure)

    def flush(self, positions: Mapping[tuple[str, int], int]) -> None:
        """Nothing to do: `put` returns once the server has answered every batch."""

    def stop(self) -> None:
        self.stopping.set()
        self.client.close()


class HttpSinkConnector(api.SinkConnector):
    task_class = HttpSinkTask

    def config_def(self) -> ConfigDef:
        return CONFIG

    def validate(self, config: Mapping[str, str]) -> None:
        parse_settings(config)


PLUGINS = {"io.confluent.connect.http.HttpSinkConnector": "ksql.connect.http:HttpSinkConnector"}
