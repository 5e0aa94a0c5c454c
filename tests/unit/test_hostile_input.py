"""Hostile input, generated: nothing crashes a batch, and every record lands in exactly one place."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsflow.accounting import account
from newsflow.config import KafkaSettings
from newsflow.pipeline import process_batch
from newsflow.sink import land_batch
from newsflow.source import Batch, records_from_values
from newsflow.tasks.dedup import DedupIndex

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u202e\u202d\u2066\u2069\u00ad"
hostile_text = st.lists(
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(list(INVISIBLE)), max_size=40)
    | st.sampled_from(["<script>alert(1)</script>", "<p>", "</p>", "<html>", " the talks ", "\n\n"]),
    max_size=12,
).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
events = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=20), "body": hostile_text | st.none()},
    optional={
        "source": st.sampled_from(["../../etc", "/etc/passwd", "a/../../b", "..", "\x00"]) | st.text(max_size=20),
        "content_type": st.sampled_from(["text/html", "text/plain", "application/x-evil", ""]),
        "title": st.text(max_size=40) | st.integers(),
        "published_at": st.text(max_size=30) | st.none(),
    },
).map(lambda e: json.dumps(e).encode())
# Bodies shaped like issue 15's poison records, small enough for a generated batch: runs of one
# tokenizer-hostile character, many quotes in one sentence, many sentences with no spaces.
PROSE = "Officials in the capital said on Monday that the talks would resume next week. " * 4
poison_bodies = st.one_of(
    st.tuples(st.sampled_from("([{<'\"-.$"), st.integers(1, 3000)).map(lambda t: PROSE + t[0] * t[1]),
    st.integers(1, 60).map(lambda n: PROSE + "Officials said " + ", ".join(f'"talk {i}"' for i in range(n)) + "."),
    st.integers(1, 2000).map(lambda n: PROSE + "Yes.No." * n),
)
poison_events = st.builds(lambda i, body: json.dumps({"id": f"p{i}", "body": body}).encode(),
                          st.integers(0, 10**6), poison_bodies)
record_values = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=33, max_value=5000).map(lambda n: ("[" * n + "]" * n).encode()),
    events,
    poison_events,
)
# What the Kafka level can hand over besides a value: no value at all, a record the client could
# not read (error set), and any timestamp a producer can write (none, negative, year 10000+).
kafka_timestamps = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.sampled_from(
    [-1, 0, 253_402_300_800_000, 1_638_748_800_000])
record_shapes = st.tuples(
    st.none() | record_values, kafka_timestamps, st.none() | st.sampled_from(["CorruptRecordError: bad header key"]),
)


def _check_batch(values: list[bytes], validator, output: Path) -> None:  # type: ignore[no-untyped-def]
    batch = Batch(records_from_values(values, topic="fuzz"))
    result = process_batch(batch, DedupIndex(), validator)
    land_batch(output, result.tables, batch)
    accounting = account(output)
    assert accounting.doubled() == []
    assert accounting.missing({("fuzz", 0): len(values)}) == []
    for path in output.rglob("*"):
        assert path.resolve().is_relative_to(output.resolve())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(record_values, min_size=1, max_size=6))
def test_generated_batches_never_crash_and_are_accounted(validator, values: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as folder:
        _check_batch(values, validator, Path(folder))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(record_shapes, min_size=1, max_size=6))
def test_generated_kafka_records_never_crash_and_are_accounted(validator, shapes) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    records = [
        replace(record, value=value, timestamp_ms=timestamp, error=error)
        for record, (value, timestamp, error) in zip(
            records_from_values([b""] * len(shapes), topic="fuzz"), shapes, strict=True)
    ]
    batch = Batch(records)
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder)
        result = process_batch(batch, DedupIndex(), validator)
        land_batch(output, result.tables, batch)
        accounting = account(output)
        assert accounting.doubled() == []
        assert accounting.missing({("fuzz", 0): len(records)}) == []
        unreadable = {r.offset for r in records if r.error or r.value is None}
        assert unreadable <= {offset for _, _, offset in accounting.dead_letters}


def test_ten_megabyte_body_and_script_only_html(validator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    values = [
        json.dumps({"id": "big", "body": "x" * 10_000_000}).encode(),
        json.dumps({"id": "js", "content_type": "text/html",
                    "body": "<html><body><script>" + "alert(1);" * 1000 + "</script></body></html>"}).encode(),
        json.dumps({"id": "rtl", "body": "\u202e" + "Officials said the talks would resume next week. " * 10}).encode(),
    ]
    _check_batch(values, validator, tmp_path)
    quarantined = {offset for _, _, offset in account(tmp_path).quarantined}
    assert quarantined == {0, 1}  # the RTL-wrapped article is cleaned and kept


def test_secrets_are_not_in_reprs() -> None:
    settings_ = KafkaSettings(sasl_plain_username="svc", sasl_plain_password="s3cret-value")
    assert "s3cret-value" not in repr(settings_)
    assert settings_.client_options()["sasl_plain_password"] == "s3cret-value"
    with_key = KafkaSettings(ssl_keyfile="client.key", ssl_password="key-pass-value")
    assert "key-pass-value" not in repr(with_key)
    assert with_key.client_options()["ssl_password"] == "key-pass-value"


def test_secrets_are_redacted_from_kafka_python_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """kafka-python's admin client logs its whole configuration at DEBUG."""
    from kafka.admin import client as admin_client

    options = KafkaSettings(sasl_plain_username="svc", sasl_plain_password="pw-in-config").client_options()
    with caplog.at_level(logging.DEBUG, logger="kafka"):
        admin_client.log.debug("Starting KafkaAdminClient with configuration: %s", options)
    assert "pw-in-config" not in caplog.text
    assert "'sasl_plain_password': '***'" in caplog.text


def test_out_of_range_kafka_timestamps_land_and_quarantine(validator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Year 10000, before 1970 and no timestamp at all: landed (with no ingest_date), a
    quarantined one too; the next run's dedup index, which reads a window of recent dates, starts
    without failing on them (undated articles are outside every window)."""
    from dataclasses import replace

    from newsflow.pipeline import dedup_index_from

    good = json.dumps({"id": "ok", "body": "Officials said the talks would resume next week. " * 10}).encode()
    short = json.dumps({"id": "short", "body": "Too short."}).encode()
    records = records_from_values([good, short, good.replace(b'"ok"', b'"ok2"')], topic="ts")
    stamps = [-5_000, 253_402_300_800_000 + 1, None]  # the quarantined one is in year 10000
    batch = Batch([replace(r, timestamp_ms=t) for r, t in zip(records, stamps, strict=True)])
    result = process_batch(batch, DedupIndex(), validator)
    land_batch(tmp_path, result.tables, batch)
    from newsflow.lake import open_table

    articles = open_table(tmp_path, "articles")
    assert articles is not None
    assert articles.to_pyarrow_table(columns=["ingest_date"])["ingest_date"].null_count == 2
    assert account(tmp_path).missing({("ts", 0): 3}) == []
    assert dedup_index_from(tmp_path).content_count == 0
    assert account(tmp_path).quarantined
