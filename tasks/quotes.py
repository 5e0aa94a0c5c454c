"""Direct quotes and their speakers: pure functions over a parsed spaCy Doc and the article's
entity mentions (tasks.extract calls `extract_quotes`).

A quote is a stretch of text between double quote marks that somebody said or wrote. Its speaker
is found, first rule that applies:

1. a dash credit right after it ("“...” ― Carla Sanchez");
2. the dependency tree: walking up from the quote's tokens within its paragraph, the outermost
   reporting word governing it ("said", "tweeted", "Trump's claim that ...", "according to"), or
   one hanging off a clause of that chain (parenthetical "..., Mr. Obama said, ...", "as the
   union put it"); a reporting verb the parser hung off the quote ("“...,” she added");
3. for a quoted phrase inside a clause with no reporting word, that clause's subject ("Trump
   admires Putin as a “strong leader”");
4. the nearest reporting verb outside quotes in the quote's sentences, in the short sentence right
   after it ("“... . ...?” Vitter demanded.") or in a sentence ending in a colon before it;
5. the surroundings: the previous quote of its paragraph, the last attribution earlier in its
   paragraph, a later cue in the paragraph ("“A.” “B,” he said."), or, for a quote opening a
   paragraph, the last attribution of the paragraph before (newspaper convention).

The source of a reporting word is its subject nearest it in its paragraph, outside quotes (the
agent of a passive; the head verb's subject for participles, coordinated verbs and gerunds after a
preposition, "..., saying", "before asking", "was unable to explain"; the object of a control verb,
"forced Stumpf to admit"; the noun a "who said" clause modifies; for a verb left without a subject,
the name before it, past an appositive: "“...,” Lopez, an adviser, said"). A name covering the
head of that phrase is the speaker; a possessor is not ("Trump's son" is the son). A bare surname
the entity model typed as a place or organisation is the article's person of that surname.
"he"/"she" take the nearest earlier reporting verb's source or main-clause subject outside quotes
whose gender fits (titles, gendered roles, common given names, the article's own pronouns) and
who is not named later in the pronoun's own clause ("He said Obama hopes ..." is not Obama);
descriptions only when headed by a person noun. "it" takes a singular organisation or thing (also
a main-clause subject such as "the report", not a bare mass noun), "they" a plural, an
organisation or coordinated people ("Mr. Grassley and Mr. Leahy").
Times, dates, bare numbers, demonstratives and relative pronouns are never speakers.

Quoted stretches that are not quotes are left out: markup attribute values, stretches without
letters or outside 2-5,000 characters, inverted pairs of straight quotes, nicknames inside names,
titles of shows and works, "so-called" phrases and short stretches nobody is credited with.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from newsflow.tasks.nlp import parsed_text

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class EntityMention(Protocol):
    """What quotes need of an entity mention (tasks.extract.Mention has it)."""

    text: str
    canonical: str
    type: str
    start: int
    end: int


# Lemmas of verbs that report speech, writing or stated thought. The broad set only matters next
# to a quote: the cue is looked for in the quote's own clause and sentence.
REPORTING_VERBS = _words("""
    say tell add state warn promise note explain claim insist argue announce declare write ask
    reply respond acknowledge admit vow pledge caution predict suggest describe call report
    estimate stress emphasize emphasise threaten urge deny confirm recall reiterate shout yell
    scream tweet post complain contend maintain assert charge counter concede boast brag joke
    quip muse observe remark comment mention recount continue conclude demand wonder question
    accuse blast slam criticize criticise praise dismiss label dub term brand characterize
    characterise tout sing chant testify allege agree disagree echo repeat retort snap lament
    express exclaim whisper mutter proclaim affirm assure advise inform recommend propose hint
    imply indicate signal reveal disclose read rule find decry denounce condemn mock ridicule
    liken compare thank apologize apologise plead pray lash tease rail rave gush believe think
    feel hope fear worry speculate surmise guess reckon text email message preach lecture
    interrupt chime quote cite summarize summarise point put scold chide rebuke berate lambaste
    fume grumble laud hail applaud assail scoff sneer marvel concur object protest vent
""")
# Nouns that carry an attribution through their possessor or a "by"/"from" phrase:
# "Trump's claim that ...", "a statement from the campaign".
REPORTING_NOUNS = _words("""
    statement claim remark comment tweet word message letter speech interview post testimony
    assertion argument promise pledge warning accusation allegation description response answer
    question report view words remarks comments quote quotes call plea vow denial admission
    announcement declaration explanation insistence prediction suggestion boast complaint
    criticism praise joke quip observation note memo email editorial column op-ed essay ad
    advertisement video
""")
_ACCORDING = "according"
# A passive subject is the source only for these: "X was quoted as saying".
_PASSIVE_SOURCE_VERBS = frozenset({"quote", "cite"})

# The quotes table's suite accepts texts of 2 to 5,000 characters (expectations/quotes.json).
MIN_QUOTE_CHARS = 2
MAX_QUOTE_CHARS = 5000
_QUOTE_RE = re.compile(r"“([^”]+?)”|\"([^\"\n]+?)\"")
_LETTER = re.compile(r"[^\W\d_]")
_PARAGRAPH_BREAK = re.compile(r"[ \t]*\n\s*")

_MALE_PRONOUNS = frozenset({"he", "him"})
_FEMALE_PRONOUNS = frozenset({"she", "her"})
_GROUP_PRONOUNS = frozenset({"they", "them", "we", "it"})
_PRONOUNS = _MALE_PRONOUNS | _FEMALE_PRONOUNS | _GROUP_PRONOUNS | {"i", "you", "us", "me"}
_RELATIVE = frozenset({"who", "that", "which", "whom"})
# Entity types that are never a speaker: "5:45 p.m. said" is a parse of a dateline.
_NOT_SPEAKER_ENTS = frozenset({"TIME", "DATE", "ORDINAL", "MONEY", "QUANTITY"})
_SPEAKER_ORG_TYPES = frozenset({"ORG", "NORP", "GPE", "FAC", "PRODUCT", "WORK_OF_ART"})

_MALE_TITLES = frozenset({"mr", "mr.", "sir", "lord", "king", "prince", "father", "rev", "rev."})
_FEMALE_TITLES = frozenset({"mrs", "mrs.", "ms", "ms.", "miss", "madam", "lady", "queen", "princess"})
_MALE_NOUNS = _words("""
    man men boy father son husband brother uncle nephew grandfather spokesman congressman
    businessman chairman councilman alderman king prince gentleman guy dad
