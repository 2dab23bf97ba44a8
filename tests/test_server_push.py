"""Push queries under load: a client that stops reading is cut off; the others keep up."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import threading
import time

from ksql.conformance.rest_server import ServerProcess

ROWS = 400
PER_REQUEST = 20
VALUE = "x" * 20_000  # ~8 MB in all: more than the socket buffers hold


def test_a_stalled_client_is_cut_off_and_does_not_stall_the_others() -> None:
    server = ServerProcess(properties="ksql.server.push.buffer.rows=50\n")
    stalled = socket.create_connection(("127.0.0.1", server.port))
    fast = None
    try:
        server.post(
            "/ksql",
            {
                "ksql": "CREATE STREAM big (id INT KEY, v STRING) "
                "WITH (kafka_topic='big', partitions=1, value_format='JSON');"
            },
        )
        body = json.dumps({"sql": "SELECT * FROM big EMIT CHANGES;"}).encode()
        stalled.sendall(
            b"POST /query-stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        time.sleep(0.5)
        command = [
            "curl",
            "-s",
            "-N",
            "-X",
            "POST",
            server.url + "/query-stream",
            "--data-binary",
            body.decode(),
        ]
        fast = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert "queryId" in fast.stdout.readline()
        # The fast client is read on a thread while the rows go in.
        received: list[int] = []
        reader = threading.Thread(
            target=lambda: received.extend(
                json.loads(fast.stdout.readline())[0] for _ in range(ROWS)
            ),
            daemon=True,
        )
        reader.start()
        # In several requests: the stalled client is found behind when later rows arrive
        # (the server writes whatever one request adds in as few messages as it can).
        for start in range(0, ROWS, PER_REQUEST):
            lines = [json.dumps({"target": "big"})]
            lines += [json.dumps({"ID": i, "V": VALUE}) for i in range(start, start + PER_REQUEST)]
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            conn.request("POST", "/inserts-stream", body="\n".join(lines).encode())
            assert conn.getresponse().read().count(b'"ok"') == PER_REQUEST
            conn.close()
        reader.join(60)
        assert received == list(range(ROWS))
        # The stalled client's response ends with the reason once it reads again.
        stalled.settimeout(30)
        data = b""
        while b"rows behind" not in data and (chunk := stalled.recv(1 << 20)):
            data += chunk
        assert b"fell more than 50 rows behind" in data
    finally:
        stalled.close()
        if fast is not None and fast.poll() is None:
            fast.kill()
        server.stop()


def _open_stream(port: int, path: str, body: dict, accept: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    data = json.dumps(body).encode()
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n".encode()
        + f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    sock.settimeout(30)
    return sock


def _body_until(sock: socket.socket, done, received: bytearray) -> bytes:
    """The chunked response body received so far, reading until `done(body)`."""
    while True:
        _, _, rest = bytes(received).partition(b"\r\n\r\n")
        body, tail = b"", rest
        while b"\r\n" in tail:
            size_text, _, after = tail.partition(b"\r\n")
            size = int(size_text, 16)
            if len(after) < size + 2:
                break
            body += after[:size]
            tail = after[size + 2 :]
        if rest and done(body):
            return body
        received += sock.recv(1 << 16)


def test_shared_query_encodes_once_per_format_for_every_subscriber() -> None:
    """Identical push queries over /query (v1 JSON) and /query-stream (delimited lines, JSON
    array) share one run; each client gets the rows in its own format."""
    server = ServerProcess(properties="")
    socks: list[socket.socket] = []
    try:
        server.post(
            "/ksql",
            {
                "ksql": "CREATE STREAM fmt (id INT KEY, v STRING) "
                "WITH (kafka_topic='fmt', partitions=1, value_format='JSON');"
            },
        )
        sql = "SELECT * FROM fmt EMIT CHANGES;"
        opened = [
            ("/query-stream", {"sql": sql}, "application/vnd.ksqlapi.delimited.v1"),
            ("/query-stream", {"sql": sql}, "application/json"),
            ("/query", {"ksql": sql}, "application/vnd.ksql.v1+json"),
            ("/query-stream", {"sql": sql}, "application/vnd.ksqlapi.delimited.v1"),
        ]
        buffers = [bytearray() for _ in opened]
        socks = [_open_stream(server.port, *args) for args in opened]
        headers = [
            _body_until(s, lambda b: b"queryId" in b and b.endswith((b"\n", b"}")), buf)
            for s, buf in zip(socks, buffers, strict=True)
        ]
        ids = [h.split(b'"queryId":"')[1].split(b'"')[0].decode() for h in headers]
        assert len(set(ids)) == 4 and len({i.rsplit("_", 1)[0] for i in ids}) == 1
        lines = [json.dumps({"target": "fmt"})]
        lines += [json.dumps({"ID": i, "V": f"v{i}"}) for i in range(3)]
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        conn.request("POST", "/inserts-stream", body="\n".join(lines).encode())
        assert conn.getresponse().read().count(b'"ok"') == 3
        conn.close()
        rows = [[i, f"v{i}"] for i in range(3)]
        bodies = [
            _body_until(s, lambda b: b.count(b'"v2"') == 1, buf)
            for s, buf in zip(socks, buffers, strict=True)
        ]
        for delimited in (bodies[0], bodies[3]):
            assert [json.loads(line) for line in delimited.splitlines()[1:]] == rows
        array = json.loads(bodies[1] + b"]")
        assert array[0]["columnNames"] == ["ID", "V"] and array[1:] == rows
        elements = json.loads(bodies[2].rstrip(b",\n") + b"]")
        assert elements[0]["header"]["schema"] == "`ID` INTEGER, `V` STRING"
        assert elements[1:] == [{"row": {"columns": row}} for row in rows]
    finally:
        for sock in socks:
            sock.close()
        server.stop()
