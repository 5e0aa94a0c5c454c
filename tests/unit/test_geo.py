"""The geocoder on hand-written cases of each error class it fixes (tasks.geo, tasks.enrich.geocode)."""

from __future__ import annotations

import math

import pytest

from newsflow.tasks.enrich import geocode
from newsflow.tasks.extract import Mention
from newsflow.tasks.geo import PlaceQuery, gazetteer, normalise, resolve_places


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _resolved(names: list[str]) -> list[tuple[str | None, str | None, str | None]]:
    return [(r.place.name, r.place.country_code, r.place.admin1) if r.place else (None, None, None)
            for r in resolve_places(names)]


@pytest.mark.parametrize(("name", "country", "admin1"), [
    ("Alberta", "CA", "01"), ("Bavaria", "DE", "02"), ("Queensland", "AU", "04"),
])
def test_first_level_divisions_worldwide(name: str, country: str, admin1: str) -> None:
    ((_, got_country, got_admin1),) = _resolved([name])
    assert (got_country, got_admin1) == (country, admin1)


def test_division_name_without_its_affix_and_by_the_article_country() -> None:
    # GeoNames calls them "Punjab Province" and "State of Punjab"; the article's country decides.
    assert _resolved(["Punjab", "Lahore"])[0][1] == "PK"
    assert _resolved(["Punjab", "India"])[0][1] == "IN"


def test_ontario_is_the_province_in_a_canadian_story() -> None:
    ontario, _ = resolve_places(["Ontario", "Toronto"])
    assert ontario.place and ontario.place.feature_code == "ADM1" and ontario.place.country_code == "CA"


def test_countries_and_states_sit_at_their_reference_points_not_population_centroids() -> None:
    russia, usa, texas = resolve_places(["Russia", "United States", "Texas"])
    assert russia.place and russia.place.latitude is not None and russia.place.longitude is not None
    # GeoNames puts Russia at 60N 100E; its people live ~3,000 km west of there.
    assert _km(russia.place.latitude, russia.place.longitude, 60.0, 100.0) < 50
    assert usa.place and usa.place.latitude is not None and usa.place.longitude is not None
    assert _km(usa.place.latitude, usa.place.longitude, 39.76, -98.5) < 50
    assert texas.place and texas.place.feature_code == "ADM1" and texas.place.geonames_id == 4736286


def test_homonym_resolved_by_the_articles_other_places() -> None:
    assert _resolved(["Alexandria", "Louisiana"])[0][1:] == ("US", "LA")
    assert _resolved(["Alexandria", "Cairo"])[0][1] == "EG"
    assert _resolved(["Georgia", "Atlanta"])[0][1:] == ("US", "GA")
    assert _resolved(["Georgia", "Tbilisi"])[0][1] == "GE"


def test_homonym_resolved_by_a_qualifier_after_it() -> None:
    text = "She moved to Alexandria, Va., after the war."
    start = text.index("Alexandria")
    (result,) = resolve_places([PlaceQuery("Alexandria", start, start + len("Alexandria"))], text)
    assert result.place and (result.place.country_code, result.place.admin1) == ("US", "VA")


def test_small_ambiguous_place_without_context_stays_unresolved_with_a_reason() -> None:
    (result,) = resolve_places(["Bucksport"])
    assert result.place is None and result.reason and "ambiguous" in result.reason
    (unknown,) = resolve_places(["Xyzzyville"])
    assert unknown.place is None and unknown.reason and "Xyzzyville" in unknown.reason


def test_county_resolved_by_its_state_and_placed_at_its_own_point() -> None:
    county, omaha, _ = resolve_places(["Douglas County", "Omaha", "Nebraska"])
    assert county.place and county.place.feature_code == "ADM2" and county.place.admin1 == "NE"
    assert county.place.latitude is not None and county.place.longitude is not None
    assert omaha.place and omaha.place.latitude is not None and omaha.place.longitude is not None
    assert _km(county.place.latitude, county.place.longitude, omaha.place.latitude, omaha.place.longitude) < 40


