"""Enrichment: places on the map, GDELT-style tone, themes with evidence, key phrases."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from newsflow.tasks.extract import Extraction, Mention
from newsflow.tasks.geo import COUNTY_WORDS, PlaceQuery, gazetteer, resolve_places

_WORD = re.compile(r"[a-z][a-z'-]*")

# A small taxonomy fitted to a geopolitics/defence feed. A theme is assigned when its terms occur
# at least MIN_THEME_HITS times; the score is hits per 100 words, capped at 1.
THEMES: dict[str, tuple[str, ...]] = {
    "MILITARY": ("military", "troops", "army", "forces", "soldiers", "invasion", "invade",
                 "buildup", "weapons", "missile", "missiles", "defense", "defence", "escalation",
                 "war", "combat", "artillery", "tanks", "navy", "air force", "drone", "drones"),
    "DIPLOMACY": ("diplomacy", "diplomatic", "talks", "summit", "call", "negotiation",
                  "negotiations", "ambassador", "foreign minister", "leaders", "treaty",
                  "dialogue", "envoy", "allies", "nato"),
    "SANCTIONS": ("sanctions", "sanction", "embargo", "export controls", "asset freeze",
                  "punishments", "penalties", "blacklist", "tariffs", "costs"),
    "CYBER": ("cyber", "cyberattack", "cyber attacks", "hack", "hackers", "hacking",
              "ransomware", "malware", "social media campaigns", "disinformation"),
    "NUCLEAR": ("nuclear", "uranium", "enrichment", "warhead", "warheads", "atomic",
                "nonproliferation", "reactor"),
    "ELECTIONS": ("election", "elections", "vote", "voters", "ballot", "campaign", "polls",
                  "candidate", "referendum"),
    "TERRORISM": ("terrorism", "terrorist", "terrorists", "extremist", "bombing", "isis",
                  "al-qaida", "insurgents"),
    "ECONOMY": ("economy", "economic", "inflation", "market", "markets", "gdp", "trade",
                "recession", "prices", "investment"),
    "ENERGY": ("energy", "oil", "gas", "pipeline", "opec", "electricity", "fuel"),
    "PROTEST": ("protest", "protests", "protesters", "demonstration", "rally", "riot"),
}
MIN_THEME_HITS = 2


@dataclass
class Enrichment:
    tone: dict[str, float] = field(default_factory=dict)
    themes: list[dict[str, Any]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    quote_tones: list[float | None] = field(default_factory=list)


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, float]:
    """VADER's valence lexicon (shipped inside the vadersentiment package)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return dict(SentimentIntensityAnalyzer().lexicon)


def tone(text: str) -> dict[str, float]:
    """GDELT-GKG-style tone over a word lexicon.

    positive/negative: % of words with positive/negative valence; tone = positive - negative
    (-100..100); polarity = positive + negative (how emotionally charged the text is).
    """
    words = _WORD.findall(text.lower())
    if not words:
        return {"tone": 0.0, "positive_score": 0.0, "negative_score": 0.0, "polarity": 0.0}
    lexicon = _lexicon()
    pos = sum(1 for w in words if lexicon.get(w, 0.0) > 0)
    neg = sum(1 for w in words if lexicon.get(w, 0.0) < 0)
    positive, negative = 100.0 * pos / len(words), 100.0 * neg / len(words)
    return {
        "tone": positive - negative,
        "positive_score": positive,
        "negative_score": negative,
        "polarity": positive + negative,
    }


def _term_patterns() -> dict[str, tuple[re.Pattern[str], frozenset[str], list[tuple[str, re.Pattern[str]]]]]:
    """Per theme: one alternation of its single-word terms (two of them can never match at the
    same place), the same terms as a set (for _THEME_TOKENS), and one pattern per multi-word term
    (these may overlap single words)."""
    patterns = {}
    for theme, terms in THEMES.items():
        words = sorted((t for t in terms if " " not in t), key=len, reverse=True)
        single = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")
        multi = [(t, re.compile(rf"\b{re.escape(t)}\b")) for t in terms if " " in t]
        patterns[theme] = (single, frozenset(words), multi)
    return patterns


