"""The model's two rule components, attribute_ruler and the rule lemmatizer, computed over token
arrays with the same results.

Both are rules, not statistics, yet they cost about 15% of the parse (measured on the benchmark
corpus, `nlp.pipe`: 124 ms per text, 110 without the attribute ruler, 105 without both): the
ruler runs spaCy's Matcher, 179 patterns, over every token, and the lemmatizer builds a Python
Token for every token. Here a token's attributes are read as arrays once, each distinct token
shape (tag, lower-case form, dependency label, is-space) is matched against the patterns once per
process, and a lemma is computed once per (form, part of speech, morphology) with the model's
own lemmatizer, exactly as its cache would key it. tests/unit/test_token_rules.py compares every
token attribute with the stock components.

Only the pattern forms the shipped model uses are translated (token attributes TAG, LOWER, DEP,
IS_SPACE; equality, IN, NOT_IN, REGEX; fixed-length sequences). A model with any other form
keeps its stock components (`TokenRules.supports`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from spacy.pipeline import AttributeRuler, Lemmatizer
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

# Entries each memo keeps before it starts afresh: a worker runs for months, and the forms of a
# news feed keep coming (about 300 bytes per entry; the dev sets' 530k tokens make 83k shapes).
MEMO_ENTRIES = 100_000
# Token attributes the translated patterns may test, in the column order of the shape arrays.
_TESTED = ("TAG", "LOWER", "DEP", "IS_SPACE")
_TAG = _TESTED.index("TAG")
_PREDICATES = {"IN", "NOT_IN", "REGEX"}
# Token attributes the ruler may set, in the column order of the arrays written back.
_WRITTEN = ("POS", "MORPH", "LEMMA", "TAG", "DEP")


class UnsupportedPattern(ValueError):
    """A pattern form this module does not translate; the stock components are kept."""


@dataclass(frozen=True)
class _TokenTest:
    """One token of a pattern: for each tested attribute, a test of the attribute's value."""

    tests: tuple[tuple[int, Any], ...]  # (column in _TESTED, test); test: int | frozenset | ("not", set) | regex

    def matches(self, shape: tuple[int, ...], strings: Any) -> bool:
        for column, test in self.tests:
            value = shape[column]
            if isinstance(test, int):
                if value != test:
                    return False
            elif isinstance(test, frozenset):
                if value not in test:
                    return False
            elif isinstance(test, tuple):  # ("not", values)
                if value in test[1]:
                    return False
            elif not test.search(strings[value]):  # a compiled regex, on the string
                return False
        return True


@dataclass(frozen=True)
class _Rule:
    """One entry of the ruler (one attribute id): alternative token sequences, the attributes it
    sets (attribute id -> value, as the ruler normalised them) and the index of the matched token
    it sets them on."""

    order: int
    sequences: tuple[tuple[_TokenTest, ...], ...]
    attrs: tuple[tuple[int, int], ...]
    index: int

    def required_tag(self) -> int | None:
        """The tag every alternative of a single-token entry requires by equality, if any."""
        tags = {dict(sequence[0].tests).get(_TAG) for sequence in self.sequences}
        tag = tags.pop() if len(tags) == 1 else None
        return tag if isinstance(tag, int) else None


def _hash(vocab: Vocab, value: str) -> int:
    return int(vocab.strings.add(value)) if value else 0


def _token_test(vocab: Vocab, spec: dict[str, Any]) -> _TokenTest:
    tests: list[tuple[int, Any]] = []
    for key, value in spec.items():
        name = key.upper()
        if name not in _TESTED:
            raise UnsupportedPattern(f"token attribute {key!r}")
        column = _TESTED.index(name)
        if name == "IS_SPACE":
            if not isinstance(value, bool):
                raise UnsupportedPattern(f"IS_SPACE test {value!r}")
            tests.append((column, int(value)))
        elif isinstance(value, str):
            tests.append((column, _hash(vocab, value)))
        elif isinstance(value, dict) and len(value) == 1 and set(value) <= _PREDICATES:
            (operator, operand), = value.items()
            if operator == "REGEX":
                tests.append((column, re.compile(operand)))
            else:
                values = frozenset(_hash(vocab, v) for v in operand)
                tests.append((column, values if operator == "IN" else ("not", values)))
        else:
            raise UnsupportedPattern(f"{key} test {value!r}")
    return _TokenTest(tuple(tests))


