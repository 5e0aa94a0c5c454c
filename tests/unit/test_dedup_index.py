"""The dedup index built at start-up from landed columns (compact numpy arrays) answers exactly as one
built row by row with remember() and add() (the dicts a running process fills), before and after the process
adds, remembers and forgets deliveries of its own."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any
from unittest import mock

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from newsflow.tasks import dedup
from newsflow.tasks.dedup import DedupIndex, _band_arrays, _bands, _popcounts, content_hash, hamming, simhash

FINGERPRINTS = pa.schema([("article_id", pa.string()), ("content_hash", pa.string()), ("simhash", pa.int64()),
                          ("duplicate_of", pa.string()), ("kafka_timestamp", pa.int64()), ("kafka_topic", pa.string()),
                          ("kafka_partition", pa.int32()), ("kafka_offset", pa.int64())])
COLUMNS = FINGERPRINTS.names

IDS = ["a", "b", "c"]
HASHES = ["h1", "h2", "h3"]
BASE = 0x0123_4567_89AB_CDEF
# SimHashes: 0 (no words), one value and copies of it 1 and 4 bits away (near), 5 bits away (not
# near, though it shares bands), a negative one (the lake's int64 is signed) and one far from all.
SIMS = [0, BASE, BASE ^ 1, BASE ^ 0b1111 << 40, BASE ^ 0b11111, -(BASE ^ 1 << 20), 0x7EDC_BA98_7654_3210]
TIMESTAMPS, TOPICS, OFFSETS = [None, 1, 2], ["s", "t"], [0, 1, 2]
POSITIONS = [(ts or 0, topic, 0, offset) for ts, topic, offset in itertools.product(TIMESTAMPS, TOPICS, OFFSETS)]
LATE = (9, "t", 0, 9)


def _batches(rows: list[tuple[Any, ...]], cuts: list[int]) -> Iterator[pa.RecordBatch]:
    """The rows as record batches of the fingerprint columns, cut where `cuts` say."""
    edges = sorted({0, len(rows), *(c % (len(rows) + 1) for c in cuts)})
    for start, end in itertools.pairwise(edges):
        columns = list(zip(*rows[start:end], strict=True))
        yield pa.RecordBatch.from_arrays([pa.array(c, t.type) for c, t in zip(columns, FINGERPRINTS, strict=True)],
                                         schema=FINGERPRINTS)


def _row_by_row(rows: list[tuple[Any, ...]]) -> DedupIndex:
    """The landed rows added one by one to the dicts a running process fills (the reference the
    compact start-up form must answer like)."""
    index = DedupIndex()
    for article_id, chash, sim, original_of, ts, topic, partition, offset in rows:
        if not chash:
            continue
        position = (int(ts or 0), topic, int(partition), int(offset))
        index.remember(article_id, position, chash)
        if original_of is None:
            index.add(article_id, position, chash, int(sim or 0))
    return index


def _answers(index: DedupIndex) -> list[Any]:
    """Everything the index says about the ids, hashes and positions of the tests, through its
    public methods."""
    answers: list[Any] = [index.id_count, index.content_count]
    for article_id, position, chash in itertools.product(IDS, [*POSITIONS, LATE], HASHES):
        answers.append((index.is_redelivery(article_id, position, chash), index.replaced_by(article_id, position, chash)))
    for position, chash, sim, article_id in itertools.product([*POSITIONS, LATE], HASHES, SIMS, [*IDS, None]):
        answers.append(index.find(position, chash, sim, article_id))
    return answers


def _apply(index: DedupIndex, operations: list[tuple[Any, ...]]) -> None:
    for name, article_id, position, chash, sim in operations:
        if name == "remember":
            index.remember(article_id, position, chash)
        elif name == "add":
            index.add(article_id, position, chash, sim)
        else:
            index.forget(article_id, position)


rows_strategy = st.lists(st.tuples(
    st.sampled_from(IDS), st.sampled_from([*HASHES, None, ""]), st.sampled_from([*SIMS, None]),
    st.sampled_from([None, None, "x"]), st.sampled_from(TIMESTAMPS), st.sampled_from(TOPICS), st.just(0),
    st.sampled_from(OFFSETS)), max_size=14)
operations_strategy = st.lists(st.tuples(
    st.sampled_from(["remember", "add", "forget"]), st.sampled_from(IDS), st.sampled_from([*POSITIONS, LATE]),
    st.sampled_from(HASHES), st.sampled_from(SIMS)), max_size=8)


@settings(max_examples=40, deadline=None)
@given(rows=rows_strategy, cuts=st.lists(st.integers(0, 15), max_size=3), operations=operations_strategy,
       colliding_ids=st.booleans())
def test_an_index_built_from_landed_columns_answers_as_one_built_row_by_row(
    rows: list[tuple[Any, ...]], cuts: list[int], operations: list[tuple[Any, ...]], colliding_ids: bool
) -> None:
    """Rows in any order, with repeated ids and positions (versions, the same record twice),
    duplicates, rows without a hash; the same answers after the process's own deliveries. With
    colliding_ids every id has the same checksum, which the window must tell apart by the ids."""
    same_checksum = mock.patch.object(dedup, "_id_checksum", lambda article_id: 7)
    with same_checksum if colliding_ids else contextlib.nullcontext():
        compact, reference = DedupIndex.from_landed(_batches(rows, cuts)), _row_by_row(rows)
        assert _answers(compact) == _answers(reference)
        _apply(compact, operations)
        _apply(reference, operations)
        assert _answers(compact) == _answers(reference)


def _landed(article_id: str, text: str, offset: int, duplicate_of: str | None = None) -> tuple[Any, ...]:
    return (article_id, content_hash(text), simhash(text), duplicate_of, 1_700_000_000_000 + offset, "news", 0, offset)


STORY = ("Negotiators met again on Monday after a pause of several weeks, officials said, and the two "
         "delegations are expected to publish a joint statement later this week in Geneva.")
OTHER = "Heavy rain closed the river road for a second day, the county said; crews expect to reopen one lane soon."


def test_landed_articles_are_found_again_exactly_near_redelivered_and_replaced() -> None:
    index = DedupIndex.from_landed(iter([pa.RecordBatch.from_pylist(
        [dict(zip(COLUMNS, row, strict=True)) for row in [
            _landed("story", STORY, 1),
            _landed("copy", STORY, 2, duplicate_of="story"),
            _landed("road", OTHER, 3),
            _landed("road", OTHER + " Updated.", 4),  # a new version of the same id
        ]], schema=FINGERPRINTS)]))
    later = (1_700_000_000_000 + 10, "news", 0, 10)
    assert index.id_count == 3 and index.content_count == 3  # the copy is remembered, not indexed
    assert index.find(later, content_hash(STORY), simhash(STORY), "other") == ("story", "exact")
    reworded = STORY.replace("officials said,", "officials said indeed,")  # 1 bit of the SimHash away
    assert index.find(later, content_hash(reworded), simhash(reworded), "other") == ("story", "near")
    assert index.find(later, content_hash(reworded), simhash(reworded), "story") is None  # never itself
    assert index.is_redelivery("copy", later, content_hash(STORY))
    assert index.replaced_by("road", later, content_hash("another text")) == (1_700_000_000_004, "news", 0, 4)
    # The latest version read again (a batch redone) replaces the same version as the first time.
    assert index.replaced_by("road", (1_700_000_000_004, "news", 0, 4), "any") == (1_700_000_000_003, "news", 0, 3)
    # Forgetting the latest landed version (its redo was quarantined) makes the earlier one current.
    index.forget("road", (1_700_000_000_004, "news", 0, 4))
    assert index.is_redelivery("road", later, content_hash(OTHER))
    index.forget("road", (1_700_000_000_003, "news", 0, 3))
    assert index.id_count == 2 and index.replaced_by("road", later, "any") is None


def test_an_empty_window_is_an_empty_index() -> None:
    index = DedupIndex.from_landed(iter([]))
    assert index.id_count == 0 and index.content_count == 0
    assert index.find(LATE, "h1", BASE, "a") is None and not index.is_redelivery("a", LATE, "h1")


def test_bands_of_many_simhashes_are_those_of_each() -> None:
    values = np.array([0, 1, -1, BASE, -BASE, 2**63 - 1, -(2**63)], dtype=np.int64)
    assert _band_arrays(values).T.tolist() == [_bands(int(v)) for v in values]


def test_popcounts_count_the_bits_of_the_64_bit_pattern() -> None:
    values = [0, 1, -1, BASE, -BASE, 2**63 - 1, -(2**63), -(BASE ^ 1 << 20)]
    assert _popcounts(np.array(values, dtype=np.int64)).tolist() == [hamming(v, 0) for v in values]
