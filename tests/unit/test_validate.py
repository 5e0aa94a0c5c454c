"""BatchValidator: the fast path (BOOLEAN_ONLY, failures re-run) finds what one COMPLETE run finds."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from newsflow.pipeline import build_tables, clean_stage, decode_stage, enrich_stage, extract_stage
from newsflow.source import Batch, records_from_values
from newsflow.tasks.dedup import DedupIndex
from newsflow.tasks.validate import ROW_KEY, ROWS_THAT_FAILED, TableResult, describe
from tests.unit.test_pipeline_accounting import mixed_events


@pytest.fixture(scope="module")
def tables(seed_event_bytes: bytes) -> dict[str, pa.Table]:
    """The tables of a batch with good and bad events, as built before validation."""
    events, _ = decode_stage(Batch(records_from_values(mixed_events(seed_event_bytes), topic="news")))
    articles = clean_stage(events, DedupIndex(), 2_000_000)
    analysis = enrich_stage(articles, extract_stage(articles))
    return build_tables(articles, analysis, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def _replace(table: pa.Table, column: str, row: int, value: object) -> pa.Table:
    values = table[column].to_pylist()
    values[row] = value
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index), pa.array(values, table.schema.field(index).type))


def _one_complete_run(validator, table: str, data: pa.Table) -> tuple[dict[int, list[str]], list[str]]:  # type: ignore[no-untyped-def]
    """Failed rows and table-level failures as a single COMPLETE run of the whole suite reports them."""
    batch = validator.gx_batch(table, data)
    failed_rows: dict[int, list[str]] = {}
    table_failures = []
    for item in batch.validate(validator.suites[table], result_format=ROWS_THAT_FAILED).results:
        if item.success:
            continue
        name = describe(item.expectation_config.to_json_dict())
        indices = (item.result or {}).get("unexpected_index_list")
        for entry in indices or []:
            failed_rows.setdefault(int(entry[ROW_KEY]), []).append(name)
        if not indices:
            table_failures.append(name)
    return failed_rows, table_failures


def _assert_same(result: TableResult, reference: tuple[dict[int, list[str]], list[str]]) -> None:
    failed_rows, table_failures = reference
    assert result.failed_rows == failed_rows
    assert [failure.split(":")[0] for failure in result.table_failures] == table_failures


def test_failed_rows_match_a_complete_run(validator, tables: dict[str, pa.Table]) -> None:  # type: ignore[no-untyped-def]
    articles = _replace(tables["articles"], "content_hash", 0, "not-a-hash")
    result = validator.validate("articles", articles)
    _assert_same(result, _one_complete_run(validator, "articles", articles))
    assert "expect_column_values_to_match_regex(content_hash)" in result.failed_rows[0]
    assert len(result.failed_rows) == 6  # the bad hash and the 5 unanalysable events of mixed_events
    assert result.evaluated == len(validator.suites["articles"].expectations)
    failed = [r for r in result.results if not r["success"]]
    assert failed and all(r["unexpected_count"] for r in failed)  # counted by the second run

    dates = tables["dates"]
    assert dates.num_rows > 3
    dates = _replace(_replace(dates, "granularity", 1, "fortnight"), "start_char", 2, -5)
    dates = _replace(dates, "resolved_end", 3, dt.date(1900, 1, 1))  # ends before it starts
    result = validator.validate("dates", dates)
    _assert_same(result, _one_complete_run(validator, "dates", dates))
    assert sorted(result.failed_rows) == [1, 2, 3]
    assert result.failed_rows[3] == ["expect_column_pair_values_a_to_be_greater_than_b"]


def test_clean_table_passes_and_missing_column_fails_the_table(validator, tables: dict[str, pa.Table]) -> None:  # type: ignore[no-untyped-def]
    result = validator.validate("entities", tables["entities"])
    assert result.success and not result.failed_rows and not result.table_failures
    assert all(r["success"] for r in result.results)

    broken = tables["quotes"].drop_columns(["speaker_kind"])
    assert broken.num_rows
    result = validator.validate("quotes", broken)
    assert not result.success and not result.failed_rows
    reference = _one_complete_run(validator, "quotes", broken)
    _assert_same(result, reference)
    assert result.table_failures and all("does not exist" in failure for failure in result.table_failures)


def test_configurations_are_memoised_only_inside_the_block(validator) -> None:  # type: ignore[no-untyped-def]
    """GX's Expectation.configuration is rebuilt on every read as shipped; inside
    configurations_memoised() one object answers for each expectation, and only there (the
    results of a memoised validation are compared with GX's own above)."""
    from newsflow.tasks.validate import configurations_memoised

    expectation = validator.suites["articles"].expectations[0]
    assert expectation.configuration is not expectation.configuration
    with configurations_memoised():
        first = expectation.configuration
        assert expectation.configuration is first
        other = validator.suites["articles"].expectations[1]
        assert other.configuration is not first and other.configuration == other.configuration
    assert expectation.configuration is not first and expectation.configuration == first


def test_domain_objects_are_memoised_only_inside_the_block(validator) -> None:  # type: ignore[no-untyped-def]
    """GX builds a new Expectation from a configuration on every to_domain_obj() as shipped;
    inside configurations_memoised() one Expectation answers for each configuration object."""
    from newsflow.tasks.validate import configurations_memoised

    configuration = validator.suites["articles"].expectations[0].configuration
    assert configuration.to_domain_obj() is not configuration.to_domain_obj()
    with configurations_memoised():
        first = configuration.to_domain_obj()
        assert configuration.to_domain_obj() is first
        other = validator.suites["articles"].expectations[1].configuration
        assert other.to_domain_obj() is not first and other.to_domain_obj().configuration == other
    assert configuration.to_domain_obj() is not first and configuration.to_domain_obj() == first


def test_a_gx_without_to_domain_obj_validates_as_shipped(caplog) -> None:  # type: ignore[no-untyped-def]
    """A GX upgrade that renames ExpectationConfiguration.to_domain_obj must not stop validation."""
    from newsflow.tasks.validate import _memoise_domain_objects

    class Changed:
        pass

    with caplog.at_level("WARNING", logger="newsflow.tasks.validate"):
        assert _memoise_domain_objects(Changed) is False
    assert "without the memo" in caplog.text and not hasattr(Changed, "to_domain_obj")


def test_a_gx_without_the_memoised_property_validates_as_shipped(caplog) -> None:  # type: ignore[no-untyped-def]
    """A GX upgrade that drops or changes Expectation.configuration must not stop validation:
    the memo is skipped with a warning, and the class is left untouched."""
    from newsflow.tasks.validate import _memoise_configurations

    class Changed:
        configuration = "a plain attribute now"

    with caplog.at_level("WARNING", logger="newsflow.tasks.validate"):
        assert _memoise_configurations(Changed) is False
    assert Changed.configuration == "a plain attribute now"
    assert "without the memo" in caplog.text

    class Shipped:
        @property
        def configuration(self) -> object:
            return object()

    assert _memoise_configurations(Shipped) is True
    item = Shipped()
    assert item.configuration is not item.configuration  # outside the block: as shipped


def test_plain_ids_are_the_ids_gx_computes(validator) -> None:  # type: ignore[no-untyped-def]
    """IDDict ids skip GX's JSON conversion only for values it would give back unchanged: every
    id is the one GX as shipped computes, plain or not."""
    import datetime as dt
    import enum
    import json

    import numpy as np
    from great_expectations.core import id_dict
    from great_expectations.util import convert_to_json_serializable

    class Colour(enum.Enum):
        RED = "red"

    patched = id_dict.convert_to_json_serializable
    assert getattr(patched, "plain_json_first", False)  # installed by the validator
    samples = [
        {"column": "language", "row_condition": None, "condition_parser": None, "batch_id": "b-1"},
        {"value_set": ["en", "de"], "mostly": None, "parse_strings_as_datetimes": False, "n": 3},
        {"column_list": ("a", "b"), "nested": {"inner": [None, True, 1, "x"]}, "empty": {}},
        id_dict.IDDict({"column": "x", "batch_id": None}),
        {"min_value": 0.5, "max_value": float("nan")},  # floats: GX's conversion
        {"n": np.int64(3), "when": dt.date(2026, 1, 1), "colour": Colour.RED},
        {"values": {"b", "a"}, "ok": None},  # a set: GX's conversion
        {1: "numeric key", "other": None},  # GX turns the key into a string
    ]
    for sample in samples:
        expected = json.dumps(convert_to_json_serializable(dict(sample)), sort_keys=True)
        assert json.dumps(patched(dict(sample)), sort_keys=True) == expected
    for sample in samples[:4]:
        assert patched(sample) is sample  # plain: not converted at all
    # And through to_id itself, against the shipped conversion.
    for sample in samples:
        plain_id = id_dict.IDDict(sample).to_id()
        id_dict.convert_to_json_serializable = convert_to_json_serializable
        try:
            assert id_dict.IDDict(sample).to_id() == plain_id
        finally:
            id_dict.convert_to_json_serializable = patched


def test_a_gx_with_another_to_id_keeps_its_own_ids(caplog) -> None:  # type: ignore[no-untyped-def]
    """A GX upgrade that changes IDDict.to_id gets its conversion as shipped, with a warning."""
    import types

    from newsflow.tasks.validate import _plain_json_ids

    def convert(data: object) -> object:
        return data

    class IDDict(dict):  # type: ignore[type-arg]
        def to_id(self) -> str:
            return "a different to_id"

    module = types.SimpleNamespace(convert_to_json_serializable=convert, IDDict=IDDict)
    with caplog.at_level("WARNING", logger="newsflow.tasks.validate"):
        assert _plain_json_ids(module) is False
    assert module.convert_to_json_serializable is convert
    assert "computed as shipped" in caplog.text