def test_ambiguous_county_without_context_stays_unresolved() -> None:
    (county,) = resolve_places(["Washington County"])
    assert county.place is None and county.reason and "ambiguous" in county.reason
    (only_one,) = resolve_places(["Rapides Parish"])  # one parish of that name: no ambiguity
    assert only_one.place and only_one.place.admin1 == "LA"


def test_normalise_folds_accents_case_and_abbreviations() -> None:
    assert normalise("Zürich") == normalise("ZURICH") == "zurich"
    assert normalise("St. Louis") == normalise("Saint Louis")
    assert normalise("Ft. Worth") == "fort worth"


def test_demonym_is_not_an_ordinary_place_name() -> None:
    gaz = gazetteer()
    assert [p.country_code for p in gaz.demonym_candidates("Sudanese")] == ["SD"]
    assert not gaz.is_place("Sudanese")


# ---------------------------------------------------------------- location rows (enrich.geocode)


def _mention(text: str, body: str, kind: str, canonical: str | None = None) -> Mention:
    start = body.index(text)
    return Mention(text, canonical or text, kind, start, start + len(text))


def test_place_inside_an_organisation_name_is_geocoded_with_its_own_span() -> None:
    body = "Officers of the Mansfield Police Department said a man was arrested in Ohio."
    rows = geocode([_mention("the Mansfield Police Department", body, "ORG"), _mention("Ohio", body, "GPE")], body)
    mansfield = next(r for r in rows if r["canonical_name"] == "Mansfield")
    assert body[mansfield["start_char"]:mansfield["end_char"]] == "Mansfield"
    assert (mansfield["country_code"], mansfield["admin1_code"]) == ("US", "OH")


def test_organisation_without_a_backed_place_gives_no_row() -> None:
    body = "The Acme Widget Company said sales rose."
    assert geocode([_mention("The Acme Widget Company", body, "ORG")], body) == []


def test_demonym_maps_to_its_country() -> None:
    body = "Sudanese officials met Egyptian envoys."
    rows = geocode([_mention("Sudanese", body, "NORP"), _mention("Egyptian", body, "NORP")], body)
    assert [(r["text"], r["country_code"], r["feature_code"]) for r in rows] == [
        ("Sudanese", "SD", "PCLI"), ("Egyptian", "EG", "PCLI")]


def test_other_nationality_words_give_no_row() -> None:
    body = "Republicans and Democrats voted."
    assert geocode([_mention("Republicans", body, "NORP"), _mention("Democrats", body, "NORP")], body) == []


def test_lone_word_typed_person_is_a_place_when_the_article_backs_it() -> None:
    body = "Alexandria woman charged. The fire in Louisiana was set on purpose, Joe Biden said."
    rows = geocode([_mention("Alexandria", body, "PERSON"), _mention("Louisiana", body, "GPE"),
                    _mention("Joe Biden", body, "PERSON")], body)
    assert [(r["text"], r["admin1_code"]) for r in rows] == [("Alexandria", "LA"), ("Louisiana", "LA")]


def test_location_row_carries_geonames_id_feature_and_divisions() -> None:
    body = "Floods hit Omaha, Nebraska."
    rows = geocode([_mention("Omaha", body, "GPE"), _mention("Nebraska", body, "GPE")], body)
    omaha = rows[0]
    assert omaha["geonames_id"] == 5074472
    assert (omaha["feature_class"], omaha["feature_code"]) == ("P", "PPL")
    assert (omaha["admin1_code"], omaha["admin1_name"]) == ("NE", "Nebraska")
    assert omaha["unresolved_reason"] is None


def test_places_near_each_other_back_each_other() -> None:
    # Athens lies in Henderson County only in Texas (the other states' Athens and Henderson
    # County are hundreds of km apart), so the pair lands there rather than in Greece.
    athens, county = resolve_places(["Athens", "Henderson County"])
    assert athens.place and (athens.place.country_code, athens.place.admin1) == ("US", "TX")
    assert county.place and county.place.admin1 == "TX"


