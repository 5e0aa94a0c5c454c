"""Date mentions: found in a parsed article, typed as TimeML TIMEX3 (DATE, TIME, DURATION, SET)
and resolved against the publication date, or against the date the sentence is talking about.

Resolution works by general rules, not phrases: a mention is read as optional modifiers ("early",
"the end of", "around"), a unit (day, week, weekend, month, quarter, half, season, year, decade,
century) and how that unit is located: absolutely ("July 2021", "fiscal 1989", "nineteen ninety-six"),
deictically from the publication date ("last fall", "this summer", "earlier this month", "two years
ago", weekdays in the direction of the governing verb's tense), or from the sentence's reference
time ("a year earlier", "the year-ago quarter", "the following year"). Values are written the TimeML
way ("2021-12", "2021-W49", "2021-Q3", "P3D", "PRESENT_REF"); a mention no rule reads keeps a reason.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from newsflow.tasks.nlp import parsed_text

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
WEEKDAYS.update({name.lower(): i for i, name in enumerate(calendar.day_abbr)})
WEEKDAYS.update({"tues": 1, "thur": 3, "thurs": 3})
SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
_SEASON_MONTH = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}  # first month; winter Y runs Dec Y .. Feb Y+1
TIMEX_TYPES = ("DATE", "TIME", "DURATION", "SET")
GRANULARITIES = ("day", "week", "weekend", "month", "quarter", "half", "season", "year", "decade", "century", "range")

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "last": -1,
}
_VAGUE_COUNT = {"several", "few", "a few", "many", "some", "a number of", "the", "number of"}
# Duration letters of TimeML values.
_UNIT_LETTER = {
    "second": "S", "minute": "M", "hour": "H", "day": "D", "night": "D", "week": "W", "weekend": "WE",
    "month": "M", "quarter": "Q", "year": "Y", "decade": "DE", "century": "CE", "centurie": "CE",
}
_TIME_UNITS = ("second", "minute", "hour")
_PART_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI", "overnight": "NI"}
# Leading words that do not change the value: prepositions and hedges ("as early as", "around").
_LEADING = re.compile(
    r"^(?:(?:on|by|in|since|until|till|from|at|during|for|through|throughout|to|of|as early as|as late as|as of|"
    r"as recently as|just|only|about|around|approximately|nearly|almost|some|roughly|more than|less than|over|"
    r"under|at least|at most|sometime|some time|within|after|before|beginning|starting|ending|effective|its|their|"
    r"his|her|our)\s+)+"
)
_APPROX = re.compile(r"\b(?:about|around|approximately|nearly|almost|some|roughly|or so)\b")
_MODS = (
    ("the beginning of", "START"), ("the start of", "START"), ("the early part of", "START"), ("early", "START"),
    ("the middle of", "MID"), ("middle of", "MID"), ("the mid", "MID"), ("mid", "MID"), ("the end of", "END"),
    ("the close of", "END"), ("the latter part of", "END"), ("late", "END"), ("earlier", None), ("later", None),
)


@dataclass(frozen=True)
class ResolvedDate:
    start: dt.date | None
    end: dt.date | None
    granularity: str | None
    reason: str | None = None
    timex_type: str = "DATE"
    value: str | None = None  # TimeML value: "2021-12-06", "2021-W49", "P3D", "PRESENT_REF", ...
    mod: str | None = None  # TimeML mod: START, MID, END, APPROX
    # Read relative to the sentence's reference time ("a year earlier"); the extractor supplies it.
    wants_reference: bool = False


def _unresolved(reason: str, timex_type: str = "DATE", value: str | None = None) -> ResolvedDate:
    return ResolvedDate(None, None, None, reason, timex_type, value)


# ---------------------------------------------------------------- calendar units


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _shift_day(day: dt.date, years: int = 0, months: int = 0) -> dt.date:
    year, month = _add_months(day.year, day.month, years * 12 + months)
    return dt.date(year, month, min(day.day, _last_day(year, month)))


def period(unit: str, year: int, index: int = 1, day: dt.date | None = None) -> ResolvedDate:
    """The calendar unit `unit` of `year` numbered `index` (month 1-12, quarter 1-4, half 1-2, season
    code index into SP/SU/FA/WI), or the day/week/weekend holding `day`; decade/century take `year` as
    their first year."""
    if unit == "day" and day is not None:
        return ResolvedDate(day, day, "day", value=day.isoformat())
    if unit == "week" and day is not None:
        monday = day - dt.timedelta(days=day.weekday())
        iso_year, week, _ = monday.isocalendar()
        return ResolvedDate(monday, monday + dt.timedelta(days=6), "week", value=f"{iso_year:04d}-W{week:02d}")
    if unit == "weekend" and day is not None:
        saturday = day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=5)
        iso_year, week, _ = saturday.isocalendar()
        return ResolvedDate(saturday, saturday + dt.timedelta(days=1), "weekend", value=f"{iso_year:04d}-W{week:02d}-WE")
    if unit == "month":
        return ResolvedDate(dt.date(year, index, 1), dt.date(year, index, _last_day(year, index)), "month",
                            value=f"{year:04d}-{index:02d}")
    if unit == "quarter":
        first = 3 * index - 2
        return ResolvedDate(dt.date(year, first, 1), dt.date(year, first + 2, _last_day(year, first + 2)), "quarter",
                            value=f"{year:04d}-Q{index}")
    if unit == "half":
        first = 6 * index - 5
        return ResolvedDate(dt.date(year, first, 1), dt.date(year, first + 5, _last_day(year, first + 5)), "half",
                            value=f"{year:04d}-H{index}")
    if unit == "season":
        code = ("SP", "SU", "FA", "WI")[index]
        first = _SEASON_MONTH[code]
        end_year, end_month = _add_months(year, first, 2)
        return ResolvedDate(dt.date(year, first, 1), dt.date(end_year, end_month, _last_day(end_year, end_month)),
                            "season", value=f"{year:04d}-{code}")
    if unit == "year":
        return ResolvedDate(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", value=f"{year:04d}")
    if unit == "decade":
        return ResolvedDate(dt.date(year, 1, 1), dt.date(year + 9, 12, 31), "decade", value=f"{year // 10:03d}")
    if unit == "century":
        return ResolvedDate(dt.date(max(1, year), 1, 1), dt.date(year + 99, 12, 31), "century", value=f"{year // 100:02d}")
    raise ValueError(unit)


def _unit_of(resolved: ResolvedDate) -> tuple[str, int, int, dt.date]:
    """(unit, year, index, start) of a resolved period, the inverse of `period`."""
    assert resolved.start is not None and resolved.granularity is not None
    start, unit = resolved.start, resolved.granularity
    index = {"month": start.month, "quarter": (start.month + 2) // 3, "half": (start.month + 5) // 6,
             "season": ["SP", "SU", "FA", "WI"].index(resolved.value[-2:]) if unit == "season" and resolved.value else 0}
    return unit, start.year, index.get(unit, 1), start


def shift(resolved: ResolvedDate, unit: str, count: int) -> ResolvedDate | None:
    """The same kind of period `count` units (year, month, quarter, week, day) later or earlier."""
    if resolved.start is None or resolved.granularity in (None, "range"):
        return None
    kind, year, index, start = _unit_of(resolved)
    months = {"year": 12, "half": 6, "quarter": 3, "month": 1}.get(unit)
    if months is not None:
        if kind in ("day", "week", "weekend"):
            moved = _shift_day(start, months=months * count)
            if kind != "day":  # the same week number, a year on: keep its place in the ISO calendar
                iso_year, week, weekday = start.isocalendar()
                moved = dt.date.fromisocalendar(iso_year + months * count // 12, min(week, 52), weekday) \
                    if months * count % 12 == 0 else moved
            return period(kind, moved.year, day=moved)
        if kind in ("decade", "century"):
            return None
        if kind == "season":
            return period(kind, year + months * count // 12, index) if months * count % 12 == 0 else None
        per_unit = {"year": 12, "half": 6, "quarter": 3, "month": 1}[kind]
        if months * count % per_unit:
            return None
        number = year * (12 // per_unit) + index - 1 + months * count // per_unit
        return period(kind, number // (12 // per_unit), number % (12 // per_unit) + 1)
    days = {"week": 7, "day": 1}.get(unit)
    if days is None or kind not in ("day", "week", "weekend"):
        return None
    moved = start + dt.timedelta(days=days * count)
    return period(kind, moved.year, day=moved)


# ---------------------------------------------------------------- numbers


def number_value(words: str) -> int | None:
    """'12', 'a', 'two', 'twenty-five', 'a couple of' as an integer."""
    words = re.sub(r"\b(?:additional|extra)\b", "", words.strip().replace("-", " ")).strip() or "a"
    words = re.sub(r"^an? (?=hundred|thousand|dozen)", "one ", words)
    if words.isdigit():
        return int(words)
    if words == "one dozen":
        return 12
    if words in ("a", "an", "one", "a single"):
        return 1
    if words in ("a couple of", "a couple", "couple of", "couple"):
        return 2
    total = 0
    for word in words.split():
        if word in _SMALL:
            total += _SMALL[word]
        elif word in _TENS:
            total += _TENS[word]
        elif word == "hundred" and total:
            total *= 100
        elif word == "thousand":
            total = max(total, 1) * 1000
        elif word != "and":
            return None
    return total if words else None


def spelled_year(words: str) -> int | None:
    """'nineteen ninety-six' -> 1996, 'two thousand' -> 2000, 'nineteen hundred' -> 1900, '1996' -> 1996."""
    words = words.strip().replace("-", " ")
    if re.fullmatch(r"\d{4}", words):
        return int(words)
    parts = words.split()
    if len(parts) >= 2 and parts[0] in _SMALL and 10 <= _SMALL[parts[0]] <= 20 and parts[1] != "thousand":
        rest = " ".join(parts[1:])
        if rest == "hundred":
            return _SMALL[parts[0]] * 100
        tail = number_value(rest.removeprefix("oh "))
        if tail is not None and tail < 100:
            return _SMALL[parts[0]] * 100 + tail
        return None
    value = number_value(words)
    return value if value is not None and 1000 <= value <= 2999 else None


def _day_number(word: str) -> int | None:
    word = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", word.replace("-", " "))
    if word.isdigit():
        return int(word)
    parts = word.split()
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _ORDINALS:
        return _TENS[parts[0]] + _ORDINALS[parts[1]]
    return _ORDINALS.get(word) if word in _ORDINALS and _ORDINALS[word] > 0 else None


# ---------------------------------------------------------------- deixis


def _month_year(month: int, anchor: dt.date, tense: str, day: int | None = None) -> int:
    """The year of a month (or month-day) named without one: the occurrence the clause's tense
    points to, else the nearest. News dates cluster around the publication date, so a past clause
    still takes a day up to two months ahead ("extended the offer to Nov. 20", "payable Dec. 7")
    and a future clause one up to a month back."""
    if day is None:
        here, there = anchor.month, month
        if tense == "past":
            return anchor.year if there <= here else anchor.year - 1
        if tense == "future":
            return anchor.year if there >= here else anchor.year + 1
        delta = month - anchor.month
        return anchor.year - 1 if delta > 6 else anchor.year + 1 if delta < -5 else anchor.year
    candidates = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:  # February 29th outside a leap year
            continue
    return _pick(candidates, anchor, tense).year if candidates else anchor.year


def _pick(candidates: list[dt.date], anchor: dt.date, tense: str) -> dt.date:
    """One of a day's yearly occurrences (in order): the latest up to 60 days ahead in a past
    clause, the first from 30 days back in a future one, else the nearest."""
    if tense == "past":
        fitting = [c for c in candidates if c <= anchor + dt.timedelta(days=60)]
        return fitting[-1] if fitting else candidates[0]
    if tense == "future":
        fitting = [c for c in candidates if c >= anchor - dt.timedelta(days=30)]
        return fitting[0] if fitting else candidates[-1]
    return min(candidates, key=lambda c: (abs((c - anchor).days), c > anchor))


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th `weekday` of a month (n = -1: the last)."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year, month, _last_day(year, month))
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> dt.date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday) // 433
    month = (h + weekday - 7 * m + 90) // 25
    return dt.date(year, month, (h + weekday - 7 * m + 33 * month + 19) % 32)


# Holidays whose date a rule gives; names as _normalise leaves them ("new year's day" -> "new year day").
HOLIDAYS: dict[str, Callable[[int], dt.date]] = {
    "new year day": lambda y: dt.date(y, 1, 1), "new year eve": lambda y: dt.date(y, 12, 31),
    "valentine day": lambda y: dt.date(y, 2, 14), "st patrick day": lambda y: dt.date(y, 3, 17),
    "may day": lambda y: dt.date(y, 5, 1), "independence day": lambda y: dt.date(y, 7, 4),
    "fourth of july": lambda y: dt.date(y, 7, 4), "bastille day": lambda y: dt.date(y, 7, 14),
    "halloween": lambda y: dt.date(y, 10, 31), "veterans day": lambda y: dt.date(y, 11, 11),
    "armistice day": lambda y: dt.date(y, 11, 11), "christmas eve": lambda y: dt.date(y, 12, 24),
    "christmas": lambda y: dt.date(y, 12, 25), "christmas day": lambda y: dt.date(y, 12, 25),
    "boxing day": lambda y: dt.date(y, 12, 26),
    "martin luther king day": lambda y: _nth_weekday(y, 1, 0, 3), "presidents day": lambda y: _nth_weekday(y, 2, 0, 3),
    "mother day": lambda y: _nth_weekday(y, 5, 6, 2), "memorial day": lambda y: _nth_weekday(y, 5, 0, -1),
    "father day": lambda y: _nth_weekday(y, 6, 6, 3), "labor day": lambda y: _nth_weekday(y, 9, 0, 1),
    "thanksgiving": lambda y: _nth_weekday(y, 11, 3, 4), "thanksgiving day": lambda y: _nth_weekday(y, 11, 3, 4),
    # The Tuesday after the first Monday of November.
    "election day": lambda y: _nth_weekday(y, 11, 0, 1) + dt.timedelta(days=1),
    "easter": _easter, "easter sunday": _easter, "good friday": lambda y: _easter(y) - dt.timedelta(days=2),
}
_HOLIDAY = re.compile(r"(?:the )?(" + "|".join(sorted(HOLIDAYS, key=len, reverse=True)) + r")(?: (?:of )?(\d{4}))?")


def _weekday(target: int, anchor: dt.date, relation: str, tense: str) -> dt.date:
    """The weekday `target` (0 = Monday) relative to `anchor`. "last Wednesday" is strictly before
    the anchor, even on a Wednesday; a bare weekday in a past or tenseless clause is the latest one
    up to the anchor (news says "said Tuesday" on the Tuesday), in a future clause the next one."""
    back = (anchor.weekday() - target) % 7
    forward = (target - anchor.weekday()) % 7
    if relation in ("last", "past", "previous"):
        offset = -(back or 7)
    elif relation in ("next", "coming"):
        offset = forward or 7
    elif relation == "this":
        offset = -back if tense == "past" else forward
    elif tense == "past":
        offset = -back
    elif tense == "future":
        offset = forward
    else:
        offset = -back  # news reports what happened: a weekday in a tenseless clause is the last one
    return anchor + dt.timedelta(days=offset)


def _season_year(code: str, anchor: dt.date, relation: str, tense: str) -> int:
    """The year of a season: "this summer" is the anchor's year's; "last fall" the latest one that
    ended before the anchor; "next spring" the first one that starts after it."""
    first = _SEASON_MONTH[code]
    current = anchor.year if anchor.month >= first or code != "WI" else anchor.year - 1
    if code == "WI" and anchor.month <= 2:
        current = anchor.year - 1
    starts = dt.date(current, first, 1)
    ends = period("season", current, ["SP", "SU", "FA", "WI"].index(code)).end
    assert ends is not None
    if relation in ("last", "past", "previous"):
        return anchor.year - 1 if code != "WI" else current - 1  # "last spring" in October: a year back
    if relation in ("next", "coming"):
        return current if starts > anchor else current + 1
    if relation == "this" or tense == "neutral":
        return current
    if tense == "past":
        return current if starts <= anchor else current - 1
    return current if ends >= anchor else current + 1


def _weekend(anchor: dt.date, relation: str, tense: str) -> ResolvedDate:
    """"last weekend" is the latest one before the anchor, "next weekend" the first one after it;
    "this weekend" and "the weekend" the latest in a past or tenseless clause, else the coming one."""
    latest = anchor - dt.timedelta(days=(anchor.weekday() - 5) % 7)  # Saturday on or before
    during = anchor.weekday() >= 5
    if relation in ("last", "past", "previous"):
        saturday = latest - dt.timedelta(days=7) if during else latest
    elif relation in ("next", "coming"):
        saturday = latest + dt.timedelta(days=7) if not during else latest + dt.timedelta(days=7)
    elif tense == "future" and not during:
        saturday = latest + dt.timedelta(days=7)
    else:
        saturday = latest
    return period("weekend", 0, day=saturday)


def _current(unit: str, anchor: dt.date) -> ResolvedDate:
    index = {"month": anchor.month, "quarter": (anchor.month + 2) // 3, "half": (anchor.month + 5) // 6}.get(unit, 1)
    if unit == "decade":
        return period(unit, anchor.year // 10 * 10)
    if unit == "century":
        return period(unit, anchor.year // 100 * 100)
    return period(unit, anchor.year, index, day=anchor)


def _step(unit: str, anchor: dt.date, step: int) -> ResolvedDate | None:
    """The unit holding the anchor, moved `step` units."""
    here = _current(unit, anchor)
    if step == 0:
        return here
    if unit == "decade":
        return period(unit, anchor.year // 10 * 10 + 10 * step)
    if unit == "century":
        return period(unit, anchor.year // 100 * 100 + 100 * step)
    if unit in ("day", "week", "weekend"):
        return shift(here, "day" if unit == "day" else "week", step)
    return shift(here, unit, step)


# ---------------------------------------------------------------- the grammar

_NUM_WORD = r"(?:\d{1,3}|" + "|".join(list(_SMALL) + list(_TENS)) + \
    r"|hundred|thousand|dozen|couple|of|few|several|many|some|number|additional|extra)"
_NUM = r"(?:an?|(?:an? )?" + _NUM_WORD + r"(?:[ -]" + _NUM_WORD + r")*)"  # "a", "a few", "twenty-four", "a hundred"
_UNIT = r"(second|minute|hour|day|night|week|weekend|month|quarter|year|decade|century|centurie)s?"
_MONTH = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
_WEEKDAY = r"(" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")"
_QUARTER_ORD = r"(first|second|third|fourth|1st|2nd|3rd|4th|final|last)"
_YEARISH = r"(\d{4}|'\d\d|(?:nineteen|twenty|two thousand)[a-z -]*)"

_QUARTER_NUMBER = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "final": 4}
_RELATIVE_STEP = {"last": -1, "past": -1, "previous": -1, "prior": -1, "next": 1, "coming": 1, "following": 1,
                  "this": 0, "current": 0, "latest": 0, "present": 0}

# The grammar's patterns, compiled once (they are matched for every mention).
_FIRST_UNITS = re.compile(r"(?:the )?(first|last|final) (" + _NUM + r") (month|quarter|week|day)s")
_YEAR_ONLY = re.compile(r"(?:year )?" + _YEARISH)
_MONTH_DAY_SPAN = re.compile(_MONTH + r" (\d{1,2}) ?(?:-|to|through) ?(\d{1,2})(?: " + _YEARISH + r")?")
_MONTH_YEAR = re.compile(_MONTH + r" (?:of )?" + _YEARISH)
_MONTH_DAY = re.compile(r"(?:" + _WEEKDAY + r" )?" + _MONTH + r" ([0-9a-z -]+?)(?: (?:of )?" + _YEARISH + r")?")
_DAY_MONTH = re.compile(r"(?:" + _WEEKDAY + r" )?(\d{1,2})(?:st|nd|rd|th)? (?:of )?" + _MONTH + r"(?: " + _YEARISH + r")?")
_QUARTER_WITH_YEAR = re.compile(
    r"(?:the )?(?:" + _YEARISH + r" )?" + _QUARTER_ORD + r" (quarter|half|period)"
    r"(?: (?:of )?" + _YEARISH + r")?"
)
_Q_NUMBER = re.compile(r"q([1-4])(?: " + _YEARISH + r")?")
_SEASON_WITH_YEAR = re.compile(r"(?:the )?(?:(?:" + "|".join(SEASONS) + r") (?:of )?)" + _YEARISH)
_WEEKDAY_PHRASE = re.compile(
    r"(?:the )?(?:(last|next|this|coming|past|previous|this coming) )?" + _WEEKDAY +
    r"(?: (morning|afternoon|evening|night))?"
)
_MONTH_ALONE = re.compile(r"(?:(?:the )?(?:" + _WEEKDAY + r" )?)" + _MONTH)
_MONTH_RELATIVE = re.compile(
    r"(last|next|this|coming|past|previous) " + _MONTH + r"|" + _MONTH +
    r" (last|next|this|of last|of next|of this) year"
)
_QUARTER_NO_YEAR = re.compile(
    r"(?:(last|next|this|the current|the previous|the prior) year )?(?:the )?" + _QUARTER_ORD +
    r" (quarter|half)"
)
_UNITS_AWAY = re.compile(
    r"(?:(" + _NUM + r") )?(day|week|month|quarter|year|decade)s? (ago|earlier|later|before|after|"
    r"from now|hence|previously|back)"
)
_EVERY_UNIT = re.compile(r"(?:every|each|per|a|an) (other )?(?:(\d+|[a-z]+) )?" + _UNIT)
_EVERY_WEEKDAY = re.compile(r"(?:every|each) " + _WEEKDAY + r"|" + _WEEKDAY + r"s")
_EVERY_MONTH = re.compile(r"(?:every|each) " + _MONTH)


def _normalise(text: str) -> str:
    t = text.lower().replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    t = re.sub(r"(?<=[a-z])\.(?=\s|$|,)", "", t)  # "Dec." -> "dec"; keeps "p.m" dots harmless
    t = re.sub(r"'s\b", "", t)  # "last year's" -> "last year"
    t = re.sub(r"(?<=[a-z0-9])-(?=[a-z])", " ", t)  # "third-quarter", "year-earlier", "10-year"
    t = re.sub(r"\bmid-?(?=\d)|\bmid-(?=[a-z])", "mid ", t)
    t = re.sub(r"\s*,\s*", " ", t)
    return re.sub(r"\s+", " ", t).strip(" .;:'\"()")


def _year_word(word: str, anchor: dt.date | None) -> int | None:
    word = word.strip()
    if re.fullmatch(r"'\d\d", word):
        year = int(word[1:])
        century = (anchor.year // 100 * 100) if anchor else 1900
        return century + year if not anchor or century + year <= anchor.year + 10 else century - 100 + year
    return spelled_year(word)


def resolve_date(
    text: str,
    published: dt.date | None,
    tense: str = "neutral",
    reference: ResolvedDate | None = None,
) -> ResolvedDate:
    """Type and resolve one date mention. Absolute dates need no anchor; deictic ones ("last fall")
    need `published`; "a year earlier" and its kind use `reference`, the date the sentence talks
    about (published date when there is none)."""
    try:
        return _resolve(text, published, tense, reference)
    except (ValueError, OverflowError):  # "0000", "year 10000", "9999 years later": off the calendar
        return _unresolved(f"outside the calendar: {text!r}")


def _resolve(text: str, published: dt.date | None, tense: str, reference: ResolvedDate | None) -> ResolvedDate:
    t = _normalise(text)
    mod = "APPROX" if _APPROX.search(t) else None
    t = re.sub(r"\s+", " ", re.sub(r"\bor so\b", "", t)).strip()
    t = _LEADING.sub("", t).strip()
    if t.startswith("this past "):  # "this past spring": the latest one, this year's if it has begun
        t, tense = t.removeprefix("this past "), "past"
    t = re.sub(r"^an? (?=(?:first|second|third|fourth|1st|2nd|3rd|4th|fiscal)\b)", "", t)
    t = re.sub(r"^(the )?(calendar|fiscal|financial|fy)\s+", r"\1", t)
    t = re.sub(r"^(the )?(current|latest|previous|next|last|past|coming|first|second|third|fourth) (fiscal|financial) ",
               r"\1\2 ", t)
    clock = _CLOCK_FIRST.fullmatch(t) or _CLOCK_LAST.fullmatch(t)
    if clock:
        return _clock_time(clock, published, tense, reference)
    # A SET or a DURATION is never a date, whatever the anchor.
    typed = _set_or_duration(t, published, tense)
    if typed is not None:
        if reference is not None and typed.timex_type == "DURATION":
            typed = _within(t, typed, reference)
        return replace(typed, mod=mod) if mod and typed.value else typed  # "about two years": P2Y, APPROX
    t = re.sub(r"^the (past|last|next|coming|current|present) (?=(?:day|week|weekend|month|quarter|half|year|decade)$)",
               r"\1 ", t)
    if t in ("year end", "end of year", "end of the year", "year's end"):
        t = "the end of this year"
    t = re.sub(r"^the (?=(?:early|late|mid|middle) )", "", t)
    for prefix, prefix_mod in _MODS:
        if t.startswith(prefix + " ") and len(t) > len(prefix) + 1:
            t, mod = t[len(prefix) + 1 :].removeprefix("of ").strip(), prefix_mod or mod
            t = _LEADING.sub("", t).strip()
            t = re.sub(r"^(?:the )?(?=\d{4}$)", "", t)
            break
    resolved = _absolute(t, published, tense)
    if resolved is None and published is None:
        return _unresolved("relative date and the article has no published date")
    if resolved is None:
        resolved = _relative(t, published, tense, reference)  # type: ignore[arg-type]
    if resolved is None:
        return _unresolved(f"no rule resolves {text!r}")
    if mod and resolved.mod is None and resolved.value is not None:
        resolved = replace(resolved, mod=mod)
        if resolved.start is not None and resolved.end is not None and mod in ("START", "MID", "END"):
            resolved = _narrow(resolved, mod)
    return resolved


_CLOCK = (r"(?:(?:at|around|about|by|until) )?(?:(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))? ?(?P<half>[ap])\.?m\.?|"
          r"(?P<word>noon|midnight))(?: (?:est|edt|cst|cdt|mst|mdt|pst|pdt|gmt|utc|et|local time))?")
_CLOCK_FIRST = re.compile(_CLOCK + r"(?: (?:on )?(?P<rest>.+))?")
_CLOCK_LAST = re.compile(r"(?P<rest>.+?) (?:at )?" + _CLOCK)


def _clock_time(clock: re.Match[str], published: dt.date | None, tense: str, reference: ResolvedDate | None) -> ResolvedDate:
    """"10 p.m. Wednesday", "noon Saturday": a TIME on the day the rest names; a clock time alone
    keeps no day (which day it is, the article does not say)."""
    if clock["word"]:
        hour, minute = (12, 0) if clock["word"] == "noon" else (24, 0)
    elif not 1 <= int(clock["hour"]) <= 12:
        return _unresolved("not a clock time", "TIME")
    else:
        hour, minute = int(clock["hour"]) % 12 + (12 if clock["half"] == "p" else 0), int(clock["minute"] or 0)
    if minute > 59:
        return _unresolved("not a clock time", "TIME")
    day = _resolve(clock["rest"], published, tense, reference) if clock["rest"] else None
    if day is None or day.granularity != "day" or day.value is None:
        return _unresolved("a clock time without its day", "TIME")
    return replace(day, timex_type="TIME", value=f"{day.value[:10]}T{hour:02d}:{minute:02d}", mod=None)


def _within(t: str, duration: ResolvedDate, reference: ResolvedDate) -> ResolvedDate:
    """"the first nine months (of 2020)": the stretch at the start (or end) of the period named."""
    m = _FIRST_UNITS.fullmatch(t)
    count = number_value(m[2]) if m else None
    if m is None or count is None or reference.start is None or reference.end is None:
        return duration
    months = {"month": 1, "quarter": 3}.get(m[3])
    if m[1] == "first":
        start = reference.start
        end = (_shift_day(start, months=months * count) if months else start + dt.timedelta(
            days=count * (7 if m[3] == "week" else 1))) - dt.timedelta(days=1)
    else:
        end = reference.end
        after = end + dt.timedelta(days=1)
        start = _shift_day(after, months=-months * count) if months else after - dt.timedelta(
            days=count * (7 if m[3] == "week" else 1))
    if start < reference.start or end > reference.end:
        return duration  # longer than the period it is taken from
    return replace(duration, start=start, end=end, granularity="range")


def _narrow(resolved: ResolvedDate, mod: str) -> ResolvedDate:
    """"early January" keeps January's value and unit, with its first third as the range."""
    assert resolved.start is not None and resolved.end is not None
    if resolved.granularity == "month":  # early 1-10, mid 11-20, late 21-end, as people use them
        first, last = {"START": (1, 10), "MID": (11, 20), "END": (21, 31)}[mod]
        return replace(resolved, start=resolved.start.replace(day=first),
                       end=resolved.start.replace(day=min(last, resolved.end.day)))
    length = (resolved.end - resolved.start).days + 1
    if length < 3:  # "early Tuesday": the day itself
        return resolved
    third = length // 3
    if mod == "START":
        return replace(resolved, end=resolved.start + dt.timedelta(days=third - 1))
    if mod == "END":
        return replace(resolved, start=resolved.end - dt.timedelta(days=third - 1))
    return replace(resolved, start=resolved.start + dt.timedelta(days=third),
                   end=resolved.end - dt.timedelta(days=third))


