"""The real `ksql` shell in a real terminal (tmux): typing, Tab, Ctrl-C, reading the screen.

Both modes: an embedded engine on a data directory, and a `ksql-server` over REST with rows
inserted by another client while a push query is on screen.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

BIN = Path(sys.executable).parent
# tmux drops trailing blanks, so an empty prompt reads "ksql>".
PROMPT = re.compile(r"^ksql>\s*$", re.MULTILINE)


class Terminal:
    """One tmux session on a private socket, running a command in a 160x50 window."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.socket = f"ksql-test-{uuid.uuid4().hex[:8]}"
        environment = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
        line = f"env {environment} {' '.join(_quote(c) for c in command)}"
        self._tmux("new-session", "-d", "-x", "160", "-y", "50", line)
        self._tmux("set-option", "-g", "history-limit", "5000")

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout

    def screen(self) -> str:
        """Everything printed so far, wrapped lines joined, trailing blanks dropped."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-").rstrip("\n") + "\n"

    def type(self, text: str) -> None:
        """Type `text` as keystrokes (hex, so that no character means anything to tmux)."""
        for i in range(0, len(text), 200):
            chunk = text[i : i + 200].encode()
            self._tmux("send-keys", "-H", *(f"{b:02x}" for b in chunk))

    def key(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def line(self, text: str) -> None:
        self.type(text)
        self.key("Enter")

    def wait_for(
        self, pattern: str | re.Pattern[str], timeout_s: float = 15.0, after: int = 0
    ) -> str:
        """Poll the screen until `pattern` appears past offset `after`; return the screen."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout_s
        while True:
            screen = self.screen()
            if regex.search(screen, after):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {regex.pattern!r}; screen:\n{screen}")
            time.sleep(0.05)

    def wait_prompt(self, after: int, timeout_s: float = 15.0) -> str:
        """Wait until a fresh `ksql> ` prompt shows after offset `after`."""
        return self.wait_for(PROMPT, timeout_s, after)

    def mark(self) -> int:
        return len(self.screen().rstrip("\n"))

    def close(self) -> None:
        self._tmux("kill-server")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _start_shell(args: list[str], tmp_path: Path) -> Terminal:
    env = {
        "HOME": str(tmp_path),
        "KSQL_HISTORY_FILE": str(tmp_path / "history"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    terminal = Terminal([str(BIN / "ksql"), *args], env)
    terminal.wait_prompt(0, timeout_s=30)
    return terminal


CREATE_LINES = [
    "CREATE STREAM pageviews (user_id STRING KEY, page STRING, ms INT)",
    "  WITH (kafka_topic='pageviews', partitions=1, value_format='JSON');",
]


@pytest.fixture()
def embedded(tmp_path):
    terminal = _start_shell(["--data-dir", str(tmp_path / "data")], tmp_path)
    yield terminal
    terminal.close()


def test_embedded_shell_session(embedded, tmp_path):
    t = embedded
    # A multi-line CREATE: the first line does not run, the second (ending with ;) does.
    mark = t.mark()
    t.line(CREATE_LINES[0])
    t.wait_for(r"\n {4}>\s*$", after=mark)
    t.line(CREATE_LINES[1])
    t.wait_for(r" Stream created ", after=mark)
    t.wait_prompt(mark)

    for row in ("('alice', '/home', 1200)", "('bob', '/docs', 300)"):
        mark = t.mark()
        t.line(f"INSERT INTO pageviews (user_id, page, ms) VALUES {row};")
        t.wait_prompt(mark)
    mark = t.mark()
    t.line("SET 'auto.offset.reset'='earliest';")
    t.wait_for("Successfully changed local property", after=mark)
    t.wait_prompt(mark)

    # Tab completes the stream name; the push query prints the rows, Ctrl-C ends it.
    mark = t.mark()
    t.type("SELECT * FROM page")
    t.key("Tab")
    t.wait_for(r"SELECT \* FROM PAGEVIEWS\b", after=mark)
    t.line(" EMIT CHANGES;")
    screen = t.wait_for(r"\|bob +\|/docs +\|300 +\|", after=mark)
    assert re.search(r"\|USER_ID +\|PAGE +\|MS +\|", screen[mark:])
    assert re.search(r"\|alice +\|/home +\|1200 +\|", screen[mark:])
    t.key("C-c")
    t.wait_for("Query terminated", after=mark)
    t.wait_prompt(mark)

    # A pull query over a table built by a persistent query.
    mark = t.mark()
    t.line("CREATE TABLE views AS SELECT user_id, COUNT(*) AS n FROM pageviews GROUP BY user_id;")
    t.wait_for("Created query with ID", after=mark)
    t.wait_prompt(mark)
    deadline = time.monotonic() + 15
    while True:  # the table fills in the background; poll until both users are counted
        mark = t.mark()
        t.line("SELECT * FROM views WHERE n >= 1;")
        screen = t.wait_prompt(mark)
        if "|alice" in screen[mark:] and "|bob" in screen[mark:] or time.monotonic() > deadline:
            break
    assert re.search(r"\|USER_ID *\|N *\|", screen[mark:])
    assert re.search(r"\|alice +\|1 *\|", screen[mark:])

    # An error names the spot in the statement; no traceback.
    mark = t.mark()
    t.line("SELECT * FRM pageviews;")
    screen = t.wait_for(r"\n {11}\^", after=mark)
    assert "line 1:10: Syntax Error" in screen[mark:]
    assert "Traceback" not in screen

    # RUN SCRIPT runs a file of statements.
    script = tmp_path / "more.sql"
    script.write_text(
        "CREATE STREAM clicks (id INT KEY) WITH (kafka_topic='clicks',\n"
        "  partitions=1, value_format='JSON');\nSHOW STREAMS;\n"
    )
    mark = t.mark()
    t.line(f"RUN SCRIPT '{script}';")
    screen = t.wait_for(r" PAGEVIEWS +\| pageviews", after=mark)
    assert re.search(r" CLICKS +\| clicks ", screen[mark:])

    # Ctrl-D leaves the shell.
    mark = t.mark()
    t.key("C-d")
    t.wait_for("Exiting ksql.", after=mark)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [str(BIN / "ksql-server"), "--port", str(port), "--data-dir", str(tmp_path / "srv")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/info", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            pytest.fail(f"ksql-server did not start:\n{(tmp_path / 'server.log').read_text()}")
        time.sleep(0.1)
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def test_server_shell_session(server, tmp_path):
    t = _start_shell([server], tmp_path)
    try:
        screen = t.screen()
        assert f"located at {server}" in screen and "Server Status: RUNNING" in screen
        mark = t.mark()
        t.line(CREATE_LINES[0])
        t.line(CREATE_LINES[1])
        t.wait_for(" Stream created ", after=mark)
        t.wait_prompt(mark)

        # A push query shows rows as another client inserts them, until Ctrl-C.
        mark = t.mark()
        t.line("SELECT user_id, ms FROM pageviews EMIT CHANGES;")
        t.wait_for(r"\|USER_ID +\|MS +\|\n\+-+\+-+\+", after=mark)
        for i, user in enumerate(("carol", "dave")):
            response = httpx.post(
                f"{server}/ksql",
                json={
                    "ksql": f"INSERT INTO pageviews (user_id, page, ms) VALUES ('{user}', '/', {i});"
                },
                timeout=10,
            )
            assert response.status_code == 200, response.text
            t.wait_for(rf"\|{user} +\|{i} +\|", after=mark)
        t.key("C-c")
        t.wait_for("Query terminated", after=mark)
        t.wait_prompt(mark)

        # A pull query over the stream, and a server-side error with its position.
        mark = t.mark()
        t.line("SELECT * FROM pageviews;")
        screen = t.wait_prompt(mark)
        assert re.search(r"\|carol +\|/ +\|0 +\|", screen[mark:])
        assert re.search(r"\|dave +\|/ +\|1 +\|", screen[mark:])
        mark = t.mark()
        t.line("PRINT 'pageviews' FROM BEGINNING LIMIT 1;")
        screen = t.wait_prompt(mark)
        assert "Key format: KAFKA_STRING" in screen[mark:]
        assert re.search(r"rowtime: .* Z, key: carol, value: \{.*\}, partition: 0", screen[mark:])
        assert "Topic printing ceased" in screen[mark:]
        mark = t.mark()
        t.line("DESCRIBE nothing_here;")
        screen = t.wait_prompt(mark)
        assert re.search(r"  DESCRIBE nothing_here;\n {11}\^", screen[mark:])
        mark = t.mark()
        t.line("exit")
        t.wait_for("Exiting ksql.", after=mark)
    finally:
        t.close()


def test_history_persists_across_sessions_and_searches(tmp_path):
    data = str(tmp_path / "data")
    t = _start_shell(["--data-dir", data], tmp_path)
    try:
        for line in ("SHOW STREAMS;", "SHOW TOPICS;", "version"):
            mark = t.mark()
            t.line(line)
            t.wait_prompt(mark)
        t.line("exit")
        t.wait_for("Exiting ksql.")
    finally:
        t.close()
    t = _start_shell(["--data-dir", data], tmp_path)
    try:
        mark = t.mark()
        # The prompt line is the screen's last: match it there (end-anchored), from offset 0.
        t.key("Up")  # the lines of the last session come back, newest first
        t.wait_for(r"ksql> exit\s*$")
        t.key("Up")
        t.wait_for(r"ksql> version\s*$")
        t.key("C-u")
        t.key("C-r")  # reverse search finds an older one
        t.type("STREA")
        t.wait_for(r"I-search backward: STREA", after=mark)
        t.key("Enter")
        t.wait_for(r"ksql> SHOW STREAMS;\s*$")
        t.key("Enter")
        t.wait_for(r" Stream Name \| Kafka Topic ", after=mark)
        t.wait_prompt(mark)
        mark = t.mark()
        t.line("history")
        screen = t.wait_prompt(mark)
        assert re.search(
            r"1  SHOW STREAMS;\n +2  SHOW TOPICS;\n +3  version\n +4  exit\n", screen[mark:]
        )
    finally:
        t.close()