def test_phrase_around_a_place_falls_back_to_the_place() -> None:
    northwest, = resolve_places(["Northwest D.C."])
    assert northwest.place and northwest.place.admin1 == "DC"
    city, = resolve_places(["Fargo city", "North Dakota"])[:1]
    assert city.place and city.place.name == "Fargo"


def test_untagged_dateline_name_is_found_when_the_article_backs_it() -> None:
    body = "MANSFIELD -- Police in Richland County, Ohio, said the road reopened."
    rows = geocode([_mention("Richland County", body, "GPE"), _mention("Ohio", body, "GPE")], body)
    mansfield = [r for r in rows if r["text"] == "MANSFIELD"]
    assert mansfield and mansfield[0]["admin1_code"] == "OH"


def test_untagged_common_word_is_not_a_place() -> None:
    body = "Hope was high in Ohio. People hope for rain."
    rows = geocode([_mention("Ohio", body, "GPE")], body)
    assert [r["text"] for r in rows] == ["Ohio"]


def test_gazetteer_file_carries_the_geonames_attribution() -> None:
    import gzip

    from newsflow.tasks.geo import GAZETTEER_TSV

    with gzip.open(GAZETTEER_TSV, "rt", encoding="utf-8") as fh:
        header = fh.readline() + fh.readline()
    assert "GeoNames, geonames.org" in header and "CC BY 4.0" in header


def test_lone_surname_is_not_a_county() -> None:
    # Smith County, Texas exists; a lone "Smith" in a Texas story is a person.
    body = "Smith said the Tyler, Texas, plant will close in May."
    rows = geocode([_mention("Smith", body, "PERSON"), _mention("Tyler", body, "GPE"),
                    _mention("Texas", body, "GPE")], body)
    assert [r["text"] for r in rows] == ["Tyler", "Texas"]


def test_bare_county_names_before_the_word_counties_are_counties() -> None:
    body = "Storms hit Becker, Clay and Wilkin counties in Minnesota."
    rows = geocode([_mention("Becker, Clay", body, "ORG"), _mention("Minnesota", body, "GPE")], body)
    counties = {r["canonical_name"]: r["feature_code"] for r in rows if r["admin1_code"] == "MN"}
    assert counties.get("Becker County") == "ADM2" and counties.get("Clay County") == "ADM2"


def test_generic_division_words_are_no_places() -> None:
    gaz = gazetteer()
    # "Western Province", "Federal District", "Gulf Province" lose their affix but stay unlisted.
    assert not any(p.feature_type == "admin1" for w in ("Western", "Federal", "Gulf", "North")
                   for p in gaz.candidates(w))
    assert gaz.is_place("Punjab") and not gaz.is_place("Western")


def test_old_spellings_of_big_cities_but_not_over_a_town_of_that_name() -> None:
    kiev, bombay = resolve_places(["Kiev", "Bombay"])
    assert kiev.place and kiev.place.country_code == "UA"
    assert bombay.place and bombay.place.name == "Mumbai"
    pekin, illinois = resolve_places(["Pekin", "Illinois"])
    assert pekin.place and (pekin.place.country_code, pekin.place.admin1) == ("US", "IL")


def test_hyphenated_pair_and_trailing_place_inside_organisations() -> None:
    body = "Fargo-Moorhead groups and Education Minnesota met in North Dakota and Minnesota."
    minnesota = body.rindex("Minnesota")
    rows = geocode([_mention("Fargo-Moorhead", body, "ORG"), _mention("Education Minnesota", body, "ORG"),
                    _mention("North Dakota", body, "GPE"),
                    Mention("Minnesota", "Minnesota", "GPE", minnesota, minnesota + len("Minnesota"))], body)
    assert [(r["text"], r["admin1_code"]) for r in rows][:3] == [("Fargo", "ND"), ("Moorhead", "MN"), ("Minnesota", "MN")]