""")
_FEMALE_NOUNS = _words("""
    woman women girl mother daughter wife sister aunt niece grandmother spokeswoman
    congresswoman businesswoman chairwoman councilwoman alderwoman queen princess lady mom
    actress widow
""")
# Nouns for people: a description headed by one of these can be "he" or "she" ("the official",
# "a spokesman"); one headed by anything else cannot ("the letter", "the website").
_PERSON_NOUNS = _MALE_NOUNS | _FEMALE_NOUNS | _words("""
    official spokesperson aide adviser advisor source president senator representative lawmaker
    legislator governor mayor minister secretary director chief head leader chair member candidate
    nominee lawyer attorney doctor physician professor analyst expert economist scientist
    researcher strategist consultant pollster author writer reporter journalist editor columnist
    correspondent anchor host moderator commentator critic supporter voter resident citizen activist
    organizer organiser protester officer detective sheriff judge justice prosecutor investigator
    agent soldier general veteran student teacher parent friend neighbor neighbour person worker
    employee executive ceo founder owner manager partner surrogate ally opponent rival witness victim
    survivor relative cousin pastor priest bishop rabbi imam scholar historian diplomat ambassador
    envoy commander captain colonel lieutenant sergeant nurse surgeon coach player fan actor singer
    star celebrity comedian narrator speaker questioner participant attendee delegate donor insider
    observer staffer assistant deputy treasurer counsel clerk biographer producer filmmaker boss
    child kid teenager grandparent democrat republican senior nominee individual
""")
# Common given names (US usage) whose bearer's gender is near certain; built in, not downloaded.
_MALE_NAMES = _words("""
    aaron abdul adam ahmed alan albert alberto alexander alexei ali andrei andrew anthony
    antonio arthur austin barack barry ben benjamin bernard bernie bill billy bob bobby boris
    brad bradley brandon brian bruce bryan carl carlos chad charles charlie chris christopher
    chuck clarence craig dan daniel darrell dave david dennis derek dick diego dmitry don donald
    doug douglas dwight ed eddie edward elijah eric ernest eugene evan fernando francisco
    francois frank franklin fred gary george gerald giuseppe glenn greg gregory hans harold
    harry hassan hector henry herbert howard ian ivan jack jacob jacques jake james jason javier
    jean-claude jeb jeff jeffrey jeremy jerry jesus jim jimmy joe joel john johnny jon jonathan
    jorge jose joseph josh joshua juan justin keith ken kenneth kevin klaus kyle lamar larry
    laurence lawrence leo leon leonard louis luigi luis lyndon manuel marc marco marcus mark
    martin matt matthew maury michael miguel mike mikhail mitch mitt mohammed muhammad nathan
    neil newt nicholas nick noah norman oliver omar owen paolo patrick paul pedro peter phil
    philip pierre rafael ralph randy raymond reid reince ricardo richard rick rob robert roger
    ron ronald ross roy rudy russell ryan samuel scott sean sergei shawn sheldon spencer stanley
    stephen steve steven stuart ted thomas tim timothy todd tom tony trey tyler victor viktor
    vincent vladimir walter warren wayne wesley william willie yuri zachary
""")
_FEMALE_NAMES = _words("""
    abby abigail alice alicia amanda amy andrea angela angelina ann anna anne barbara beth betty
    beverly bonnie brenda carla carmen carol carolyn catherine chelsea cheryl christina
    christine cindy claire claudia colleen condoleezza connie courtney crystal cynthia debbie
    deborah debra diana diane dolores donna doris dorothy eileen elaine elizabeth ellen emily
    emma erica erin esther eva evelyn faith frances gennifer gina gloria grace gwen hannah
    heather helen hilary hillary holly hope huma irene ivanka jacqueline jan jane janet janice
    jennifer jessica jill jo joan joanne jocelyn josephine joyce judith judy julia julie june
    kamala kara karen kate katherine kathleen kathryn kathy katie katy kellyanne kimberly
    kristen kristin laura lauren laurie lily linda lisa loretta lori louise lucy lydia mabel
    madeleine maggie marcia margaret margarita maria marie marilyn marsha martha mary maureen
    meg megan melania melanie melinda melissa mia michelle miriam molly monica nancy naomi
    natalie nicole nikki nina nora olivia oprah paige pamela patricia patti paula peggy penny
    phyllis priscilla rachel rebecca renee rita roberta rosa rose rosemary ruth sally samantha
    sandra sara sarah shannon sharon sheila shirley sonia sonya stacy stephanie sue susan
    susanne sylvia tamara tara teresa theresa tiffany tina tracy valerie vanessa vera veronica
    vicki victoria virginia wendy yvonne zoe
""")
# Small words that stay lowercase in a title ("Meet the Press", "War On Drugs").
_TITLE_SMALL_WORDS = _words("a an the and or of in on to for with at by from as vs. vs")
# The word right before a title: "on “Meet the Press”", "titled “...”", "MSNBC’s “...”".
_TITLE_INTRODUCERS = frozenset({"on", "titled", "entitled", "'s", "’s"})
_TITLE_NOUNS = _words("""
    show program programme documentary film movie book series episode broadcast column album
    song newspaper magazine podcast novel memoir play musical segment forum
