"""Article identity: a new version under the same id replaces the earlier one in every table."""

from __future__ import annotations

import json
import time
from pathlib import Path

from deltalake import DeltaTable

from newsflow.accounting import account, check_offsets
from newsflow.lake import read_table
from newsflow.pipeline import dedup_index_from, process_batch
from newsflow.schemas import CHILD_TABLES
from newsflow.sink import REPLACEMENTS, DeltaSink, current_versions, land_batch
from newsflow.source import Batch, records_from_values
from newsflow.tasks.dedup import DedupIndex

CONTENT_TABLES = ("articles", *CHILD_TABLES)
# A correction: a paragraph with other people, places, amounts and dates than the seed article's.
CORRECTION = ("\n\nCorrection: an earlier version of this article misstated the venue. Angela Merkel "
              "spoke with Emmanuel Macron in Paris on 14 March 2022 about a $40 million fund, and "
              "\u201cwe will not wait for Moscow,\u201d said Olaf Scholz in Berlin.")


def _versions(seed_event_bytes: bytes) -> tuple[bytes, bytes]:
    event = json.loads(seed_event_bytes)
    return seed_event_bytes, json.dumps({**event, "body": event["body"] + CORRECTION}).encode()


def _by_offset(output: Path | str, name: str) -> dict[int, int]:
    """Rows per Kafka offset in a table's current version."""
    offsets = read_table(output, name, columns=["kafka_offset"])["kafka_offset"].to_pylist()
    return {o: offsets.count(o) for o in sorted(set(offsets))}


def _land(output: Path, values: list[bytes], start: int, validator, index: DedupIndex | None = None):  # type: ignore[no-untyped-def]
    batch = Batch(records_from_values(values, topic="news", start_offset=start))
    tables = process_batch(batch, index if index is not None else dedup_index_from(output), validator).tables
    return batch, tables, land_batch(output, tables, batch)


