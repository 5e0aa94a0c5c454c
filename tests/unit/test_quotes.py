"""Quote detection and speaker attribution (tasks.quotes), one hand-written case per error class.

The sentences are written for these tests; they parse with the project's spaCy model like ordinary
news prose. Each test names the rule it covers.
"""

from __future__ import annotations

from typing import Any

import pytest

from newsflow.tasks.entities import Mention
from newsflow.tasks.extract import extract_entities
from newsflow.tasks.nlp import parse
from newsflow.tasks.quotes import extract_quotes, find_quoted_spans

TEXTS = {
    "wide_verb": "Governor Paul Menzies reiterated that “the budget will balance next year.”",
    "shouted": "“Get out of my office now,” Sarah Whitfield shouted at the reporters.",
    "multi_sentence": (
        "“We knew the bridge was failing. Nobody listened to the engineers. Now the town pays "
        "the price,” said Mayor Tom Hadley."
    ),
    "after_question": "“Why would anyone trust this board again? Where did the money go?” Linda Park asked.",
    "participle": (
        "Senator Mark Duval attacked the proposal on Tuesday, saying, “This plan will raise taxes "
        "on every working family.”"
    ),
    "according_to": (
        "The factory will close in March, according to Karen Fisher, who called the decision "
        "“a betrayal of the workers.”"
    ),
    "pronoun_name_in_quote": (
        "Robert Klein spoke at the rally on Friday.\n\n"
        "“Mike Turner has never done anything for this county,” he said."
    ),
    "pronoun_gender": (
        "Mary Ellison met John Carver at the courthouse on Monday.\n\n"
        "“The settlement is fair to both sides,” she said."
    ),
    "possessor": "Donald Trump’s son said the campaign “will keep fighting until the very end.”",
    "show_title": (
        "Senator Ann Rowe said on NBC’s “Meet the Press” that the vote would be delayed.\n\n"
        "She spoke with Rep. Robert C. “Bobby” Scott before the show."
    ),
    "relative_that": (
        "The agency released a statement that said “the water is safe to drink again.”"
    ),
    "dash_credit": (
        "Readers sent us their views.\n\n"
        "“The debate changed my mind about the election.” ― Maria Lopez"
    ),
    "continuation": (
        "“We will appeal the ruling,” said Daniel Ortiz, the company’s lawyer.\n\n"
        "“The court ignored the evidence that was in front of it.”"
    ),
    "outermost_cue": (
        "Janet Hughes said the report called the merger “a complete disaster for consumers.”"
    ),
    "next_paragraph_cue": (
        "The town has waited years for “a real answer from the state.”\n\n"
        "Peter Vance said on Monday that the money had arrived."
    ),
    "scare_quote": "Investors put money into a so-called “philanthropub” in the old mill.",
    "markup": '<tweet author="janedoe" tweet_id="12345">A tweet about the game.</tweet>',
    "as_put_it": "The new tax is “a recipe for disaster,” as the union put it on Monday.",
    "lone_quote_after_attribution": (
        "His former partner, Lawrence Cummings, called him a master of impossible deals. "
        "“He could put together deals that nobody else could.”"
    ),
    "clause_subject": (
        "Trump went on about “how the system is rigged,” and Melanie Austin said yes again and again."
    ),
    "it_thing_subject": (
        "The county's annual water report came out on Monday.\n\n"
        "It says the supply is “safe for at least another decade.”"
    ),
    "it_not_mass_noun": (
        "The city council met on Monday. Intense wrangling delayed the vote.\n\n"
        "It called the delay “regrettable but necessary for a fair outcome.”"
    ),
    "it_not_plural": (
        "Several doctors said the plan was rushed.\n\n"
        "The county health board has not decided yet. It called the plan “too expensive for a small county.”"
    ),
    "dateline_time": (
        "5:45 p.m.\n\n"
        "The campaign is calling the new poll “deeply flawed and unreliable.”"
    ),
    "pronoun_not_a_name_it_governs": (
        "Company spokesman Paul Brennan said on Monday that Mayor Richard Hale has long argued for "
        "lower fees. He said Hale “hopes the council will agree by June.”"
    ),
    "they_coordinated_people": (
        "Senators Ann Whitaker and Tom Bellamy never tire of the story.\n\n"
        "They said the deal was “a turning point for the whole region.”"
    ),
    "gerund_after_preposition": (
        "Maria Delgado walked to the microphone before asking, “Who is with me tonight?”"
    ),
    "object_control": "The committee forced Daniel Ruiz to admit that “the accounts were never checked.”",
    "predicate_adjective": (
        "Daniel Ruiz testified on Tuesday.\n\n"
        "Ruiz was unable to explain “why the money vanished so quickly.”"
    ),
    "appositive_before_verb": (
        "“Nobody expected this outcome,” Lopez, a top adviser to the governor, said Sunday morning "
        "on ABC’s “This Week.”"
    ),
}