def test_nationality_word_leading_an_event_is_its_country() -> None:
    body = "Refugees of the Georgian war reached Tbilisi."
    rows = geocode([_mention("the Georgian war", body, "EVENT"), _mention("Tbilisi", body, "GPE")], body)
    assert [(r["text"], r["country_code"]) for r in rows] == [("Georgian", "GE"), ("Tbilisi", "GE")]


def test_place_mention_naming_a_building_is_geocoded_at_the_place_in_it() -> None:
    body = "He was held in the Henderson County Jail in Athens, Texas."
    rows = geocode([_mention("the Henderson County Jail", body, "FAC"), _mention("Athens", body, "GPE"),
                    _mention("Texas", body, "GPE")], body)
    county = rows[0]
    assert (county["text"], county["feature_code"], county["admin1_code"]) == ("Henderson County", "ADM2", "TX")
    assert body[county["start_char"]:county["end_char"]] == "Henderson County"


def test_town_names_inside_company_names_do_not_back_one_another() -> None:
    names = ["Morgan Stanley", "Lincoln Financial", "Union Pacific", "Harvard University", "Clinton Foundation"]
    body = " and ".join(names) + " reported earnings."
    rows = geocode([_mention(n, body, "ORG") for n in names], body)
    assert rows == []


def test_state_name_in_another_states_story_is_the_state() -> None:
    # Oregon, Illinois exists; the story's other places being in Illinois does not make it so.
    oregon, _, _ = resolve_places(["Oregon", "Rockford", "Illinois"])
    assert oregon.place and oregon.place.feature_code == "ADM1" and oregon.place.admin1 == "OR"


def test_the_national_capital_is_no_town_named_after_a_state() -> None:
    # Washington, D.C. shares its name with a state, but it is the country's capital: the story's
    # other American places back it as they back any city, and it outranks the state.
    washington, _, _ = resolve_places(["Washington", "Chicago", "New York"])
    assert washington.place and (washington.place.feature_code, washington.place.admin1) == ("PPLC", "DC")
    # With the state's own places around, the state still wins.
    state, _, _ = resolve_places(["Washington", "Seattle", "Spokane"])
    assert state.place and state.place.feature_code == "ADM1" and state.place.admin1 == "WA"


def test_party_and_home_tag_after_a_legislator_is_a_place() -> None:
    body = ("Rep. Ann Doe, D-N.M., and state Sen. Bo Roe, R-Grand Forks, spoke in North Dakota. "
            "The R-squared value and D-Day were mentioned.")
    rows = geocode([_mention("Ann Doe", body, "PERSON"), _mention("Bo Roe", body, "PERSON"),
                    _mention("North Dakota", body, "GPE")], body)
    assert [(r["text"], r["feature_code"], r["admin1_code"]) for r in rows][:2] == [
        ("N.M.", "ADM1", "NM"), ("Grand Forks", "PPL", "ND")]
    assert body[rows[1]["start_char"]:rows[1]["end_char"]] == "Grand Forks"
    assert len(rows) == 3


def test_hyphenated_pair_opening_an_organisation_name_or_after_its_of() -> None:
    body = ("Fargo-Moorhead Lutheran beat the University of Minnesota-Duluth side, and the "
            "Moorhead-Clay County Health Board met in Minnesota and in North Dakota.")
    nd, mn = body.rindex("North Dakota"), body.rindex("Minnesota")
    rows = geocode([_mention("Fargo-Moorhead Lutheran", body, "ORG"),
                    _mention("the University of Minnesota-Duluth", body, "ORG"),
                    _mention("the Moorhead-Clay County Health Board", body, "ORG"),
                    Mention("Minnesota", "Minnesota", "GPE", mn, mn + len("Minnesota")),
                    Mention("North Dakota", "North Dakota", "GPE", nd, nd + len("North Dakota"))], body)
    got = [(r["text"], r["admin1_code"]) for r in rows]
    assert got[:4] == [("Fargo", "ND"), ("Moorhead", "MN"), ("Minnesota", "MN"), ("Duluth", "MN")]
    assert ("Clay County", "MN") in got
    # A hyphenated word that is no pair of names leaves the usual reading: "Sub-Saharan Africa".
    body = "Aid to Sub-Saharan Africa rose."
    rows = geocode([_mention("Sub-Saharan Africa", body, "ORG")], body)
    assert [r["text"] for r in rows] == ["Africa"]


