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
        lines = [json.dumps({"target": "big"})]
        lines += [json.dumps({"ID": i, "V": VALUE}) for i in range(ROWS)]
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        conn.request("POST", "/inserts-stream", body="\n".join(lines).encode())
        assert conn.getresponse().read().count(b'"ok"') == ROWS
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
