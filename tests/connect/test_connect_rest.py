"""Connectors over HTTP: ksql-server's `/ksql` statements and Kafka Connect's own REST API on
the same runtime, and a second ksql-server whose `ksql.connect.url` sends its connector
statements to the first one's Connect API, as ksqlDB sends them to a Connect cluster."""

from __future__ import annotations

import httpx
import pytest

from ksql.conformance.rest_server import SERVER_PROPERTIES, ServerProcess
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def connect_server():
    server = ServerProcess()
    yield server
    server.stop()


def ksql(server_url: str, statement: str, status: int = 200):
    response = httpx.post(f"{server_url}/ksql", json={"ksql": statement}, timeout=30)
    assert response.status_code == status, response.text
    return response.json()


def file_source(name: str, path, topic: str) -> str:
    return (
        f"CREATE SOURCE CONNECTOR {name} WITH ("
        "'connector.class'='org.apache.kafka.connect.file.FileStreamSourceConnector', "
        f"'file'='{path}', 'topic'='{topic}', "
        "'value.converter'='org.apache.kafka.connect.storage.StringConverter');"
    )


def test_connector_statements_answer_with_ksqldb_entities(connect_server, tmp_path):
    lines = tmp_path / "in.txt"
    lines.write_text("a\nb\n")
    url = connect_server.url
    (created,) = ksql(url, file_source("lines", lines, "lines"))
    assert created["@type"] == "connector_info"
    assert created["info"]["name"] == "LINES" and created["info"]["type"] == "source"
    assert created["info"]["tasks"] == [{"connector": "LINES", "task": 0}]
    (listed,) = ksql(url, "SHOW SOURCE CONNECTORS;")
    assert listed["@type"] == "connector_list"
    assert [c["name"] for c in listed["connectors"]] == ["LINES"]
    ksql(url, "CREATE STREAM lines_s (line VARCHAR) WITH (kafka_topic='lines', "
              "value_format='KAFKA', partitions=1);")  # fmt: skip

    def described():
        (entity,) = ksql(url, "DESCRIBE CONNECTOR lines;")
        return entity if entity["topics"] == ["lines"] else None

    entity = wait_for(described, what="the connector's topic")
    assert entity["@type"] == "connector_description"
    assert entity["connectorClass"].endswith("FileStreamSourceConnector")
    assert entity["status"]["connector"]["state"] == "RUNNING"
    assert [s["name"] for s in entity["sources"]] == ["LINES_S"]
    (dropped,) = ksql(url, "DROP CONNECTOR lines;")
    assert dropped["@type"] == "drop_connector" and dropped["connectorName"] == "LINES"
    error = ksql(url, "DROP CONNECTOR lines;", status=400)
    assert "Connector LINES not found" in error["message"]


def test_kafka_connect_rest_api(connect_server, tmp_path):
    lines = tmp_path / "rest.txt"
    lines.write_text("x\n")
    url = connect_server.url
    config = {
        "connector.class": "FileStreamSource",
        "file": str(lines),
        "topic": "rest-lines",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    }
    response = httpx.post(f"{url}/connectors", json={"name": "rest", "config": config})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "rest"
    assert (
        httpx.post(f"{url}/connectors", json={"name": "rest", "config": config}).status_code == 409
    )
    assert "rest" in httpx.get(f"{url}/connectors").json()
    status = httpx.get(f"{url}/connectors/rest/status").json()
    assert status["connector"]["state"] == "RUNNING" and status["type"] == "source"
    assert httpx.get(f"{url}/connectors/rest/config").json()["file"] == str(lines)
    assert httpx.put(f"{url}/connectors/rest/pause").status_code == 202
    assert httpx.get(f"{url}/connectors/rest/status").json()["connector"]["state"] == "PAUSED"
    assert httpx.put(f"{url}/connectors/rest/resume").status_code == 202
    expanded = httpx.get(f"{url}/connectors?expand=status&expand=info").json()
    assert expanded["rest"]["info"]["config"]["topic"] == "rest-lines"
    wait_for(lambda: httpx.get(f"{url}/connectors/rest/topics").json()["rest"]["topics"]
             == ["rest-lines"], what="topics")  # fmt: skip
    plugins = httpx.get(f"{url}/connector-plugins").json()
    assert {"class": "io.confluent.connect.jdbc.JdbcSinkConnector", "type": "sink"}.items() <= {
        **next(p for p in plugins if p["class"].endswith("JdbcSinkConnector"))
    }.items()
    # The connector is a ksql catalog change like one created in SQL.
    (listed,) = ksql(url, "SHOW CONNECTORS;")
    assert "rest" in [c["name"] for c in listed["connectors"]]
    assert httpx.delete(f"{url}/connectors/rest").status_code == 204
    missing = httpx.get(f"{url}/connectors/rest/status")
    assert missing.status_code == 404
    assert missing.json() == {"error_code": 404, "message": "Connector rest not found"}


def test_ksql_connect_url_sends_statements_to_a_connect_cluster(connect_server, tmp_path):
    lines = tmp_path / "remote.txt"
    lines.write_text("r\n")
    properties = SERVER_PROPERTIES + f"\nksql.connect.url={connect_server.url}\n"
    client = ServerProcess(properties=properties)
    try:
        (created,) = ksql(client.url, file_source("remote_lines", lines, "remote-lines"))
        assert created["@type"] == "connector_info"
        # It runs in the Connect cluster (the first server), not in this server.
        assert "REMOTE_LINES" in httpx.get(f"{connect_server.url}/connectors").json()
        (listed,) = ksql(client.url, "SHOW CONNECTORS;")
        assert "REMOTE_LINES" in [c["name"] for c in listed["connectors"]]
        (described,) = ksql(client.url, "DESCRIBE CONNECTOR remote_lines;")
        assert described["status"]["connector"]["worker_id"] == "ksql:embedded"
        error = ksql(client.url, file_source("remote_lines", lines, "x"), status=400)
        assert "already exists" in error["message"]
        ksql(client.url, "DROP CONNECTOR remote_lines;")
        assert "REMOTE_LINES" not in httpx.get(f"{connect_server.url}/connectors").json()
    finally:
        client.stop()
