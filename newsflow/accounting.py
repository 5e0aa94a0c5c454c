"""The invariant: every consumed offset is in exactly one of articles / quarantine / dead letters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsflow.lake import epochs_landed, offsets_landed

Offset = tuple[str, int, int]


@dataclass
class Accounting:
    articles: Counter[Offset] = field(default_factory=Counter)
    quarantined: Counter[Offset] = field(default_factory=Counter)
    dead_letters: Counter[Offset] = field(default_factory=Counter)

    @property
    def all_offsets(self) -> set[Offset]:
        return set(self.articles) | set(self.quarantined) | set(self.dead_letters)

    def doubled(self) -> list[Offset]:
        """Offsets landed more than once, in one place or across places."""
        total = self.articles + self.quarantined + self.dead_letters
        return sorted(o for o, n in total.items() if n > 1)

    def missing(self, expected: dict[tuple[str, int], int]) -> list[Offset]:
        """Offsets below each partition's expected end that landed nowhere."""
        seen = self.all_offsets
        return [
            (topic, partition, offset)
            for (topic, partition), end in sorted(expected.items())
            for offset in range(end)
            if (topic, partition, offset) not in seen
        ]


def _offsets(table) -> Counter[Offset]:
    return Counter(
        zip(
            table["kafka_topic"].to_pylist(),
            table["kafka_partition"].to_pylist(),
            table["kafka_offset"].to_pylist(),
            strict=True,
        )
    )


def account(output_dir: str | Path, epoch: int | None = None) -> Accounting:
    """Where every landed offset of one epoch of the topics' logs is (the latest by default),
    read through each table's Delta log; only the Kafka coordinate columns are read."""
    if epoch is None:
        epoch = max(epochs_landed(output_dir), default=0)
    return Accounting(
        articles=_offsets(offsets_landed(output_dir, "articles", epoch=epoch)),
        quarantined=_offsets(offsets_landed(output_dir, "quarantine", epoch=epoch, table_name="articles")),
        dead_letters=_offsets(offsets_landed(output_dir, "dead_letters", epoch=epoch)),
    )


@dataclass(frozen=True)
class OffsetCheck:
    """`newsflow check`'s figures for one epoch, computed in Arrow (no Python object per row)."""

    articles: int
    quarantined: int
    dead_letters: int
    doubled: list[Offset]


def check_offsets(output_dir: str | Path, epoch: int) -> OffsetCheck:
    """Rows per place and the offsets landed more than once, from the offset columns only."""
    import pyarrow as pa
    import pyarrow.compute as pc

    places = [offsets_landed(output_dir, "articles", epoch=epoch),
              offsets_landed(output_dir, "quarantine", epoch=epoch, table_name="articles"),
              offsets_landed(output_dir, "dead_letters", epoch=epoch)]
    keys = ["kafka_topic", "kafka_partition", "kafka_offset"]
    counts = pa.concat_tables([p.select(keys) for p in places]).group_by(keys).aggregate([("kafka_offset", "count")])
    doubled = counts.filter(pc.greater(counts["kafka_offset_count"], 1))
    articles, quarantined, dead_letters = (p.num_rows for p in places)
    return OffsetCheck(articles, quarantined, dead_letters,
                       doubled=sorted(zip(*(doubled[k].to_pylist() for k in keys), strict=True)))
