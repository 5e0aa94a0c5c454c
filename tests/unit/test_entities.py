"""Entity repairs, one small hand-written text per error class (tasks.entities, tasks.nlp)."""

from __future__ import annotations

import pytest

from newsflow.tasks.entities import Mention, canonicalise_entities, extract_entities, multiword_places
from newsflow.tasks.nlp import normalise_case, parse


def _entities(text: str) -> list[Mention]:
    return extract_entities(parse([text])[0])


def _by_text(mentions: list[Mention]) -> dict[str, str]:
    return {m.text: m.type for m in mentions}


def test_mention_leaves_out_the_article() -> None:
    mentions = _entities("Delegates from the World Health Organization met the European Commission in Geneva.")
    texts = {m.text for m in mentions}
    assert "World Health Organization" in texts and "European Commission" in texts
    assert not any(t.lower().startswith("the ") for t in texts)


def test_titles_and_roles_stay_out_of_person_names() -> None:
    mentions = _entities("Defender Tomas Varga scored twice, and Bishop Anselm Krause blessed the new ground.")
    persons = {m.text for m in mentions if m.type == "PERSON"}
    assert {"Tomas Varga", "Anselm Krause"} <= persons
    assert not any(p.split()[0] in ("Defender", "Bishop") for p in persons)


def test_nationality_before_a_full_name_is_its_own_mention() -> None:
    found = _by_text(_entities("Peruvian Carlos Mendoza Ruiz won the marathon in Lima on Sunday."))
    assert found.get("Carlos Mendoza Ruiz") == "PERSON"
    assert found.get("Peruvian") == "NORP"


def test_a_name_never_crosses_a_line_break_or_keeps_a_score() -> None:
    mentions = _entities("Final placings:\nAnna Lindqvist 12\nMaria Castellano 10\nJoanna Pereira 9")
    persons = {m.text for m in mentions if m.type == "PERSON"}
    assert all("\n" not in p and not p[-1].isdigit() for p in persons)
    assert {"Maria Castellano", "Joanna Pereira"} <= persons


def test_all_caps_lines_are_parsed_in_the_case_the_article_uses() -> None:
    text = ("FLOODS CUT OFF VILLAGES IN BAVARIA AS RAIN GOES ON\n"
            "MUNICH 2024-05-02\n"
            "Floods cut off dozens of villages in Bavaria on Thursday, officials in Munich said.")
    recased = normalise_case(text)
    assert recased.splitlines()[0] == "Floods cut off villages in Bavaria as rain goes on"
    assert recased.splitlines()[1] == "Munich 2024-05-02"
    assert len(recased) == len(text)
    mentions = _entities(text)
    headline = [m for m in mentions if m.start < text.index("\n")]
    assert [(m.text, m.canonical, m.type) for m in headline] == [("BAVARIA", "Bavaria", "GPE")]
    assert any(m.text == "MUNICH" and m.type == "GPE" for m in mentions)  # the dateline


def test_acronyms_and_multiword_names_keep_together_in_caps() -> None:
    text = "NATO ENVOYS MEET IN NEW YORK\nThe NATO envoys met at the United Nations headquarters."
    assert normalise_case(text, phrases=multiword_places()).splitlines()[0] == "NATO envoys meet in New York"


def test_mixed_case_text_is_left_alone() -> None:
    text = "The U.S. Senate voted on Tuesday.\nNo headline here."
    assert normalise_case(text) is text


def test_teams_named_after_places_are_organisations_in_sports_reports() -> None:
    text = ("Rugby league results on Saturday:\n"
            "Bradford 24 Wigan 18\n"
            "Leeds 30 Warrington 12\n"
            "Bradford scored four tries in the second half at Odsal stadium, and the league leaders "
            "Leeds kept their lead with a late penalty in Leeds.")
    mentions = _entities(text)
    rows = [m for m in mentions if m.start > text.index("\n") and m.end < text.index("\nBradford scored")]
    assert rows and all(m.type == "ORG" for m in rows), [(m.text, m.type) for m in rows]
    assert mentions[-1].text == "Leeds" and mentions[-1].type in ("GPE", "LOC")  # "in Leeds": a place


def test_places_outside_sports_stay_places() -> None:
    found = _by_text(_entities("Wigan council said the new hospital in Leeds would open next year."))
    assert found.get("Leeds") == "GPE"


@pytest.mark.parametrize("weak", [1, 3])
def test_type_vote_never_overrides_a_confident_local_type(weak: int) -> None:
    raw = [("Georgia", "GPE", 0, 7)] + [("Georgia", "PERSON", 10 * i, 10 * i + 7) for i in range(1, weak + 1)]
    mentions = canonicalise_entities(raw, confident=[True] + [False] * weak)
    assert [m.type for m in mentions] == ["GPE"] * (weak + 1)