def _token_pattern() -> re.Pattern[str] | None:
    """One scan of a text that yields the single-word terms of every theme: the runs of word
    characters, with the few terms that hold other characters ("al-qaida") kept whole. A term of
    word characters matches `\bterm\b` exactly where it is a whole run, so counting the tokens
    finds what each theme's alternation finds, at a tenth of the cost (ten scans become one).
    That fails only if a word-character term is also a piece of a hyphenated one: then None, and
    each theme scans on its own."""
    singles = {t for terms in THEMES.values() for t in terms if " " not in t}
    joined = sorted((t for t in singles if not re.fullmatch(r"\w+", t)), key=len, reverse=True)
    if any(piece in singles for t in joined for piece in re.findall(r"\w+", t)):
        return None
    return re.compile("".join(rf"\b{re.escape(t)}\b|" for t in joined) + r"\w+")


_THEME_PATTERNS = _term_patterns()
_THEME_TOKENS = _token_pattern()


def themes(text: str) -> list[dict[str, Any]]:
    lowered = text.lower()
    n_words = max(1, len(lowered.split()))
    tokens = _THEME_TOKENS.findall(lowered) if _THEME_TOKENS is not None else None
    found = []
    for theme, (single, words, multi) in _THEME_PATTERNS.items():
        hits: Counter[str] = Counter(
            (t for t in tokens if t in words) if tokens is not None else single.findall(lowered))
        for term, pattern in multi:
            count = len(pattern.findall(lowered)) if term in lowered else 0
            if count:
                hits[term] = count
        total = sum(hits.values())
        if total >= MIN_THEME_HITS:
            found.append({
                "theme": theme,
                "score": min(1.0, 100.0 * total / n_words / 5.0),
                "evidence": [t for t, _ in hits.most_common(5)],
            })
    return sorted(found, key=lambda t: -t["score"])


def keywords(phrases: list[tuple[str, int, float]], limit: int = 10) -> list[str]:
    """Key phrases ranked by frequency, with a bonus for multi-word phrases and for phrases early
    in the text (candidates come from tasks.extract.noun_phrases)."""
    scores: dict[str, float] = {}
    for phrase, n_words, position in phrases:
        scores[phrase] = scores.get(phrase, 0.0) + (1.0 + 0.5 * (n_words - 1)) * (1.0 - 0.5 * position)
    return sorted(scores, key=lambda p: -scores[p])[:limit]


# Entity types whose names may carry a place inside ("the Mansfield Police Department",
# "University of Texas"); the place is kept only when the article backs it.
_CARRIER_TYPES = ("ORG", "FAC", "EVENT", "WORK_OF_ART", "PRODUCT")
_CAPITALISED = re.compile(r"[A-Z][\w.'’-]*")


_DIRECTION = re.compile(r"(?:(?:North|South|East|West|Northern|Southern|Eastern|Western|Central|Northeast|Northwest|"
                        r"Southeast|Southwest|Northeastern|Northwestern|Southeastern|Southwestern) )+")
# Words that begin place names but are no place on their own ("Lake Vermont" is no Lake).
_NAME_STARTERS = {"lake", "mount", "mt.", "fort", "ft.", "port", "saint", "st.", "new", "north", "south",
                  "east", "west", "upper", "lower", "greater", "little", "big", "old", "san", "santa", "el",
                  "la", "le", "los", "las", "river", "city", "county", "university", "college"}


