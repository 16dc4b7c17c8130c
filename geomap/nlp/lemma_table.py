"""The model's lemmatizer, applied a document at a time through a table.

spaCy's rule lemmatizer decides a lemma from a token's form, POS and
morphology alone (its own cache is keyed on exactly these), but it visits every
token in Python. :class:`LemmaTable` reads the three columns of a whole
document at once, asks the model's lemmatizer only about combinations it has
not seen, and writes the lemmas back in one call: the same lemmas, rule for
rule, and tokens that already have one (from the attribute rules) keep it, as
with the lemmatizer's ``overwrite=False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from spacy.attrs import LEMMA, MORPH, ORTH, POS
from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["LemmaTable", "replace_lemmatizer"]

#: Lemmatizer modes whose answer depends on form, POS and morphology only.
_KEYED_MODES = ("rule", "lookup")


class LemmaTable:
    """Doc -> Doc: the wrapped lemmatizer's lemmas, by table look-up.

    Examples
    --------
    >>> import spacy
    >>> from geomap.nlp import DEFAULT_MODEL
    >>> nlp = spacy.load(DEFAULT_MODEL)
    >>> replace_lemmatizer(nlp)
    True
    >>> [t.lemma_ for t in nlp("Two bridges were destroyed.")]
    ['two', 'bridge', 'be', 'destroy', '.']
    """

    def __init__(self, lemmatizer: Any, name: str = "lemmatizer") -> None:
        self.lemmatizer = lemmatizer
        self.name = name
        self._table: dict[tuple[int, int, int], int] = {}

    def __call__(self, doc: Doc) -> Doc:
        """Set the lemma of every token that has none. RETURNS (Doc): the doc."""
        if not len(doc):
            return doc
        rows = doc.to_array([ORTH, POS, MORPH, LEMMA])
        lemmas = rows[:, 3].copy()
        missing = np.flatnonzero(lemmas == 0)
        if not len(missing):
            return doc
        table, strings = self._table, doc.vocab.strings
        for i, (orth, pos, morph) in zip(missing.tolist(),
                                         rows[missing, :3].tolist(), strict=True):
            key = (orth, pos, morph)
            lemma = table.get(key)
            if lemma is None:
                lemma = table[key] = strings.add(self.lemmatizer.lemmatize(doc[i])[0])
            lemmas[i] = lemma
        doc.from_array([LEMMA], lemmas.reshape(-1, 1))
        return doc

    # The lemmatizer's tables come with the model; nothing to save.
    def to_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> None:
        """Nothing to save: the tables are the model's lemmatizer's."""

    def from_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> LemmaTable:
        """Nothing to load. RETURNS: self."""
        return self


def replace_lemmatizer(nlp: Language, name: str = "lemmatizer") -> bool:
    """Put the model's lemmatizer behind a :class:`LemmaTable` (same lemmas).

    RETURNS (bool): whether it was replaced; a lemmatizer that overwrites
    lemmas or whose mode reads more than form, POS and morphology stays.
    """
    if name not in nlp.pipe_names:
        return False
    lemmatizer = nlp.get_pipe(name)
    if getattr(lemmatizer, "mode", None) not in _KEYED_MODES \
            or getattr(lemmatizer, "overwrite", True) \
            or not callable(getattr(lemmatizer, "lemmatize", None)):
        return False
    _index_as_sets(lemmatizer)
    nlp.replace_pipe(name, "geomap_lemma_table")
    nlp.get_pipe(name).lemmatizer = lemmatizer
    return True


def _index_as_sets(lemmatizer: Any) -> None:
    """The rule lemmatizer's word index per POS as sets, not lists.

    The rules only ask whether a form is in the index (``form in index``),
    which on the model's lists (up to 58,000 words) is a linear scan: 100 µs a
    new word, most of the lemmatizer's time on fresh text. The same question
    on a set gives the same answer at once.
    """
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return
    index = lookups.get_table("lemma_index")
    for key, words in list(index.items()):
        if isinstance(words, list):
            index[key] = frozenset(words)


@Language.factory("geomap_lemma_table", assigns=["token.lemma"],
                  requires=["token.pos", "token.morph"])
def make_lemma_table(nlp: Language, name: str) -> LemmaTable:
    """A table without a lemmatizer; :func:`replace_lemmatizer` gives it the model's."""
    return LemmaTable(None, name)
