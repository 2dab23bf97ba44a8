"""A Kafka Connect cluster's REST API as the engine's connect runtime (`ksql.connect.url`):
connector statements become Connect REST calls, as ksqlDB sends them, and Connect's errors
come back as ConnectErrors with its message and status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from ksql.connect.api import ConfigError, ConnectError, ConnectorExists, ConnectorNotFound

_ERRORS = {400: ConfigError, 404: ConnectorNotFound, 409: ConnectorExists}


class RemoteConnect:
    local = False  # the Connect cluster keeps its connectors; nothing goes to the command log

    def __init__(self, url: str, properties: Mapping[str, str]) -> None:
        self.url = url.rstrip("/")
        auth = None
        credentials = properties.get("ksql.connect.basic.auth.credentials.source", "")
        user = properties.get("ksql.connect.basic.auth.username")
        if credentials.upper() == "USER_INFO" or user:
            auth = (user or "", properties.get("ksql.connect.basic.auth.password", ""))
        timeout = float(properties.get("ksql.connect.request.timeout.ms", "5000")) / 1000
        self._client = httpx.Client(base_url=self.url, auth=auth, timeout=timeout)

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = self._client.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise ConnectError(f"Could not reach the Connect cluster at {self.url}: {error}")
        if response.status_code >= 400:
            try:
                message = response.json().get("message") or response.text
            except ValueError:
                message = response.text
            raise _ERRORS.get(response.status_code, ConnectError)(message)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    @staticmethod
    def _path(name: str) -> str:
        return "/connectors/" + quote(name, safe="")

    # The same methods as the embedded Worker.

    def create(self, name: str, config: Mapping[str, str], *, keep_failed: bool = False) -> dict:
        return self._request("POST", "/connectors", {"name": name, "config": dict(config)})

    def put_config(self, name: str, config: Mapping[str, str]) -> tuple[dict, bool]:
        existed = name in self.names()
        return self._request("PUT", self._path(name) + "/config", dict(config)), not existed

    def delete(self, name: str) -> None:
        self._request("DELETE", self._path(name))

    def pause(self, name: str) -> None:
        self._request("PUT", self._path(name) + "/pause")

    def resume(self, name: str) -> None:
        self._request("PUT", self._path(name) + "/resume")

    def restart(self, name: str) -> None:
        self._request("POST", self._path(name) + "/restart")

    def restart_task(self, name: str, task_id: int) -> None:
        self._request("POST", f"{self._path(name)}/tasks/{task_id}/restart")

    def names(self) -> list[str]:
        return sorted(self._request("GET", "/connectors"))

    def info(self, name: str) -> dict[str, Any]:
        return self._request("GET", self._path(name))

    def status(self, name: str) -> dict[str, Any]:
        return self._request("GET", self._path(name) + "/status")

    def task_configs(self, name: str) -> list[dict[str, Any]]:
        return self._request("GET", self._path(name) + "/tasks")

    def task_status(self, name: str, task_id: int) -> dict[str, Any]:
        return self._request("GET", f"{self._path(name)}/tasks/{task_id}/status")

    def topics(self, name: str) -> list[str]:
        try:
            found = self._request("GET", self._path(name) + "/topics")
        except ConnectorNotFound:
            raise
        except ConnectError:  # Connect before 2.5 has no topics endpoint
            return []
        return list((found or {}).get(name, {}).get("topics", []))

    def plugins(self) -> list[dict[str, str]]:
        return self._request("GET", "/connector-plugins")

    def validate(self, plugin: str, config: Mapping[str, str]) -> dict[str, Any]:
        path = f"/connector-plugins/{quote(plugin, safe='')}/config/validate"
        return self._request("PUT", path, dict(config))

    def plugin_kind(self, class_name: str) -> str | None:
        try:
            plugins = self.plugins()
        except ConnectError:
            return None
        for plugin in plugins:
            if plugin.get("class") == class_name or plugin.get("class", "").endswith(
                "." + class_name
            ):
                return plugin.get("type")
        return None

    def close(self) -> None:
        self._client.close()
