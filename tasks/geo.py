"""An offline gazetteer (tasks/data/gazetteer.tsv.gz, GeoNames data) and a context-aware geocoder.

The gazetteer is built by scripts/build_gazetteer.py from GeoNames exports (CC BY 4.0, "GeoNames,
geonames.org"): countries at GeoNames points, first-level divisions worldwide, US counties, continents,
populated places of 500+ people in the US and 1,000+ elsewhere, plus a few hand-made regions.

Resolution is per article: every place mention's candidates get a prior (kind of place, population)
and support from the article's other mentions (their likely countries and first-level divisions,
and explicit qualifiers such as "Alexandria, La."). The support is re-estimated a few times, so a
Louisiana story's "Alexandria" lands in Louisiana. A mention is left unresolved, with a reason,
rather than guessed when nothing in the gazetteer or the article backs one reading.
"""

from __future__ import annotations

import gzip
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

GAZETTEER_TSV = Path(__file__).parent / "data" / "gazetteer.tsv.gz"

# Names news uses for countries (kept for tasks.extract, which canonicalises place mentions).
COUNTRY_ALIASES = {
    "u.s.": "US", "us": "US", "u.s.a.": "US", "usa": "US", "america": "US",
    "the united states": "US", "united states of america": "US", "the states": "US",
    "u.k.": "GB", "uk": "GB", "britain": "GB", "great britain": "GB",
    "the united kingdom": "GB", "russian federation": "RU", "the soviet union": "RU",
    "south korea": "KR", "north korea": "KP", "the netherlands": "NL", "holland": "NL",
    "the philippines": "PH", "czechia": "CZ", "ivory coast": "CI", "the uae": "AE",
    "uae": "AE", "the gambia": "GM", "vatican": "VA", "burma": "MM", "taiwan": "TW",
    "palestine": "PS", "the dprk": "KP", "prc": "CN", "the prc": "CN",
}

# Prior of a candidate by kind, in the same units as log10(population) for populated places.
KIND_PRIOR = {"country": 9.5, "continent": 8.5, "region": 8.0, "admin1": 7.0}
COUNTY_PRIOR_NAMED = 5.5  # "Becker County": the text says it is a county
COUNTY_PRIOR_BARE = 2.5  # "Becker": a county only if the article backs it
CAPITAL_BONUS = 1.5
ALTERNATE_NAME_PENALTY = 1.5  # a town known by that name only as an alternate ("Egypt" for a US town)
MILLION_CITY_BONUS = 1.5  # "New York", "Moscow": the city, over the division of that name
ADMIN1_SUPPORT = 3.5  # per other mention likely in the same first-level division
COUNTRY_SUPPORT = 1.0  # per other mention likely in the same country
SUPPORT_CAP = 4.0
COVERAGE = 0.3  # division support for merely having a reading there
PROXIMITY_BONUS = 2.5  # per other name with a reading within ~50-110 km
POPULATION_WEIGHT = 1.0  # weight of log10(population) in a town's prior
QUALIFIER_BONUS = 12.0  # "Alexandria, La.": the qualifier decides
ITERATIONS = 3
MAX_CANDIDATES = 40
# Names found only inside other entities or untagged back the article's place mentions at half
# weight, and one another not at all (see resolve_places).
EMBEDDED_SUPPORT = 0.5
# A populated place this small is only taken with backing from the article (same division or a
# qualifier); otherwise the mention stays unresolved.
SMALL_PLACE = 5_000
# A town with under 1/DWARF_RATIO of the people of a namesake in its own country needs a qualifier or
# a neighbour (see resolve_places).
DWARF_RATIO = 300

_FOLD = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_ABBREVIATIONS = ((re.compile(r"^st\.?\s+"), "saint "), (re.compile(r"^ste\.?\s+"), "sainte "),
                  (re.compile(r"^ft\.?\s+"), "fort "), (re.compile(r"^mt\.?\s+"), "mount "),
                  (re.compile(r"\s+co\.$"), " county"), (re.compile(r"\s+twp\.?$"), " township"))
COUNTY_WORDS = re.compile(r"\s+(county|parish|borough|counties|parishes)$")