def _absolute(t: str, anchor: dt.date | None, tense: str) -> ResolvedDate | None:
    """Mentions that carry their own year (or need only the month/day occurrence rule)."""
    m = _HOLIDAY.fullmatch(t)
    if m and (m[2] or anchor is not None):
        rule = HOLIDAYS[m[1]]
        if m[2]:
            return period("day", 0, day=rule(int(m[2])))
        assert anchor is not None
        return period("day", 0, day=_pick([rule(anchor.year + step) for step in (-1, 0, 1)], anchor, tense))
    t = t.removeprefix("the ")
    m = _YEAR_ONLY.fullmatch(t)
    if m and (year := _year_word(m[1], anchor)) is not None:
        return period("year", year)
    m = re.fullmatch(r"(\d{3})0s|'(\d)0s|(\d{2})(\d)0s", t)
    if m:
        if m[1]:
            return period("decade", int(m[1]) * 10)
        if m[2]:
            century = (anchor.year // 100 * 100) if anchor else 1900
            decade = century + int(m[2]) * 10
            return period("decade", decade if decade <= (anchor or dt.date(1999, 1, 1)).year else decade - 100)
    m = re.fullmatch(r"(nineteen |twenty )?(twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)", t)
    if m:
        tens = _TENS[m[2][:-3] + "y"]
        century = 1900 if (m[1] or "").strip() == "nineteen" or anchor is None or anchor.year < 2020 + tens else 2000
        if m[1] and m[1].strip() == "twenty":
            century = 2000
        return period("decade", century + tens)
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th) century|([a-z]+(?: [a-z]+)?) century", t)
    if m:
        number = int(m[1]) if m[1] else _day_number(m[2] or "")
        if number:
            return period("century", (number - 1) * 100)
    # A span of days in one month: "September 16-19", "Sept. 16 to 19, 2016": a range, no single value.
    m = _MONTH_DAY_SPAN.fullmatch(t)
    if m and (m[4] or anchor is not None) and 1 <= int(m[2]) < int(m[3]) <= 31:
        month = MONTHS[m[1]]
        year = _year_word(m[4], anchor) if m[4] else _month_year(month, anchor, tense, int(m[2]))  # type: ignore[arg-type]
        if year is None:
            return None
        last = min(int(m[3]), _last_day(year, month))
        return ResolvedDate(dt.date(year, month, int(m[2])), dt.date(year, month, last), "range")
    # Month year: "july 2021", "january of 1997", "june last year", "january this year".
    m = _MONTH_YEAR.fullmatch(t)
    if m and (year := _year_word(m[2], anchor)) is not None:
        return period("month", year, MONTHS[m[1]])
    # Month day year, day month year, weekday month day.
    m = _MONTH_DAY.fullmatch(t)
    if m and (day_number := _day_number(m[3])) is not None and 1 <= day_number <= 31:
        month = MONTHS[m[2]]
        year = _year_word(m[4], anchor) if m[4] else None
        if year is None:
            if anchor is None:
                return None
            year = _month_year(month, anchor, tense, day_number)
        try:
            return period("day", year, day=dt.date(year, month, day_number))
        except ValueError:
            return _unresolved(f"not a calendar date: {t!r}")
    m = _DAY_MONTH.fullmatch(t)
    if m:
        month = MONTHS[m[3]]
        year = _year_word(m[4], anchor) if m[4] else (_month_year(month, anchor, tense, int(m[2])) if anchor else None)
        if year is None:
            return None
        try:
            return period("day", year, day=dt.date(year, month, int(m[2])))
        except ValueError:
            return _unresolved(f"not a calendar date: {t!r}")
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})|(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", t)
    if m:
        try:
            if m[1]:
                return period("day", 0, day=dt.date(int(m[1]), int(m[2]), int(m[3])))
            year = int(m[6]) if len(m[6]) == 4 else 1900 + int(m[6]) if int(m[6]) > 30 else 2000 + int(m[6])
            return period("day", 0, day=dt.date(year, int(m[4]), int(m[5])))  # US order, as in US news
        except ValueError:
            return _unresolved(f"not a calendar date: {t!r}")
    # Quarters and halves with a year: "the 1988 third quarter", "the third quarter of 1989", "q3 1989".
    m = _QUARTER_WITH_YEAR.fullmatch(t)
    if m and (m[1] or m[4]):
        year = _year_word(m[1] or m[4], anchor)
        index = _ordinal_index(m[2], m[3])
        if year is not None and index is not None:
            return period("quarter" if m[3] != "half" else "half", year, index)
    m = _Q_NUMBER.fullmatch(t)
    if m and (m[2] or anchor):
        year = _year_word(m[2], anchor) if m[2] else _quarter_year(int(m[1]), anchor, tense)  # type: ignore[arg-type]
        if year is not None:
            return period("quarter", year, int(m[1]))
    m = _SEASON_WITH_YEAR.fullmatch(t)
    if m and (year := _year_word(m[1], anchor)) is not None:
        season = t.removeprefix("the ").split()[0]
        return period("season", year, ["SP", "SU", "FA", "WI"].index(SEASONS[season]))
    return None


def _ordinal_index(word: str, unit: str) -> int | None:
    count = 2 if unit == "half" else 4
    if word in ("last", "final"):
        return count
    index = _QUARTER_NUMBER.get(word)
    return index if index is not None and index <= count else None


def _quarter_year(index: int, anchor: dt.date, tense: str) -> int:
    """The year of a quarter named without one: in a past clause the latest such quarter begun by
    the anchor; otherwise the first one that ended less than a quarter ago (results are reported
    in the weeks after a quarter ends, so "third-quarter profit" in October is this year's)."""
    starts = [dt.date(year, 3 * index - 2, 1) for year in (anchor.year - 1, anchor.year, anchor.year + 1)]
    if tense == "past":
        return [start for start in starts if start <= anchor][-1].year
    for start in starts:
        if period("quarter", start.year, index).end >= anchor - dt.timedelta(days=92):  # type: ignore[operator]
            return start.year
    return anchor.year


def _relative(t: str, anchor: dt.date, tense: str, reference: ResolvedDate | None) -> ResolvedDate | None:
    """Mentions located from the publication date or from the sentence's reference time."""
    if t in ("today", "this day", "tonight", "this morning", "this afternoon", "this evening", "overnight"):
        return _time_of_day(t, period("day", 0, day=anchor))
    if t in ("yesterday", "last night", "yesterday morning", "yesterday afternoon", "yesterday evening"):
        return _time_of_day(t, period("day", 0, day=anchor - dt.timedelta(days=1)))
    if t in ("tomorrow", "tomorrow night", "tomorrow morning", "tomorrow afternoon", "tomorrow evening"):
        return _time_of_day(t, period("day", 0, day=anchor + dt.timedelta(days=1)))
    if t in ("the day before yesterday",):
        return period("day", 0, day=anchor - dt.timedelta(days=2))
    if t in ("the day after tomorrow",):
        return period("day", 0, day=anchor + dt.timedelta(days=2))
    if t in ("now", "right now", "these days", "nowadays", "the present", "present", "currently", "the moment", "this point",
             "this stage", "this time"):
        return _unresolved("refers to the present, no calendar unit", value="PRESENT_REF")
    if t in ("the future", "future", "the near future", "one day", "some day", "someday", "coming years",
             "coming months", "coming weeks", "the coming months", "the coming years", "the months ahead",
             "the years ahead", "a later date"):
        return _unresolved("refers to the future, no calendar unit", value="FUTURE_REF")
    if t in ("the past", "recently", "recent days", "the last few days", "the last few months", "the last few years",
             "years ago", "a few years ago", "several years ago", "some years ago", "decades ago", "once"):
        return _unresolved("refers to the past, no calendar unit", value="PAST_REF")

    # Weekdays, maybe with a part of the day: "last wednesday", "friday evening", "early tuesday".
    m = _WEEKDAY_PHRASE.fullmatch(t)
    if m:
        relation = (m[1] or "").replace("this coming", "coming")
        day = _weekday(WEEKDAYS[m[2]], anchor, relation, tense)
        if m[1] == "previous" and reference is not None and reference.start is not None:
            day = _weekday(WEEKDAYS[m[2]], reference.start, "last", tense)
        resolved = replace(period("day", 0, day=day), wants_reference=m[1] == "previous")
        if m[3]:
            resolved = replace(resolved, timex_type="TIME", value=f"{resolved.value}T{_PART_OF_DAY[m[3]]}")
        return resolved
    m = _MONTH_ALONE.fullmatch(t)  # "december", "friday"-less
    if m:
        month = MONTHS[m[2]]
        return period("month", _month_year(month, anchor, tense), month)
    # "last may", "next january", "this september", "june last year", "january this year".
    m = _MONTH_RELATIVE.fullmatch(t)
    if m:
        if m[1]:
            month, relation = MONTHS[m[2]], m[1]
            if relation == "this":
                year = anchor.year
            elif relation in ("last", "past", "previous"):
                # "last February" written in March would have been "last month": a year back.
                year = anchor.year if month < anchor.month - 1 else anchor.year - 1
            else:  # and "next February" written in January would have been "next month"
                year = anchor.year if month > anchor.month + 1 else anchor.year + 1
        else:
            month = MONTHS[m[3]]
            year = anchor.year + _RELATIVE_STEP[m[4].removeprefix("of ")]
        return period("month", year, month)

    # Seasons: "last fall", "this summer", "the summer", "this past spring".
    m = re.fullmatch(r"(?:(last|next|this|coming|past|previous|the) )?(?:(early|late) )?(spring|summer|fall|autumn|winter)"
                     r"(?: (last|this|next) year)?", t)
    if m:
        code = SEASONS[m[3]]
        if m[4]:
            year = anchor.year + _RELATIVE_STEP[m[4]]
        else:
            year = _season_year(code, anchor, "" if m[1] == "the" else m[1] or "", tense)
        return period("season", year, ["SP", "SU", "FA", "WI"].index(code))

    # Quarters and halves without a year: "the third quarter", "fourth-quarter", "next year's first quarter".
    m = _QUARTER_NO_YEAR.fullmatch(t)
    if m:
        index = _ordinal_index(m[2], m[3])
        if index is None:
            return None
        unit = "quarter" if m[3] == "quarter" else "half"
        if m[1]:
            year = anchor.year + _RELATIVE_STEP[m[1].removeprefix("the ")]
        elif unit == "quarter":
            year = _quarter_year(index, anchor, tense)
        else:
            current = (anchor.month + 5) // 6
            year = anchor.year - 1 if tense == "past" and index > current else anchor.year
        return period(unit, year, index)

    # Relative units: "last week", "this month", "the current quarter", "the latest quarter".
    m = re.fullmatch(r"(?:the )?(last|next|this|coming|past|current|latest|present) (day|week|weekend|month|quarter|"
                     r"half|year|decade|century|period)(?: (?:so far|to date))?", t)
    if m:
        relation, unit = m[1], m[2]
        if unit == "weekend":
            return _weekend(anchor, relation, tense)
        if relation == "latest":  # the last one that has ended: "the latest quarter", "the latest fiscal year"
            return _step("quarter" if unit == "period" else unit, anchor, -1)
        return _step(unit, anchor, _RELATIVE_STEP[relation]) if unit != "period" else None
    # "the weekend", "the quarter", "the full year": the one the sentence talks about, else the
    # current one (the quarter just ended in a past clause).
    m = re.fullmatch(r"(?:the )?(?:full |whole |entire |same )?(week|weekend|month|quarter|half|year)(?: period)?", t)
    if m and t.startswith(("the ", "full ", "whole ", "entire ", "same ")):
        unit = m[1]
        if unit == "weekend":
            return _weekend(anchor, "", tense)
        if reference is not None and reference.start is not None:
            found = _of_reference(unit, reference)
            if found is not None:
                return replace(found, wants_reference=True)
        if unit == "quarter" and tense == "past":
            return replace(_step("quarter", anchor, -1) or _current("quarter", anchor), wants_reference=True)
        return replace(_current(unit, anchor), wants_reference=True)

    # "the 1988 quarter", "the 1989 period": the period the story reports on, in the year named.
    m = re.fullmatch(r"(?:the )?(\d{4}) (quarter|period|half)", t)
    if m:
        year = int(m[1])
        if reference is not None and reference.start is not None and reference.granularity in ("quarter", "half"):
            _, _, index, _ = _unit_of(reference)
            return replace(period(reference.granularity, year, index), wants_reference=True)
        return replace(period("year", year), wants_reference=True)
    # "The year-ago quarter", "a year earlier", "the same period last year": the period the sentence
    # reports on, a year back ("profit rose to $5 million from $4 million a year ago").
    if _YEAR_BACK.search(t) and (re.fullmatch(r"(?:a |the |one )?year (?:ago|earlier|before)", t)
                                 or _NAMED_PERIOD.search(t)):
        return _year_back(t, anchor, reference)
    # "N units ago / earlier / later / from now": the unit N steps away, at the unit's grain; "ago"
    # counts from the publication date, "earlier" and "later" from the reference time.
    m = _UNITS_AWAY.fullmatch(t)
    if m:
        plural_alone = not m[1] and t.split()[0].endswith("s")  # "weeks later": how many, unsaid
        count = None if plural_alone else number_value(m[1] or "a")
        if count is None:
            return _unresolved("refers to the past, no calendar unit", value="PAST_REF") \
                if m[3] in ("ago", "earlier", "before", "back", "previously") else None
        unit = m[2]
        sign = 1 if m[3] in ("later", "after", "from now", "hence") else -1
        uses_reference = m[3] in ("earlier", "later", "before", "after", "previously")
        if uses_reference and reference is not None and reference.start is not None:
            moved = shift(reference, unit, sign * count)
            if moved is not None:
                return replace(moved, mod=None, wants_reference=True)
        if unit == "day":
            here: ResolvedDate | None = period("day", 0, day=anchor + dt.timedelta(sign * count))
        else:
            here = _step(unit, anchor, sign * count)
        return replace(here, wants_reference=uses_reference) if here else None
    m = re.fullmatch(r"(?:the )?(following|previous|prior|next|preceding) (day|week|month|quarter|year)|"
                     r"that (day|week|month|quarter|year)|the (day|week|month|quarter|year) (before|after)", t)
    if m:
        unit = m[2] or m[3] or m[4]
        step = {"following": 1, "next": 1, "after": 1, "previous": -1, "prior": -1, "preceding": -1,
                "before": -1}.get(m[1] or m[5] or "", 0)
        here = _of_reference(unit, reference) if reference is not None and reference.start is not None else None
        moved = shift(here, unit, step) if here is not None and step else here
        if moved is None:  # no reference, or one coarser than the unit ("the following day" after "1990s")
            moved = _step(unit, anchor, step) or _current(unit, anchor)
        return replace(moved, mod=None, wants_reference=True)
    return None


_YEAR_BACK = re.compile(r"\b(?:a |one )?year (?:ago|earlier|before)\b|\blast year\b|\b(?:previous|prior) year\b")
_NAMED_PERIOD = re.compile(r"\b(?:quarter|period|month|half|week|level|levels|figure|figures|results)\b")


def _year_back(t: str, anchor: dt.date, reference: ResolvedDate | None) -> ResolvedDate | None:
    named = re.search(r"\b(quarter|month|half|week)\b", t)
    ordinal = re.search(_QUARTER_ORD + r" (quarter|half)", t)
    if reference is not None and reference.start is not None:
        base: ResolvedDate | None = reference
        if ordinal and (index := _ordinal_index(ordinal[1], ordinal[2])) is not None:
            base = period("quarter" if ordinal[2] == "quarter" else "half", reference.start.year, index)
        elif named:
            base = _of_reference(named[1], reference)
        elif " ago" in f" {t}" and reference.granularity in ("day", "week", "weekend"):
            base = None  # "a year ago" beside "Tuesday": a year before now, not before that day
        moved = shift(base, "year", -1) if base is not None else None
        if moved is not None:
            return replace(moved, mod=None, wants_reference=True)
    if named and named[1] == "quarter":
        latest = _step("quarter", anchor, -1)
        year_before = shift(latest, "year", -1) if latest else None
        return replace(year_before, wants_reference=True) if year_before else None
    return replace(_step("year", anchor, -1) or _current("year", anchor), wants_reference=True)


def _of_reference(unit: str, reference: ResolvedDate) -> ResolvedDate | None:
    """The `unit` holding the reference time: "the year" of "the quarter ended Sept. 30"."""
    assert reference.start is not None
    order = ("day", "weekend", "week", "month", "quarter", "half", "season", "year", "decade", "century")
    if reference.granularity not in order or order.index(reference.granularity or "") > order.index(unit) \
            and not (unit == "quarter" and reference.granularity == "year"):
        return None
    if unit == "quarter" and reference.granularity == "year":
        return None
    day = reference.end if unit == "quarter" and reference.end else reference.start
    return _current(unit, day)


def _time_of_day(t: str, day: ResolvedDate) -> ResolvedDate:
    part = next((code for word, code in _PART_OF_DAY.items() if t.endswith(word)), None)
    if part is None:
        return day
    return replace(day, timex_type="TIME", value=f"{day.value}T{part}")


_SET_WORDS = {"daily": "P1D", "nightly": "P1D", "weekly": "P1W", "monthly": "P1M", "quarterly": "P3M",
              "annually": "P1Y", "yearly": "P1Y", "annual": "P1Y", "hourly": "PT1H", "biweekly": "P2W",
              "semiannually": "P6M", "semiannual": "P6M"}


def _set_or_duration(t: str, anchor: dt.date | None, tense: str) -> ResolvedDate | None:
    """SETs ("daily", "every month", "Tuesdays") and DURATIONs ("three years", "the past two weeks",
    "the first nine months"), with a TimeML value and, when anchored, the range they cover."""
    if t in _SET_WORDS:
        return ResolvedDate(None, None, None, None, "SET", _SET_WORDS[t])
    m = _EVERY_UNIT.fullmatch(t)
    if m and not (m[0].startswith(("a ", "an ")) and m[2]):
        every = ((number_value(m[2]) or 1) if m[2] else 1) * (2 if m[1] else 1)
        unit = m[3]
        value = f"P{'T' if unit in _TIME_UNITS else ''}{every}{_UNIT_LETTER[unit]}"
        if t.startswith(("a ", "an ")):
            return None  # "a year" alone is a duration or "$5 a year"; decided by the extractor
        return ResolvedDate(None, None, None, None, "SET", value)
    m = _EVERY_WEEKDAY.fullmatch(t)
    if m:
        weekday = WEEKDAYS[m[1] or m[2]] + 1
        return ResolvedDate(None, None, None, None, "SET", f"XXXX-WXX-{weekday}")
    m = _EVERY_MONTH.fullmatch(t)
    if m:
        return ResolvedDate(None, None, None, None, "SET", f"XXXX-{MONTHS[m[1]]:02d}")

    # Durations. "the past/last/next N units" and "the first N months (of Y)" cover a range.
    m = _DURATION.fullmatch(t)
    if m and (m[2] or m[3] in ("years", "months", "weeks", "days", "decades", "centuries", "hours", "minutes")
              or t.endswith(_UNIT_SUFFIX_PLURAL)):
        count_words = (m[2] or "").split(" and ")[0].split(" or ")[0].split(" to ")[0]
        count = number_value(count_words) if count_words else None
        if m[2] and re.search(r" (?:or|to) (?!more)", m[2]):
            count_words, count = "several", None  # "two to three weeks": a span of unknown length
        unit = m[3]
        plural = t.split()[-1].endswith("s") or bool(re.search(r"(?:years|months|weeks|days|quarters|decades|centuries|"
                                                                r"hours|minutes)\b", t))
        if not count_words and not plural:
            return None  # "last year", "next month": dates, not durations
        if count is None and count_words and count_words not in _VAGUE_COUNT and count_words.strip() not in _VAGUE_COUNT:
            return None
        half = "and a half" in t
        letter = _UNIT_LETTER.get(unit, "X")
        amount = "X" if count is None else (f"{count}.5" if half else str(count))
        value = f"P{'T' if unit in _TIME_UNITS else ''}{amount}{letter}"
        start = end = None
        if anchor is not None and count is not None and unit in ("day", "week", "month", "quarter", "year") and m[1]:
            months = {"month": 1, "quarter": 3, "year": 12}.get(unit)
            if m[1] in ("past", "last", "previous", "latest", "prior"):
                end = anchor
                start = _shift_day(anchor, months=-months * count) if months else anchor - dt.timedelta(
                    days=count * (7 if unit == "week" else 1))
            elif m[1] in ("next", "coming", "following"):
                start = anchor
                end = _shift_day(anchor, months=months * count) if months else anchor + dt.timedelta(
                    days=count * (7 if unit == "week" else 1))
        return ResolvedDate(start, end, "range" if start else None, None, "DURATION", value)
    m = _ADJECTIVE_DURATION.fullmatch(t)
    if m and m[1] and number_value(m[1]):
        unit = m[2]
        return ResolvedDate(None, None, None, None, "DURATION",
                            f"P{'T' if unit in _TIME_UNITS else ''}{number_value(m[1])}{_UNIT_LETTER[unit]}")
    if t in ("recent years", "recent months", "recent weeks", "years", "months", "weeks", "decades", "centuries",
             "many years", "many months"):
        unit = t.split()[-1].removesuffix("s").replace("centurie", "century")
        return ResolvedDate(None, None, None, None, "DURATION", f"PX{_UNIT_LETTER[unit]}")
    return None


_DURATION = re.compile(
    r"(?:the )?(past|last|next|coming|first|previous|final|latest|prior|following|)\s*(" + _NUM
    + r"(?: (?:and a half|or more|(?:or|to) " + _NUM + r"))?)? ?" + _UNIT
    + r"(?: (?:so far|to date|ahead|or so|running|in a row|straight|old|long))?"
)
_ADJECTIVE_DURATION = re.compile(r"(?:(\d{1,3}|[a-z]+) )?(second|minute|hour|day|week|month|quarter|year|decade|century)"
                                 r"(?: (?:long|old))?")
_UNIT_SUFFIX_PLURAL = ("years", "months", "weeks", "days", "quarters", "decades", "centuries", "hours", "minutes")


# ---------------------------------------------------------------- mentions in a parsed article


def _tense(span: Span) -> str:
    """'past', 'future' or 'neutral' for the clause a date mention sits in: the tense of the first
    verb above the mention in the parse."""
    token: Token | None = span.root
    for _ in range(6):
        if token is None:
            break
        if token.pos_ in ("VERB", "AUX"):
            auxes = {c.lower_ for c in token.children if c.dep_ in ("aux", "auxpass")}
            if auxes & {"will", "'ll", "shall", "wo", "would", "'d", "could", "might", "may", "should", "must"} \
                    or token.lower_ in ("scheduled", "expected", "due", "planned"):
                return "future"
            if token.tag_ in ("VBD", "VBN") or auxes & {"has", "have", "had", "was", "were", "did", "'ve"}:
                return "past"
            if token.tag_ in ("VBZ", "VBP", "VB") or auxes & {"is", "are", "am", "'s", "'re", "does", "do"}:
                return "neutral"
        elif token.lower_ in _FUTURE_CUES:
            return "future"  # "a call ahead of Tuesday", "the upcoming vote Friday"
        if token.head is token:
            break
        token = token.head
    return "neutral"


_FUTURE_CUES = {"ahead", "upcoming", "scheduled", "planned", "expected", "due", "forthcoming", "coming"}


_SPLIT = re.compile(r"\s+(?:that |which )?(?:ended|ending|ends|through|to|and|-|–)\s+", re.IGNORECASE)
_OF_SPLIT = re.compile(r"\s+of\s+", re.IGNORECASE)
_TRIM_LEFT = re.compile(r"^(?:(?:just|only|as early as|as late as|as recently as|at least|since|by|until|its|their|"
                        r"his|her|our|both|between)\s+)+", re.IGNORECASE)


@dataclass
class _Mention:
    start: int
    end: int
    span: Span
    label: str
    tense: str = "neutral"
    resolved: ResolvedDate | None = None
    anchored_to: int | None = None
    resolved_with: int | None = None  # the mention whose date an "ended Sept. 30" part supplies
    boundary: bool = False  # that "Sept. 30": the end of a period, not what the sentence reports on


def _pieces(doc: Doc, span: Span) -> list[tuple[int, int]]:
    """Character pieces of one entity: "the quarter ended Sept. 30" and "Friday to December" hold two
    mentions; "the first nine months of 1997" a duration and a date. Leading words that are not part
    of a time expression ("just", "its") are dropped."""
    text, offset = span.text, span.start_char
    pieces = []
    cut = _SPLIT.search(text)
    if cut is None:
        of = _OF_SPLIT.search(text)
        if of and re.search(r"(?:days|weeks|months|quarters|years)$", text[: of.start()], re.IGNORECASE) \
                and re.match(r"(?:the )?(?:first|last|past|next|final|\d+|[a-z]+) ", text, re.IGNORECASE) \
                and not re.search(r"\b(?:first|second|third|fourth|1st|2nd|3rd|4th) (?:quarter|half)$", text[: of.start()],
                                  re.IGNORECASE):
            cut = of
    if cut is not None and (re.fullmatch(r"(?:the )?(?:next |past |last )?" + _NUM, text[: cut.start()].lower())
                            or re.fullmatch(r"\d{1,2}(?:,? \d{4})?", text[cut.end() :])):
        cut = None  # "two to three weeks", "the next 12 to 18 months", "Sept. 16 to 19": one expression
    bounds = [(0, cut.start()), (cut.end(), len(text))] if cut else [(0, len(text))]
    for begin, end in bounds:
        piece = text[begin:end]
        trimmed = _TRIM_LEFT.sub("", piece)
        begin += len(piece) - len(trimmed)
        piece = trimmed.rstrip(" ,.;:")
        if piece.endswith(("'s", "’s")):
            piece = piece[:-2]
        if piece:
            pieces.append((offset + begin, offset + begin + len(piece)))
    return pieces


def extract_dates(doc: Doc, published: dt.date | None) -> list[dict[str, Any]]:
    """The article's date and time mentions (spaCy DATE and TIME entities, split where one entity
    holds two), typed and resolved. Two passes: mentions read on their own first, then those read
    from the sentence's reference time ("a year earlier") with the nearest such date as reference."""
    text = parsed_text(doc)
    mentions: list[_Mention] = []
    for ent in doc.ents:
        if ent.label_ not in ("DATE", "TIME"):
            continue
        if ent.start > 0 and (doc[ent.start - 1].lower_ in ("each", "every") or (
                ent[0].lower_ in _UNIT_WORDS and doc[ent.start - 1].lower_ in _DETERMINERS)):
            ent = doc[ent.start - 1 : ent.end]  # spaCy leaves "this" out of "this year", "each" out of "each July"
        pieces = _pieces(doc, ent)
        for begin, end in pieces:
            span = doc.char_span(begin, end, alignment_mode="expand") or ent
            mentions.append(_Mention(begin, end, span, ent.label_))
        if len(pieces) == 2:
            between = text[pieces[0][1] : pieces[1][0]]
            if re.search(r"\bend", between):  # "the quarter ended Sept. 30": read from its end date
                mentions[-2].resolved_with = len(mentions) - 1
                mentions[-1].boundary = True
            elif re.fullmatch(r"\s+of\s+", between):  # "the first nine months of 2020": a stretch of 2020
                mentions[-2].resolved_with = len(mentions) - 1

    previous: tuple[int, str] | None = None  # (end_char, tense) of the last mention
    for mention in mentions:
        before = doc[mention.span.start - 1].lower_ if mention.span.start > 0 else ""
        gap = text[previous[0] : mention.start] if previous else None
        if previous and gap in (", ", " or ", " and ", " to ", "-", " - ", " – "):
            mention.tense = previous[1]  # "late January, early February": one phrase, one direction
        elif before in ("by", "until", "till", "before", "through", "to", "effective", "starting", "beginning"):
            # "by late January": a deadline points forward, unless the clause is past ("had filed
            # reports by Wednesday"), where the nearest occurrence is the safest reading.
            mention.tense = "future" if _tense(mention.span) != "past" else "neutral"
        else:
            mention.tense = _tense(mention.span)
        previous = (mention.end, mention.tense)
        mention.resolved = _read(text[mention.start : mention.end], mention, published, None, doc)
        if mention.resolved.value is None:
            _drop_leading_words(mention, text, published, doc)  # "seven a year ago", "d'etat last year"

    sentence_starts: list[int] | None = None
    for index, mention in enumerate(mentions):
        if mention.resolved_with is not None:
            reference = mentions[mention.resolved_with].resolved
            if reference is not None and reference.start is not None:
                mention.resolved = _read(text[mention.start : mention.end], mention, published, reference, doc)
                mention.anchored_to = mention.resolved_with
                continue
        if mention.resolved is None or not mention.resolved.wants_reference:
            continue
        if sentence_starts is None:  # walking doc.sents costs more than all the rest: only when needed
            sentence_starts = [sent.start_char for sent in doc.sents]
        found = _reference_for(index, mentions, text, sentence_starts)
        if found is not None:
            mention.resolved = _read(text[mention.start : mention.end], mention, published, mentions[found].resolved, doc)
            mention.anchored_to = found

    rows = []
    for mention in mentions:
        resolved = mention.resolved
        assert resolved is not None
        rows.append({
            "text": text[mention.start : mention.end],
            "timex_type": resolved.timex_type,
            "value": resolved.value,
            "mod": resolved.mod,
            "resolved_start": resolved.start,
            "resolved_end": resolved.end,
            "granularity": resolved.granularity,
            "unresolved_reason": resolved.reason,
            "anchored_to": mention.anchored_to,
            "start_char": mention.start,
            "end_char": mention.end,
        })
    return rows


_UNIT_WORDS = {"year", "quarter", "month", "week", "weekend", "day", "period", "half", "years", "quarters", "months"}
_DETERMINERS = {"this", "that", "last", "next", "the", "each", "every", "same", "latest", "current", "coming", "past"}


def _drop_leading_words(mention: _Mention, text: str, published: dt.date | None, doc: Doc) -> None:
    """A span spaCy started a word or two early: read it without them, and keep the shorter span
    only if that reads."""
    words = list(re.finditer(r"\S+", text[mention.start : mention.end]))
    for word in words[1:3]:
        start = mention.start + word.start()
        resolved = _read(text[start : mention.end], mention, published, None, doc)
        if resolved.value is not None:
            mention.start, mention.resolved = start, resolved
            mention.span = doc.char_span(start, mention.end, alignment_mode="expand") or mention.span
            return


def _read(text: str, mention: _Mention, published: dt.date | None, reference: ResolvedDate | None, doc: Doc) -> ResolvedDate:
    resolved = resolve_date(text, published, mention.tense, reference)
    lowered = text.lower()
    if resolved.value is None and re.fullmatch(r"(?:a|an|one|per|a single) (day|week|month|quarter|year|hour)", lowered):
        # "$5 a year", "twice a day": a rate after an amount is a SET; otherwise a duration.
        unit = lowered.split()[-1]
        before = doc[mention.span.start - 1] if mention.span.start > 0 else None
        rate = before is not None and (before.like_num or before.ent_type_ in ("MONEY", "PERCENT", "CARDINAL", "QUANTITY")
                                       or before.lower_ in ("times", "twice", "once", "thrice"))
        letter = _UNIT_LETTER[unit]
        value = f"P{'T' if unit == 'hour' else ''}1{letter}"
        return ResolvedDate(None, None, None, None, "SET" if rate or lowered.startswith("per") else "DURATION", value)
    if mention.label == "TIME" and resolved.timex_type == "DATE" and resolved.value is not None:
        resolved = replace(resolved, timex_type="TIME")
    if mention.label == "TIME" and resolved.value is None and resolved.timex_type == "DATE":
        resolved = replace(resolved, timex_type="TIME")
    return resolved


_SHIFTED = re.compile(r"\b(?:ago|earlier|later|before|after|previous|prior|following|last year)\b", re.IGNORECASE)


_ANAPHORIC = re.compile(r"(?:that|the (?:following|previous|preceding|same|next|prior)) ", re.IGNORECASE)


def _reference_for(index: int, mentions: list[_Mention], text: str, sentence_starts: list[int]) -> int | None:
    """The date a relative mention is read from: the nearest earlier mention in its sentence with a
    calendar value of its own, else a later one in the sentence, else the last one in the previous
    sentence, else the last quarter or half the story mentioned; None when there is none (the
    publication date stays the anchor)."""
    mention = mentions[index]
    position = bisect.bisect_right(sentence_starts, mention.start) - 1
    sentence_start = sentence_starts[position]
    sentence_end = sentence_starts[position + 1] if position + 1 < len(sentence_starts) else len(text)
    previous_sentence_start = sentence_starts[position - 1] if position > 0 else sentence_start

    def usable(other: _Mention) -> bool:
        found = other.resolved
        return (found is not None and found.start is not None and found.timex_type == "DATE" and not other.boundary
                and found.granularity not in ("range", "decade", "century")
                and not (found.wants_reference and _SHIFTED.search(text[other.start : other.end])))

    earlier = [i for i in range(index - 1, -1, -1) if mentions[i].start >= sentence_start and usable(mentions[i])]
    if earlier:
        return earlier[0]
    later = [i for i in range(index + 1, len(mentions)) if mentions[i].end <= sentence_end and usable(mentions[i])]
    if later:
        return later[0]
    before = [i for i in range(index - 1, -1, -1)
              if previous_sentence_start <= mentions[i].start < sentence_start and usable(mentions[i])]
    if before:
        return before[0]
    if _ANAPHORIC.match(text[mention.start : mention.end]):
        # "that year", "the following month" point back to the last date the story gave, however far.
        last_given = [i for i in range(index - 1, -1, -1) if usable(mentions[i])]
        return last_given[0] if last_given else None
    # An earnings story keeps talking about the quarter (or half) it reports on, sentences later.
    period_of_story = [i for i in range(index - 1, -1, -1) if usable(mentions[i])
                       and getattr(mentions[i].resolved, "granularity", None) in ("quarter", "half")]
    return period_of_story[0] if period_of_story else None
