"""Date quality on TimeBank 1.2 (TempEval-3 TBAQ-cleaned): detection, typing and TimeML values.

Scores newsflow's date mentions (tasks.dates.extract_dates on the parsed `<TEXT>` string, resolved
against the document creation time) with the metrics of `../shared/eval/dates-timebank/README.md`,
beside a raw reference: spaCy's DATE entities resolved by dateparser (relative to the same date).

    python benchmarks/quality_dates.py            # reads ../shared/eval/dates-timebank

Value accuracy follows the README exactly: each gold DATE TIMEX3 is paired with the first
prediction, in text order, that overlaps it; the prediction's value counts only if it is one of the
README's calendar forms (day, month, year, ISO week, quarter, half, season, weekend, decade,
century) and equals the gold value. A second line also lets newsflow's PRESENT_REF / PAST_REF /
FUTURE_REF and partly unspecified values (`1998-WXX`) count when they equal the gold value.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc

# The README's calendar value forms: the only values its strict metric can count as right.
CALENDAR_VALUE = re.compile(r"^(\d{4}(-(\d{2}(-\d{2})?|W\d{2}(-WE)?|Q[1-4]|H[12]|SP|SU|FA|WI))?|\d{3}|\d{2})$")
TIMEX_TYPES = ("DATE", "DURATION", "SET", "TIME")


@dataclass(frozen=True)
class Timex:
    start: int
    end: int
    type: str
    value: str | None
    text: str


Verdict = tuple[Timex, Timex | None, bool]  # gold DATE, the prediction paired with it, value right


@dataclass
class Article:
    name: str
    text: str
    published: dt.date
    gold: list[Timex]


def load_timebank(folder: Path) -> list[Article]:
    """The `<TEXT>` string of every file, its DCT date and its TIMEX3 with character offsets."""
    articles = []
    for path in sorted((folder / "TimeBank").glob("*.tml")):
        root = ET.parse(path).getroot()
        dct = next(t for t in root.iter("TIMEX3") if t.get("functionInDocument") == "CREATION_TIME")
        text_element = root.find("TEXT")
        assert text_element is not None, path
        parts, gold, offset = [text_element.text or ""], [], len(text_element.text or "")
        for child in text_element:
            inner = "".join(child.itertext())
            if child.tag == "TIMEX3":
                gold.append(Timex(offset, offset + len(inner), child.get("type", ""), child.get("value"), inner))
            parts += [inner, child.tail or ""]
            offset += len(inner) + len(child.tail or "")
        text = "".join(parts)
        assert all(text[g.start : g.end] == g.text for g in gold), path
        articles.append(Article(path.stem, text, dt.date.fromisoformat(dct.get("value", "")[:10]), gold))
    return articles


def _overlaps(a: Timex, b: Timex) -> bool:
    return a.start < b.end and b.start < a.end


@dataclass
class Scores:
    predictions: int = 0
    strict_correct: int = 0
    relaxed_correct: int = 0
    gold: int = 0
    gold_found_strict: int = 0
    gold_found_relaxed: int = 0
    gold_dates: int = 0
    dates_found: int = 0
    values_right: int = 0  # strict: calendar forms only
    values_right_refs: int = 0  # also PRESENT_REF and friends, and X values
    calendar_matched: int = 0
    calendar_right: int = 0
    typed_matched: int = 0
    typed_right: int = 0
    by_type: Counter[tuple[str, str]] = field(default_factory=Counter)  # (gold type, predicted type)
    seconds: float = 0.0

    def add(self, gold: list[Timex], predicted: list[Timex]) -> list[Verdict]:
        """Count one article; return each gold DATE with its paired prediction and verdict."""
        self.predictions += len(predicted)
        self.gold += len(gold)
        self.strict_correct += sum(any((p.start, p.end) == (g.start, g.end) for g in gold) for p in predicted)
        self.relaxed_correct += sum(any(_overlaps(p, g) for g in gold) for p in predicted)
        self.gold_found_strict += sum(any((p.start, p.end) == (g.start, g.end) for p in predicted) for g in gold)
        verdicts: list[Verdict] = []
        for g in gold:
            paired = next((p for p in predicted if _overlaps(p, g)), None)
            if paired is None:
                if g.type == "DATE":
                    self.gold_dates += 1
                    verdicts.append((g, None, False))
                continue
            self.gold_found_relaxed += 1
            if paired.type in TIMEX_TYPES:
                self.typed_matched += 1
                self.typed_right += paired.type == g.type
                self.by_type[(g.type, paired.type if paired.value else f"{paired.type}, no value")] += 1
            if g.type != "DATE":
                continue
            self.gold_dates += 1
            self.dates_found += 1
            value = paired.value or ""
            right = bool(CALENDAR_VALUE.match(value)) and value == g.value
            self.values_right += right
            self.values_right_refs += value == g.value
            if CALENDAR_VALUE.match(g.value or ""):
                self.calendar_matched += 1
                self.calendar_right += right
            verdicts.append((g, paired, right))
        return verdicts

    def lines(self, name: str, articles: int) -> list[str]:
        def ratio(a: int, b: int) -> str:
            return f"{a / b:.3f} ({a}/{b})" if b else "n/a"

        p_strict, r_strict = self.strict_correct / max(1, self.predictions), self.gold_found_strict / max(1, self.gold)
        p_relax, r_relax = self.relaxed_correct / max(1, self.predictions), self.gold_found_relaxed / max(1, self.gold)
        f_strict = 2 * p_strict * r_strict / max(1e-9, p_strict + r_strict)
        f_relax = 2 * p_relax * r_relax / max(1e-9, p_relax + r_relax)
        accuracy = self.values_right / max(1, self.dates_found)
        rows = [
            f"{name}",
            f"  detection strict   P {p_strict:.3f}  R {r_strict:.3f}  F1 {f_strict:.3f}  ({self.predictions} predicted)",
            f"  detection relaxed  P {p_relax:.3f}  R {r_relax:.3f}  F1 {f_relax:.3f};"
            f"  DATE recall {ratio(self.dates_found, self.gold_dates)}",
            f"  DATE value accuracy (README metric)      {ratio(self.values_right, self.dates_found)}",
            f"    over calendar gold values              {ratio(self.calendar_right, self.calendar_matched)}",
            f"    value recall                           {ratio(self.values_right, self.gold_dates)}",
            f"    with *_REF and X values counted too    {ratio(self.values_right_refs, self.dates_found)}",
            f"  value F1 (relaxed F1 x value accuracy)   {f_relax * accuracy:.3f}",
        ]
        if self.typed_matched:
            rows.append(f"  TIMEX type accuracy on matched gold      {ratio(self.typed_right, self.typed_matched)}")
            for gold_type in ("DURATION", "SET", "TIME"):
                got = {p: n for (g, p), n in sorted(self.by_type.items()) if g == gold_type}
                rows.append(f"    gold {gold_type:<8} typed as {', '.join(f'{p} {n}' for p, n in got.items()) or '-'}")
        rows.append(f"  date stage CPU per article               {1000 * self.seconds / max(1, articles):.2f} ms")
        return rows


# ---------------------------------------------------------------- predictors


def newsflow_predictions(doc: Doc, published: dt.date) -> list[Timex]:
    from newsflow.tasks.dates import extract_dates

    return [
        Timex(row["start_char"], row["end_char"], row.get("timex_type") or "", row.get("value"), row["text"])
        for row in extract_dates(doc, published)
    ]


_DATEPARSER_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}


def spacy_dateparser_predictions(doc: Doc, published: dt.date) -> list[Timex]:
    """Raw reference: spaCy DATE entities, each parsed by dateparser relative to the publication
    date, written at the period dateparser reports (day, week, month or year)."""
    from dateparser.date import DateDataParser

    base = dt.datetime.combine(published, dt.time(12))
    parser = DateDataParser(languages=["en"], settings={"RELATIVE_BASE": base, "RETURN_TIME_AS_PERIOD": True})
    rows = []
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        value = None
        data = parser.get_date_data(ent.text)
        if data and data.date_obj is not None:
            day = data.date_obj
            if data.period == "week":
                year, week, _ = day.isocalendar()
                value = f"{year}-W{week:02d}"
            elif data.period in _DATEPARSER_FORMATS:
                value = day.strftime(_DATEPARSER_FORMATS[data.period])
        rows.append(Timex(ent.start_char, ent.end_char, "", value, ent.text))
    return rows


def score(
    articles: Iterable[Article],
    docs: Iterable[Doc],
    predictor: Callable[[Doc, dt.date], list[Timex]],
) -> tuple[Scores, list[tuple[Article, Timex, Timex | None, bool]]]:
    scores, verdicts = Scores(), []
    for article, doc in zip(articles, docs, strict=True):
        began = time.process_time()
        predicted = predictor(doc, article.published)
        scores.seconds += time.process_time() - began
        verdicts += [(article, *v) for v in scores.add(article.gold, predicted)]
    return scores, verdicts


def report(eval_root: Path) -> str:
    """Score newsflow and the raw reference on `eval_root/dates-timebank`; a printable block."""
    from newsflow.tasks.nlp import parse

    folder = eval_root / "dates-timebank"
    if not (folder / "TimeBank").is_dir():
        return f"dates: no TimeBank copy in {folder}"
    articles = load_timebank(folder)
    docs = parse([a.text for a in articles])
    gold = [g for a in articles for g in a.gold]
    kinds = Counter(g.type for g in gold)
    lines = [
        f"Dates: TimeBank 1.2 (TBAQ-cleaned), {len(articles)} articles, {len(gold)} TIMEX3 "
        f"({', '.join(f'{k} {kinds[k]}' for k in TIMEX_TYPES)}); metric of {folder.name}/README.md",
    ]
    for name, predictor in (("newsflow (tasks.dates.extract_dates)", newsflow_predictions),
                            ("raw reference: spaCy DATE entities + dateparser", spacy_dateparser_predictions)):
        scores, _ = score(articles, docs, predictor)
        lines += scores.lines(name, len(articles))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(__file__).resolve().parents[2] / "shared" / "eval"))
