"""The Arrow schema of every landed table: the one contract that writers, GX suites and readers share."""

from __future__ import annotations

import pyarrow as pa

UTC_US = pa.timestamp("us", tz="UTC")
UTC_MS = pa.timestamp("ms", tz="UTC")

# Every row of every table carries its Kafka coordinates, so any fact is traceable to its event.
KAFKA_FIELDS = [
    pa.field("kafka_topic", pa.string(), nullable=False),
    pa.field("kafka_partition", pa.int32(), nullable=False),
    pa.field("kafka_offset", pa.int64(), nullable=False),
]

THEME = pa.struct(
    [
        pa.field("theme", pa.string()),
        pa.field("score", pa.float32()),
        pa.field("evidence", pa.list_(pa.string())),
    ]
)

ARTICLES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("source", pa.string()),
        pa.field("title", pa.string()),
        pa.field("author", pa.string()),
        pa.field("site_name", pa.string()),
        pa.field("published_at", UTC_US),
        pa.field("kafka_timestamp", UTC_MS),
        pa.field("ingested_at", UTC_US, nullable=False),
        pa.field("content_type", pa.string()),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float32()),
        pa.field("body", pa.string()),
        pa.field("original_body", pa.string()),
        pa.field("body_chars", pa.int64(), nullable=False),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("content_hash", pa.string()),
        pa.field("simhash", pa.int64()),
        pa.field("duplicate_of", pa.string()),
        pa.field("duplicate_kind", pa.string()),
        pa.field("tone", pa.float32()),
        pa.field("positive_score", pa.float32()),
        pa.field("negative_score", pa.float32()),
        pa.field("polarity", pa.float32()),
        pa.field("themes", pa.list_(THEME)),
        pa.field("keywords", pa.list_(pa.string())),
        *KAFKA_FIELDS,
        pa.field("pipeline_version", pa.string(), nullable=False),
    ]
)

ENTITIES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("mention_index", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("canonical_name", pa.string(), nullable=False),
        pa.field("entity_type", pa.string(), nullable=False),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        *KAFKA_FIELDS,
    ]
)

QUOTES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("quote_index", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("speaker", pa.string()),
        pa.field("speaker_kind", pa.string(), nullable=False),  # person | anonymous | organisation | unknown
        pa.field("reporting_verb", pa.string()),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        pa.field("tone", pa.float32()),
        *KAFKA_FIELDS,
    ]
)

AMOUNTS = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("amount_index", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("qualifier", pa.string()),
        pa.field("unit", pa.string()),
        pa.field("counted", pa.string()),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        *KAFKA_FIELDS,
    ]
)

DATES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("date_index", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("timex_type", pa.string(), nullable=False),  # TimeML TIMEX3 type: DATE | TIME | DURATION | SET
        # TimeML value: "2021-12-06", "2021-W49", "2021-Q3", "2021-SU", "199", "P3D", "XXXX-WXX-2", "PRESENT_REF"
        pa.field("value", pa.string()),
        pa.field("mod", pa.string()),  # TimeML mod: START | MID | END | APPROX ("early 1990", "about a year ago")
        pa.field("resolved_start", pa.date32()),
        pa.field("resolved_end", pa.date32()),
        # day | week | weekend | month | quarter | half | season | year | decade | century | range
        # (an anchored duration: "the past three months"); null when there is no calendar span
        pa.field("granularity", pa.string()),
        pa.field("unresolved_reason", pa.string()),
        pa.field("anchored_to", pa.int32()),  # date_index of the mention it was read from ("a year earlier")
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        *KAFKA_FIELDS,
    ]
)

LOCATIONS = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("location_index", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("canonical_name", pa.string()),
        pa.field("country_code", pa.string()),  # ISO 3166-1 alpha-2
        pa.field("feature_type", pa.string()),  # country | admin1 | admin2 | city | continent | region
        # GeoNames feature class (A divisions, P populated places, L areas) and code (PCLI, ADM1, PPL...).
        pa.field("feature_class", pa.string()),
        pa.field("feature_code", pa.string()),
        # GeoNames first/second-level division of the place: code within the country and name.
        pa.field("admin1_code", pa.string()),
        pa.field("admin1_name", pa.string()),
        pa.field("admin2_code", pa.string()),
        pa.field("admin2_name", pa.string()),
        pa.field("latitude", pa.float64()),
        pa.field("longitude", pa.float64()),
        pa.field("geonames_id", pa.int64()),
        pa.field("unresolved_reason", pa.string()),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        *KAFKA_FIELDS,
    ]
)

QUARANTINE = pa.schema(
    [
        pa.field("table_name", pa.string(), nullable=False),
        pa.field("article_id", pa.string()),
        pa.field("failed_expectations", pa.list_(pa.string()), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("row_json", pa.string(), nullable=False),
        pa.field("quarantined_at", UTC_US, nullable=False),
        *KAFKA_FIELDS,
        pa.field("pipeline_version", pa.string(), nullable=False),
    ]
)

# A local, exactly-once copy of what was sent to the dead-letter topic (the topic itself is
# at-least-once across crashes); accounting reads this table.
DEAD_LETTERS = pa.schema(
    [
        *KAFKA_FIELDS,
        pa.field("kafka_timestamp", UTC_MS),
        pa.field("key", pa.binary()),
        pa.field("value", pa.binary()),
        pa.field("error_kind", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=False),
        pa.field("dead_lettered_at", UTC_US, nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "entities": ENTITIES,
    "quotes": QUOTES,
    "amounts": AMOUNTS,
    "dates": DATES,
    "locations": LOCATIONS,
    "quarantine": QUARANTINE,
    "dead_letters": DEAD_LETTERS,
}

# Tables whose rows describe an article's content and are validated by a GX suite.
VALIDATED_TABLES = ("articles", "entities", "quotes", "amounts", "dates", "locations")
# Tables holding facts derived from one article; dropped with the article if it is quarantined.
CHILD_TABLES = ("entities", "quotes", "amounts", "dates", "locations")


def empty_table(name: str) -> pa.Table:
    return TABLES[name].empty_table()


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Build a table of the named schema from row dicts (missing keys become nulls)."""
    return pa.Table.from_pylist(rows, schema=TABLES[name])
