"""Exact and near-duplicate detection: content hashes and 64-bit SimHash with banded lookup."""

from __future__ import annotations

import hashlib
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

_WORD = re.compile(r"\w+", re.UNICODE)
SIMHASH_BITS = 64
# Two texts whose SimHashes differ in at most this many bits are near-duplicates. Splitting the 64
# bits into NEAR_DUPLICATE_BITS + 1 bands means any such pair shares a band exactly (pigeonhole),
# so the banded lookup misses none of them.
NEAR_DUPLICATE_BITS = 4
_BANDS = NEAR_DUPLICATE_BITS + 1
_BAND_EDGES = [round(i * SIMHASH_BITS / _BANDS) for i in range(_BANDS + 1)]


def content_hash(text: str) -> str:
    """Hash of the words only: case, punctuation and spacing changes do not make a new article."""
    words = " ".join(_WORD.findall(text.lower()))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def simhash(text: str) -> int:
    """64-bit SimHash (Charikar) over words weighted by count, as a signed int64 (Parquet int64).

    Single words rather than shingles: a wire copy with a re-worded lede moves only a few bits.
    """
    import numpy as np

    counts = Counter(_WORD.findall(text.lower()))
    if not counts:
        return 0
    hashes = np.array(
        [int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big") for w in counts],
        dtype=np.uint64,
    )
    bits = (hashes[:, None] >> np.arange(SIMHASH_BITS, dtype=np.uint64)) & np.uint64(1)
    signs = bits.astype(np.int64) * 2 - 1  # +1 where the word's hash has the bit set, else -1
    weights = (signs * np.array(list(counts.values()), dtype=np.int64)[:, None]).sum(axis=0)
    value = sum(1 << bit for bit in range(SIMHASH_BITS) if weights[bit] > 0)
    return value - (1 << 64) if value >= (1 << 63) else value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def _bands(value: int) -> list[int]:
    """The SimHash's bands, each as one int: band number << 16 | the band's bits (at most 13)."""
    unsigned = value & ((1 << 64) - 1)
    return [
        (i << 16) | ((unsigned >> lo) & ((1 << (hi - lo)) - 1))
        for i, (lo, hi) in enumerate(zip(_BAND_EDGES, _BAND_EDGES[1:], strict=False))
    ]


# The order in which articles count as "first": Kafka timestamp, then position in the log.
Position = tuple[int, str, int, int]  # (timestamp_ms, topic, partition, offset)


@dataclass(slots=True)  # one per article in the window: tens of thousands at start-up
class _Entry:
    article_id: str
    position: Position
    simhash: int


@dataclass
class DedupIndex:
    """What has been seen: built from landed articles at start-up, extended batch by batch."""

    by_hash: dict[str, _Entry] = field(default_factory=dict)
    # Band -> the entry, or the entries, having it. Most bands hold one article: a bare entry
    # instead of a one-item list (and int keys instead of tuples) keeps a window of 85,000
    # articles about 60 MB smaller at start-up.
    by_band: dict[int, _Entry | list[_Entry]] = field(default_factory=dict)
    # Each article id's latest delivery: (position, content hash, the delivery it replaced as
    # (position, hash) or None). Identity is the id: the same id with the same content again is
    # a redelivery, with other content a new version. The replaced delivery is kept so that a
    # batch read again in this process (a rebalance, a failed landing) finds the same version
    # to replace as the first time.
    by_id: dict[str, tuple[Position, str, tuple[Position, str] | None]] = field(default_factory=dict)

    def remember(self, article_id: str, position: Position, chash: str) -> None:
        """Record a delivery of an article id (original or duplicate)."""
        current = self.by_id.get(article_id)
        if current is None or current[0] < position:
            self.by_id[article_id] = (position, chash, (current[0], current[1]) if current else None)

    def forget(self, article_id: str, position: Position) -> None:
        """Undo remember() of a delivery that did not land as an article (quarantined): the
        version it would have replaced is the article's current one again."""
        current = self.by_id.get(article_id)
        if current is None or current[0] != position:
            return
        if current[2] is None:
            del self.by_id[article_id]
        else:
            self.by_id[article_id] = (*current[2], None)

    def replaced_by(self, article_id: str, position: Position, chash: str) -> Position | None:
        """The position of the earlier version of this article that a delivery with new content
        replaces (None for a new id, a redelivery, or a delivery older than the latest). A
        delivery already remembered (the same record read again) gives the same answer."""
        current = self.by_id.get(article_id)
        if current is None:
            return None
        if current[0] == position:
            return current[2][0] if current[2] is not None else None
        if current[0] < position and current[1] != chash:
            return current[0]
        return None

    def is_redelivery(self, article_id: str, position: Position, chash: str) -> bool:
        """True when an earlier delivery of this id had the same content. The same record read
        again (a batch redone after a crash) is at the same position, so it is not one."""
        seen = self.by_id.get(article_id)
        return seen is not None and seen[0] < position and seen[1] == chash

    def add(self, article_id: str, position: Position, chash: str, sim: int) -> None:
        entry = _Entry(article_id, position, sim)
        current = self.by_hash.get(chash)
        if current is None or position < current.position:
            self.by_hash[chash] = entry
        for band in _bands(sim):
            current_entries = self.by_band.get(band)
            if current_entries is None:
                self.by_band[band] = entry
            elif isinstance(current_entries, list):
                current_entries.append(entry)
            else:
                self.by_band[band] = [current_entries, entry]

    def find(self, position: Position, chash: str, sim: int, article_id: str | None = None) -> tuple[str, str] | None:
        """(article_id, 'exact' | 'near') of an earlier article with this content, if any.

        Only entries *before* `position` count, so re-processing a landed-but-uncommitted batch
        after a crash finds neither itself nor later copies; and never an earlier version of
        `article_id` itself (an article is not a duplicate of itself).
        """
        exact = self.by_hash.get(chash)
        if exact is not None and exact.position < position and exact.article_id != article_id:
            return exact.article_id, "exact"
        if sim == 0:
            return None
        best: _Entry | None = None
        for band in _bands(sim):
            found = self.by_band.get(band)
            for entry in (() if found is None else found if isinstance(found, list) else (found,)):
                close = (entry.position < position and entry.article_id != article_id
                         and hamming(entry.simhash, sim) <= NEAR_DUPLICATE_BITS)
                if close and (best is None or entry.position < best.position):
                    best = entry
        return (best.article_id, "near") if best else None

    def extend(
        self,
        article_ids: Iterable[str],
        content_hashes: Iterable[str | None],
        simhashes: Iterable[int | None],
        duplicate_of: Iterable[str | None],
        timestamps_ms: Iterable[int | None],
        topics: Iterable[str],
        partitions: Iterable[int],
        offsets: Iterable[int],
    ) -> None:
        """Add landed articles, given column by column (no dict per row: at start-up the window
        can hold a hundred thousand articles)."""
        columns = (article_ids, content_hashes, simhashes, duplicate_of, timestamps_ms, topics, partitions, offsets)
        for article_id, chash, sim, original_of, ts, topic, partition, offset in zip(*columns, strict=True):
            if not chash:
                continue
            position = (int(ts or 0), sys.intern(topic), int(partition), int(offset))
            self.remember(article_id, position, chash)
            if original_of is None:
                self.add(article_id, position, chash, int(sim or 0))
