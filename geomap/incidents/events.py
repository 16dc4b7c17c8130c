"""Event types and figure-less event reports, from the lexicons.

The vocabulary lives in ``geomap/nlp/lexicon/event_types.jsonl``; on a parsed
doc the ``geomap_casualties`` component marks its phrases
(``doc.spans["event_types"]``), and :func:`event_type_in` reads them. For
plain text without a parse, :func:`event_type_of` matches the same phrases
(with plural and verb endings) as words.
"""

from __future__ import annotations

import re
from functools import cache

from spacy.tokens import Span, Token

from geomap.models import EVENT_TYPE_PRIORITY
from geomap.nlp.casualties import EVENT_TYPES_KEY
from geomap.nlp.lexicon import entries, load

__all__ = ["event_anchor", "event_type_in", "event_type_of"]

_RANK = {kind: n for n, kind in enumerate(EVENT_TYPE_PRIORITY)}
_ATTACK_VERBS = load("attack_verbs")
_EVENT_NOUNS = load("event_nouns")


@cache
def _text_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    by_kind: dict[str, list[str]] = {}
    for row in entries("event_types"):
        words = [re.escape(w) for w in row["text"].split()]
        by_kind.setdefault(row["kind"], []).append(r"[\s-]?".join(words))
    return tuple(
        (kind, re.compile(r"(?i)\b(?:" + "|".join(sorted(alts, key=len, reverse=True))
                          + r")(?:s|es|ed|d|ing)?\b"))
        for kind, alts in sorted(by_kind.items(), key=lambda kv: _RANK.get(kv[0], 99)))


def event_type_of(text: str) -> str | None:
    """Event type of plain text: the earliest vocabulary phrase wins.

    Examples
    --------
    >>> event_type_of("A drone struck a fuel depot overnight")
    'drone'
    >>> event_type_of("Gunmen and suicide bombers stormed the hall")
    'shooting'
    >>> event_type_of("The minister spoke") is None
    True
    """
    best: tuple[int, int, str] | None = None
    for kind, pattern in _text_patterns():
        m = pattern.search(text)
        if m and (best is None or (m.start(), _RANK.get(kind, 99)) < best[:2]):
            best = (m.start(), _RANK.get(kind, 99), kind)
    return None if best is None else best[2]


def event_type_in(span: Span) -> str | None:
    """Event type of a parsed span (sentence or doc) from its event-type spans.

    The earliest phrase wins; phrases that start on the same token go by
    :data:`geomap.models.EVENT_TYPE_PRIORITY`.
    """
    doc = span.doc
    if EVENT_TYPES_KEY not in doc.spans:
        return event_type_of(span.text)
    found = [(s.start, _RANK.get(s.label_, 99), s.label_)
             for s in doc.spans[EVENT_TYPES_KEY] if span.start <= s.start < span.end]
    return min(found)[2] if found else None


def event_anchor(sent: Span) -> Token | None:
    """The attack verb of a strike reported without figures ("a missile hit X").

    An event noun (``event_nouns.jsonl``) as the subject or the passive agent
    of an attack verb (``attack_verbs.jsonl``) that is not negated: "a missile
    hit X", "clashes broke out in X", "a convoy was hit by a roadside device".
    RETURNS: the verb, or None.
    """
    for tok in sent:
        if tok.lemma_.lower() not in _EVENT_NOUNS:
            continue
        head = tok.head
        if tok.dep_ == "pobj" and head.dep_ == "agent":
            head = head.head  # "was hit by a device"
        elif tok.dep_ not in ("nsubj", "nsubjpass"):
            continue
        if head.lemma_.lower() in _ATTACK_VERBS and not any(
                c.dep_ == "neg" for c in head.children):
            return head
    return None