def _embedded_places(mention: Mention, county_only: bool = False, trailing: bool = True) -> list[PlaceQuery]:
    """Place-name candidates inside a mention: the whole name or each item of a list ("Grant,
    Mahnomen", "Fargo-Moorhead"), its leading or trailing capitalised words ("Mansfield" in
    "Mansfield Police Department", "Education Minnesota"), what follows "of" ("University of
    Texas"), any of these after a word of direction ("Northern Illinois University"), or else a
    leading nationality word ("the Georgian war").
    county_only: keep only names with a county word (inside a person's name).
    trailing: also try the last words (not for place mentions: "Lake Vermont" is no Vermont)."""
    text = mention.text
    lead = len(text) - len(text.lstrip())
    if text[lead:].lower().startswith("the "):
        lead += 4
    words = [(m.start(), m.end()) for m in _CAPITALISED.finditer(text, lead)]
    if not words:
        return []
    runs: list[list[tuple[int, int]]] = [[words[0]]]
    for w in words[1:]:
        if text[runs[-1][-1][1]:w[0]] == " ":
            runs[-1].append(w)
        else:
            runs.append([w])
    separators = [text[a[-1][1]:b[0][0]] for a, b in zip(runs, runs[1:], strict=False)]
    # A list of names typed as one entity ("Grant, Mahnomen and Becker"): each item on its own.
    items = [(run[0][0], run[-1][1]) for run in runs] if separators and all(
        sep in (", ", " and ", ", and ") for sep in separators) else []
    first, last = runs[0], runs[-1]
    of = text.rfind(" of ")
    # Alternatives per name sought, longest first: each item of a list, each side of a hyphenated
    # pair, or else (one name) the leading, "of" and trailing words.
    pairs: list[list[tuple[int, int]]] = []
    for run in ([first] if first[0][0] == lead else []) + ([last] if of > 0 and last[0][0] == of + 4 else []):
        pairs += _hyphenated_pair(text, run)
    spans: list[tuple[int, int]] = []
    if first[0][0] == lead:
        spans += [(first[0][0], first[n - 1][1]) for n in range(min(len(first), 3), 0, -1)]
    if of > 0 and last[0][0] == of + 4:
        spans.append((last[0][0], last[-1][1]))
    if trailing and last[-1][1] == len(text.rstrip()) and (last is not first or len(last) > 1):
        spans += [(last[n][0], last[-1][1]) for n in range(max(1 if last is first else 0, len(last) - 2), len(last))]
    gaz = gazetteer()
    found: list[PlaceQuery] = []
    for groups in ([[item] for item in items], pairs, [spans]):
        for alternatives in groups:
            query = None
            # Then the place after a word of direction ("Northern Illinois University", "East Texas
            # Medical Center"; "North Dakota" is found whole first).
            alternatives = alternatives + [
                (d.end(), end) for start, end in alternatives if (d := _DIRECTION.match(text, start, end))
                and d.end() < end and not _DIRECTION.fullmatch(text[d.end():end] + " ")]
            for start, end in alternatives:
                for name in _name_variants(text[start:end]):
                    if county_only and not COUNTY_WORDS.search(name.lower()):
                        continue
                    if " " not in name and name.lower() in _NAME_STARTERS:
                        continue
                    if gaz.candidates(name):
                        query = PlaceQuery(name, mention.start + start, mention.start + start + len(name),
                                           embedded=True)
                        break
                if query:
                    found.append(query)
                    break
        if found or (groups and groups is not pairs):
            break
    if not found and not county_only and first[0][0] == lead:
        word = text[first[0][0]:first[0][1]]
        if gaz.demonym_candidates(word):
            found.append(PlaceQuery(word, mention.start + first[0][0], mention.start + first[0][1],
                                    demonym=True, embedded=True))
    return found


