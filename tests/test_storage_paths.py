"""Names never become paths: sources, query ids and topics with the nastiest names create nothing
outside the data directory, keep their state across a restart, and safe names keep the file
names data directories already have."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.errors import KsqlError, StorageError
from ksql.storage.paths import NAME_MAX, child, inside, safe_component

NASTY = [
    "../../../../x",
    "..\\..\\x",
    "a/b",
    "/abs",
    "back\\slash",
    "nul\x00byte",
    "new\nline",
    "..",
    ".",
    "x" * 400,
    "ünïcødé 名前",
    "Case",
    "CASE",
    "~tilde",
    "\u202egnp.exe",  # right-to-left override
]


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _files(root: Path) -> list[Path]:
    return [Path(d) / f for d, dirs, files in os.walk(root) for f in files + dirs]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    # Deep enough that the escapes above would land inside `tmp_path`, where the walk sees them.
    return tmp_path / "w" / "a" / "b" / "data"


def test_nasty_source_names_and_query_ids_stay_inside_the_data_directory(
    tmp_path: Path, data_dir: Path
) -> None:
    with Engine(data_dir, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(
            "CREATE STREAM s (id INT KEY, v INT) "
            "WITH (kafka_topic='s', partitions=2, value_format='JSON');"
        )
        for i, name in enumerate(NASTY):
            engine.execute(
                f"CREATE TABLE {_quoted(name)} WITH (KAFKA_TOPIC='out{i}') AS "
                "SELECT id, COUNT(*) AS n FROM s GROUP BY id;"
            )
            engine.execute(
                f"CREATE STREAM {_quoted(name + '_s')} WITH (KAFKA_TOPIC='outs{i}') AS "
                "SELECT * FROM s WHERE v > 0;"
            )
        for i in range(6):
            engine.execute(f"INSERT INTO s (id, v) VALUES ({i % 2}, {i});")
        engine.run_until_idle()
        queries = {q.query_id for q in engine.queries()}
        assert len(queries) == 2 * len(NASTY)
        assert all(q.state == "RUNNING" for q in engine.queries())
    # A restart finds every query's state under the same name and keeps counting.
    with Engine(data_dir) as engine:
        engine.execute("INSERT INTO s (id, v) VALUES (1, 7);")
        engine.run_until_idle()
        for name in NASTY:
            [result] = engine.execute(f"SELECT id, n FROM {_quoted(name)} WHERE id = 1;")
            assert list(result.rows) == [[1, 4]], name
    outside = [p for p in _files(tmp_path) if not p.is_relative_to(data_dir) and p not in (
        data_dir.parent, data_dir.parent.parent, data_dir.parent.parent.parent, data_dir
    )]  # fmt: skip
    assert outside == []
    for path in _files(data_dir):
        assert "\n" not in path.name and len(path.name.encode()) <= NAME_MAX, path


@pytest.mark.parametrize("topic", ["../../../../t", "a/b", "..", ".", "new\nline", "x" * 300])
def test_nasty_topic_names_are_refused_and_create_nothing(
    tmp_path: Path, data_dir: Path, topic: str
) -> None:
    with Engine(data_dir) as engine, pytest.raises(KsqlError, match="[Tt]opic name"):
        engine.execute(
            f"CREATE STREAM s (id INT KEY, v INT) WITH (kafka_topic='{topic}', "
            "partitions=1, value_format='JSON');"
        )
    assert all(p.is_relative_to(tmp_path / "w") for p in _files(tmp_path))
    assert list((data_dir / "topics" / "topics").iterdir()) == []


def test_safe_names_keep_their_file_names_and_unsafe_ones_never_collide() -> None:
    for name in ["CTAS_TOTALS_3", "INSERTQUERY_12", "orders-v2.events", "CTAS_A@B_1", "my table"]:
        assert safe_component(name, ".duckdb") == name + ".duckdb"
    encoded = {safe_component(n) for n in NASTY}
    assert len(encoded) == len(NASTY)  # differing only in case, too
    for name, component in zip(NASTY, map(safe_component, NASTY), strict=True):
        assert "/" not in component and "\\" not in component and "\x00" not in component
        assert component not in (".", "..") and len(component.encode()) <= NAME_MAX
        if component != name:
            assert "~" in component
    # A name that looks like an encoded one is encoded itself, so the two stay apart.
    lookalike = safe_component("x/y")
    assert safe_component(lookalike) != lookalike


def test_inside_refuses_paths_that_resolve_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    assert inside(root, root / "state" / "q.duckdb") == root / "state" / "q.duckdb"
    for escape in [root / ".." / "x", root / "link" / "x"]:
        with pytest.raises(StorageError, match="outside"):
            inside(root, escape)
    assert child(root, "../x").parent == root
