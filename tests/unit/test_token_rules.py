"""The array-based rule components (tasks.token_rules) against the model's stock attribute_ruler
and lemmatizer: every token attribute they set must come out the same.

The texts are written for these tests to reach each kind of pattern the shipped model has:
tag-map entries, word + tag exceptions (pronouns, auxiliaries, "not"), dependency-label rules,
multi-token rules ("gonna", "let's", "y'all", "ain't"), regex rules and whitespace tokens.
"""

from __future__ import annotations

import pytest
from spacy.tokens import Doc

from newsflow.tasks.nlp import TOKEN_RULES, load_nlp
from newsflow.tasks.token_rules import TokenRules, UnsupportedPattern, compile_rules

TEXTS = [
    "He said the companies were running faster than ever, and she has been there since 2019.",
    "I told them I'd go, but they didn't wait; we're gonna miss it, aren't we?",
    "Let's see whether y'all can come. It ain't over, and I'm not sure it'll be done by then.",
    "There is nothing anyone could do. Somebody must have known, yet nobody would say.",
    "The mayor, who had resigned, gets the blame; her deputy got the job and did it well.",
    "SPRINGFIELD, Ill. -\n\nThe council  voted 7-2 on Tuesday.\n\n\nMore than $3.5 million was spent.",
    "Doin' nothin' is somethin' the ol' man said they'd never do; c'mon, get 'em.",
    "",
    "   ",
]


def _token_attributes(doc: Doc) -> list[tuple]:
    return [(t.text, t.pos_, t.tag_, t.dep_, t.lemma_, str(t.morph)) for t in doc]


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return load_nlp()


def test_pipeline_runs_the_array_components_instead_of_the_stock_ones(nlp) -> None:  # type: ignore[no-untyped-def]
    assert TOKEN_RULES in nlp.pipe_names
    assert "attribute_ruler" not in nlp.pipe_names and "lemmatizer" not in nlp.pipe_names
    # The stock components stay loaded (their tables are read elsewhere) but do not run.
    assert {"attribute_ruler", "lemmatizer"} <= set(nlp.disabled)


@pytest.mark.parametrize("text", TEXTS)
def test_same_attributes_as_the_stock_components(nlp, text: str) -> None:  # type: ignore[no-untyped-def]
    upstream = [name for name in nlp.pipe_names if name not in (TOKEN_RULES, "ner")]
    with nlp.select_pipes(enable=upstream):
        parsed = nlp(text)
    stock = Doc(nlp.vocab).from_bytes(parsed.to_bytes())
    stock = nlp.get_pipe("lemmatizer")(nlp.get_pipe("attribute_ruler")(stock))
    fast = nlp.get_pipe(TOKEN_RULES)(Doc(nlp.vocab).from_bytes(parsed.to_bytes()))
    assert _token_attributes(fast) == _token_attributes(stock)


def test_whole_pipeline_matches_the_stock_order_of_components(nlp) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(TEXTS)
    fast = nlp(text)
    with nlp.select_pipes(disable=[TOKEN_RULES]):
        nlp.enable_pipe("attribute_ruler")
        nlp.enable_pipe("lemmatizer")
        try:
            stock = nlp(text)
        finally:
            nlp.disable_pipe("attribute_ruler")
            nlp.disable_pipe("lemmatizer")
    assert _token_attributes(fast) == _token_attributes(stock)
    assert [(e.text, e.label_) for e in fast.ents] == [(e.text, e.label_) for e in stock.ents]


def test_a_later_rule_wins_over_an_earlier_one(nlp) -> None:  # type: ignore[no-untyped-def]
    # "have"/"do" tagged VBP are AUX by a word + tag rule; a later rule makes them VERB when
    # they head the clause.
    for text, word in (("They have three children.", "have"), ("We do our best every day.", "do")):
        token = next(t for t in nlp(text) if t.lower_ == word)
        assert (token.tag_, token.dep_, token.pos_) == ("VBP", "ROOT", "VERB")


def test_unknown_pattern_forms_keep_the_stock_components(nlp) -> None:  # type: ignore[no-untyped-def]
    from spacy.pipeline import AttributeRuler

    ruler = AttributeRuler(nlp.vocab)
    ruler.add([[{"LOWER": "the", "OP": "?"}]], {"POS": "DET"})
    with pytest.raises(UnsupportedPattern):
        compile_rules(ruler)
    assert not TokenRules.supports(ruler, nlp.get_pipe("lemmatizer"))
    plain = AttributeRuler(nlp.vocab)
    plain.add([[{"TAG": "NN"}]], {"POS": "NOUN"})
    assert TokenRules.supports(plain, nlp.get_pipe("lemmatizer"))