""")


@dataclass(frozen=True)
class QuotedSpan:
    start: int  # offsets of the quoted text, without the quote marks
    end: int


def find_quoted_spans(text: str) -> list[QuotedSpan]:
    """Stretches between double quote marks, less those that cannot be speech: markup attribute
    values (`author="..."`), stretches without letters, and inverted pairs of straight quotes
    (a closing mark followed by text and the next opening mark: its inside starts with a space).

    A curly quote running over paragraph breaks is cut at each break: news style opens every
    paragraph of a long quote again and closes only the last, so each paragraph is its own quote;
    after a break that does not open a quote again, the marks were unbalanced and the rest is not
    quoted text."""
    spans = []
    for match in _QUOTE_RE.finditer(text):
        group = 1 if match.group(1) is not None else 2
        start, end = match.start(group), match.end(group)
        if text[max(0, start - 2) : start - 1] == "=":
            continue
        pieces = []
        piece_start, reopened = start, True
        for brk in _PARAGRAPH_BREAK.finditer(text, start, end):
            pieces.append((piece_start, brk.start()))
            reopened = text.startswith("“", brk.end())
            if not reopened:
                break
            piece_start = brk.end() + 1
        if reopened:
            pieces.append((piece_start, end))
        for piece_start, piece_end in pieces:
            inner = text[piece_start:piece_end]
            if not _LETTER.search(inner) or (group == 2 and inner[0].isspace()):
                continue
            if not MIN_QUOTE_CHARS <= len(inner) <= MAX_QUOTE_CHARS:
                continue  # a letter between marks, or marks so far apart they cannot pair
            spans.append(QuotedSpan(piece_start, piece_end))
    return spans


@dataclass
class _TokenArrays:
    """Per-token facts read in one pass over the Doc's arrays (creating a spaCy Token per word
    in Python costs more than all the rules together)."""

    starts: list[int]  # character offset of each token
    heads: list[int]  # index of each token's syntactic head
    sentence: list[int]  # sentence number of each token
    cues: list[int]  # tokens that may be reporting words (verbs, reporting nouns, "according")
    subjects: list[int]  # tokens that are subjects of main clauses
    gendered_pronouns: list[tuple[int, str]]  # (token, "m" or "f")


@lru_cache(maxsize=4)
def _attribute_ids(strings: Any) -> dict[str, Any]:
    """The integer ids spaCy's arrays use for the words, tags and labels the rules look for, as
    sorted arrays for vectorised membership tests."""
    import numpy as np
    from spacy.parts_of_speech import IDS as POS_IDS

    def ids(values: Iterable[int]) -> Any:
        return np.array(sorted(set(values)), dtype=np.uint64)

    return {
        "verb_pos": ids([POS_IDS["VERB"], POS_IDS["AUX"]]),
        "noun_pos": ids([POS_IDS["NOUN"]]),
        "pron_pos": ids([POS_IDS["PRON"]]),
        "verbs": ids(strings[w] for w in REPORTING_VERBS),
        "nouns": ids(strings[w] for w in REPORTING_NOUNS),
        "according": ids([strings[_ACCORDING]]),
        "subject_deps": ids([strings["nsubj"], strings["nsubjpass"]]),
        "root": strings["ROOT"],
        "conj": strings["conj"],
        "male": ids(strings[w] for w in ("he", "him", "his", "himself")),
        "female": ids(strings[w] for w in ("she", "her", "hers", "herself")),
    }


def _member(values: Any, sorted_ids: Any) -> Any:
    """values ∈ sorted_ids, elementwise (np.isin sorts both sides on every call)."""
    import numpy as np

    at = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return sorted_ids[at] == values


def _token_arrays(doc: Doc) -> _TokenArrays:
    import numpy as np
    from spacy.attrs import DEP, HEAD, IDX, LEMMA, LOWER, POS, SENT_START

    if len(doc) == 0:
        return _TokenArrays([], [], [], [], [], [])
    ids = _attribute_ids(doc.vocab.strings)
    idx, lemma, lower, pos, dep, sent_start, head = doc.to_array([IDX, LEMMA, LOWER, POS, DEP, SENT_START, HEAD]).T
    head = np.arange(len(doc)) + head.astype(np.int64)  # HEAD is an offset from the token
    # Main clauses: the root and verbs coordinated with it. Their subjects are the salient people
    # a later "he" or "she" goes back to.
    main = (dep == ids["root"]) | ((dep == ids["conj"]) & (dep[head] == ids["root"]))
    cues = (
        (_member(lemma, ids["verbs"]) & _member(pos, ids["verb_pos"]))
        | (_member(lemma, ids["nouns"]) & _member(pos, ids["noun_pos"]))
        | _member(lower, ids["according"])
    )
    pronoun = _member(pos, ids["pron_pos"])
    male = np.flatnonzero(pronoun & _member(lower, ids["male"])).tolist()
    female = np.flatnonzero(pronoun & _member(lower, ids["female"])).tolist()
    return _TokenArrays(
        starts=idx.tolist(),
        heads=head.tolist(),
        sentence=np.cumsum(sent_start == 1).tolist(),
        cues=np.flatnonzero(cues).tolist(),
        subjects=np.flatnonzero(_member(dep, ids["subject_deps"]) & main[head]).tolist(),
        gendered_pronouns=sorted([(i, "m") for i in male] + [(i, "f") for i in female]),
    )


@dataclass
class _Source:
    """Somebody an attribution in the article is credited to, at a position outside quotes."""

    position: int
    speaker: str
    kind: str
    gender: str | None  # "m", "f" or None when unknown
    plural: bool = False
    human: bool = True  # can be "he" or "she": a person, or a description headed by a person noun


@dataclass
class _Article:
    """What the speaker rules look up in one article."""

    doc: Doc
    text: str
    quote_of_token: list[int]
    persons: list[EntityMention]
    person_at: dict[int, EntityMention]  # token index -> the PERSON mention covering it
    mention_at: dict[int, EntityMention]  # token index -> any other mention covering it
    genders: dict[str, str]
    paragraph_starts: list[int]
    token_starts: list[int]
    heads: list[int]
    sources: list[_Source] = field(default_factory=list)  # of every reporting word, in text order
    antecedents: list[_Source] = field(default_factory=list)  # of reporting verbs only
    subjects: list[_Source] = field(default_factory=list)  # people who are subjects of main clauses
    # Descriptions of anonymous sources seen so far: (position, head lemma, plural, text).
    descriptions: list[tuple[int, str, bool, str]] = field(default_factory=list)

    def paragraph(self, char: int) -> int:
        return bisect_right(self.paragraph_starts, char) - 1

    def in_quote(self, token: Token) -> bool:
        return self.quote_of_token[token.i] >= 0


def _token_ranges(doc: Doc, text: str, spans: list[QuotedSpan]) -> list[tuple[int, int]]:
    """Token range of each quoted span, its quote marks included."""
    ranges = []
    for q in spans:
        span = doc.char_span(max(0, q.start - 1), min(len(text), q.end + 1), alignment_mode="expand")
        ranges.append((span.start, span.end) if span is not None else (0, 0))
    return ranges


def _index_mentions(
    starts: list[int], mentions: Sequence[EntityMention]
) -> tuple[dict[int, EntityMention], dict[int, EntityMention]]:
    persons: dict[int, EntityMention] = {}
    others: dict[int, EntityMention] = {}
    surnames = _surnames(mentions)
    for m in mentions:
        first = bisect_right(starts, m.start) - 1
        target = persons if m.type == "PERSON" else others
        entity = m
        alias = surnames.get(m.text) if m.type != "PERSON" else None
        if alias is not None:
            # The entity model sometimes types a bare surname as a place or organisation
            # ("McAuliffe has said ..." after "Gov. Terry McAuliffe"): it is that person.
            entity, target = alias, persons
        for i in range(max(0, first), len(starts)):
            if starts[i] >= m.end:
                break
            if starts[i] >= m.start:
                target[i] = entity
    return persons, others


def _surnames(mentions: Sequence[EntityMention]) -> dict[str, EntityMention | None]:
    """The surname of each full personal name of the article -> that person (None when two
    people of the article share it)."""
    by_surname: dict[str, EntityMention | None] = {}
    for m in mentions:
        words = m.canonical.split()
        if m.type != "PERSON" or len(words) < 2:
            continue
        seen = by_surname.setdefault(words[-1], m)
        if seen is not None and seen.canonical != m.canonical:
            by_surname[words[-1]] = None
    return by_surname


def _name_gender(name: str) -> str | None:
    """Gender told by a name's words: a gendered title or role ("Chairwoman Donna Brazile") or
    a common given name, looked for before the surname."""
    words = [w.lower().strip(".,") for w in name.split()]
    for word in words[:-1] or words:
        if word in _MALE_TITLES or word in _MALE_NOUNS or word in _MALE_NAMES:
            return "m"
        if word in _FEMALE_TITLES or word in _FEMALE_NOUNS or word in _FEMALE_NAMES:
            return "f"
    return None


def _person_genders(
    article_persons: Sequence[EntityMention], person_at: dict[int, EntityMention], quote_of_token: list[int],
    arrays: _TokenArrays,
) -> dict[str, str]:
    """Gender of each person (canonical name) where the article or the name tells it: a title
    ("Mrs. Clinton"), a gendered role or a common given name, or the pronouns of the sentences
    that mention that person and nobody else."""
    genders: dict[str, str] = {}
    for m in article_persons:
        word = m.text.split()[0].lower() if m.text.split() else ""
        if word in _MALE_TITLES:
            genders.setdefault(m.canonical, "m")
        elif word in _FEMALE_TITLES:
            genders.setdefault(m.canonical, "f")
    for m in article_persons:
        if m.canonical not in genders:
            gender = _name_gender(m.canonical)
            if gender:
                genders[m.canonical] = gender
    names_in: dict[int, set[str]] = {}
    for i, person in person_at.items():
        if quote_of_token[i] < 0:
            names_in.setdefault(arrays.sentence[i], set()).add(person.canonical)
    votes: dict[str, Counter[str]] = {}
    for i, gender in arrays.gendered_pronouns:
        names = names_in.get(arrays.sentence[i])
        if quote_of_token[i] < 0 and names is not None and len(names) == 1:
            votes.setdefault(next(iter(names)), Counter())[gender] += 1
    for name, counter in votes.items():
        if name in genders:
            continue
        (top, n), *rest = counter.most_common()
        if not rest or n >= 2 * rest[0][1] + 1:
            genders[name] = top
    return genders


def _is_reporting_verb(token: Token) -> bool:
    lemma = token.lemma_.lower()
    if token.pos_ not in ("VERB", "AUX") or lemma not in REPORTING_VERBS:
        return False
    if lemma == "put":  # only "as X put it"
        return any(c.lower_ == "it" and c.dep_ == "dobj" for c in token.children)
    # "so-called" marks a scare quote: nobody is being quoted.
    doc = token.doc
    before = doc[token.i - 1] if token.i > 0 else None
    if before is not None and before.text == "-" and token.i > 1:
        before = doc[token.i - 2]
    return before is None or before.lower_ != "so"


def _is_cue(token: Token) -> bool:
    """A reporting verb, "according (to)", or a reporting noun with a possessor or by/from phrase."""
    if _is_reporting_verb(token):
        return True
    if token.lower_ == _ACCORDING:
        return any(c.lower_ == "to" for c in token.children)
    if token.pos_ == "NOUN" and token.lemma_.lower() in REPORTING_NOUNS:
        return any(c.dep_ == "poss" or (c.dep_ == "prep" and c.lower_ in ("by", "from")) for c in token.children)
    return False


def _cue_word(cue: Token) -> str:
    return "according to" if cue.lower_ == _ACCORDING else cue.lemma_.lower()


def _object_of(preposition: Token) -> Token | None:
    return next((c for c in preposition.children if c.dep_ == "pobj"), None)


def _source_token(cue: Token, article: _Article) -> Token | None:
    """The head of the phrase a reporting word credits: its subject, or what stands for it."""
    if cue.lower_ == _ACCORDING:
        to = next((c for c in cue.children if c.lower_ == "to"), None)
        return _object_of(to) if to is not None else None
    if cue.pos_ == "NOUN":
        for c in cue.children:
            if c.dep_ == "poss":
                return c
        for c in cue.children:
            if c.dep_ == "prep" and c.lower_ in ("by", "from"):
                return _object_of(c)
        return None
    verb = cue
    for _ in range(5):
        # The subject nearest the verb in its paragraph: a dateline the parser also made a
        # subject ("5:45 p.m. ¶ Johnson's doctor is calling ...") is not the one.
        paragraph = article.paragraph(verb.idx)
        subjects = [
            c for c in verb.children
            if c.dep_ in ("nsubj", "csubj") and article.paragraph(c.idx) == paragraph
            and c.ent_type_ not in _NOT_SPEAKER_ENTS and not article.in_quote(c)
        ]
        if subjects:
            subject = min(subjects, key=lambda c: abs(c.i - verb.i))
            if subject.lower_ in _RELATIVE and verb.dep_ == "relcl":
                return verb.head  # "Merrill, who said ..."
            return subject
        for c in verb.children:
            if c.dep_ == "agent":
                return _object_of(c)
        if verb.lemma_.lower() in _PASSIVE_SOURCE_VERBS:
            passive = next((c for c in verb.children if c.dep_ == "nsubjpass"), None)
            if passive is not None:
                return passive
        if any(c.dep_ == "nsubjpass" for c in verb.children):
            return None  # "he was asked": the subject is the addressee, the source is unsaid
        if verb.dep_ == "relcl" and verb.head.pos_ in ("NOUN", "PROPN"):
            return verb.head
        if verb.dep_ == "xcomp":
            # "forced Stumpf to admit", "led the journalist to fear": the object does it
            # when it can speak ("uses footage of Clinton asking" is the ad's).
            objects = [c for c in verb.head.children if c.dep_ == "dobj" and c.i < verb.i]
            if objects:
                agent = _speaker_of(objects[-1], article, remember=False)
                if agent is not None and agent.human:
                    return objects[-1]
        # "..., saying", "went on to say", "said X and added", "before asking", "by saying":
        # the head verb's subject.
        if (
            (verb.dep_ in ("advcl", "xcomp", "conj", "acl", "pcomp", "ccomp", "acomp") or (
                verb.dep_ == "prep" and verb.pos_ == "ADP" and verb.head.pos_ in ("VERB", "AUX")
            ))
            and verb.head.i != verb.i
            and not article.in_quote(verb.head)
        ):
            verb = verb.head
            continue
        break
    return _adjacent_source(cue, article)


def _adjacent_source(verb: Token, article: _Article) -> Token | None:
    """For a reporting verb the parser left without a subject: the noun right before it
    ("“...,” Chief Chuck Jordan said") or, inverted, right after it ("said Caddell")."""
    doc = verb.doc
    if verb.i > 0 and doc[verb.i - 1].pos_ in ("PROPN", "NOUN", "PRON"):
        return doc[verb.i - 1]
    if verb.i > 1 and doc[verb.i - 1].text == ",":
        # "“...,” Lopez, an adviser to the governor, said": the phrase before the comma, up to
        # the name the appositive describes (the parser may hang it off the quote).
        head = doc[verb.i - 2]
        while head.head.i < verb.i and head.head.i != head.i and not article.in_quote(head.head):
            head = head.head
        if head.pos_ in ("PROPN", "NOUN") and not article.in_quote(head):
            return head
    following = verb.i + 1
    while following < len(doc) and doc[following].pos_ == "PROPN":
        if following + 1 < len(doc) and doc[following + 1].pos_ == "PROPN":
            following += 1
            continue
        return doc[following]
    return None


def _description(head: Token, article: _Article) -> str:
    """The words of a common-noun source that end in its head noun ("a senior official")."""
    keep = [t for t in head.subtree if t.i <= head.i and not article.in_quote(t)]
    keep = [t for t in keep if t.dep_ not in ("punct", "prep", "relcl", "acl", "cc") or t.i == head.i]
    lo = min(t.i for t in keep)
    # Only a contiguous run ending at the head: drops anything cut off by an excluded clause.
    for t in reversed(keep):
        if t.i < head.i and t.i + 1 not in {k.i for k in keep} | {head.i}:
            lo = t.i + 1
            break
    while lo < head.i and article.doc[lo].is_punct:
        lo += 1  # a comma the parser attached to the phrase (", a Times article")
    return article.doc[lo : head.i + 1].text


def _earlier_description(position: int, head: str, plural: bool, description: str, article: _Article) -> str | None:
    """The fuller earlier description a definite one refers back to: "the official" after
    "a senior administration official" (same head and number, no word the earlier one lacks)."""
    words = description.lower().split()
    if words[0] not in ("the", "this", "that", "these", "those"):
        return None
    for seen_at, seen_head, seen_plural, seen in reversed(article.descriptions):
        if (
            seen_at < position and seen_head == head and seen_plural == plural
            and set(words[1:]) <= set(seen.lower().split())
        ):
            return seen
    return None


def _noun_gender(token: Token) -> str | None:
    lemma = token.lemma_.lower()
    if lemma in _MALE_NOUNS or token.lower_ in _MALE_NOUNS:
        return "m"
    if lemma in _FEMALE_NOUNS or token.lower_ in _FEMALE_NOUNS:
        return "f"
    return None


def _speaker_of(token: Token | None, article: _Article, remember: bool = True) -> _Source | None:
    """The speaker a source phrase's head token names, or None if it names nobody usable.
    `remember` records a new description for later definite ones to refer back to ("a senior
    official" ... "the official"); only sources of reporting words are recorded."""
    if token is None or article.in_quote(token):
        return None
    lower = token.lower_
    if lower in _PRONOUNS:
        return _resolve_pronoun(token, article)
    if lower in _RELATIVE or token.pos_ not in ("NOUN", "PROPN"):
        return None
    if token.ent_type_ in _NOT_SPEAKER_ENTS or token.like_num or not _LETTER.search(token.text):
        return None
    person = article.person_at.get(token.i)
    if person is None:
        # An appositive name: "the senator, Tim Kaine".
        for child in token.children:
            if child.dep_ == "appos" and child.i in article.person_at and not article.in_quote(child):
                person = article.person_at[child.i]
                break
    if person is not None:
        return _Source(token.idx, person.canonical, "person", article.genders.get(person.canonical))
    other = article.mention_at.get(token.i)
    if other is not None and other.type != "PERSON":
        return _Source(token.idx, other.canonical, "organisation", None, plural=True, human=False)
    if token.ent_type_ in _SPEAKER_ORG_TYPES:
        name = re.sub(r"^(?:the|The)\s+", "", token.text)
        return _Source(token.idx, name, "organisation", None, plural=True, human=False)
    description = _description(token, article)
    if not description:
        return None
    head = token.lemma_.lower()
    plural = token.tag_ in ("NNS", "NNPS")
    if article.doc[token.left_edge.i].pos_ == "DET" and description[:1].isupper():
        description = description[0].lower() + description[1:]
    earlier = _earlier_description(token.idx, head, plural, description, article)
    if earlier is not None:
        description = earlier
    elif remember:
        article.descriptions.append((token.idx, head, plural, description))
    kind = "anonymous" if token.pos_ == "NOUN" else "unknown"
    human = head in _PERSON_NOUNS or token.pos_ == "PROPN"
    return _Source(token.idx, description, kind, _noun_gender(token), plural=plural, human=human)


def _is_determined(noun: Token) -> bool:
    """A noun with a determiner or possessor ("the report", "Trump's campaign"): a particular
    thing a later "it" can point to, unlike a bare mass noun ("intense wrangling")."""
    return any(c.dep_ in ("det", "poss") for c in noun.children)


def _fits(source: _Source, pronoun: str) -> bool:
    if pronoun in _MALE_PRONOUNS or pronoun in _FEMALE_PRONOUNS:
        wanted = "m" if pronoun in _MALE_PRONOUNS else "f"
        return source.human and source.kind != "organisation" and not source.plural and source.gender in (None, wanted)
    if pronoun == "it":
        # "it" is singular and not a person: an organisation, or a thing that speaks for one
        # ("the article read ... it added"); never a plural ("the critics ... it").
        return source.kind == "organisation" or (not source.human and not source.plural)
    if pronoun in ("they", "them", "we"):
        return source.kind == "organisation" or source.plural
    return False


_PRONOUN_REACH = 4  # paragraphs back a pronoun may look for its antecedent


def _resolve_pronoun(token: Token, article: _Article) -> _Source | None:
    """The nearest earlier attribution source or person subject outside quotes that fits the
    pronoun, within a few paragraphs; a bare earlier person mention when neither does."""
    pronoun = token.lower_
    paragraph = article.paragraph(token.idx)
    named = _named_in_clause(token, article)
    candidates = [s for s in article.antecedents if s.position < token.idx]
    candidates += [s for s in article.subjects if s.position < token.idx]
    candidates.sort(key=lambda s: s.position)
    for source in reversed(candidates):
        if paragraph - article.paragraph(source.position) > _PRONOUN_REACH:
            break
        if _fits(source, pronoun) and source.speaker not in named:
            return _Source(token.idx, source.speaker, source.kind, source.gender, source.plural, source.human)
    if pronoun in _MALE_PRONOUNS or pronoun in _FEMALE_PRONOUNS:
        for m in reversed(article.persons):
            if m.end > token.idx:
                continue
            if paragraph - article.paragraph(m.start) > _PRONOUN_REACH:
                break
            candidate = _Source(token.idx, m.canonical, "person", article.genders.get(m.canonical))
            if _fits(candidate, pronoun) and m.canonical not in named:
                return candidate
    return None


def _named_in_clause(pronoun: Token, article: _Article) -> set[str]:
    """The people named after a pronoun in the clause it is the subject of: "he" in "He said
    Obama hopes ..." is not Obama (a pronoun does not refer to a name it governs). Possessors
    are left out: news prose does write "He notes that ... Trump's microphone"."""
    if pronoun.dep_ not in ("nsubj", "nsubjpass") or pronoun.head.i == pronoun.i:
        return set()
    person_at = article.person_at
    named = set()
    for t in pronoun.head.subtree:
        if t.i > pronoun.i and t.i in person_at:
            head = t
            while head.dep_ == "compound" and head.head.i != head.i:
                head = head.head
            if head.dep_ != "poss":
                named.add(person_at[t.i].canonical)
    return named


def _collect_sources(article: _Article, arrays: _TokenArrays) -> dict[int, _Source | None]:
    """Every reporting word outside quotes and the source it credits, in text order, and the
    people who are subjects of main clauses: the antecedents pronouns look back to. Returns the
    speaker found for each cue token."""
    doc = article.doc
    found: dict[int, _Source | None] = {}
    candidates = sorted(
        [(i, True) for i in arrays.subjects if article.quote_of_token[i] < 0]
        + [(i, False) for i in arrays.cues if article.quote_of_token[i] < 0]
    )
    for i, is_subject in candidates:
        token = doc[i]
        if is_subject:
            group = _group(token, article)
            if group is not None:
                # "Mr. Obama and Hillary Clinton never seem to tire ... they": a later "they".
                article.subjects.append(group)
            if i in article.person_at:
                person = article.person_at[i]
                gender = article.genders.get(person.canonical)
                article.subjects.append(_Source(token.idx, person.canonical, "person", gender))
            elif token.pos_ == "PROPN" and token.is_title and i not in article.mention_at and not token.ent_type_:
                # A name the entity model missed ("Ham made it clear he ...").
                article.subjects.append(_Source(token.idx, token.text, "person", None))
            elif token.pos_ in ("NOUN", "PROPN") and token.lower_ not in _PRONOUNS:
                # An organisation, a thing or a group as subject ("The campaign is defending
                # him. It calls ...") is what a later "it" or "they" refers to; kept only when it
                # cannot be "he" or "she", so their resolution is unchanged.
                source = _speaker_of(token, article, remember=False)
                if source is not None and (source.kind == "organisation" or source.plural or (
                    not source.human and _is_determined(token)
                )):
                    article.subjects.append(source)
        elif _is_cue(token):
            source_token = _source_token(token, article)
            group = _group(source_token, article)
            if group is not None:
                article.antecedents.append(group)
            source = _speaker_of(source_token, article)
            found[i] = source
            # Verbs' subjects are salient; a possessor or "according to" phrase is not what a
            # later "he" or "she" points back to ("praise from Putin ... He said").
            if source is not None:
                article.sources.append(source)
                if _is_reporting_verb(token):
                    article.antecedents.append(source)
    return found


def _group(token: Token | None, article: _Article) -> _Source | None:
    """Coordinated people or groups ("Mr. Grassley and Mr. Leahy"), as one plural source."""
    if token is None or token.pos_ not in ("PROPN", "NOUN") or article.in_quote(token):
        return None
    if not any(c.dep_ == "conj" for c in token.children):
        return None
    members = [token]
    for member in members:
        members += [c for c in member.children if c.dep_ == "conj" and c.pos_ in ("PROPN", "NOUN")]
    if len(members) < 2 or not any(
        c.dep_ == "cc" and c.lower_ in ("and", "&") for member in members for c in member.children
    ):
        return None
    sources = [_speaker_of(member, article, remember=False) for member in members]
    if any(s is None or not s.human for s in sources):
        return None  # not a group of people ("the state and its agencies")
    names = [s.speaker for s in sources if s is not None]
    kind = "person" if all(s is not None and s.kind == "person" for s in sources) else "anonymous"
    return _Source(token.idx, ", ".join(names[:-1]) + " and " + names[-1], kind, None, plural=True)


def _chain_cues(
    quote: tuple[int, int], qid: int, paragraphs: tuple[int, int], article: _Article
) -> tuple[Token | None, Token | None]:
    """Walking up the tree from the quote's tokens, within its paragraph: the outermost reporting
    word governing it (the convention of attribution corpora: in "Trump said Clinton called it
    “a disaster”" the attribution is Trump's), and the outermost verb with a subject outside
    quotes (for quoted phrases with no reporting word). A reporting verb or "according to" hung
    off a verb of the chain counts too ("..., Mr. Obama said, a majority have come to believe")."""
    cue: Token | None = None
    cue_distance = 0
    clause: Token | None = None
    seen: set[int] = set()
    for i in range(quote[0], quote[1]):
        if article.quote_of_token[article.heads[i]] == qid:
            continue  # an edge inside the quote
        node = article.doc[article.heads[i]]
        distance = 0
        while article.quote_of_token[node.i] != qid and node.i not in seen:
            seen.add(node.i)
            if not paragraphs[0] <= article.paragraph(node.idx) <= paragraphs[1]:
                break
            distance += 1
            outside = not article.in_quote(node)
            if outside and _is_cue(node) and (cue is None or distance > cue_distance):
                cue, cue_distance = node, distance
            if outside and node.pos_ in ("VERB", "AUX"):
                for c in node.children:
                    # Not when the quote modifies the subject itself ("the “sex tape” reference").
                    if c.dep_ == "nsubj" and not article.in_quote(c) and not (
                        c.left_edge.i <= quote[0] and quote[1] - 1 <= c.right_edge.i
                    ):
                        clause = node
                    elif (
                        not article.in_quote(c) and distance + 1 > cue_distance and _hangs_off_as_cue(c)
                    ):
                        cue, cue_distance = c, distance + 1
            if node.head.i == node.i:
                break
            node = node.head
    return cue, clause


def _hangs_off_as_cue(child: Token) -> bool:
    """A reporting word attached to a clause rather than governing it: parenthetical "..., Mr.
    Obama said, ...", "as the union put it", "according to the report"."""
    if child.dep_ == "parataxis":
        return _is_reporting_verb(child)
    if child.dep_ == "advcl":
        return _is_reporting_verb(child) and any(m.dep_ == "mark" and m.lower_ == "as" for m in child.children)
    return child.dep_ == "prep" and child.lower_ == _ACCORDING and _is_cue(child)


def _attached_cue(quote: tuple[int, int], qid: int, paragraphs: tuple[int, int], article: _Article) -> Token | None:
    """A reporting verb outside the quote that the parser hung off a token inside it
    ("“...,” she added" parsed as parataxis)."""
    doc = article.doc
    lo = max(0, quote[0] - 12)
    hi = min(len(doc), quote[1] + 12)
    for t in doc[lo:hi]:
        if article.in_quote(t) or not _is_reporting_verb(t):
            continue
        if article.quote_of_token[t.head.i] == qid and paragraphs[0] <= article.paragraph(t.idx) <= paragraphs[1]:
            return t
    return None


def _sentence_cue(quote: tuple[int, int], paragraphs: tuple[int, int], article: _Article) -> Token | None:
    """The nearest reporting verb outside quotes in the sentences the quote touches (within its
    paragraph), in the short sentence right after it ("“...?” Vitter demanded.") or in a
    sentence ending in a colon just before it ("Trump tweeted:")."""
    doc = article.doc
    first = doc[quote[0]].sent
    last = doc[quote[1] - 1].sent
    verbs = [
        t for t in doc[first.start : last.end]
        if not article.in_quote(t) and _is_reporting_verb(t)
        and paragraphs[0] <= article.paragraph(t.idx) <= paragraphs[1]
    ]
    if last.end < len(doc):
        after = doc[last.end].sent
        if len(after) <= 12:
            verbs += [
                t for t in after
                if not article.in_quote(t) and _is_reporting_verb(t) and article.paragraph(t.idx) == paragraphs[1]
            ]
    if first.start > 0:
        before = doc[first.start - 1].sent
        if before[-1].text == ":" or (len(before) > 1 and before[-2].text == ":"):
            verbs += [
                t for t in before
                if not article.in_quote(t) and _is_reporting_verb(t) and paragraphs[0] - article.paragraph(t.idx) <= 1
            ]
    if not verbs:
        return None
    q_start, q_end = doc[quote[0]].idx, doc[quote[1] - 1].idx
    return min(verbs, key=lambda t: min(abs(t.idx - q_start), abs(t.idx - q_end)))


_DASH_CREDIT = re.compile(r"[”\"]\s*[―—–-]+\s*(?=\w)")


def _dash_source(quote: QuotedSpan, article: _Article) -> _Source | None:
    """The name a dash credits right after the closing mark: "“...” ― Carla Sanchez"."""
    match = _DASH_CREDIT.match(article.text, quote.end)
    if match is None:
        return None
    i = bisect_right(article.token_starts, match.end()) - 1
    doc = article.doc
    if i < 0 or i >= len(doc) or doc[i].pos_ not in ("PROPN", "NOUN"):
        return None
    while i + 1 < len(doc) and doc[i + 1].pos_ == "PROPN" and doc[i + 1].idx == doc[i].idx + len(doc[i].text_with_ws):
        i += 1  # to the last word of the name, its head
    return _speaker_of(doc[i], article)


def _after_so_called(span: Span) -> bool:
    """A "so-called" phrase is the writer's scare quote, not somebody's words."""
    doc = span.doc
    words = [t.lower_ for t in doc[max(0, span.start - 5) : span.start] if t.text not in ("-", "“", '"')]
    return words[-2:] == ["so", "called"] or words[-1:] == ["so-called"]


def _is_title(span: Span, article: _Article) -> bool:
    """A title of a show or work, or a nickname inside a name, rather than a quote: a short
    capitalised phrase introduced by "on", "titled", a broadcaster's possessive or a noun such as
    "show", or a single capitalised word between two parts of a name."""
    words = [t for t in span if not t.is_punct]
    if not words or len(words) > 7:
        return False
    capitalised = all(t.text[:1].isupper() or t.lower_ in _TITLE_SMALL_WORDS or not t.is_alpha for t in words)
    if not capitalised or not words[0].text[:1].isupper():
        return False
    doc = article.doc
    before = doc[span.start - 2] if span.start >= 2 else None  # the token before the opening mark
    after = doc[span.end + 1] if span.end + 1 < len(doc) else None
    if (
        len(words) == 1 and before is not None and after is not None
        and (before.ent_type_ == "PERSON" or (before.pos_ == "PROPN" and before.is_title))
        and after.pos_ == "PROPN" and after.is_title
    ):
        return True
    if before is None:
        return False
    if before.lower_ in _TITLE_INTRODUCERS:
        return True
    if before.lower_ in ("of", "in") and before.i > 0 and doc[before.i - 1].lemma_.lower() in _TITLE_NOUNS:
        return True  # "an episode of “...”"
    return before.lemma_.lower() in _TITLE_NOUNS  # "the documentary “...”"


def extract_quotes(doc: Doc, entities: Sequence[EntityMention]) -> list[dict[str, Any]]:
    """Direct quotes with their speakers (see the module's docstring for the rules)."""
    text = parsed_text(doc)
    spans = find_quoted_spans(text)
    ranges = _token_ranges(doc, text, spans)
    quote_of_token = [-1] * len(doc)
    for n, (lo, hi) in enumerate(ranges):
        for i in range(lo, hi):
            quote_of_token[i] = n
    arrays = _token_arrays(doc)
    token_starts = arrays.starts
    person_at, mention_at = _index_mentions(token_starts, entities)
    persons = [m for m in entities if m.type == "PERSON"]
    outside_persons = [m for m in persons if not any(q.start - 1 <= m.start < q.end + 1 for q in spans)]
    article = _Article(
        doc=doc,
        text=text,
        quote_of_token=quote_of_token,
        persons=outside_persons,
        person_at=person_at,
        mention_at=mention_at,
        genders=_person_genders(persons, person_at, quote_of_token, arrays),
        paragraph_starts=[0] + [m.end() for m in re.finditer(r"\n+", text)],
        token_starts=token_starts,
        heads=arrays.heads,
    )
    cue_sources = _collect_sources(article, arrays)

    results: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []  # quotes of the current paragraph still without a speaker
    previous: dict[str, Any] | None = None
    for qid, (q, token_range) in enumerate(zip(spans, ranges, strict=True)):
        if token_range[1] <= token_range[0]:
            continue
        span = doc.char_span(q.start, q.end, alignment_mode="expand")
        if span is None or _is_title(span, article) or _after_so_called(span):
            continue
        paragraph = article.paragraph(q.start)
        source, verb, credited = _find_speaker(q, qid, token_range, previous, article, cue_sources)
        quote: dict[str, Any] = {
            "text": text[q.start : q.end],
            "speaker": source.speaker if source else None,
            "speaker_kind": source.kind if source else "unknown",
            "reporting_verb": verb,
            "start_char": q.start,
            "end_char": q.end,
            "_source": source,
            "_paragraph": paragraph,
            "_credited": credited,
        }
        if pending and pending[-1]["_paragraph"] != paragraph:
            pending.clear()
        if source is not None:
            for earlier in pending:  # "“A.” “B,” he said.": the later cue speaks for both
                earlier.update(
                    speaker=source.speaker, speaker_kind=source.kind, reporting_verb=verb, _source=source,
                    _credited=True,
                )
            pending.clear()
        else:
            pending.append(quote)
        results.append(quote)
        previous = quote
    _continue_paragraphs(results, article)
    kept = []
    for quote in results:
        # A short quoted phrase nobody is credited with is a scare quote, not a quote.
        if quote["speaker"] is None and not quote["_credited"] and len(quote["text"].split()) < 3:
            continue
        for key in ("_source", "_paragraph", "_credited"):
            quote.pop(key)
        kept.append(quote)
    return kept


def _find_speaker(
    q: QuotedSpan, qid: int, token_range: tuple[int, int], previous: dict[str, Any] | None,
    article: _Article, cue_sources: dict[int, _Source | None],
) -> tuple[_Source | None, str | None, bool]:
    """The speaker of one quote, its reporting word, and whether it is credited (by a cue, a
    dash or the paragraph) rather than guessed from the clause the quote sits in."""
    paragraphs = (article.paragraph(q.start), article.paragraph(q.end))
    source = _dash_source(q, article)
    cue, clause = _chain_cues(token_range, qid, paragraphs, article)
    if source is not None:
        return source, None, True
    if cue is None:
        cue = _attached_cue(token_range, qid, paragraphs, article)
    if cue is None and clause is None:
        cue = _sentence_cue(token_range, paragraphs, article)
    if cue is not None:
        found = cue.i in cue_sources
        source = cue_sources[cue.i] if found else _speaker_of(_source_token(cue, article), article)
        return source, _cue_word(cue), True
    paragraph = paragraphs[0]
    if previous is not None and previous["_paragraph"] == paragraph and previous["_source"] is not None:
        return previous["_source"], previous["reporting_verb"], True
    if clause is None:
        # A quote standing alone after an attribution in its paragraph ("X called him a master
        # at deals. “He showed ...”") continues that attribution.
        source = _last_source_before(q.start, paragraph, article)
        return source, None, source is not None
    # Only the subject of the clause a quoted phrase sits in: a guess, not a credit.
    subject = next(c for c in clause.children if c.dep_ == "nsubj")
    return _speaker_of(subject, article), None, False


def _last_source_before(position: int, paragraph: int, article: _Article) -> _Source | None:
    for source in reversed(article.sources):
        if source.position < position:
            return source if article.paragraph(source.position) == paragraph else None
    return None


def _continue_paragraphs(results: list[dict[str, Any]], article: _Article) -> None:
    """A quote that opens a paragraph with no speaker of its own continues the last speaker of
    the paragraph before (the last quote's or the last attribution's there)."""
    for quote in results:
        if quote["_source"] is not None:
            continue
        start = quote["start_char"]
        paragraph = quote["_paragraph"]
        opens = article.text[article.paragraph_starts[paragraph] : start - 1].strip() == ""
        if not opens or paragraph == 0:
            continue
        prev_start = article.paragraph_starts[paragraph - 1]
        candidates = [q["_source"] for q in results if q["_paragraph"] == paragraph - 1 and q["_source"]]
        candidates += [s for s in article.sources if prev_start <= s.position < article.paragraph_starts[paragraph]]
        if not candidates:
            continue
        last = max(candidates, key=lambda s: s.position)
        quote.update(speaker=last.speaker, speaker_kind=last.kind, _source=last, _credited=True)