@lru_cache(maxsize=131072)
def normalise(name: str) -> str:
    """The lookup key of a name: case, accents, quotes, spacing, 'St.'/'Ft.'/'Mt.' and a trailing
    'Co.'/'Twp.' ("Loudon Co.", "Madison Twp.") folded."""
    text = unicodedata.normalize("NFKD", name.translate(_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\s+", " ", text).strip().removesuffix("'s").strip()
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    country_code: str | None
    feature_type: str  # country | admin1 | admin2 | city | continent | region
    latitude: float | None
    longitude: float | None
    geonames_id: int | None
    population: int = 0
    admin1: str | None = None  # GeoNames admin1 code within the country ("LA", "ENG", "02")
    admin2: str | None = None
    feature_class: str | None = None
    feature_code: str | None = None

    @property
    def is_capital(self) -> bool:
        return self.feature_code == "PPLC"

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def _row_place(row: str) -> Place:
    gid, name, fclass, fcode, country, admin1, admin2, lat, lon, population, kind = row.split("\t")
    return Place(name, country or None, kind, float(lat) if lat else None, float(lon) if lon else None,
                 int(gid) if gid else None, int(population or 0), admin1 or None, admin2 or None,
                 fclass or None, fcode or None)


class Gazetteer:
    """Name -> candidate places, demonym -> countries/divisions, and the divisions' names.

    The file's lookup keys are normalised at build time, and a row becomes a Place only when a
    lookup returns it: loading is one pass of string splits, and the 150k rows stay compact strings.
    """

    def __init__(self, path: Path = GAZETTEER_TSV) -> None:
        self._rows: list[str] = []
        # key -> row number, or a tuple of row numbers for a shared name (most names are unique).
        self._names: dict[str, int | tuple[int, ...]] = {}
        self._demonyms: dict[str, int | tuple[int, ...]] = {}
        self.countries: dict[str, Place] = {}
        self.admin1: dict[tuple[str, str], Place] = {}
        self.admin2: dict[tuple[str, str, str], Place] = {}
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
        rows, names, demonyms = self._rows, self._names, self._demonyms
        header_seen = False
        for line in text.split("\n"):
            if not line or line[0] == "#":
                continue
            if not header_seen:
                header_seen = True
                continue
            row, _, keys = line.rpartition("\t")
            number = len(rows)
            rows.append(row)
            if not row.endswith("\tcity"):
                self._index_division(_row_place(row))
            for key in keys.split("|"):
                index = names
                if key[:1] == "@":
                    index, key = demonyms, key[1:]
                known = index.get(key)
                if known is None:
                    index[key] = number
                elif isinstance(known, int):
                    index[key] = (known, number)
                else:
                    index[key] = (*known, number)
        for alias, code in COUNTRY_ALIASES.items():
            if code in self.countries and alias not in names:
                names[alias] = self._row_numbers_of(self.countries[code])

    def _index_division(self, place: Place) -> None:
        kind, country = place.feature_type, place.country_code
        if kind == "country" and country:
            self.countries[country] = place
        elif kind == "admin1" and country and place.admin1:
            self.admin1[(country, place.admin1)] = place
        elif kind == "admin2" and country and place.admin1 and place.admin2:
            self.admin2[(country, place.admin1, place.admin2)] = place

    def _row_numbers_of(self, place: Place) -> int:
        found = self._names[normalise(place.name)]
        numbers = (found,) if isinstance(found, int) else found
        return next(n for n in numbers if self._place(n) == place)

    @lru_cache(maxsize=32768)  # noqa: B019 - one gazetteer per process, kept for its lifetime
    def _place(self, number: int) -> Place:
        return _row_place(self._rows[number])

    def _lookup(self, index: dict[str, int | tuple[int, ...]], key: str) -> list[Place] | None:
        found = index.get(key)
        if found is None:
            return None
        return [self._place(n) for n in ((found,) if isinstance(found, int) else found)]

    def candidates(self, name: str) -> list[Place]:
        key = normalise(name)
        found = self._lookup(self._names, key)
        if found is None and key.startswith("the "):
            found = self._lookup(self._names, key[4:])
        if found is None:
            # "Becker counties" / "Rapides parishes": the plural of a county word.
            bare = COUNTY_WORDS.sub("", key)
            if bare != key:
                found = [p for p in self._lookup(self._names, bare) or [] if p.feature_type == "admin2"]
        return found or []

    def demonym_candidates(self, name: str) -> list[Place]:
        return self._lookup(self._demonyms, normalise(name)) or []

    def is_place(self, name: str) -> bool:
        """A name that is on its own a well-known place: a country, division, region or continent,
        or a city of 100,000+ by its own name (not an alternate: "Hamas" is no name of Hama)."""
        key = normalise(name).removeprefix("the ")
        return any(p.feature_type in ("country", "admin1", "region", "continent")
                   or (p.feature_type == "city" and p.population >= 100_000 and _primary_key(p.name) == key)
                   for p in self.candidates(name))

    def admin1_name(self, place: Place) -> str | None:
        if place.country_code and place.admin1:
            division = self.admin1.get((place.country_code, place.admin1))
            return division.name if division else None
        return None

    def admin2_name(self, place: Place) -> str | None:
        if place.country_code and place.admin1 and place.admin2:
            division = self.admin2.get((place.country_code, place.admin1, place.admin2))
            return division.name if division else None
        return None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()


# ---------------------------------------------------------------- resolution


@dataclass(frozen=True)
class PlaceQuery:
    """A place mention to resolve: its text and, when known, where it sits in the article.

    demonym: the mention is a nationality word ("Sudanese"), resolved to its country.
    embedded: the name was found inside another entity ("the Mansfield Police Department") or in a
    mention typed as a person; it is only kept when the article backs it.
    """

    name: str
    start: int | None = None
    end: int | None = None
    demonym: bool = False
    embedded: bool = False


@dataclass(frozen=True)
class Resolution:
    place: Place | None
    reason: str | None
    confidence: float = 0.0


@lru_cache(maxsize=65536)
def _primary_key(name: str) -> str:
    return normalise(name)


def _prior(place: Place, key: str, county_named: bool = False) -> float:
    kind = place.feature_type
    if kind == "city":
        prior = POPULATION_WEIGHT * math.log10(max(place.population, 100))
        if place.is_capital:
            prior += CAPITAL_BONUS
        if place.population >= 1_000_000:
            prior += MILLION_CITY_BONUS
        if _primary_key(place.name) != key.removeprefix("the "):
            prior -= ALTERNATE_NAME_PENALTY
        return prior
    if kind == "admin2":
        return COUNTY_PRIOR_NAMED if county_named or COUNTY_WORDS.search(key) else COUNTY_PRIOR_BARE
    return KIND_PRIOR.get(kind, 5.0)


_QUALIFIER = re.compile(r"\s*,\s*((?:[A-Z][\w.'’-]*\.?)(?:\s+[A-Z][\w.'’-]*\.?){0,2})")


def _qualifiers(query: PlaceQuery, text: str | None, gaz: Gazetteer) -> tuple[set[str], set[tuple[str, str]]]:
    """Countries and divisions named right after the mention ("Alexandria, La.", "Paris, France")
    or inside it ("Alexandria, Va." tagged as one span)."""
    tails: list[str] = []
    if "," in query.name:
        tails.append(query.name.split(",", 1)[1].strip())
    if text is not None and query.end is not None:
        match = _QUALIFIER.match(text, query.end)
        if match:
            words = match.group(1).split()
            tails.extend(" ".join(words[:n]) for n in range(len(words), 0, -1))
    countries: set[str] = set()
    divisions: set[tuple[str, str]] = set()
    for tail in tails:
        for place in gaz.candidates(tail):
            if place.feature_type == "country" and place.country_code:
                countries.add(place.country_code)
            elif place.feature_type == "admin1" and place.country_code and place.admin1:
                divisions.add((place.country_code, place.admin1))
        if countries or divisions:
            break
    return countries, divisions


# Words around a place name that locate within or around it ("Northwest D.C.", "Fargo city",
# "Oakport Township"); when the whole phrase is unknown, the place it is built on is taken.
_AROUND_PREFIX = re.compile(
    r"^(?:north|south|east|west|northwest|northeast|southwest|southeast|northern|southern|eastern|western|"
    r"central|downtown|greater|metro|metropolitan|suburban|rural|upstate|downstate|uptown|midtown|inner)\s+")
_AROUND_SUFFIX = re.compile(r"\s+(?:city|town|township|village|area|region|metro|suburbs|borough)$")


def _core_candidates(name: str, gaz: Gazetteer) -> list[Place]:
    key = normalise(name).removeprefix("the ")
    for pattern in (_AROUND_SUFFIX, _AROUND_PREFIX):
        core = pattern.sub("", key)
        if core != key and core:
            found = gaz.candidates(core)
            if found:
                return found
    return []


GRID_DEGREES = 0.5  # proximity: the same or a neighbouring half-degree cell (~50-110 km)


def _with_proximity(candidates: list[list[Place]], priors: list[list[float]],
                    embedded_only: list[bool]) -> list[list[float]]:
    """Add PROXIMITY_BONUS per other name with a reading close to the candidate.

    Each other name counts once, weighted by how plausible its nearby reading is next to its best
    one (at least COVERAGE); only populated places and counties take part: a country's or a
    state's point says little about what lies near it."""
    cells: dict[tuple[int, int], dict[int, float]] = {}
    for idx, (cands, prior) in enumerate(zip(candidates, priors, strict=True)):
        if not cands:
            continue
        top = max(prior)
        weight = EMBEDDED_SUPPORT if embedded_only[idx] else 1.0
        for place, score in zip(cands, prior, strict=True):
            if place.feature_type not in ("city", "admin2") or place.latitude is None or place.longitude is None:
                continue
            cell = (math.floor(place.latitude / GRID_DEGREES), math.floor(place.longitude / GRID_DEGREES))
            plausibility = weight * max(COVERAGE, math.exp(score - top))
            names = cells.setdefault(cell, {})
            if plausibility > names.get(idx, 0.0):
                names[idx] = plausibility
    out = []
    for idx, (cands, prior) in enumerate(zip(candidates, priors, strict=True)):
        row = []
        for place, score in zip(cands, prior, strict=True):
            if place.feature_type in ("city", "admin2") and place.latitude is not None and place.longitude is not None:
                y, x = math.floor(place.latitude / GRID_DEGREES), math.floor(place.longitude / GRID_DEGREES)
                near: dict[int, float] = {}
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        for other, plausibility in cells.get((y + dy, x + dx), {}).items():
                            if other == idx or (embedded_only[idx] and embedded_only[other]):
                                continue
                            if plausibility > near.get(other, 0.0):
                                near[other] = plausibility
                score += PROXIMITY_BONUS * min(2.0, sum(near.values()))
            row.append(score)
        out.append(row)
    return out


# "Becker, Clay and Wilkin counties": more names, then the county word.
_COUNTY_FOLLOWS = re.compile(r"(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*|\s+)[A-Z][\w.'’-]*){0,4}"
                             r"\s+(?:[Cc]ount(?:y|ies)|[Pp]arish(?:es)?|[Bb]oroughs?)\b")


def _county_follows(query: PlaceQuery, text: str | None) -> bool:
    return text is not None and query.end is not None and _COUNTY_FOLLOWS.match(text, query.end) is not None


K = TypeVar("K")


def _totals(masses: list[dict[K, float]], embedded_only: list[bool]) -> tuple[dict[K, float], dict[K, float]]:
    """Sum of every name's mass per key, and the sum over names typed as places only."""
    total: dict[K, float] = {}
    firm: dict[K, float] = {}
    for mass, embedded in zip(masses, embedded_only, strict=True):
        for key, value in mass.items():
            total[key] = total.get(key, 0.0) + value
            if not embedded:
                firm[key] = firm.get(key, 0.0) + value
    return total, firm


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    total = sum(weights)
    return [w / total for w in weights]


def resolve_places(queries: Sequence[str | PlaceQuery], text: str | None = None) -> list[Resolution]:
    """Resolve an article's place mentions together, so each helps disambiguate the others.

    A name keeps one reading within the article; its candidates are scored by prior plus the support
    of the other names (how likely they lie in the same first-level division and country), and the
    support is re-estimated from the new scores a few times.
    """
    gaz = gazetteer()
    items = [q if isinstance(q, PlaceQuery) else PlaceQuery(q) for q in queries]
    # One reading per distinct (name, demonym) in the article.
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, query in enumerate(items):
        groups.setdefault((normalise(query.name.split(",")[0] if "," in query.name else query.name),
                           query.demonym), []).append(i)
    keys = list(groups)
    candidates: list[list[Place]] = []
    priors: list[list[float]] = []
    embedded_only: list[bool] = []
    county_names: list[bool] = []
    # Per name: the countries with a first-level division of that name.
    shadowed: list[set[str]] = []
    dwarfed: list[set[int]] = []
    for key, demonym in keys:
        members = [items[i] for i in groups[(key, demonym)]]
        if demonym:
            cands = gaz.demonym_candidates(members[0].name)
        else:
            cands = gaz.candidates(members[0].name.split(",")[0] if "," in members[0].name else members[0].name)
            if not cands:
                cands = (gaz.candidates(members[0].name) or gaz.demonym_candidates(members[0].name)
                         or _core_candidates(members[0].name, gaz))
        countries: set[str] = set()
        divisions: set[tuple[str, str]] = set()
        for member in members:
            c, d = _qualifiers(member, text, gaz)
            countries |= c
            divisions |= d
        # A town's alternate name does not shadow another place's own name ("Pekin" is a town in
        # Illinois before it is an old spelling of Beijing).
        bare_key = key.removeprefix("the ")
        if any(_primary_key(p.name) == bare_key for p in cands):
            cands = [p for p in cands if p.feature_type != "city" or _primary_key(p.name) == bare_key]
        # The text calls it a county: "Becker County", or "Becker, Clay and Wilkin counties".
        county_named = bool(COUNTY_WORDS.search(key)) or any(_county_follows(m, text) for m in members)
        if all(m.embedded for m in members) and not county_named:
            # Inside another entity or untagged, a bare county name is most often a surname, unless
            # the text goes on to say "counties" ("Becker, Clay and Wilkin counties").
            cands = [p for p in cands if p.feature_type != "admin2"]
        scored = []
        for place in cands:
            score = _prior(place, key, county_named)
            if (place.country_code, place.admin1) in divisions:
                score += QUALIFIER_BONUS
            elif place.country_code in countries:
                score += QUALIFIER_BONUS * 0.75
            scored.append((score, place))
        # The most likely readings only: a name shared by a hundred hamlets keeps its larger ones.
        scored.sort(key=lambda pair: -pair[0])
        del scored[MAX_CANDIDATES:]
        candidates.append([place for _, place in scored])
        priors.append([score for score, _ in scored])
        embedded_only.append(all(m.embedded for m in members))
        county_names.append(county_named)
        shadowed.append({p.country_code or "" for p in candidates[-1] if p.feature_type == "admin1"})
        # "Atlanta", Illinois (1,600 people) beside Atlanta, Georgia (500,000): a town dwarfed by a
        # namesake of its own country takes no support from the story's states or country, only
        # from a qualifier or a neighbour (a list of big cities is no Illinois story).
        biggest: dict[str, int] = {}
        for town in candidates[-1]:
            if town.feature_type == "city" and town.country_code:
                biggest[town.country_code] = max(biggest.get(town.country_code, 0), town.population)
        dwarfed.append({i for i, c in enumerate(candidates[-1]) if c.feature_type == "city"
                        and biggest.get(c.country_code or "", 0) >= DWARF_RATIO * max(c.population, 1)})
        if any(p.feature_type in ("region", "continent") for p in candidates[-1]):
            # "Middle East", Maryland: a town named after a region or continent is shadowed everywhere.
            shadowed[-1] |= {p.country_code or "" for p in candidates[-1]}

    # Places lying near a reading of another name back each other ("Athens" and "Henderson County"
    # meet in Texas only); computed once, on a grid, over every candidate of the other names.
    priors = _with_proximity(candidates, priors, embedded_only)
    # Iterate: support from the other names' current distributions over countries and divisions.
    probabilities = [_softmax(p) if p else [] for p in priors]
    scores = priors
    for _ in range(ITERATIONS):
        by_country: list[dict[str, float]] = []
        by_division: list[dict[tuple[str | None, str | None], float]] = []
        for idx, (cands, probs, embedded) in enumerate(zip(candidates, probabilities, embedded_only, strict=True)):
            weight = EMBEDDED_SUPPORT if embedded else 1.0
            country_mass: dict[str, float] = {}
            division_mass: dict[tuple[str | None, str | None], float] = {}
            for place, p in zip(cands, probs, strict=True):
                if place.country_code:
                    country_mass[place.country_code] = country_mass.get(place.country_code, 0.0) + p
                if place.admin1:
                    division = (place.country_code, place.admin1)
                    division_mass[division] = division_mass.get(division, 0.0) + p
            # A division also gets credit for merely holding a place of that name (coverage), so
            # the shared division of several small ambiguous names surfaces ("Douglas County",
            # "Alexandria" and "Brandon" all have one in Minnesota); bare county names do not count.
            for place in cands:
                if place.admin1 and not (place.feature_type == "admin2" and not COUNTY_WORDS.search(keys[idx][0])):
                    division = (place.country_code, place.admin1)
                    division_mass[division] = division_mass.get(division, 0.0) + COVERAGE
            country_mass = {k: min(1.0, v) * weight for k, v in country_mass.items()}
            division_mass = {k: min(1.0, v) * weight for k, v in division_mass.items()}
            by_country.append(country_mass)
            by_division.append(division_mass)
        # Totals over every name, and over the names the entity model itself typed as places: a
        # name found inside another entity takes support from the latter only, so the town names
        # in "Morgan Stanley", "Lincoln Financial" and "Wells Fargo" cannot back one another.
        total_country, firm_country = _totals(by_country, embedded_only)
        total_division, firm_division = _totals(by_division, embedded_only)
        scores = []
        for idx, (cands, prior) in enumerate(zip(candidates, priors, strict=True)):
            row = []
            countries_seen = firm_country if embedded_only[idx] else total_country
            divisions_seen = firm_division if embedded_only[idx] else total_division
            for i, (place, base) in enumerate(zip(cands, prior, strict=True)):
                if i in dwarfed[idx] or (place.feature_type in ("city", "admin2") and not place.is_capital
                                         and place.country_code in shadowed[idx]):
                    # "Oregon" in an Illinois story is still the state: a town named after a state
                    # of its own country needs a qualifier or a neighbour, not just the story's
                    # state. (Towns named after countries keep their support: local news names its
                    # own Lebanon or Palestine often, without a qualifier. The national capital is
                    # no such town: "Washington" alone is the capital more often than the state.)
                    row.append(base)
                    continue
                own_country = 0.0 if embedded_only[idx] else by_country[idx].get(place.country_code or "", 0.0)
                country_support = countries_seen.get(place.country_code or "", 0.0) - own_country
                score = base + COUNTRY_SUPPORT * min(SUPPORT_CAP, country_support)
                if place.admin1:
                    division = (place.country_code, place.admin1)
                    own_division = 0.0 if embedded_only[idx] else by_division[idx].get(division, 0.0)
                    division_support = divisions_seen.get(division, 0.0) - own_division
                    score += ADMIN1_SUPPORT * min(SUPPORT_CAP, division_support)
                row.append(score)
            scores.append(row)
        probabilities = [_softmax(s) if s else [] for s in scores]

    picks: list[Resolution] = []
    for idx, (key, _) in enumerate(keys):
        cands, probs = candidates[idx], probabilities[idx]
        if not cands:
            picks.append(Resolution(None, f"no gazetteer entry for {items[groups[keys[idx]][0]].name!r}"))
            continue
        best_i = max(range(len(cands)), key=lambda i: scores[idx][i])
        best, confidence = cands[best_i], probs[best_i]
        # Backed: a qualifier names its division or country, or another name lies near it.
        backed = priors[idx][best_i] - _prior(best, key, county_names[idx]) > 0
        if best.admin1:
            division = (best.country_code, best.admin1)
            if embedded_only[idx]:
                backed = backed or firm_division.get(division, 0.0) >= 0.5
            else:
                backed = backed or total_division.get(division, 0.0) - by_division[idx].get(division, 0.0) >= 0.5
        if embedded_only[idx] and best.feature_type not in ("country", "admin1", "continent", "region") and not backed:
            picks.append(Resolution(None, "embedded name without support in the article", confidence))
            continue
        sole_named_county = best.feature_type == "admin2" and len(cands) == 1 and county_names[idx]
        if best.feature_type in ("city", "admin2") and not backed and not sole_named_county and (
                best.feature_type == "admin2" or best.population < SMALL_PLACE):
            picks.append(Resolution(None, f"ambiguous: small place {best.name!r} without support in the article",
                                    confidence))
            continue
        picks.append(Resolution(best, None, confidence))

    # Counties carry no coordinates: place them at the article's other places of their state.
    final: list[Resolution] = []
    for res in picks:
        county = res.place
        if county is not None and not county.has_point:
            neighbours = [other for p in picks if (other := p.place) is not None and other.has_point
                          and other.feature_type == "city" and other.country_code == county.country_code
                          and other.admin1 == county.admin1]
            if not neighbours:
                final.append(Resolution(None, f"{county.name} has no coordinates and no other place of its"
                                              " division in the article", res.confidence))
                continue
            anchor = _medoid(neighbours)
            res = Resolution(replace(county, latitude=anchor.latitude, longitude=anchor.longitude), None,
                             res.confidence)
        final.append(res)
    out: list[Resolution] = [Resolution(None, "unresolved")] * len(items)
    for res, group in zip(final, keys, strict=True):
        for i in groups[group]:
            out[i] = res
    return out


def _medoid(places: list[Place]) -> Place:
    def spread(p: Place) -> float:
        return sum(abs((p.latitude or 0) - (q.latitude or 0)) + abs((p.longitude or 0) - (q.longitude or 0))
                   for q in places)

    return min(places, key=spread)