def test_place_or_nationality_of_several_words_typed_as_a_person() -> None:
    body = "Sioux Falls officials said the Sri Lankan visitors reached South Dakota on Monday."
    rows = geocode([_mention("Sioux Falls", body, "PERSON"), _mention("Sri Lankan", body, "PERSON"),
                    _mention("South Dakota", body, "GPE")], body)
    assert [(r["text"], r["country_code"], r["admin1_code"]) for r in rows] == [
        ("Sioux Falls", "US", "SD"), ("Sri Lankan", "LK", None), ("South Dakota", "US", "SD")]
    # The surname of a fuller name in the article stays a person ("Wagner" of "Joe Wagner").
    body = "Joe Wagner spoke in South Dakota. Wagner said no."
    second = body.rindex("Wagner")
    rows = geocode([_mention("Joe Wagner", body, "PERSON"), _mention("South Dakota", body, "GPE"),
                    Mention("Wagner", "Joe Wagner", "PERSON", second, second + len("Wagner"))], body)
    assert [r["text"] for r in rows] == ["South Dakota"]


def test_town_before_an_office_word_in_a_span_typed_as_a_person() -> None:
    body = "Huntsville Police said the road near Conroe, Texas, was closed."
    rows = geocode([_mention("Huntsville Police", body, "PERSON"), _mention("Conroe", body, "GPE"),
                    _mention("Texas", body, "GPE")], body)
    huntsville = rows[0]
    assert (huntsville["text"], huntsville["admin1_code"]) == ("Huntsville", "TX")
    assert body[huntsville["start_char"]:huntsville["end_char"]] == "Huntsville"


def test_county_and_township_abbreviations_fold() -> None:
    assert normalise("Loudon Co.") == "loudon county" and normalise("Madison Twp.") == "madison township"
    county, _ = resolve_places(["Loudon Co.", "Tennessee"])
    assert county.place and (county.place.feature_code, county.place.admin1) == ("ADM2", "TN")


def test_town_named_after_a_region_does_not_take_the_storys_support() -> None:
    # Middle East, Maryland (1,900 people) next to Baltimore is no reading of "the Middle East".
    region, _, _ = resolve_places(["Middle East", "Baltimore", "Maryland"])
    assert region.place and region.place.feature_type == "region"


def test_tiny_namesake_of_a_big_city_needs_more_than_the_storys_state() -> None:
    # Atlanta, Illinois (1,600 people) does not become "Atlanta" because Chicago is in the story.
    atlanta, _, _ = resolve_places(["Atlanta", "Chicago", "Los Angeles"])
    assert atlanta.place and atlanta.place.admin1 == "GA"
    # A qualifier still makes it.
    text = "Flights from Chicago to Atlanta, Ill., resumed."
    start = text.index("Atlanta")
    _, small = resolve_places([PlaceQuery("Chicago", 13, 20), PlaceQuery("Atlanta", start, start + 7)], text)
    assert small.place and small.place.admin1 == "IL"


def test_place_after_a_word_of_direction_inside_an_organisation_name() -> None:
    body = "Students of Northern Illinois University and the South Central Kansas Health Board met."
    rows = geocode([_mention("Northern Illinois University", body, "ORG"),
                    _mention("the South Central Kansas Health Board", body, "ORG")], body)
    assert [(r["text"], r["feature_code"]) for r in rows] == [("Illinois", "ADM1"), ("Kansas", "ADM1")]
    assert body[rows[0]["start_char"]:rows[0]["end_char"]] == "Illinois"
    # A place whose own name starts with one is found whole.
    body = "West Virginia University said so."
    rows = geocode([_mention("West Virginia University", body, "ORG")], body)
    assert [r["canonical_name"] for r in rows] == ["West Virginia"]
