"""newsflow's language identifier scores as py3langid's own does, bit for bit."""

import random

import numpy as np

from newsflow.tasks import language


def _theirs():
    from py3langid import langid

    return langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)


def test_read_from_the_installed_py3langid() -> None:
    # Otherwise py3langid's identifier is used as it comes and the test below compares it with itself.
    from py3langid import langid

    assert language._source_fingerprint() == language.READ_FROM
    assert isinstance(language.identifier(), langid.LanguageIdentifier)
    assert type(language.identifier()).__name__ == "Identifier"


def test_float16_table_is_numpys_conversion() -> None:
    patterns = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    converted = patterns.view(np.float16).astype(np.float32)
    assert np.array_equal(language._float16_as_float32().view(np.uint32), converted.view(np.uint32))


def test_same_scores_bit_for_bit(seed_text: str) -> None:
    theirs, ours = _theirs(), language.identifier()
    rng = random.Random(8)
    words = seed_text.split() + ["Der", "Präsident", "sprach", "über", "den", "Krieg", "le", "président", "a",
                                 "parlé", "日本語", "のテキスト", "Привет", "мир", "123", "!!", "\u00ad", "ÉTAT"]
    texts = [seed_text[:1000], "", "x", "THE PRESIDENT SPOKE", "\u00e9t\u00e9"]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 200)))[:1000] for _ in range(300)]
    for text in texts:
        expected = theirs._decide(text)
        assert np.array_equal(ours._decide(text).view(np.uint32), expected.view(np.uint32)), text
        assert ours.classify(text) == theirs.classify(text)
    # and the product itself, on random rows and counts
    generator = np.random.default_rng(0)
    for _ in range(2000):
        keys = generator.choice(len(ours.nb_ptc), size=int(generator.integers(1, 800)), replace=False)
        visits = dict(zip(keys.tolist(), generator.integers(1, 30, size=len(keys)).tolist(), strict=True))
        expected = theirs._sparse_score(visits, theirs.nb_ptc)
        assert np.array_equal(ours._sparse_score(visits, ours.nb_ptc).view(np.uint32), expected.view(np.uint32))
