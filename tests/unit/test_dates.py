"""Date typing and resolution: one small hand-written case per error class of issue 13."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from newsflow.tasks.dates import GRANULARITIES, TIMEX_TYPES, extract_dates, resolve_date
from newsflow.tasks.validate import EXPECTATIONS_DIR

THURSDAY = dt.date(2021, 10, 28)  # Q4 has begun; Q3 results are being reported
WEDNESDAY = dt.date(2021, 11, 3)
MARCH = dt.date(2022, 3, 9)


def value(text: str, published: dt.date, tense: str = "neutral") -> str | None:
    return resolve_date(text, published, tense).value


# ---------------------------------------------------------------- resolver alone


def test_quarters_fiscal_and_calendar() -> None:
    assert value("third-quarter", THURSDAY) == "2021-Q3"  # just ended, being reported
    assert value("the fourth quarter", THURSDAY, "future") == "2021-Q4"
    assert value("the first quarter", THURSDAY, "past") == "2021-Q1"
    assert value("the fiscal second quarter", THURSDAY, "past") == "2021-Q2"
    assert value("the 2019 third quarter", THURSDAY) == "2019-Q3"
    assert value("the third quarter of 2020", THURSDAY) == "2020-Q3"
    assert value("next year's first quarter", THURSDAY) == "2022-Q1"
    assert value("fiscal 2020", THURSDAY) == "2020"
    assert value("the second half of 2022", THURSDAY) == "2022-H2"
    assert value("the latest quarter", THURSDAY) == "2021-Q3"
    quarter = resolve_date("the third quarter", THURSDAY)
    assert (quarter.start, quarter.end, quarter.granularity) == (dt.date(2021, 7, 1), dt.date(2021, 9, 30), "quarter")


def test_a_year_ago_without_a_reference_is_last_year() -> None:
    assert value("a year ago", THURSDAY) == "2020"
    assert value("two years ago", THURSDAY) == "2019"
    assert value("five months ago", THURSDAY) == "2021-05"


def test_a_year_earlier_moves_the_reference_period_back() -> None:
    third_quarter = resolve_date("the third quarter", THURSDAY)
    assert resolve_date("a year earlier", THURSDAY, reference=third_quarter).value == "2020-Q3"
    assert resolve_date("the year-ago quarter", THURSDAY, reference=third_quarter).value == "2020-Q3"
    assert resolve_date("the same period last year", THURSDAY, reference=third_quarter).value == "2020-Q3"
    day = resolve_date("Aug. 12, 2021", THURSDAY)
    assert resolve_date("a year earlier", THURSDAY, reference=day).value == "2020-08-12"
    year = resolve_date("2015", THURSDAY)
    assert resolve_date("the following year", THURSDAY, reference=year).value == "2016"


def test_parts_of_the_current_unit() -> None:
    assert value("earlier this month", THURSDAY) == "2021-10"
    assert value("later this year", THURSDAY) == "2021"
    early = resolve_date("early this month", THURSDAY)
    assert early.value == "2021-10" and early.mod == "START" and early.end == dt.date(2021, 10, 10)
    assert value("the end of 1990", THURSDAY) == "1990"
    assert value("the middle of October", MARCH, "past") == "2021-10"


def test_seasons() -> None:
    assert value("last fall", MARCH) == "2021-FA"
    assert value("last spring", THURSDAY) == "2020-SP"  # this year's spring would be "this spring"
    assert value("this summer", MARCH) == "2022-SU"
    assert value("this past summer", THURSDAY) == "2021-SU"  # the latest one, not a year back
    assert value("last summer", MARCH) == "2021-SU"
    assert value("the winter of 1994", MARCH) == "1994-WI"


def test_weekdays_follow_tense_and_last_is_strictly_before() -> None:
    assert value("Tuesday", THURSDAY, "past") == "2021-10-26"
    assert value("Tuesday", THURSDAY) == "2021-10-26"  # tenseless news: the one just gone
    assert value("Thursday", THURSDAY, "past") == "2021-10-28"  # "said Thursday" on the Thursday
    assert value("Friday", THURSDAY, "future") == "2021-10-29"
    assert value("last Wednesday", WEDNESDAY) == "2021-10-27"  # not the day it is written
    assert value("next Wednesday", WEDNESDAY) == "2021-11-10"
    assert value("the weekend", dt.date(2021, 11, 1)) == "2021-W43-WE"
    assert value("next weekend", dt.date(2021, 11, 1)) == "2021-W44-WE"


def test_month_days_stay_near_the_publication_date() -> None:
    # A past clause about a deadline a few weeks ahead ("extended the offer to Nov. 20").
    assert value("Nov. 20", WEDNESDAY, "past") == "2021-11-20"
    assert value("Dec. 7", THURSDAY, "past") == "2021-12-07"
    assert value("Jan. 13", MARCH) == "2022-01-13"
    assert value("Jan. 13", MARCH, "future") == "2023-01-13"
    assert value("Sept. 27, 1989", MARCH) == "1989-09-27"
    assert value("last February", MARCH) == "2021-02"  # February of this year would be "last month"
    assert value("last May", MARCH) == "2021-05"
    assert value("June last year", MARCH) == "2021-06"


def test_spelled_years_decades_and_centuries() -> None:
    assert value("nineteen ninety-six", MARCH) == "1996"
    assert value("January nineteen ninety-seven", MARCH) == "1997-01"
    assert value("the year two thousand", MARCH) == "2000"
    assert value("the nineties", MARCH) == "199"
    assert value("the late 1970s", MARCH) == "197"
    assert value("the 20th century", MARCH) == "19"
    assert value("mid-1996", MARCH) == "1996"


def test_clock_times_on_their_day() -> None:
    assert value("10 p.m. Wednesday", dt.date(1998, 2, 13), "past") == "1998-02-11T22:00"
    assert value("noon Thursday", dt.date(1998, 2, 13), "past") == "1998-02-12T12:00"
    alone = resolve_date("around 7:15 p.m.", MARCH)
    assert alone.timex_type == "TIME" and alone.value is None and alone.reason
    assert resolve_date("13 p.m. today", MARCH).value is None


def test_day_spans_and_vague_counts() -> None:
    span = resolve_date("September 16-19", dt.date(2016, 9, 20), "past")
    assert (span.start, span.end) == (dt.date(2016, 9, 16), dt.date(2016, 9, 19))
    assert span.granularity == "range" and span.value is None
    assert resolve_date("weeks later", MARCH).value is None  # how many weeks, the text does not say
    assert value("two weeks later", MARCH) == "2022-W12"


def test_holidays_by_rule() -> None:
    assert value("Election Day", dt.date(2016, 9, 8)) == "2016-11-08"  # Tuesday after the first Monday
    assert value("Thanksgiving", dt.date(2021, 12, 6), "past") == "2021-11-25"
    assert value("Christmas", dt.date(2022, 1, 3), "past") == "2021-12-25"
    assert value("Easter 2024", MARCH) == "2024-03-31"
    assert value("Memorial Day", dt.date(2021, 6, 1), "past") == "2021-05-31"


@pytest.mark.parametrize(
    ("text", "timex_type", "timex_value"),
    [
        ("three years", "DURATION", "P3Y"),
        ("two-week", "DURATION", "P2W"),
        ("several years", "DURATION", "PXY"),
        ("the past three months", "DURATION", "P3M"),
        ("the next couple days", "DURATION", "P2D"),
        ("daily", "SET", "P1D"),
        ("every month", "SET", "P1M"),
        ("each Thursday", "SET", "XXXX-WXX-4"),
        ("this morning", "TIME", "2022-03-09TMO"),
        ("now", "DATE", "PRESENT_REF"),
    ],
)
def test_durations_sets_and_times_are_typed(text: str, timex_type: str, timex_value: str) -> None:
    resolved = resolve_date(text, MARCH)
    assert (resolved.timex_type, resolved.value) == (timex_type, timex_value)


def test_durations_carry_a_range_only_when_anchored() -> None:
    floating = resolve_date("three years", MARCH)
    assert floating.start is None and floating.reason is None
    past = resolve_date("the past three months", MARCH)
    assert (past.start, past.end, past.granularity) == (dt.date(2021, 12, 9), MARCH, "range")


def test_unreadable_mentions_keep_a_reason() -> None:
    unresolved = resolve_date("the good old days", MARCH)
    assert unresolved.value is None and unresolved.start is None and unresolved.reason
    without_anchor = resolve_date("last fall", None)
    assert without_anchor.value is None and "published" in (without_anchor.reason or "")
    assert resolve_date("July 4, 1976", None).value == "1976-07-04"
    off_calendar = resolve_date("the year 0000", MARCH)
    assert off_calendar.value is None and "outside the calendar" in (off_calendar.reason or "")
    early_tuesday = resolve_date("early Tuesday", MARCH, "past")
    assert early_tuesday.start == early_tuesday.end == dt.date(2022, 3, 8)


# ---------------------------------------------------------------- in a parsed article


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    from newsflow.tasks.nlp import load_nlp

    return load_nlp()


def _rows(nlp, text: str, published: dt.date) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {row["text"]: row for row in extract_dates(nlp(text), published)}


def test_a_year_earlier_is_anchored_to_the_quarter_of_its_sentence(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Acme Corp. said net income rose to $5 million in the third quarter, "
            "from $4 million a year earlier.")
    rows = extract_dates(nlp(text), THURSDAY)
    by_text = {row["text"]: (index, row) for index, row in enumerate(rows)}
    quarter_index, quarter = by_text["the third quarter"]
    _, year_earlier = by_text["a year earlier"]
    assert quarter["value"] == "2021-Q3"
    assert year_earlier["value"] == "2020-Q3" and year_earlier["anchored_to"] == quarter_index
    assert year_earlier["resolved_start"] == dt.date(2020, 7, 1)


def test_governing_verb_sets_the_weekday_direction(nlp) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(nlp, "The minister resigned on Monday. Her successor will be sworn in on Friday.", THURSDAY)
    assert rows["Monday"]["value"] == "2021-10-25"
    assert rows["Friday"]["value"] == "2021-10-29"


def test_one_entity_holding_two_dates_is_split(nlp) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(nlp, "Revenue rose 5% in the quarter ended Sept. 30, the company said.", THURSDAY)
    assert rows["Sept. 30"]["value"] == "2021-09-30"
    assert rows["the quarter"]["value"] == "2021-Q3"


def test_a_duration_is_not_an_unresolved_date(nlp) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(nlp, "The talks have lasted three years and the envoys meet every month.", THURSDAY)
    assert rows["three years"]["timex_type"] == "DURATION" and rows["three years"]["value"] == "P3Y"
    assert rows["three years"]["unresolved_reason"] is None
    assert all(row["timex_type"] != "DATE" or row["value"] for row in rows.values())


def test_suite_sets_match_the_resolver() -> None:
    suite = json.loads((EXPECTATIONS_DIR / "dates.json").read_text())
    sets = {e["kwargs"]["column"]: set(e["kwargs"]["value_set"]) for e in suite["expectations"]
            if e["type"] == "expect_column_values_to_be_in_set"}
    assert sets["granularity"] == set(GRANULARITIES)
    assert sets["timex_type"] == set(TIMEX_TYPES)


def test_that_year_points_back_to_the_last_year_given(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Reagan looked unsteady in his first debate against Walter Mondale in 1984. Commentators "
            "wondered about his age. He went on to win that year in a landslide.")
    rows = extract_dates(nlp(text), THURSDAY)
    by_text = {row["text"]: (index, row) for index, row in enumerate(rows)}
    index_1984, _ = by_text["1984"]
    _, that_year = by_text["that year"]
    assert that_year["value"] == "1984" and that_year["anchored_to"] == index_1984


def test_a_duration_of_a_date_is_split_and_this_is_taken_in(nlp) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(nlp, "Profit rose 4% in the first nine months of 2020. Sales should rise this year.", THURSDAY)
    assert rows["the first nine months"]["timex_type"] == "DURATION"
    assert rows["the first nine months"]["value"] == "P9M"
    assert rows["the first nine months"]["resolved_start"] == dt.date(2020, 1, 1)
    assert rows["the first nine months"]["resolved_end"] == dt.date(2020, 9, 30)
    assert rows["2020"]["value"] == "2020"
    assert rows["this year"]["value"] == "2021"