def test_unconfident_mentions_follow_the_majority_of_all_when_none_is_confident() -> None:
    raw = [("Halvorsen", "ORG", 0, 9), ("Halvorsen", "PERSON", 20, 29), ("Halvorsen", "PERSON", 40, 49)]
    assert [m.type for m in canonicalise_entities(raw)] == ["PERSON"] * 3


def test_a_surname_tagged_org_names_the_person_a_surname_tagged_person_names() -> None:
    """Two people share a surname: the bare surname maps to one of them whichever label the
    model gave it (it had mapped ORG-tagged ones to the other, and a quote's "she" then took the
    husband's pronouns for the wife's)."""
    raw = [("Keith Lamont Scott", "PERSON", 0, 18), ("Scott", "ORG", 30, 35), ("Scott", "PERSON", 50, 55),
           ("Rakeyia Scott", "PERSON", 70, 83)]
    mentions = canonicalise_entities(raw)
    assert [m.type for m in mentions] == ["PERSON"] * 4
    assert mentions[1].canonical == mentions[2].canonical == "Keith Lamont Scott"
    assert mentions[3].canonical == "Rakeyia Scott"


def test_a_surname_names_the_full_name_written_most_often() -> None:
    """A headline the model tagged as one name is longer than the person's name but written once."""
    raw = [("Black Lawmakers Rip Donald Trump", "PERSON", 0, 32), ("Donald Trump", "PERSON", 40, 52),
           ("Trump", "PERSON", 60, 65), ("Donald Trump", "PERSON", 70, 82), ("Trump", "ORG", 90, 95)]
    mentions = canonicalise_entities(raw)
    assert [m.canonical for m in mentions[1:]] == ["Donald Trump"] * 4
    assert mentions[0].canonical == "Black Lawmakers Rip Donald Trump"


def test_acronym_organisation_is_not_turned_into_a_place() -> None:
    # "USA" names a country, but a short all-capitals ORG is an acronym of an organisation here.
    (mention,) = canonicalise_entities([("USA", "ORG", 0, 3)])
    assert mention.type == "ORG"


def test_sides_in_results_rows_are_teams_even_when_the_model_misses_them() -> None:
    text = ("Soccer - league results on Saturday.\n"
            "Results of the league matches played on Saturday:\n"
            "Stormvale 2 Harbury Rovers 1\n"
            "Kessington 0 Lowmoor 0\n"
            "Standings after the matches:\n"
            "Harbury Rovers 5 3 1 1 9 4 10\n"
            "The coach of Stormvale said the team scored two goals in the second half.")
    found = {(m.text, m.type) for m in _entities(text)}
    assert {("Stormvale", "ORG"), ("Harbury Rovers", "ORG"), ("Kessington", "ORG"), ("Lowmoor", "ORG")} <= found


def test_unknown_short_capitalised_words_stay_acronyms() -> None:
    assert normalise_case("UEFA FINES CLUB\nThe club was fined.").splitlines()[0] == "UEFA fines club"


def test_titled_person_tagged_as_organisation_becomes_a_person() -> None:
    found = _by_text(_entities("Bishop Anselm Krause blessed the new ground on Sunday."))
    assert found == {"Anselm Krause": "PERSON"}


def test_competitor_with_country_in_brackets_is_a_person() -> None:
    from newsflow.tasks.entities import _athlete_with_country, _Raw

    doc = parse(["Women's 400 metres:\n1. Ilse Marwitz ( Germany ) 50.31 seconds"])[0]
    start = next(t.i for t in doc if t.text == "Ilse")
    assert _athlete_with_country(doc, _Raw(start, start + 2, "ORG"), {"ilse", "marwitz"})
    club = parse(["Benetton Treviso ( Italy ) 92 Dinamo ( Russia ) 81"])[0]
    assert not _athlete_with_country(club, _Raw(0, 2, "ORG"), {"benetton", "treviso"})  # Treviso is a place


def test_capitalised_subheadings_are_not_taken_for_acronyms() -> None:
    text = ("QUESTIONABLE MEDICAL CLAIMS — For years, the doctor faced charges.\n"
            "REGULATORS STEPPED IN — His medical claims drew the regulators in Ottawa.")
    assert normalise_case(text).splitlines() == [
        "Questionable medical claims — For years, the doctor faced charges.",
        "Regulators stepped in — His medical claims drew the regulators in Ottawa.",
    ]


def test_streets_parks_and_numbered_roads_are_places() -> None:
    found = _by_text(_entities(
        "Crews closed Jefferson Street and Willow Creek Park after the crash on Interstate 64 near Lexington."))
    assert found.get("Jefferson Street") == "FAC" and found.get("Willow Creek Park") in ("FAC", "LOC")
    assert any(text.startswith("Interstate 64") for text in found)


def test_abbreviations_with_a_full_stop_are_capitalised_in_capital_lines() -> None:
    assert normalise_case("ST. PAUL, Minn. - Snow fell.").startswith("St. Paul, Minn.")