def _hyphenated_pair(text: str, run: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The two names of a run opening with a hyphenated pair ("Fargo-Moorhead", "Watertown-Mayer
    Lutheran", "Nebraska-Lincoln", "Springfield-Greene County Health", "Greenville- Spartanburg
    Airport"): the first name, and the second with up to two more words of the run, longest first."""
    start, end = run[0]
    cut = text.find("-", start, end)
    if cut <= start:
        return []
    if cut == end - 1:  # "Greenville- Spartanburg": the second name is the next word
        if len(run) < 2:
            return []
        second, rest, second_end = run[1][0], run[2:], run[1][1]
    else:
        second, rest = cut + 1, run[1:]
        if not text[second:second + 1].isupper():
            return []
        second_end = text.find("-", second, end)
        if second_end >= 0:  # three or more names: the second only
            rest = []
        else:
            second_end = end
    ends = [second_end] + [w[1] for w in rest[:2]]
    return [[(start, cut)], [(second, e) for e in reversed(ends)]]


def _name_variants(name: str) -> list[str]:
    """The name as written, then without a possessive, a trailing comma or a sentence's full stop
    ("Mount Hood's" -> "Mount Hood"; "U.S." keeps its dots)."""
    variants = [name]
    for suffix in ("’s", "'s", ",", "’", "'"):
        if name.endswith(suffix):
            variants.append(name[: -len(suffix)])
    if name.endswith(".") and name.count(".") == 1:
        variants.append(name[:-1])
    return variants


# Words of offices and bodies that end a span the entity model took for a person's name.
_INSTITUTION_WORDS = {
    "police", "fire", "sheriff", "mayor", "parks", "council", "superintendent", "elementary", "school",
    "high", "selectman", "selectmen", "commonwealth", "labour", "labor", "elks", "district", "department",
    "station", "board", "library", "hospital", "church", "city", "county", "township", "schools",
    "principal", "commission", "commissioners", "committee", "chamber", "club", "center", "centre",
}


def _place_queries(entities: list[Mention]) -> list[tuple[PlaceQuery, str]]:
    """(query, the text as written) for each place mention."""
    queries: list[tuple[PlaceQuery, str]] = []
    gaz = gazetteer()
    for m in entities:
        if m.type in ("GPE", "LOC"):
            name = m.canonical or m.text
            inner = [] if gaz.candidates(name) or gaz.candidates(m.text) else _embedded_places(m, trailing=False)
            # "the Henderson County Jail" typed as a place: the county is the place mention (and,
            # like any place mention, it keeps a row with a reason when it cannot be resolved).
            queries.extend((replace(q, embedded=False), q.name) for q in inner)
            if not inner:
                queries.append((PlaceQuery(name, m.start, m.end), m.text))
        elif m.type == "NORP":
            if gaz.demonym_candidates(m.text):
                queries.append((PlaceQuery(m.text, m.start, m.end, demonym=True), m.text))
            elif gaz.candidates(m.text):  # a town the model took for a group ("Pewaukee")
                queries.append((PlaceQuery(m.text, m.start, m.end, embedded=True), m.text))
        elif m.type == "PERSON":
            if m.canonical == m.text.strip() and " " not in m.canonical:
                # A lone capitalised word typed as a person that no fuller name in the article
                # explains: often a town ("Alexandria woman charged ..."); kept when the article backs it.
                if gaz.candidates(m.text):
                    queries.append((PlaceQuery(m.text, m.start, m.end, embedded=True), m.text))
            elif " " in m.text.strip() and m.canonical in _name_variants(m.text.strip()) \
                    and (whole := next((v for v in _name_variants(m.text.strip())
                                        if gaz.candidates(v) or gaz.demonym_candidates(v)), None)):
                # A name of several words typed as a person that is all a place or a nationality
                # ("Sioux Falls", "Glen Carbon", "Sri Lankan"); kept when the article backs it.
                demonym = not gaz.candidates(whole)
                start = m.start + m.text.index(whole)
                queries.append((PlaceQuery(whole, start, start + len(whole), demonym=demonym, embedded=True), whole))
            elif any(w.lower() in _INSTITUTION_WORDS for w in m.text.split()[1:]):
                # "Alexandria Police", "Huntsville Fire Station", "Avondale Mayor": no person's name.
                queries.extend((q, q.name) for q in _embedded_places(m, trailing=False))
            else:
                queries.extend((q, q.name) for q in _embedded_places(m, county_only=True))
        elif m.type in _CARRIER_TYPES:
            queries.extend((q, q.name) for q in _embedded_places(m))
    return queries


_NAME_RUN = re.compile(r"\b[A-Z][A-Za-z'’.-]*[A-Za-z](?:\s+[A-Z][A-Za-z'’.-]*[A-Za-z]){0,2}\b")


_LOCATIVE = re.compile(r"\b(?:in|near|at|from|to|outside|around|toward|towards|between|across|through)\s+$",
                       re.IGNORECASE)
_CALENDAR_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
                   "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
                   "saturday", "sunday"}


def _lone_word_may_be_place(word: str, text: str, start: int, lowered_words: set[str],
                            person_words: set[str]) -> bool:
    """An untagged single capitalised word is a place candidate only in capitals (a dateline,
    "MANSFIELD --") or right after a locative preposition ("near Cottonport"); never a month or
    weekday, a word the article also writes in lower case, or part of a person's name."""
    lowered = word.lower()
    if lowered in _CALENDAR_WORDS or lowered in lowered_words or lowered in person_words:
        return False
    if word.isupper() and len(word) > 2:
        return True
    return _LOCATIVE.search(text[max(0, start - 12):start]) is not None


def _untagged_places(text: str, entities: list[Mention]) -> list[tuple[PlaceQuery, str]]:
    """Capitalised names the entity model left untagged that the gazetteer knows ("MANSFIELD --",
    "... near Elbow Lake"). They are kept only when the article backs them (embedded queries).
    A single word needs more (see _lone_word_may_be_place)."""
    taken = bytearray(len(text))  # 1 where an entity already covers the character
    for m in entities:
        start, end = min(max(0, m.start), len(text)), min(max(0, m.end), len(text))
        taken[start:end] = b"\x01" * (end - start)
    person_words = {w.lower() for m in entities if m.type == "PERSON" for w in m.text.split()}
    lowered_words = set(re.findall(r"\b[a-z][a-z'-]+\b", text))
    gaz = gazetteer()
    found: list[tuple[PlaceQuery, str]] = []
    for match in _NAME_RUN.finditer(text):
        start, end = match.span()
        if any(taken[start:end]):
            continue
        words = match.group().split()
        # The longest known sub-run from the left ("Elbow Lake Township" -> "Elbow Lake").
        for n in range(len(words), 0, -1):
            name = " ".join(words[:n])
            if n == 1 and not _lone_word_may_be_place(name, text, start, lowered_words, person_words):
                break
            if gaz.candidates(name):
                found.append((PlaceQuery(name, start, start + len(name), embedded=True), name))
                break
    return found


# A legislator's party and home after the name: "Rep. Earl Pomeroy, D-N.D.", "Sen. Tom Bakk, DFL-Cook",
# "(R-Ocilla)". The home is a state or a town of the legislator's state.
_PARTY_HOME = re.compile(r"(?<![\w.'’-])(?:D|R|I|DFL|Ind)-([A-Z][\w.'’]*(?: [A-Z][\w.'’]*){0,2})")


def _party_homes(text: str, taken: list[tuple[PlaceQuery, str]]) -> list[tuple[PlaceQuery, str]]:
    """The place in a party-and-home tag ("D-Calif.", "R-Story City"), the longest known name from
    its left; kept, like untagged names, only when the article backs it."""
    spans = [(q.start or 0, q.end or 0) for q, _ in taken]
    gaz = gazetteer()
    found: list[tuple[PlaceQuery, str]] = []
    for match in _PARTY_HOME.finditer(text):
        words = match.group(1).split(" ")
        for n in range(len(words), 0, -1):
            name = next((v for v in _name_variants(" ".join(words[:n])) if gaz.candidates(v)), None)
            if name is None:
                continue
            start = match.start(1)
            if not any(a < start + len(name) and start < b for a, b in spans):
                found.append((PlaceQuery(name, start, start + len(name), embedded=True), name))
            break
    return found


def geocode(entities: list[Mention], text: str | None = None) -> list[dict[str, Any]]:
    """Location rows for an article's place mentions: GPE/LOC, nationality words (NORP), place names
    inside other entities and, given the text, capitalised names the entity model left untagged.
    Each resolved row has the GeoNames id, feature class/code and first/second-level division; a
    GPE/LOC/NORP mention that cannot be resolved keeps a row with its reason, while a name found
    inside another entity or untagged that the article does not back gives no row."""
    pairs = _place_queries(entities)
    if text is not None:
        pairs += _untagged_places(text, entities)
        pairs += _party_homes(text, pairs)
        pairs.sort(key=lambda pair: pair[0].start or 0)
    resolutions = resolve_places([query for query, _ in pairs], text)
    gaz = gazetteer()
    rows = []
    for (query, written), res in zip(pairs, resolutions, strict=True):
        if query.embedded and res.place is None:
            continue  # a name inside an organisation that the article does not back is no place mention
        place = res.place
        rows.append({
            "text": written,
            "canonical_name": place.name if place else None,
            "country_code": place.country_code if place else None,
            "feature_type": place.feature_type if place else None,
            "feature_class": place.feature_class if place else None,
            "feature_code": place.feature_code if place else None,
            "admin1_code": place.admin1 if place else None,
            "admin1_name": gaz.admin1_name(place) if place else None,
            "admin2_code": place.admin2 if place else None,
            "admin2_name": gaz.admin2_name(place) if place else None,
            "latitude": place.latitude if place else None,
            "longitude": place.longitude if place else None,
            "geonames_id": place.geonames_id if place else None,
            "unresolved_reason": res.reason,
            "start_char": query.start,
            "end_char": query.end,
        })
    return rows


def enrich_article(text: str, extraction: Extraction) -> Enrichment:
    return Enrichment(
        tone=tone(text),
        themes=themes(text),
        keywords=keywords(extraction.phrases),
        locations=geocode(extraction.entities, text),
        quote_tones=[tone(q["text"])["tone"] for q in extraction.quotes],
    )


def enrich_texts(items: list[tuple[str, Extraction]]) -> list[Enrichment]:
    """enrich_article over (text, extraction) pairs: the unit of work sent to a worker process."""
    return [enrich_article(text, extraction) for text, extraction in items]


def warm_up() -> None:
    """Load the tone lexicon and the gazetteer before the first batch rather than inside it."""
    _lexicon()
    from newsflow.tasks.geo import gazetteer

    gazetteer()