def compile_rules(ruler: AttributeRuler) -> list[_Rule]:
    """The ruler's entries in its own order (a later entry wins over an earlier one)."""
    vocab = ruler.vocab
    rules = []
    for order, (entry, attrs) in enumerate(zip(ruler.patterns, ruler.attrs, strict=True)):
        sequences = []
        patterns: list[Any] = entry["patterns"]  # type: ignore[assignment]
        for pattern in patterns:
            if not isinstance(pattern, list) or not pattern:
                raise UnsupportedPattern(f"pattern {pattern!r}")
            sequences.append(tuple(_token_test(vocab, spec) for spec in pattern))
        written = []
        for attr, value in attrs.items():
            name = _attr_name(attr)
            if name not in _WRITTEN:
                raise UnsupportedPattern(f"sets {name}")
            written.append((_WRITTEN.index(name), int(value)))
        rules.append(_Rule(order, tuple(sequences), tuple(written), int(entry["index"])))  # type: ignore[arg-type]
    return rules


def _attr_name(attr: int | str) -> str:
    from spacy.attrs import IDS

    if isinstance(attr, str):
        return attr.upper()
    return next((name for name, value in IDS.items() if value == attr), str(attr))


# For one token shape: per written column, the order of the rule that sets it (-1: none) and the
# value; and whether each token test of the multi-token rules holds.
_ShapeResult = tuple[tuple[int, ...], tuple[int, ...], tuple[bool, ...]]