def test_a_new_version_replaces_the_earlier_one_in_every_table_and_history_keeps_it(
    tmp_path: Path, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    v1, v2 = _versions(seed_event_bytes)
    _land(tmp_path, [v1], 0, validator)
    before = {name: DeltaTable(str(tmp_path / name)).version() for name in CONTENT_TABLES}
    v1_rows = {name: _by_offset(tmp_path, name) for name in CONTENT_TABLES}
    assert all(v1_rows[name] for name in CONTENT_TABLES), v1_rows  # the seed has rows in every table

    # A later run (a fresh index from the lake) receives the corrected article at offset 1.
    _, tables, landed = _land(tmp_path, [v2], 1, validator)
    assert tables[REPLACEMENTS]["replaced_offset"].to_pylist() == [0]
    for name in CONTENT_TABLES:
        assert list(_by_offset(tmp_path, name)) == [1], name  # only v2's rows are current
        table = DeltaTable(str(tmp_path / name))
        assert table.version() == before[name] + 1  # removal and append in one commit
        table.load_as_version(before[name])  # time travel: v1 as it was
        old = table.to_pyarrow_table(columns=["kafka_offset"])["kafka_offset"].to_pylist()
        assert {o: old.count(o) for o in set(old)} == v1_rows[name]
    entities = set(read_table(tmp_path, "entities", columns=["text"])["text"].to_pylist())
    assert "Emmanuel Macron" in entities  # v2 was analysed, not taken for a duplicate of itself
    assert read_table(tmp_path, "articles", columns=["duplicate_of"])["duplicate_of"].to_pylist() == [None]

    # v1's offset left the current tables: it is accounted once, as superseded by offset 1.
    result = account(tmp_path)
    assert result.doubled() == [] and result.missing({("news", 0): 2}) == []
    assert set(result.articles) == {("news", 0, 1)}
    reasons = read_table(tmp_path, "quarantine", columns=["kafka_offset", "reason"]).to_pylist()
    assert reasons == [{"kafka_offset": 0, "reason": "superseded: article 5746d6ddd9dd780a was replaced "
                                                     "by its version at offset news/0/1"}]
    assert check_offsets(tmp_path, 0).doubled == []


def test_a_redone_replacement_changes_nothing_and_an_identical_resend_is_a_redelivery(
    tmp_path: Path, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    v1, v2 = _versions(seed_event_bytes)
    _land(tmp_path, [v1], 0, validator)
    # The index of the run that lands v2 stays in memory: read again in the same process (a
    # rebalance, a failed landing), v2 still names v1 as the version it replaces.
    index = dedup_index_from(tmp_path)
    batch, tables, _ = _land(tmp_path, [v2], 1, validator, index)
    after = {name: DeltaTable(str(tmp_path / name)).version() for name in (*CONTENT_TABLES, "quarantine")}
    again = process_batch(batch, index, validator).tables
    assert again[REPLACEMENTS].to_pylist() == tables[REPLACEMENTS].to_pylist()
    assert all(x.version is None and x.rows == 0 for x in land_batch(tmp_path, again, batch))
    # ... and after a restart (the index rebuilt from the lake, which holds only v2 now).
    rebuilt = process_batch(batch, dedup_index_from(tmp_path), validator).tables
    assert all(x.version is None for x in land_batch(tmp_path, rebuilt, batch))
    assert {name: DeltaTable(str(tmp_path / name)).version() for name in after} == after

    # v2 sent once more with the same content: a redelivery, nothing replaced.
    _, tables, _ = _land(tmp_path, [v2], 2, validator)
    assert tables[REPLACEMENTS].num_rows == 0
    for name in CONTENT_TABLES:
        assert list(_by_offset(tmp_path, name)) == [1], name
    reasons = dict(zip(*read_table(tmp_path, "quarantine", columns=["kafka_offset", "reason"]).to_pydict().values(),
                       strict=True))
    assert reasons[0].startswith("superseded: ") and reasons[2].startswith("redelivery: ")
    result = account(tmp_path)
    assert result.doubled() == [] and result.missing({("news", 0): 3}) == []


def test_a_crash_between_tables_commits_is_redone_from_the_lake(
    tmp_path: Path, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    """The articles table commits last: a crash before it leaves the earlier version in the
    articles table, so the restarted run finds the same replacement for the tables left."""
    v1, v2 = _versions(seed_event_bytes)
    _land(tmp_path, [v1], 0, validator)
    batch = Batch(records_from_values([v2], topic="news", start_offset=1))
    tables = process_batch(batch, dedup_index_from(tmp_path), validator).tables
    sink = DeltaSink(tmp_path, "newsflow-ingest")
    replacements = current_versions(sink.table("articles"), tables[REPLACEMENTS])
    for name in ("entities", "quotes", "quarantine"):  # then the process died
        sink._land_table(name, tables.get(name), batch, replacements)
    assert list(_by_offset(tmp_path, "entities")) == [1] and list(_by_offset(tmp_path, "amounts")) == [0]

    redo = process_batch(batch, dedup_index_from(tmp_path), validator).tables
    landed = {x.table: x for x in land_batch(tmp_path, redo, batch)}
    assert landed["entities"].version is None and landed["quarantine"].version is None
    for name in CONTENT_TABLES:
        assert list(_by_offset(tmp_path, name)) == [1], name
    result = account(tmp_path)
    assert result.doubled() == [] and result.missing({("news", 0): 2}) == []


def test_two_versions_in_one_batch_land_only_the_later(
    tmp_path: Path, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    v1, v2 = _versions(seed_event_bytes)
    _, tables, _ = _land(tmp_path, [v1, v2], 0, validator)
    assert tables[REPLACEMENTS].select(["kafka_offset", "replaced_offset"]).to_pylist() == [
        {"kafka_offset": 1, "replaced_offset": 0}]
    for name in CONTENT_TABLES:
        assert list(_by_offset(tmp_path, name)) == [1], name
    result = account(tmp_path)
    assert result.doubled() == [] and result.missing({("news", 0): 2}) == []


def _third_version(seed_event_bytes: bytes) -> bytes:
    event = json.loads(seed_event_bytes)
    return json.dumps({**event, "body": event["body"] + CORRECTION + "\n\nUpdated with the Kremlin's reply."}).encode()


def test_the_version_replaced_is_the_one_in_the_articles_table_not_the_one_the_index_names(
    tmp_path: Path, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    v1, v2 = _versions(seed_event_bytes)
    _land(tmp_path, [v1], 0, validator)
    # The index names offset 1 as the article's latest version: a version this process read and
    # then quarantined, which never reached the articles table.
    index = dedup_index_from(tmp_path)
    index.remember("5746d6ddd9dd780a", (int(time.time() * 1000), "news", 0, 1), "a hash of the quarantined version")
    _, tables, _ = _land(tmp_path, [v2], 2, validator, index)
    assert tables[REPLACEMENTS]["replaced_offset"].to_pylist() == [1]
    for name in CONTENT_TABLES:
        assert list(_by_offset(tmp_path, name)) == [2], name
    superseded = read_table(tmp_path, "quarantine", columns=["kafka_offset"])["kafka_offset"].to_pylist()
    assert superseded == [0]  # the offset that left the articles table, not the one named


def test_rows_of_one_id_landed_twice_before_are_all_replaced(
    tmp_path: Path, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    v1, v2 = _versions(seed_event_bytes)
    # Landed as before versions replaced each other: both versions' rows under one id.
    _land(tmp_path, [v1], 0, validator, DedupIndex())
    _land(tmp_path, [v2], 1, validator, DedupIndex())
    assert list(_by_offset(tmp_path, "articles")) == [0, 1]
    _land(tmp_path, [_third_version(seed_event_bytes)], 2, validator)
    for name in CONTENT_TABLES:
        assert list(_by_offset(tmp_path, name)) == [2], name
    result = account(tmp_path)
    assert result.doubled() == [] and result.missing({("news", 0): 3}) == []
    assert sorted(result.quarantined) == [("news", 0, 0), ("news", 0, 1)]


def test_a_version_from_an_earlier_epoch_is_accounted_in_its_own_epoch(
    tmp_path: Path, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    """After --new-epoch, offset 0 names another record: the note for v1 (epoch 0, offset 0)
    must neither drop nor double the new log's offset 0."""
    v1, v2 = _versions(seed_event_bytes)
    _land(tmp_path, [v1], 0, validator)
    other = json.dumps({**json.loads(seed_event_bytes), "id": "another-article"}).encode()
    batch = Batch(records_from_values([other, v2], topic="news"))  # the new log, from offset 0
    tables = process_batch(batch, dedup_index_from(tmp_path), validator).tables
    land_batch(tmp_path, tables, batch, epoch=1)
    ids = read_table(tmp_path, "articles", columns=["article_id", "kafka_epoch", "kafka_offset"]).to_pylist()
    assert sorted(ids, key=str) == sorted([{"article_id": "another-article", "kafka_epoch": 1, "kafka_offset": 0},
                                           {"article_id": "5746d6ddd9dd780a", "kafka_epoch": 1, "kafka_offset": 1}],
                                          key=str)
    old, new = account(tmp_path, epoch=0), account(tmp_path, epoch=1)
    assert set(old.quarantined) == {("news", 0, 0)} and not old.articles
    assert new.doubled() == [] and new.missing({("news", 0): 2}) == [] and not new.quarantined
