"""Consumer-group offsets: atomic commits, lookups, groups, deletion, survival across reopen."""

from __future__ import annotations

from pathlib import Path

from ksql.storage.log import TopicLog
from ksql.storage.offsets import OffsetStore


def test_commit_and_read_back(tmp_path: Path) -> None:
    store = OffsetStore(tmp_path)
    assert store.committed("g", "t", 0) is None
    store.commit("g", {("t", 0): 10, ("t", 1): 20})
    store.commit("g", {("t", 0): 11})
    store.commit("h", {("u", 0): 1})
    assert store.committed("g", "t", 0) == 11
    assert store.committed("g", "t", 1) == 20
    assert store.group_offsets("g") == {("t", 0): 11, ("t", 1): 20}
    assert store.groups() == ["g", "h"]
    store.delete_group("g")
    assert store.groups() == ["h"]
    assert store.committed("g", "t", 1) is None
    store.close()
    reopened = OffsetStore(tmp_path)
    assert reopened.committed("h", "u", 0) == 1
    reopened.close()


def test_log_offsets_survive_reopen_and_follow_topic_deletion(tmp_path: Path) -> None:
    with TopicLog(tmp_path) as log:
        log.create_topic("t", partitions=2)
        log.create_topic("u")
        log.offsets.commit("q1", {("t", 0): 5, ("t", 1): 6, ("u", 0): 7})
    with TopicLog(tmp_path) as log:
        assert log.offsets.group_offsets("q1") == {("t", 0): 5, ("t", 1): 6, ("u", 0): 7}
        log.delete_topic("t")
        assert log.offsets.group_offsets("q1") == {("u", 0): 7}
