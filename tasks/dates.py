"""Resolving date mentions ("Tuesday", "next month", "late January") against a published date."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_PART = {"early": (1, 10), "mid": (11, 20), "late": (21, 31), "the end of": (21, 31)}
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7}


@dataclass(frozen=True)
class ResolvedDate:
    start: dt.date | None
    end: dt.date | None
    granularity: str | None
    reason: str | None = None


def _unresolved(reason: str) -> ResolvedDate:
    return ResolvedDate(None, None, None, reason)


def _month_range(year: int, month: int, first: int = 1, last: int = 31) -> tuple[dt.date, dt.date]:
    days = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(first, days)), dt.date(year, month, min(last, days))


def _add_months(day: dt.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _month_year(month: int, anchor: dt.date, tense: str) -> int:
    """The year of a bare month name: the occurrence the clause's tense points to."""
    if tense == "past":
        return anchor.year if month <= anchor.month else anchor.year - 1
    if tense == "future":
        return anchor.year if month >= anchor.month else anchor.year + 1
    # Neutral: the occurrence within six months either side.
    delta = month - anchor.month
    if delta > 6:
        return anchor.year - 1
    if delta < -6:
        return anchor.year + 1
    return anchor.year


def resolve_date(text: str, published: dt.date | None, tense: str = "neutral") -> ResolvedDate:
    """Resolve one DATE mention; absolute dates need no anchor, relative ones need `published`."""
    t = text.lower().strip().replace("’", "'").replace(".", "")
    t = re.sub(r"^(?:on|by|in|since|until|from|the|this past)\s+", "", t)

    # Absolute: "December 6, 2021", "Dec 6", "July 2021", "2014", "the 1990s".
    m = re.fullmatch(r"(\d{4})", t)
    if m:
        year = int(m[1])
        return ResolvedDate(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
    m = re.fullmatch(r"(?:the )?(\d{3})0s", t)
    if m:
        decade = int(m[1]) * 10
        return ResolvedDate(dt.date(decade, 1, 1), dt.date(decade + 9, 12, 31), "range")
    m = re.fullmatch(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})", t)
    if m and m[1] in MONTHS:
        try:
            day = dt.date(int(m[3]), MONTHS[m[1]], int(m[2]))
            return ResolvedDate(day, day, "day")
        except ValueError:
            return _unresolved(f"not a calendar date: {text!r}")
    m = re.fullmatch(r"([a-z]+),? (\d{4})", t)
    if m and m[1] in MONTHS:
        start, end = _month_range(int(m[2]), MONTHS[m[1]])
        return ResolvedDate(start, end, "month")

    if published is None:
        return _unresolved("relative date and the article has no published date")
    anchor = published

    if t in ("today", "tonight", "this morning", "this afternoon", "this evening"):
        return ResolvedDate(anchor, anchor, "day")
    if t in ("yesterday", "last night"):
        day = anchor - dt.timedelta(days=1)
        return ResolvedDate(day, day, "day")
    if t == "tomorrow":
        day = anchor + dt.timedelta(days=1)
        return ResolvedDate(day, day, "day")

    m = re.fullmatch(r"(?:last |next |this |coming )?([a-z]+)", t)
    if m and m[1] in WEEKDAYS:
        target = WEEKDAYS[m[1]]
        back = (anchor.weekday() - target) % 7
        forward = (target - anchor.weekday()) % 7
        if t.startswith("last") or (tense == "past" and not t.startswith("next")):
            offset = -back
        elif t.startswith("next") or tense == "future":
            offset = forward
        else:
            offset = -back if back <= forward else forward
        day = anchor + dt.timedelta(days=offset)
        return ResolvedDate(day, day, "day")

    m = re.fullmatch(r"(early|mid|late|the end of)?[ -]?([a-z]+)(?: (\d{1,2})(?:st|nd|rd|th)?)?", t)
    if m and m[2] in MONTHS:
        month = MONTHS[m[2]]
        year = _month_year(month, anchor, tense)
        if m[3]:
            try:
                day = dt.date(year, month, int(m[3]))
            except ValueError:
                return _unresolved(f"not a calendar date: {text!r}")
            return ResolvedDate(day, day, "day")
        first, last = _PART.get(m[1] or "", (1, 31))
        start, end = _month_range(year, month, first, last)
        return ResolvedDate(start, end, "range" if m[1] else "month")

    m = re.fullmatch(r"(next|last|this|coming|past) (week|month|year|weekend)", t)
    if m:
        step = {"next": 1, "coming": 1, "last": -1, "past": -1, "this": 0}[m[1]]
        unit = m[2]
        if unit == "year":
            year = anchor.year + step
            return ResolvedDate(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
        if unit == "month":
            year, month = _add_months(anchor, step)
            start, end = _month_range(year, month)
            return ResolvedDate(start, end, "month")
        if unit == "week":
            monday = anchor - dt.timedelta(days=anchor.weekday()) + dt.timedelta(weeks=step)
            return ResolvedDate(monday, monday + dt.timedelta(days=6), "range")
        # Weekend. "this weekend" in a past-tense clause is the one just gone, else the coming one.
        last_saturday = anchor - dt.timedelta(days=(anchor.weekday() - 5) % 7)
        next_saturday = last_saturday if anchor.weekday() >= 5 else last_saturday + dt.timedelta(7)
        if step < 0:
            saturday = last_saturday - dt.timedelta(7) if anchor.weekday() >= 5 else last_saturday
        elif step > 0:
            saturday = next_saturday + dt.timedelta(7) if anchor.weekday() >= 5 else next_saturday
        else:
            saturday = last_saturday if tense == "past" else next_saturday
        return ResolvedDate(saturday, saturday + dt.timedelta(days=1), "range")

    m = re.fullmatch(r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten) (day|days|week|weeks) ago", t)
    if m:
        count = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10}.get(m[1]) or int(m[1])
        day = anchor - dt.timedelta(days=count * _UNITS[m[2]])
        return ResolvedDate(day, day, "day")

    m = re.fullmatch(r"(?:in )?recent (days|weeks|months)", t)
    if m:
        span = {"days": 7, "weeks": 28, "months": 92}[m[1]]
        return ResolvedDate(anchor - dt.timedelta(days=span), anchor, "range")

    return _unresolved(f"no rule resolves {text!r}")
