"""The ``geomap_sentences`` component: sentence starts the parser misses in news text.

Runs before the parser, which keeps the starts it is given. A sentence starts

- after a line break (a paragraph or a one-sentence-per-line corpus), and
- after sentence-final punctuation glued to the next word with no space, as
  in paragraphs joined without a space (``said."We``, ``attack.The``).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["mark_sentence_starts"]

_FINAL = frozenset({".", "!", "?"})
_CLOSERS = frozenset({'"', "\u201d", "'", "\u2019", ")"})


def mark_sentence_starts(doc: Doc) -> Doc:
    """Set ``is_sent_start`` at line breaks and glued sentence ends. RETURNS: doc."""
    for i in range(1, len(doc)):
        tok, prev = doc[i], doc[i - 1]
        if tok.is_space:
            continue
        if "\n" in prev.whitespace_ or (prev.is_space and "\n" in prev.text):
            tok.is_sent_start = True
            continue
        if not tok.text[:1].isupper() or prev.whitespace_:
            continue
        # "...said." + "We" or "...said." + '"' + "We" with no space between
        j = i - 1
        if doc[j].text in _CLOSERS and j > 0 and not doc[j - 1].whitespace_:
            j -= 1
        if doc[j].text in _FINAL and j > 0 and not doc[j - 1].is_space:
            tok.is_sent_start = True
    return doc


@Language.component("geomap_sentences", assigns=["token.is_sent_start"])
def geomap_sentences(doc: Doc) -> Doc:
    """Sentence starts at line breaks and glued sentence ends (before the parser)."""
    return mark_sentence_starts(doc)
