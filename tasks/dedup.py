"""Exact and near-duplicate detection: content hashes and 64-bit SimHash with banded lookup.

The index of what has been seen has two parts: the landed articles of the window it starts from,
held column by column in numpy arrays (_LandedWindow: start-up memory stays small however large
the window), and what the running process adds batch by batch, in dicts. Every lookup asks both.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

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
    return _content_hash(_words(text))


def simhash(text: str) -> int:
    """64-bit SimHash (Charikar) over words weighted by count, as a signed int64 (Parquet int64).

    Single words rather than shingles: a wire copy with a re-worded lede moves only a few bits.
    """
    return _simhash(_words(text))


def fingerprints(text: str) -> tuple[str, int]:
    """(content_hash(text), simhash(text)), finding the words once."""
    words = _words(text)
    return _content_hash(words), _simhash(words)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _content_hash(words: list[str]) -> str:
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1 << 16)  # a news vocabulary's common words; a hit costs a tenth of the hash
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")


_BIT_SHIFTS = np.arange(SIMHASH_BITS, dtype=np.uint64)


def _simhash(words: list[str]) -> int:
    counts = Counter(words)
    if not counts:
        return 0
    hashes = np.fromiter(map(_word_hash, counts), dtype=np.uint64, count=len(counts))
    bits = ((hashes[:, None] >> _BIT_SHIFTS) & np.uint64(1)).astype(np.int64)  # word x bit: 1 if set
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    # Each word adds its count to the bits its hash has set and takes it from the others.
    totals = 2 * (weights @ bits) - weights.sum()
    value = int(((totals > 0).astype(np.uint64) << _BIT_SHIFTS).sum())
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


def _band_arrays(simhashes: np.ndarray) -> np.ndarray:
    """_bands() of many SimHashes (int64) at once, the same keys: shape (bands, len(simhashes))."""
    unsigned = simhashes.view(np.uint64)
    keys = np.empty((_BANDS, len(simhashes)), dtype=np.int64)
    for i, (lo, hi) in enumerate(zip(_BAND_EDGES, _BAND_EDGES[1:], strict=False)):
        keys[i] = (unsigned >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)
        keys[i] |= i << 16
    return keys


def _popcounts(values: np.ndarray) -> np.ndarray:
    """Set bits of each int64, as the 64-bit pattern (hamming()), sign bit included."""
    unsigned = np.ascontiguousarray(values, dtype=np.int64).view(np.uint64)
    if hasattr(np, "bitwise_count"):  # numpy 2; of a signed int it would count the absolute value's bits
        return np.bitwise_count(unsigned)
    return np.unpackbits(unsigned.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def _int64(value: int) -> int:
    """A 64-bit value as the signed int64 numpy (and the lake's simhash column) holds."""
    return (value + (1 << 63)) % (1 << 64) - (1 << 63)


def _hash_key(chash: str) -> bytes:
    """The 16 bytes the index knows a content hash by, instead of its 64-character string: a
    128-bit BLAKE2b of it. Two different content hashes get the same key with probability 2^-128
    a pair (about 1e-23 for a window of a hundred million articles), so an "exact duplicate" is
    still exact in practice. The whole string is hashed, not cut short: hand-made hashes (tests,
    synthetic rows like f"{i:064x}") may differ only in their last characters."""
    return hashlib.blake2b(chash.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _id_checksum(article_id: str) -> int:
    """What the landed window sorts article ids by for lookups: a checksum, not a secure hash (ids
    with the same one are told apart by comparing the ids). Not Python's hash(), which is salted
    per process (a pickled index would be wrong in another). surrogatepass: a JSON id may hold a
    lone surrogate, which strict UTF-8 refuses."""
    return zlib.crc32(article_id.encode("utf-8", "surrogatepass"))


# The order in which articles count as "first": Kafka timestamp, then position in the log.
Position = tuple[int, str, int, int]  # (timestamp_ms, topic, partition, offset)
# An article id's latest delivery: (position, content hash key, the delivery it replaced as
# (position, content hash key) or None).
Delivery = tuple[Position, bytes, tuple[Position, bytes] | None]


# An original, as find() looks at it. The landed window makes them only for the rows a lookup returns.
@dataclass(slots=True)
class _Entry:
    article_id: str
    position: Position
    simhash: int


class _LandedWindow:
    """The landed articles an index starts from, column by column in numpy arrays; read-only.

    As Python objects (an entry, tuples, dict slots and a 64-character string per article) the
    30-day window of a 1M-article history (85,000 articles) took 48 MB, and raised the process's
    peak by about 70 MB. Here an article takes about 130 bytes, and Python objects are made only
    for the rows a lookup returns. The window answers as DedupIndex's dicts would have, had each
    row been given to remember() (and add(), for originals) in the order read."""

    def __init__(
        self,
        *,
        timestamps: np.ndarray,
        topic_numbers: np.ndarray,
        topics: list[str],
        partitions: np.ndarray,
        offsets: np.ndarray,
        key_high: np.ndarray,
        key_low: np.ndarray,
        simhashes: np.ndarray,
        originals: np.ndarray,
        article_ids: Any,
        id_checksums: np.ndarray,
    ) -> None:
        """One row per landed delivery, in the order read (the first read wins ties, as with add()).
        topic_numbers index `topics`, which must be sorted (positions compare by topic name);
        key_high and key_low are the _hash_key() bytes as two big-endian uint64; article_ids is a
        pyarrow string array, id_checksums its _id_checksum()s."""
        import pyarrow as pa
        import pyarrow.compute as pc

        # np.asarray: no copies of arrays already of the right type (start-up memory).
        self._timestamps = np.asarray(timestamps, dtype=np.int64)
        self._topic_numbers = np.asarray(topic_numbers, dtype=np.int32)
        self._topics = topics
        self._partitions = np.asarray(partitions, dtype=np.int32)
        self._offsets = np.asarray(offsets, dtype=np.int64)
        self._key_high = np.asarray(key_high, dtype=np.uint64)
        self._key_low = np.asarray(key_low, dtype=np.uint64)
        self._simhashes = np.asarray(simhashes, dtype=np.int64)

        # The distinct article ids, ordered by checksum for a binary search, and each row's id as
        # a number (its place in self._ids). Sorting by (checksum, id) puts equal ids side by side
        # even where different ids share a checksum.
        id_checksums = np.asarray(id_checksums, dtype=np.uint32)
        order = np.asarray(pc.sort_indices(pa.table({"checksum": id_checksums, "id": article_ids}),
                                           sort_keys=[("checksum", "ascending"), ("id", "ascending")]))
        sorted_ids, sorted_checksums = article_ids.take(order), id_checksums[order]
        new_id = np.ones(len(order), dtype=bool)
        new_id[1:] = (sorted_checksums[1:] != sorted_checksums[:-1]) | \
            ~np.asarray(pc.equal(sorted_ids[1:], sorted_ids[:-1]), dtype=bool)
        self._ids = sorted_ids.filter(pa.array(new_id))
        self._id_checksums = sorted_checksums[new_id]
        self._id_numbers = np.empty(len(order), dtype=np.int32)
        self._id_numbers[order] = np.cumsum(new_id) - 1
        del order, sorted_ids, sorted_checksums, new_id
        # Per id, its latest delivery and the delivery that one replaced (rows; -1 for none).
        self._latest, self._replaced = self._latest_deliveries()

        # Exact duplicates: the first original of each content, sorted by hash key.
        self._first_rows = self._first_of_each_content(np.asarray(originals, dtype=bool))
        self._first_key_high = self._key_high[self._first_rows]

        # Near duplicates: band key << 32 | row, for every band of every original, sorted: the rows
        # having a band key are one slice of it, in the order read.
        original_rows = np.flatnonzero(originals)
        bands = _band_arrays(self._simhashes[original_rows])
        bands <<= 32
        bands |= original_rows
        self._bands = bands.ravel()
        self._bands.sort()

    @classmethod
    def empty(cls) -> _LandedWindow:
        import pyarrow as pa

        none = np.zeros(0, dtype=np.int64)
        return cls(timestamps=none, topic_numbers=none, topics=[], partitions=none, offsets=none, key_high=none,
                   key_low=none, simhashes=none, originals=none.astype(bool), article_ids=pa.array([], pa.string()),
                   id_checksums=none)

    @classmethod
    def from_batches(cls, batches: Iterable[pa.RecordBatch]) -> _LandedWindow:
        """From batches of the fingerprint columns (article_id, content_hash, simhash, duplicate_of,
        kafka_timestamp as int64 milliseconds, kafka_topic, kafka_partition, kafka_offset). Each
        batch is reduced to compact columns as it comes: the window is never held as Python
        objects, and of its strings only the article ids are kept (as Arrow)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        topic_numbers: dict[str, int] = {}  # in the order seen; sorted at the end
        parts: dict[str, list[Any]] = {name: [] for name in (
            "article_ids", "id_checksums", "timestamps", "topic_numbers", "partitions", "offsets", "key_high",
            "key_low", "simhashes", "originals")}
        for batch in batches:
            # Rows without a content hash are not indexed (nothing to compare).
            batch = batch.filter(pc.fill_null(pc.not_equal(batch.column("content_hash"), ""), False))
            ids = batch.column("article_id")
            parts["article_ids"].append(ids)
            parts["id_checksums"].append(np.array([_id_checksum(i) for i in ids.to_pylist()], dtype=np.uint32))
            keys = b"".join(_hash_key(h) for h in batch.column("content_hash").to_pylist())
            keys_array = np.frombuffer(keys, dtype=">u8").reshape(-1, 2)
            parts["key_high"].append(keys_array[:, 0].astype(np.uint64))
            parts["key_low"].append(keys_array[:, 1].astype(np.uint64))
            topics = batch.column("kafka_topic").dictionary_encode()
            numbers = [topic_numbers.setdefault(name, len(topic_numbers)) for name in topics.dictionary.to_pylist()]
            parts["topic_numbers"].append(np.array(numbers, dtype=np.int32)[np.asarray(topics.indices, dtype=np.int64)])
            # astype copies: the arrays hold nothing of the batch's buffers.
            parts["timestamps"].append(np.asarray(batch.column("kafka_timestamp").fill_null(0)).astype(np.int64))
            parts["partitions"].append(np.asarray(batch.column("kafka_partition")).astype(np.int32))
            parts["offsets"].append(np.asarray(batch.column("kafka_offset")).astype(np.int64))
            parts["simhashes"].append(np.asarray(batch.column("simhash").fill_null(0)).astype(np.int64))
            parts["originals"].append(np.asarray(batch.column("duplicate_of").is_null()).astype(bool))
        if not parts["article_ids"]:
            return cls.empty()
        article_ids = pa.concat_arrays(parts.pop("article_ids"))
        columns = {name: np.concatenate(parts.pop(name)) for name in list(parts)}  # pop: one copy at a time
        topics = sorted(topic_numbers)
        sorted_numbers = np.array([topics.index(name) for name in topic_numbers], dtype=np.int32)
        columns["topic_numbers"] = sorted_numbers[columns["topic_numbers"]]
        return cls(**columns, topics=topics, article_ids=article_ids)

    def _latest_deliveries(self) -> tuple[np.ndarray, np.ndarray]:
        """Per id number, the row remember() would leave as the id's latest delivery and the row
        that delivery replaced (-1: none), had it been given the rows one by one in the order read.

        remember() keeps a delivery only over a strictly lower position, so the latest is the
        first-read row of the id's highest position, and what it replaced is the first-read row of
        the highest position among the id's rows read before it."""
        id_numbers = self._id_numbers
        rows = np.arange(len(id_numbers))
        # By id, then position, then *descending* row: each id's run ends with its latest.
        order = np.lexsort((-rows, self._offsets, self._partitions, self._topic_numbers, self._timestamps, id_numbers))
        run_ids = id_numbers[order]
        latest = order[np.flatnonzero(np.diff(run_ids, append=-1) != 0)]  # every id number has a run
        read_before = np.flatnonzero(order < latest[run_ids])  # places in `order`, runs still in order
        replaced = np.full(len(latest), -1, dtype=np.int32)
        before_ids = run_ids[read_before]
        run_ends = np.flatnonzero(np.diff(before_ids, append=-1) != 0)
        replaced[before_ids[run_ends]] = order[read_before[run_ends]]
        return latest.astype(np.int32), replaced

    def _first_of_each_content(self, originals: np.ndarray) -> np.ndarray:
        """The row add() would keep in by_hash for each content: its original of the lowest
        position, the first read on a tie. Sorted by hash key."""
        # Originals first (False sorts first), then by key and position; lexsort is stable, so
        # rows of the same position stay in the order read.
        order = np.lexsort((self._offsets, self._partitions, self._topic_numbers, self._timestamps, self._key_low,
                            self._key_high, ~originals))[:np.count_nonzero(originals)]
        high, low = self._key_high[order], self._key_low[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (high[1:] != high[:-1]) | (low[1:] != low[:-1])
        return order[first].astype(np.int32)

    @property
    def id_count(self) -> int:
        return len(self._ids)

    @property
    def content_count(self) -> int:
        return len(self._first_rows)

    def _position(self, row: int) -> Position:
        return (int(self._timestamps[row]), self._topics[self._topic_numbers[row]], int(self._partitions[row]),
                int(self._offsets[row]))

    def _key(self, row: int) -> bytes:
        return int(self._key_high[row]).to_bytes(8, "big") + int(self._key_low[row]).to_bytes(8, "big")

    def _entry(self, row: int) -> _Entry:
        return _Entry(self._ids[int(self._id_numbers[row])].as_py(), self._position(row), int(self._simhashes[row]))

    def _id_number(self, article_id: str) -> int | None:
        if not len(self._ids):
            return None
        checksum = np.uint32(_id_checksum(article_id))  # of the array's type: no conversion of the array
        i = int(np.searchsorted(self._id_checksums, checksum))
        while i < len(self._ids) and self._id_checksums[i] == checksum:
            if self._ids[i].as_py() == article_id:
                return i
            i += 1
        return None

    def has_id(self, article_id: str) -> bool:
        return self._id_number(article_id) is not None

    def delivery(self, article_id: str) -> Delivery | None:
        """The id's latest delivery, as DedupIndex._by_id holds it."""
        i = self._id_number(article_id)
        if i is None:
            return None
        latest, replaced = int(self._latest[i]), int(self._replaced[i])
        before = (self._position(replaced), self._key(replaced)) if replaced >= 0 else None
        return self._position(latest), self._key(latest), before

    def first_with(self, key: bytes) -> _Entry | None:
        """The first original with this content hash key."""
        if not len(self._first_rows):
            return None
        high, low = int.from_bytes(key[:8], "big"), int.from_bytes(key[8:], "big")
        i = int(np.searchsorted(self._first_key_high, np.uint64(high)))
        while i < len(self._first_rows) and self._first_key_high[i] == high:
            row = int(self._first_rows[i])
            if self._key_low[row] == low:
                return self._entry(row)
            i += 1
        return None

    def near(self, sim: int) -> list[list[_Entry]]:
        """Per band of `sim` (in _bands() order), the originals having it that are within
        NEAR_DUPLICATE_BITS of `sim`, in the order read."""
        near: list[list[_Entry]] = [[] for _ in range(_BANDS)]
        if not len(self._bands):
            return near
        bands = np.array(_bands(sim), dtype=np.int64) << 32
        found = np.searchsorted(self._bands, np.concatenate([bands, bands + (1 << 32)]))
        starts, ends = found[:_BANDS], found[_BANDS:]
        if not (ends - starts).any():
            return near
        rows = np.concatenate([self._bands[s:e] for s, e in zip(starts, ends, strict=True)]) & 0xFFFFFFFF
        band_of_row = np.repeat(np.arange(_BANDS), ends - starts)
        close = _popcounts(self._simhashes[rows] ^ np.int64(_int64(sim))) <= NEAR_DUPLICATE_BITS
        for band, row in zip(band_of_row[close].tolist(), rows[close].tolist(), strict=True):  # a few rows
            near[band].append(self._entry(row))
        return near


class DedupIndex:
    """What has been seen: the landed articles of the window at start-up (from_landed(), compact),
    extended batch by batch with what this process sees (dicts that shadow the landed window)."""

    def __init__(self, landed: _LandedWindow | None = None) -> None:
        self._landed = landed if landed is not None else _LandedWindow.empty()
        # Content hash key -> the first original with it, when earlier than the landed window's.
        self._by_hash: dict[bytes, _Entry] = {}
        # Band -> the entry, or the entries, having it. Most bands hold one article: a bare entry
        # instead of a one-item list (and int keys instead of tuples) keeps the dict small.
        self._by_band: dict[int, _Entry | list[_Entry]] = {}
        # Each article id's latest delivery (see Delivery), over the landed window's; None: the id
        # was forgotten though the landed window has it. Identity is the id: the same id with the
        # same content again is a redelivery, with other content a new version. The replaced
        # delivery is kept so that a batch read again in this process (a rebalance, a failed
        # landing) finds the same version to replace as the first time.
        self._by_id: dict[str, Delivery | None] = {}

    @classmethod
    def from_landed(cls, batches: Iterable[pa.RecordBatch]) -> DedupIndex:
        """An index of landed articles, from batches of their fingerprint columns (see
        _LandedWindow.from_batches): what remember() and add() of each row would know, in a
        compact form (an original is a row without duplicate_of)."""
        return cls(_LandedWindow.from_batches(batches))

    @property
    def id_count(self) -> int:
        """Article ids with a known delivery."""
        count = self._landed.id_count
        for article_id, delivery in self._by_id.items():
            if delivery is None:
                count -= 1  # forgotten, though landed
            elif not self._landed.has_id(article_id):
                count += 1
        return count

    @property
    def content_count(self) -> int:
        """Distinct contents among the originals (what exact duplicates are found against)."""
        return self._landed.content_count + sum(1 for key in self._by_hash if self._landed.first_with(key) is None)

    def _delivery(self, article_id: str) -> Delivery | None:
        if article_id in self._by_id:
            return self._by_id[article_id]
        return self._landed.delivery(article_id)

    def _first_with(self, key: bytes) -> _Entry | None:
        # _by_hash holds a key only when its entry is earlier than the landed window's.
        found = self._by_hash.get(key)
        return found if found is not None else self._landed.first_with(key)

    def remember(self, article_id: str, position: Position, chash: str) -> None:
        """Record a delivery of an article id (original or duplicate)."""
        current = self._delivery(article_id)
        if current is None or current[0] < position:
            self._by_id[article_id] = (position, _hash_key(chash), (current[0], current[1]) if current else None)

    def forget(self, article_id: str, position: Position) -> None:
        """Undo remember() of a delivery that did not land as an article (quarantined): the
        version it would have replaced is the article's current one again."""
        current = self._delivery(article_id)
        if current is None or current[0] != position:
            return
        if current[2] is not None:
            self._by_id[article_id] = (*current[2], None)
        elif self._landed.has_id(article_id):
            self._by_id[article_id] = None
        else:
            del self._by_id[article_id]

    def replaced_by(self, article_id: str, position: Position, chash: str) -> Position | None:
        """The position of the earlier version of this article that a delivery with new content
        replaces (None for a new id, a redelivery, or a delivery older than the latest). A
        delivery already remembered (the same record read again) gives the same answer."""
        current = self._delivery(article_id)
        if current is None:
            return None
        if current[0] == position:
            return current[2][0] if current[2] is not None else None
        if current[0] < position and current[1] != _hash_key(chash):
            return current[0]
        return None

    def is_redelivery(self, article_id: str, position: Position, chash: str) -> bool:
        """True when an earlier delivery of this id had the same content. The same record read
        again (a batch redone after a crash) is at the same position, so it is not one."""
        seen = self._delivery(article_id)
        return seen is not None and seen[0] < position and seen[1] == _hash_key(chash)

    def add(self, article_id: str, position: Position, chash: str, sim: int) -> None:
        entry = _Entry(article_id, position, sim)
        key = _hash_key(chash)
        current = self._first_with(key)
        if current is None or position < current.position:
            self._by_hash[key] = entry
        for band in _bands(sim):
            current_entries = self._by_band.get(band)
            if current_entries is None:
                self._by_band[band] = entry
            elif isinstance(current_entries, list):
                current_entries.append(entry)
            else:
                self._by_band[band] = [current_entries, entry]

    def _near(self, sim: int) -> Iterator[_Entry]:
        """Entries sharing a band with `sim`, band by band: the landed window's, then this
        process's (the order find() breaks ties of position in, as when all were in one dict)."""
        for band, landed in zip(_bands(sim), self._landed.near(sim), strict=True):
            yield from landed
            found = self._by_band.get(band)
            yield from (() if found is None else found if isinstance(found, list) else (found,))

    def find(self, position: Position, chash: str, sim: int, article_id: str | None = None) -> tuple[str, str] | None:
        """(article_id, 'exact' | 'near') of an earlier article with this content, if any.

        Only entries *before* `position` count, so re-processing a landed-but-uncommitted batch
        after a crash finds neither itself nor later copies; and never an earlier version of
        `article_id` itself (an article is not a duplicate of itself).
        """
        exact = self._first_with(_hash_key(chash))
        if exact is not None and exact.position < position and exact.article_id != article_id:
            return exact.article_id, "exact"
        if sim == 0:
            return None
        best: _Entry | None = None
        for entry in self._near(sim):
            close = (entry.position < position and entry.article_id != article_id
                     and hamming(entry.simhash, sim) <= NEAR_DUPLICATE_BITS)
            if close and (best is None or entry.position < best.position):
                best = entry
        return (best.article_id, "near") if best else None
