import datetime as dt

from newsflow.tasks.dates import resolve_date
from newsflow.tasks.enrich import tone
from newsflow.tasks.extract import canonicalise_entities, parse_amount
from newsflow.tasks.geo import resolve_places

MONDAY = dt.date(2021, 12, 6)


def test_washington_dc_from_context() -> None:
    # The seed's only "Washington, D.C." is in the author bio, which cleaning removes; the
    # geocoder is checked on that mention directly.
    washington, dc = resolve_places(["Washington", "D.C."])
    assert washington.place and washington.place.country_code == "US"
    assert washington.place.admin1 == "DC" and washington.place.feature_type == "city"
    assert dc.place == washington.place
    assert abs(washington.place.latitude - 38.9) < 0.2


def test_unknown_place_keeps_a_reason() -> None:
    (result,) = resolve_places(["Xyzzyville"])
    assert result.place is None and result.reason and "Xyzzyville" in result.reason


def test_crimea_is_a_place_not_an_organisation() -> None:
    (mention,) = canonicalise_entities([("Crimea", "ORG", 0, 6)])
    assert mention.type == "LOC" and mention.canonical == "Crimea"


def test_relative_dates() -> None:
    assert resolve_date("Tuesday", MONDAY, "future").start == dt.date(2021, 12, 7)
    assert resolve_date("Friday", MONDAY, "past").start == dt.date(2021, 12, 3)
    assert resolve_date("yesterday", MONDAY).start == dt.date(2021, 12, 5)
    assert resolve_date("next month", MONDAY).granularity == "month"
    assert resolve_date("late January", MONDAY, "future").start == dt.date(2022, 1, 21)
    assert resolve_date("July", MONDAY, "past").start == dt.date(2021, 7, 1)
    assert resolve_date("Dec. 6, 2021", None).start == MONDAY
    assert resolve_date("three weeks ago", MONDAY).start == dt.date(2021, 11, 15)
    unresolved = resolve_date("Tuesday", None)
    assert unresolved.start is None and unresolved.reason


def test_amount_parsing() -> None:
    assert parse_amount("more than 94,000") == (94000.0, "more than", None)
    assert parse_amount("$1.5 billion") == (1.5e9, None, "USD")
    assert parse_amount("about 10%") == (10.0, "about", "percent")
    assert parse_amount("two") == (2.0, None, None)


def test_tone_signs() -> None:
    assert tone("a wonderful, happy, peaceful agreement")["tone"] > 0
    assert tone("a terrible, deadly, violent attack")["tone"] < 0
    assert tone("")["polarity"] == 0
