"""A damaged command log: a torn or garbled last line is cut with a warning naming the file and
line; damage before the last line stops the start with a clear error naming them."""

from __future__ import annotations

import errno
import io
import logging
import os
from pathlib import Path

import pytest

from ksql import command_log
from ksql.command_log import COMMAND_LOG, CommandFile
from ksql.engine import Engine
from ksql.errors import CorruptDataError, StorageError

STATEMENTS = [
    "CREATE STREAM a (id INT KEY, v INT) WITH (kafka_topic='a', partitions=1, value_format='JSON');",
    "CREATE STREAM b (id INT KEY, v INT) WITH (kafka_topic='b', partitions=1, value_format='JSON');",
    "CREATE STREAM c (id INT KEY, v INT) WITH (kafka_topic='c', partitions=1, value_format='JSON');",
]


def _sources(engine: Engine) -> list[str]:
    return sorted(s.name for s in engine.sources() if s.name in ("A", "B", "C", "D"))


def _log_with_three(data_dir: Path) -> Path:
    with Engine(data_dir) as engine:
        for sql in STATEMENTS:
            engine.execute(sql)
    return data_dir / COMMAND_LOG


@pytest.mark.parametrize(
    "tail",
    [
        b'{"sql": "CREATE STREAM d (id INT KEY) WITH (kafka_t',  # torn by a crash
        b"\x00\x00\x00\x00\x00\x00\x00\x00",  # zeros the file system left
        b"garbled line\n",
        b'["not", "an entry"]\n',
    ],
)
def test_a_damaged_last_line_is_cut_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, tail: bytes
) -> None:
    path = _log_with_three(tmp_path)
    good = path.read_bytes()
    path.write_bytes(good + tail)
    with caplog.at_level(logging.WARNING), Engine(tmp_path) as engine:
        assert _sources(engine) == ["A", "B", "C"]
        assert path.read_bytes() == good
        assert any(str(path) in r.getMessage() and "line 4" in r.getMessage()
                   for r in caplog.records)  # fmt: skip
        engine.execute(STATEMENTS[0].replace(" a ", " d ").replace("'a'", "'d'"))
    with Engine(tmp_path) as engine:
        assert _sources(engine) == ["A", "B", "C", "D"]


def test_damage_before_the_last_line_stops_the_start(tmp_path: Path) -> None:
    path = _log_with_three(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    damaged = lines[0] + b'{"sql": "CREATE STR\x00\x00\n' + lines[2]
    path.write_bytes(damaged)
    with pytest.raises(CorruptDataError, match=f"{path} is damaged at line 2"):
        Engine(tmp_path)
    assert path.read_bytes() == damaged  # nothing was cut: the user decides


def test_a_last_line_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    path = _log_with_three(tmp_path)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    with Engine(tmp_path) as engine:
        assert _sources(engine) == ["A", "B", "C"]
        engine.execute(STATEMENTS[0].replace(" a ", " d ").replace("'a'", "'d'"))
    with Engine(tmp_path) as engine:
        assert _sources(engine) == ["A", "B", "C", "D"]


def test_a_failed_append_leaves_no_partial_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = CommandFile(tmp_path)
    commands.append("CREATE STREAM x;", {})
    before = (tmp_path / COMMAND_LOG).read_bytes()

    class FullDisk(io.FileIO):
        """A file on a disk that fills up after 5 bytes."""

        def write(self, data: bytes) -> int:  # type: ignore[override]
            super().write(bytes(data[:5]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(command_log, "open", FullDisk, raising=False)
    with pytest.raises(StorageError, match="No space left"):
        commands.append("CREATE STREAM y;", {})
    monkeypatch.undo()
    assert (tmp_path / COMMAND_LOG).read_bytes() == before
