"""Upper-case wire text to ordinary case before parsing.

Wire services long sent copy in capitals ("SIX PEOPLE WERE KILLED TODAY IN
..."). The statistical model reads every such word as a proper noun: names
appear everywhere and the parse falls apart. A line that is almost all
capitals is lowered, its sentence starts capitalised, and the names a
gazetteer knows are title-cased again where the word is not a common English
word (word frequencies from ``wordfreq``). Only case changes, so character
offsets into the original text stay valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

from geomap.nlp.lexicon import load

__all__ = ["NameTest", "gazetteer_names", "is_shouting", "truecase", "word_frequency"]

#: ``test(phrase, frequency)``: is this lower-cased phrase of one to four
#: words a name to title-case? ``frequency`` is its commonest word's Zipf value.
NameTest = Callable[[str, float], bool]

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019.\-][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?]['\"\u201d\u2019)]*\s+|\]\s+|:\s+)"
                             r"['\"\u201c\u2018(]*(?=[^\W\d_])")
_MIN_LETTERS = 20
_UPPER_SHARE = 0.9
_MAX_WORDS = 4


def is_shouting(line: str) -> bool:
    """Whether a line is upper-case copy (at least 20 letters, 90% capitals).

    >>> is_shouting("TWO POLICEMEN WERE INJURED IN THE ATTACK LAST NIGHT.")
    True
    >>> is_shouting("KYIV, Ukraine -- Two people were injured.")
    False
    >>> is_shouting("BREAKING NEWS")
    False
    """
    letters = [c for c in line if c.isalpha()]
    if len(letters) < _MIN_LETTERS:
        return False
    return sum(c.isupper() for c in letters) >= _UPPER_SHARE * len(letters)


def word_frequency(word: str) -> float:
    """Zipf frequency of a word in English (0 for an unknown word, 7+ for "the")."""
    from wordfreq import zipf_frequency  # loaded only for upper-case copy

    return zipf_frequency(word, "en")


def _lower(line: str) -> str:
    """Lower-case, keeping the length (characters whose lower case is longer stay)."""
    low = line.lower()
    if len(low) == len(line):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in line)


def _upper1(c: str) -> str:
    """Upper case of one character, unless it would be longer ("ß" stays)."""
    up = c.upper()
    return up if len(up) == 1 else c


def _title(word: str) -> str:
    return _upper1(word[:1]) + word[1:]


def _truecase_line(line: str, is_name: NameTest) -> str:
    low = _lower(line)
    chars = list(low)
    words = [(m.start(), m.end()) for m in _WORD.finditer(low)]
    i = 0
    while i < len(words):
        for k in range(min(_MAX_WORDS, len(words) - i), 0, -1):
            start, end = words[i][0], words[i + k - 1][1]
            gaps = [low[words[j][1]:words[j + 1][0]] for j in range(i, i + k - 1)]
            if any(g not in (" ", "-") for g in gaps):
                continue
            phrase = low[start:end]
            freq = max(word_frequency(low[s:e]) for s, e in words[i:i + k])
            if is_name(phrase, freq):
                for s, e in words[i:i + k]:
                    chars[s:e] = _title(low[s:e])
                i += k
                break
        else:
            i += 1
    for m in _SENTENCE_START.finditer(low):
        chars[m.end()] = _upper1(chars[m.end()])
    return "".join(chars)


def truecase(text: str, is_name: NameTest) -> str:
    """``text`` with its upper-case lines in ordinary case (same length).

    Lines that are not upper-case copy are returned as they are.

    >>> names = {"lima", "san salvador"}
    >>> truecase("TWO BOMBS WENT OFF IN LIMA. NO ONE WAS HURT IN SAN SALVADOR.",
    ...          lambda phrase, freq: phrase in names)
    'Two bombs went off in Lima. No one was hurt in San Salvador.'
    >>> truecase("Bombs in Lima.", lambda phrase, freq: True)
    'Bombs in Lima.'
    """
    lines = text.splitlines(keepends=True)
    shouting = [is_shouting(ln) for ln in lines]
    if not any(shouting):
        return text
    out = "".join(_truecase_line(ln, is_name) if up else ln
                  for ln, up in zip(lines, shouting, strict=True))
    assert len(out) == len(text)
    return out


def gazetteer_names(gazetteer: object) -> NameTest:
    """A :data:`NameTest` that title-cases the names ``gazetteer`` knows.

    The commoner the word, the more prominent the place must be: countries and
    cities of a million people unless the word is very common ("nice",
    "reading" stay lower-case), first-level regions unless it is common, other
    regions, natural features and towns of 100,000 only when the word is rare,
    smaller places only when it is hardly a word at all. Several-word names
    pass unless every word is common or they start or end with a function
    word. Compass words ("southern", "central") and place nouns ("centre",
    "capital") are never names on their own; generated
    spelling variants do not count, only a place's own names.
    """
    common = load("directions", "compass") | load("place_nouns")

    @lru_cache(maxsize=8192)
    def test(phrase: str, freq: float) -> bool:
        words = phrase.split()
        if len(words) == 1 and (phrase in common or freq >= 5.5):
            return False
        if words[0] in STOP_WORDS or words[-1] in STOP_WORDS:
            return False  # "the bridge", "in lima": the name is inside
        if len(words) == 1 and gazetteer.country_of_demonym(phrase):  # type: ignore[attr-defined]
            return True  # "guatemalan", "soviet": adjectives of names
        cands = [c for c in gazetteer.candidates(  # type: ignore[attr-defined]
            phrase, fuzzy=False, limit=10) if c.match in ("name", "alternate")]
        if not cands:
            return False
        if len(words) > 1:
            return min(word_frequency(w) for w in words) < 5.0
        kinds = {c.place.feature for c in cands}
        biggest = max(c.place.population or 0 for c in cands)
        if "country" in kinds or biggest >= 1_000_000:
            return freq < 5.5
        if "admin1" in kinds:
            return freq < 5.0
        if kinds & {"region", "natural"}:
            return freq < 4.0
        if biggest >= 100_000:
            return freq < 4.0
        return freq < 3.0

    return test
