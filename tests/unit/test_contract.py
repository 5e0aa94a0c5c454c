"""Schemas and expectation suites describe the same tables."""

import json

import pytest

from newsflow.schemas import TABLES, VALIDATED_TABLES
from newsflow.tasks.clean import MIN_ARTICLE_WORDS
from newsflow.tasks.validate import EXPECTATIONS_DIR, load_suite_config


@pytest.mark.parametrize("table", VALIDATED_TABLES)
def test_suite_columns_exist_in_schema(table: str) -> None:
    suite = load_suite_config(table)
    assert suite["name"] == table
    columns = set(TABLES[table].names)
    for expectation in suite["expectations"]:
        kwargs = expectation["kwargs"]
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                assert kwargs[key] in columns, (table, expectation["type"], kwargs[key])


def test_every_validated_table_has_a_suite_and_no_stray_suites() -> None:
    stored = {p.stem for p in EXPECTATIONS_DIR.glob("*.json")}
    assert stored == set(VALIDATED_TABLES)


def test_article_word_threshold_matches_code() -> None:
    suite = json.loads((EXPECTATIONS_DIR / "articles.json").read_text())
    (word_count,) = [e for e in suite["expectations"] if e["kwargs"].get("column") == "word_count"]
    assert word_count["kwargs"]["min_value"] == MIN_ARTICLE_WORDS


def test_every_table_is_traceable_to_kafka() -> None:
    for name, schema in TABLES.items():
        assert {"kafka_topic", "kafka_partition", "kafka_offset"} <= set(schema.names), name