class TokenRules:
    """attribute_ruler + lemmatizer (rule mode, overwrite off) of a loaded pipeline, as one
    component over arrays. Call it on a parsed doc; `pipe` for spaCy's batched pipe."""

    def __init__(self, ruler: AttributeRuler, lemmatizer: Lemmatizer):
        from spacy import attrs

        self.vocab = ruler.vocab
        self.rules = compile_rules(ruler)
        self._single = [r for r in self.rules if all(len(s) == 1 for s in r.sequences)]
        self._sequences = [r for r in self.rules if r not in self._single]
        # the token tests of the multi-token rules, each evaluated per token shape like the rest
        self._sequence_tests = list(dict.fromkeys(t for r in self._sequences for s in r.sequences for t in s))
        self._lemmatizer = lemmatizer
        self._tested = [getattr(attrs, name) for name in _TESTED]
        self._written = [getattr(attrs, name) for name in _WRITTEN]
        self._orth_pos_morph = [attrs.ORTH, attrs.POS, attrs.MORPH]
        # Most entries test one fine-grained tag: a token shape is tried only against those of its
        # tag and the entries that test no single tag (kept in rule order).
        self._by_tag: dict[int | None, list[_Rule]] = {}
        for rule in self._single:
            self._by_tag.setdefault(rule.required_tag(), []).append(rule)
        self._candidates: dict[int, list[_Rule]] = {}
        # token shape -> what the rules set on it and which sequence tests hold (see _shape_sets)
        self._by_shape: dict[tuple[int, ...], _ShapeResult] = {}
        self._results: dict[_ShapeResult, _ShapeResult] = {}
        # (orth, pos, morph) -> lemma hash: what the lemmatizer's own cache keys its result by
        self._lemmas: dict[tuple[int, int, int], int] = {}

    @staticmethod
    def supports(ruler: AttributeRuler, lemmatizer: Lemmatizer) -> bool:
        """True if the ruler's patterns translate and the lemmatizer is a rule lemmatizer that
        fills in only missing lemmas (the shipped English model's settings)."""
        if getattr(lemmatizer, "mode", None) != "rule" or getattr(lemmatizer, "overwrite", True):
            return False
        try:
            compile_rules(ruler)
        except UnsupportedPattern:
            return False
        return True

    def __call__(self, doc: Doc) -> Doc:
        if len(doc):
            self._apply_ruler(doc)
            self._lemmatize(doc)
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)

    # ------------------------------------------------------------------ attribute ruler

    def _shape_sets(self, shape: tuple[int, ...], strings: Any) -> _ShapeResult:
        """For tokens of this shape: for each column of _WRITTEN, the order of the last
        single-token rule that sets it (-1: none) and the value it sets; and whether each token
        test of the multi-token rules holds."""
        found = self._by_shape.get(shape)
        if found is None:
            orders, values = [-1] * len(_WRITTEN), [0] * len(_WRITTEN)
            for rule in self._candidates_for(shape[_TAG]):  # in rule order: a later rule wins
                if any(sequence[0].matches(shape, strings) for sequence in rule.sequences):
                    for column, value in rule.attrs:
                        orders[column], values[column] = rule.order, value
            holds = tuple(test.matches(shape, strings) for test in self._sequence_tests)
            if len(self._by_shape) >= MEMO_ENTRIES:
                self._by_shape.clear()
            result = (tuple(orders), tuple(values), holds)
            # Shapes that differ only in their word mostly get the same result: keep it once.
            found = self._by_shape[shape] = self._results.setdefault(result, result)
        return found

    def _candidates_for(self, tag: int) -> list[_Rule]:
        found = self._candidates.get(tag)
        if found is None:
            found = self._candidates[tag] = sorted(self._by_tag.get(tag, []) + self._by_tag.get(None, []),
                                                   key=lambda rule: rule.order)
        return found

    def _apply_ruler(self, doc: Doc) -> None:
        shapes = doc.to_array(self._tested)
        written = doc.to_array(self._written)
        unique, inverse = np.unique(shapes, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        found = [self._shape_sets(tuple(shape), doc.vocab.strings) for shape in unique.tolist()]
        # per token and written column: the order of the rule that set it (-1: none), its value
        set_by = np.array([orders for orders, _, _ in found], dtype=np.int64)[inverse]
        values = np.array([values for _, values, _ in found], dtype=np.uint64)[inverse]
        written = np.where(set_by >= 0, values, written)
        if self._sequences:
            holds = np.array([h for _, _, h in found], dtype=bool).reshape(len(found), -1)[inverse]
            self._apply_sequences(holds, written, set_by)
        doc.from_array(self._written, written)  # type: ignore[arg-type]  # uint64, as to_array gives

    def _apply_sequences(self, holds: np.ndarray, written: np.ndarray, set_by: np.ndarray) -> None:
        """Multi-token rules, in rule order among the single-token ones (the order decides)."""
        n = len(holds)
        column_of = {test: k for k, test in enumerate(self._sequence_tests)}
        for rule in self._sequences:
            for sequence in rule.sequences:
                length = len(sequence)
                if n < length:
                    continue
                starts = np.ones(n - length + 1, dtype=bool)
                for k, test in enumerate(sequence):
                    starts &= holds[k : n - length + 1 + k, column_of[test]]
                offset = rule.index if rule.index >= 0 else length + rule.index
                if not 0 <= offset < length:
                    raise ValueError(f"attribute ruler index {rule.index} outside a match of {length}")
                targets = np.flatnonzero(starts) + offset
                for column, value in rule.attrs:
                    later = targets[set_by[targets, column] < rule.order]
                    written[later, column] = value
                    set_by[later, column] = rule.order

    # ------------------------------------------------------------------ lemmatizer

    def _lemmatize(self, doc: Doc) -> None:
        from spacy.attrs import LEMMA

        lemmas = doc.to_array([LEMMA])
        missing = np.flatnonzero(lemmas == 0)
        if not len(missing):
            return
        keys = doc.to_array(self._orth_pos_morph)[missing].tolist()
        known = self._lemmas
        strings = doc.vocab.strings
        for i, key in zip(missing.tolist(), map(tuple, keys), strict=True):
            lemma = known.get(key)
            if lemma is None:
                # The model's own lemmatizer, on the first token of this form: same result, and
                # its result depends only on the key (spaCy caches it by the same key).
                lemma = int(strings.add(self._lemmatizer.lemmatize(doc[i])[0]))
                if len(known) >= MEMO_ENTRIES:
                    known.clear()
                known[key] = lemma
            lemmas[i] = lemma
        doc.from_array([LEMMA], lemmas)  # type: ignore[arg-type]  # uint64, as to_array gives