@pytest.fixture(scope="module")
def quotes() -> dict[str, list[dict[str, Any]]]:
    docs = parse(list(TEXTS.values()))
    return {name: extract_quotes(doc, extract_entities(doc)) for name, doc in zip(TEXTS, docs, strict=True)}


def _one(quotes: dict[str, list[dict[str, Any]]], name: str, starts: str) -> dict[str, Any]:
    found = [q for q in quotes[name] if q["text"].startswith(starts)]
    assert len(found) == 1, quotes[name]
    return found[0]


def test_reporting_verbs_beyond_say(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert _one(quotes, "wide_verb", "the budget")["speaker"] == "Paul Menzies"
    shouted = _one(quotes, "shouted", "Get out")
    assert (shouted["speaker"], shouted["reporting_verb"]) == ("Sarah Whitfield", "shout")


def test_verb_after_a_multi_sentence_quote(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert _one(quotes, "multi_sentence", "We knew")["speaker"] == "Tom Hadley"
    asked = _one(quotes, "after_question", "Why would")
    assert (asked["speaker"], asked["reporting_verb"]) == ("Linda Park", "ask")


def test_participle_takes_the_subject_of_its_head_verb(quotes: dict[str, list[dict[str, Any]]]) -> None:
    quote = _one(quotes, "participle", "This plan")
    assert (quote["speaker"], quote["reporting_verb"]) == ("Mark Duval", "say")


def test_according_to_and_relative_clause(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert _one(quotes, "according_to", "a betrayal")["speaker"] == "Karen Fisher"


def test_pronoun_skips_names_inside_quotes(quotes: dict[str, list[dict[str, Any]]]) -> None:
    quote = _one(quotes, "pronoun_name_in_quote", "Mike Turner")
    assert (quote["speaker"], quote["speaker_kind"]) == ("Robert Klein", "person")


def test_pronoun_skips_names_of_the_other_gender(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert _one(quotes, "pronoun_gender", "The settlement")["speaker"] == "Mary Ellison"


def test_possessor_is_not_the_speaker(quotes: dict[str, list[dict[str, Any]]]) -> None:
    quote = _one(quotes, "possessor", "will keep")
    assert quote["speaker"] is not None and quote["speaker"].endswith("son")
    assert quote["speaker_kind"] == "anonymous"


def test_titles_and_nicknames_are_not_quotes(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert quotes["show_title"] == []


def test_relative_pronoun_is_not_a_speaker(quotes: dict[str, list[dict[str, Any]]]) -> None:
    quote = _one(quotes, "relative_that", "the water")
    assert quote["speaker"] not in ("that", "which", None)
    assert quote["speaker"].endswith("statement")


def test_dash_credit_after_the_quote(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert _one(quotes, "dash_credit", "The debate")["speaker"] == "Maria Lopez"


def test_quote_paragraph_continues_the_previous_speaker(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert _one(quotes, "continuation", "We will appeal")["speaker"] == "Daniel Ortiz"
    assert _one(quotes, "continuation", "The court ignored")["speaker"] == "Daniel Ortiz"


def test_outermost_reporting_word_wins(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert _one(quotes, "outermost_cue", "a complete disaster")["speaker"] == "Janet Hughes"


def test_cue_of_the_next_paragraph_is_not_used(quotes: dict[str, list[dict[str, Any]]]) -> None:
    for quote in quotes["next_paragraph_cue"]:
        assert quote["speaker"] != "Peter Vance"


def test_scare_quotes_and_markup_are_not_quotes(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert quotes["scare_quote"] == []
    assert quotes["markup"] == []


def test_times_are_never_speakers(quotes: dict[str, list[dict[str, Any]]]) -> None:
    # The parser makes the dateline a second subject of "calling"; the real one is nearer.
    quote = _one(quotes, "dateline_time", "deeply flawed")
    assert quote["speaker"] is not None and quote["speaker"].endswith("campaign")


def test_as_x_put_it(quotes: dict[str, list[dict[str, Any]]]) -> None:
    quote = _one(quotes, "as_put_it", "a recipe")
    assert quote["speaker"] is not None and quote["speaker"].endswith("union")
    assert quote["reporting_verb"] == "put"


def test_lone_quote_continues_the_attribution_before_it(quotes: dict[str, list[dict[str, Any]]]) -> None:
    assert _one(quotes, "lone_quote_after_attribution", "He could")["speaker"] == "Lawrence Cummings"


def test_quoted_phrase_keeps_its_clause_subject(quotes: dict[str, list[dict[str, Any]]]) -> None:
    # "said" belongs to another clause of the sentence: Melanie Austin is not quoted here.
    assert _one(quotes, "clause_subject", "how the system")["speaker"] == "Trump"


def test_it_takes_a_thing_or_organisation_subject(quotes: dict[str, list[dict[str, Any]]]) -> None:
    # "it" goes back to the report, the subject of the sentence before, though no reporting verb
    # credits it.
    quote = _one(quotes, "it_thing_subject", "safe for")
    assert quote["speaker"] is not None and quote["speaker"].endswith("report")


def test_it_skips_bare_mass_nouns(quotes: dict[str, list[dict[str, Any]]]) -> None:
    # "Intense wrangling" is nearer, but a bare mass noun is no particular thing to point back to.
    quote = _one(quotes, "it_not_mass_noun", "regrettable")
    assert quote["speaker"] is not None and quote["speaker"].endswith("council")


def test_it_is_singular(quotes: dict[str, list[dict[str, Any]]]) -> None:
    # The doctors said something earlier, but "it" cannot be a plural.
    quote = _one(quotes, "it_not_plural", "too expensive")
    assert quote["speaker"] is not None and quote["speaker"].endswith("board")


def test_pronoun_is_not_a_name_in_its_own_clause(quotes: dict[str, list[dict[str, Any]]]) -> None:
    # Hale's "argued" is the nearest attribution, but "He said Hale ..." cannot be Hale.
    assert _one(quotes, "pronoun_not_a_name_it_governs", "hopes the council")["speaker"] == "Paul Brennan"


def test_they_takes_coordinated_people(quotes: dict[str, list[dict[str, Any]]]) -> None:
    quote = _one(quotes, "they_coordinated_people", "a turning point")
    assert quote["speaker"] == "Ann Whitaker and Tom Bellamy"


def test_gerund_after_a_preposition_takes_the_clause_subject(quotes: dict[str, list[dict[str, Any]]]) -> None:
    quote = _one(quotes, "gerund_after_preposition", "Who is with me")
    assert (quote["speaker"], quote["reporting_verb"]) == ("Maria Delgado", "ask")


def test_object_of_a_control_verb_speaks(quotes: dict[str, list[dict[str, Any]]]) -> None:
    # "forced Ruiz to admit": Ruiz admits, not the committee.
    assert _one(quotes, "object_control", "the accounts")["speaker"] == "Daniel Ruiz"


def test_predicate_adjective_takes_the_subject(quotes: dict[str, list[dict[str, Any]]]) -> None:
    quote = _one(quotes, "predicate_adjective", "why the money")
    assert quote["speaker"] is not None and quote["speaker"].endswith("Ruiz")


def test_appositive_before_the_verb(quotes: dict[str, list[dict[str, Any]]]) -> None:
    # The parser makes the quote the subject of "said" and hangs the name off it.
    quote = _one(quotes, "appositive_before_verb", "Nobody expected")
    assert quote["speaker"] is not None and quote["speaker"].endswith("Lopez")


def test_surname_typed_as_a_place_is_the_person() -> None:
    text = (
        "Gov. Terrence Whitlow signed the bill on Friday, said Peter Quinn, a local reporter.\n\n"
        "Whitlow has promised an appeal. He said “the court got this one badly wrong.”"
    )
    doc = parse([text])[0]
    at = text.index("Whitlow has")
    # As the entity model sometimes does ("McAuliffe" a place): the bare surname is not a person.
    entities = [m for m in extract_entities(doc) if m.start != at] + [Mention("Whitlow", "Whitlow", "GPE", at, at + 7)]
    quote = next(q for q in extract_quotes(doc, entities) if q["text"].startswith("the court"))
    assert (quote["speaker"], quote["speaker_kind"]) == ("Terrence Whitlow", "person")


def test_find_quoted_spans_cuts_multi_paragraph_quotes() -> None:
    text = "“First paragraph of the quote.\n\n“Second paragraph,” she said."
    spans = [text[s.start : s.end] for s in find_quoted_spans(text)]
    assert spans == ["First paragraph of the quote.", "Second paragraph,"]
    # A stray mark pairs the closing mark of one quote with the opening mark of the next.
    stray = 'He wrote "yes" and then" a stray mark "no'
    assert [stray[s.start : s.end] for s in find_quoted_spans(stray)] == ["yes"]
    # The quotes table takes texts of 2 to 5,000 characters: a grade "A" is no quote.
    assert find_quoted_spans('It got the grade "A" from critics.') == []
    assert find_quoted_spans("“" + "word " * 1200 + "”") == []
    unbalanced = "“Opened and never closed.\n\nThe next paragraph is plain prose.”"
    assert [unbalanced[s.start : s.end] for s in find_quoted_spans(unbalanced)] == ["Opened and never closed."]
