"""Toponym recognition: a spaCy component that proposes place-name spans.

Candidates come from two sources and are then filtered by context:

1. the statistical NER (GPE, LOC, FAC; and PERSON/ORG spans that are also
   gazetteer names, since the small model tags Kyiv and Mykolaiv as PERSON);
2. capitalised token n-grams (1-4 tokens) whose normalised form is a gazetteer
   name.

A GPE/LOC span unknown as a whole gives its known parts instead: the pieces of
"Fargo-Moorhead", "Texas" in "North Texas".

Evidence for a place: a locative preposition ("in", "near", "city of"), a
following "region/oblast/province", a dateline, a following ", Country", or a
well-known place name. Evidence against: demonyms ("Ukrainian forces"), a
multi-token person name, a date, a sentence-initial common word. The kept spans
go to ``doc.spans["toponyms"]`` with label ``place`` or ``region``.

This cascade is the candidate generator and two features of the default
component, :class:`geomap.nlp.toponyms.FittedToponymRecogniser`, which decides
with fitted weights; the factory's ``fitted=False`` runs the cascade alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

__all__ = [
    "SPANS_KEY",
    "ToponymRecogniser",
    "is_region_word",
]

log = logging.getLogger(__name__)

SPANS_KEY = "toponyms"

NER_PLACE = frozenset({"GPE", "LOC", "FAC"})
NER_MAYBE = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", ""})
NER_NEVER = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT",
                       "QUANTITY", "LANGUAGE", "LAW", "EVENT"})

REGION_WORDS = frozenset({
    "region", "regions", "oblast", "oblasts", "province", "provinces",
    "governorate", "governorates", "district", "districts", "state", "states",
    "county", "counties", "prefecture", "territory", "area", "areas",
})
LOCATIVE = frozenset({
    "in", "near", "outside", "at", "from", "to", "into", "around", "across",
    "toward", "towards", "between", "through", "throughout", "within", "on",
    "onto", "past", "via", "beyond", "inside", "off", "over", "along",
    "visited", "visiting", "struck", "hit", "shelled", "bombed", "entered",
    "captured", "liberated", "evacuated", "reached", "left", "fled",
})
PLACE_NOUNS = frozenset({
    "city", "town", "village", "villages", "cities", "towns", "capital",
    "port", "region", "province", "district", "outskirts", "suburb",
    "suburbs", "settlement", "settlements", "state", "county", "country",
    "island", "oblast", "municipality", "hamlet", "centre", "center",
    "neighbourhood", "neighborhood", "area", "streets",
})
#: Heads of local institutions named after their place: "Torrington Police
#: Department", "Laurel County Sheriff's Office", "the Canaan Board of Finance".
ORG_HEADS = frozenset({
    "police", "sheriff", "sheriff's", "sheriff\u2019s", "fire", "council", "commission",
    "commissioners", "commissioner", "court", "courts", "department", "board",
    "township", "mayor", "chamber", "detention", "jail", "parks", "planning",
    "zoning", "selectmen", "aldermen", "firefighters", "officers", "deputies",
    "detectives", "authority", "utilities", "housing", "emergency", "rescue",
    "ambulance", "constable", "marshal", "prosecutor", "prosecutor's",
    "attorney's", "attorney\u2019s", "clerk", "treasurer", "assessor", "coroner",
    "commonwealth's", "commonwealth\u2019s", "municipal", "chief", "superintendent",
    "library", "hospital", "airport",
    "schools", "historical", "residents", "resident", "native", "natives",
})
#: Lower-case nouns that read a preceding name as a place: "Danbury police",
#: "a Clinton couple", "Grovetown residents".
LOCAL_NOUNS = frozenset({
    "police", "officers", "deputies", "detectives", "firefighters",
    "residents", "resident", "native", "natives", "man", "woman", "men", "women",
    "boy", "girl", "teen", "teens", "couple", "businesses", "homeowners",
    "voters", "council", "area", "mayor", "sheriff", "city", "town",
    "village", "township", "neighborhood", "neighbourhood",
    "firefighter", "officer", "deputy", "detective", "teenager",
    "grand",
})
#: Capitalised words that begin many institution names without naming a
#: place ("Central High School", "North Side Police").
GENERIC_MODIFIERS = frozenset({
    "north", "south", "east", "west", "northern", "southern", "eastern",
    "western", "central", "northeast", "northwest", "southeast", "southwest",
    "middle", "metro", "national", "public", "united", "first", "union",
    "community", "regional", "memorial", "city", "county", "state", "new", "old",
    "great", "grand", "general", "royal", "liberty", "independence", "unity",
    "victory", "hope", "faith", "grace", "trinity", "christ", "saint", "st",
    "st.", "mount", "upper", "lower", "inner", "federal", "international",
    "american", "civic", "valley", "river", "lake", "park", "forest", "mountain",
    "district", "area", "island", "harbor", "harbour", "bay", "main",
    "superior", "supreme", "common", "circuit", "border", "transit", "justice",
    "energy", "culture", "air", "trial", "vice", "task", "the", "town",
    "village", "municipal", "probate", "juvenile", "family", "appeals",
    "education", "health", "water", "safety", "volunteer", "fire",
})
#: Words after which a capitalised name is a street or a building, not a town.
STREET_HEADS = frozenset({
    "street", "st", "st.", "avenue", "ave", "ave.", "road", "rd", "rd.",
    "boulevard", "blvd", "blvd.", "drive", "dr", "dr.", "lane", "ln", "way",
    "trail", "highway", "hwy", "parkway", "pkwy", "court", "ct", "place",
    "circle", "bridge", "square", "terrace", "pike", "turnpike", "expressway",
    "freeway", "alley", "row", "plaza", "station", "stadium", "center", "centre",
    "mall", "hall", "building", "tower", "church", "cathedral", "park",
})
#: Words that place a region within a larger one: "North Texas", "western
#: Kentucky", "Historic Dublin".
DIRECTION_WORDS = frozenset({
    "north", "south", "east", "west", "northern", "southern", "eastern",
    "western", "central", "northeast", "northwest", "southeast", "southwest",
    "northeastern", "northwestern", "southeastern", "southwestern",
    "north-central", "south-central", "upstate", "downstate", "downtown",
    "historic", "greater", "coastal", "rural", "upper", "lower", "mid",
})
_NOT_REMAINDERS = frozenset({"coast", "shore", "side", "end", "hills"})
#: Party letters before a legislator's home town: "Sen. Ann Lee, D-Maplewood".
_PARTY_LETTERS = frozenset({"D", "R", "I", "DFL"})
_SPLITTERS = frozenset({"-", "/", "\u2013", "\u2014", "--"})
_POSSESSIVES = frozenset({"'s", "\u2019s", "'", "\u2019"})
_STRONG_LOCATIVE = frozenset({"in", "near", "outside", "at", "from", "to", "into",
                              "around", "across", "toward", "towards", "through",
                              "throughout", "within", "visited", "visiting"})
_DASHES = frozenset({"-", "--", "\u2014", "\u2013", "\u2015"})
_CONNECTORS = frozenset({"of", "de", "del", "la", "le", "upon", "on", "-", "al",
                         "el", "da", "do", "du", "der", "am", "sur", "en"})


def is_region_word(word: str) -> bool:
    """Whether ``word`` names a first-level-region kind ("region", "oblast", ...).

    >>> is_region_word("Oblast"), is_region_word("city")
    (True, False)
    """
    return word.lower() in REGION_WORDS


#: Source of a non-candidate: the unknown rest of a place span whose known
#: parts were taken ("North" in "North Texas"); it only keeps gazetteer
#: n-grams off those tokens and is never a place itself.
REMAINDER = "remainder"


@dataclass(frozen=True, slots=True)
class _Cand:
    start: int
    end: int
    source: str  # "ner" | "head" | "maybe" | "gaz" | REMAINDER


def _capitalised(tok: Token) -> bool:
    return _capitalised_text(tok.text)


def _capitalised_text(text: str) -> bool:
    return bool(text) and text[0].isupper() and any(c.isalpha() for c in text)


@dataclass(frozen=True, slots=True)
class _Words:
    """A doc's token strings, read once: scans over every token use these
    instead of making a ``Token`` object per look."""

    texts: list[str]
    spaces: list[str]
    lower: list[str]
    caps: list[bool]
    ent_types: list[str]

    @classmethod
    def of(cls, doc: Doc) -> _Words:
        texts, spaces, lower, ents = [], [], [], []
        for t in doc:
            texts.append(t.text)
            spaces.append(t.whitespace_)
            lower.append(t.lower_)
            ents.append(t.ent_type_)
        return cls(texts, spaces, lower, [_capitalised_text(x) for x in texts], ents)

    def text(self, start: int, end: int) -> str:
        """``doc[start:end].text``."""
        parts = [w + s for w, s in zip(self.texts[start:end - 1],
                                       self.spaces[start:end - 1], strict=True)]
        return "".join(parts) + self.texts[end - 1]


class ToponymRecogniser:
    """Propose place-name spans from NER and the gazetteer, filtered by context.

    RETURNS (Doc): the same doc with ``doc.spans["toponyms"]`` set.
    """

    def __init__(
        self,
        contains: Callable[[str], bool],
        is_demonym: Callable[[str], bool],
        importance: Callable[[str], float],
        *,
        max_ngram: int = 4,
        known_population: float = 100_000,
    ) -> None:
        self.contains = contains
        self.is_demonym = is_demonym
        self.importance = importance
        self.max_ngram = max_ngram
        self.known_population = known_population

    # -- candidate generation -------------------------------------------------
    def _candidates(self, doc: Doc, words: _Words | None = None) -> list[_Cand]:
        cands: list[_Cand] = []
        for ent in doc.ents:
            start, end = ent.start, ent.end
            while start < end and doc[start].lower_ in ("the", "a", "an"):
                start += 1
            if start >= end:
                continue
            known = self.contains(doc[start:end].text)
            if not known and (ent.label_ in NER_PLACE or ent.label_ in NER_MAYBE):
                # "Torrington Police Department", "Pointe Coupee Sheriff's Office":
                # the place that names a local institution
                k = self._head_prefix(doc, start, end)
                if k:
                    cands.append(_Cand(start, k, "head"))
                    continue
            if not known and ent.label_ in ("GPE", "LOC"):
                # "Fargo-Moorhead", "North Texas", "Boone County's": the
                # gazetteer-known parts of a place span unknown as a whole
                parts = self._parts(doc, start, end)
                if parts:
                    cands.extend(_Cand(a, b, "ner") for a, b in parts)
                    # the rest of the span ("North") is no place of its own
                    inside = {k for a, b in parts for k in range(a, b)}
                    cands.extend(_Cand(k, k + 1, REMAINDER)
                                 for k in range(start, ent.end) if k not in inside)
                    continue
            if ent.label_ in NER_PLACE:
                cands.append(_Cand(start, end, "ner"))
            elif ent.label_ in NER_MAYBE and known:
                cands.append(_Cand(start, end, "maybe"))
        words = words if words is not None else _Words.of(doc)
        n = len(doc)
        i = 0
        while i < n:
            if not words.caps[i] or (words.ent_types[i] in NER_NEVER
                                     and words.ent_types[i] != "EVENT"):
                i += 1
                continue
            found = self._longest_name(words, i)
            if found and words.lower[i] == "the" and i + found < n:
                # "The Ashby County Sheriff": the article is not part of the
                # name unless the name is longer with it ("The Hague")
                later = self._longest_name(words, i + 1)
                if later >= found:
                    i += 1
                    continue
            if found:
                cands.append(_Cand(i, i + found, "gaz"))
                i += found
            else:
                i += 1
        return cands

    def _longest_name(self, words: _Words, i: int) -> int:
        """Length of the longest capitalised gazetteer n-gram at token ``i``."""
        caps, lower = words.caps, words.lower
        for size in range(min(self.max_ngram, len(caps) - i), 0, -1):
            if not caps[i + size - 1]:
                continue
            if any(not caps[k] and lower[k] not in _CONNECTORS
                   for k in range(i, i + size)):
                continue
            if self.contains(words.text(i, i + size)):
                return size
        return 0

    def _parts(self, doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
        """Gazetteer-known parts of the place span ``doc[start:end]``: its
        pieces between hyphens or slashes, less leading direction words
        ("North Texas", "western Kentucky"), a trailing possessive or "City"."""
        while end > start and doc[end - 1].lower_ in _POSSESSIVES:
            end -= 1
        parts: list[tuple[int, int]] = []
        a = start
        for k in range(start, end + 1):
            if k < end and doc[k].text not in _SPLITTERS:
                continue
            b, a0 = k, a
            while (a < b and doc[a].lower_ in DIRECTION_WORDS
                   and not self.contains(doc[a:b].text)):
                a += 1
            inner = doc[a:b]
            # "North Street", "South Coast", "West Metro" are no region of a
            # place; a stripped direction needs a well-known remainder
            if (b > a and _capitalised(inner[0]) and _capitalised(inner[-1])
                    and all(_capitalised(t) or t.lower_ in _CONNECTORS for t in inner)
                    and inner[-1].lower_ not in STREET_HEADS
                    and inner[-1].lower_ not in GENERIC_MODIFIERS
                    and inner[-1].lower_ not in _NOT_REMAINDERS
                    and self.contains(inner.text)
                    and (a == a0 or self.importance(inner.text)
                         >= self.known_population)):
                parts.append((a, b))
            a = k + 1
        return parts

    def _head_prefix(self, doc: Doc, start: int, end: int) -> int:
        """End of the longest gazetteer name opening ``doc[start:end]`` that
        an institution head follows ("Laurel County" in "Laurel County
        Detention Center"), or 0."""
        for k in range(min(end - 1, start + self.max_ngram), start, -1):
            if not _head_follows(doc, k, end):
                continue
            inner = doc[start:k]
            if not all(_capitalised(t) or t.lower_ in _CONNECTORS for t in inner):
                continue
            if k - start == 1 and doc[start].lower_ in GENERIC_MODIFIERS:
                continue
            if self.contains(inner.text) and not _institution_word_in(inner):
                return k
        return 0

    # -- filtering ------------------------------------------------------------
    def _evidence(self, doc: Doc, span: Span) -> bool:
        """Context that supports a place reading of ``span``."""
        start, end = span.start, span.end
        prev = doc[start - 1] if start > 0 else None
        nxt = doc[end] if end < len(doc) else None
        if prev is not None:
            if prev.lower_ in LOCATIVE:
                return True
            if prev.text == "-" and start > 1 and doc[start - 2].text in _PARTY_LETTERS:
                return True
            if (prev.lower_ == "of" and start > 1
                    and doc[start - 2].lower_ in PLACE_NOUNS):
                return True
            if prev.lower_ in ("and", "or", ",") and start > 1:
                # coordination with or qualification of a known place name:
                # "Kyiv and Chernigiv", "Gainesville, Ga.", "Paris, Texas"
                before = doc[start - 2]
                return (_capitalised(before) and before.ent_type_ not in NER_NEVER
                        and before.ent_type_ != "PERSON"
                        and self.contains(before.text))
            # "Amy Sears, 41, of Grovetown", "Edward Smith of Southlake"
            if prev.lower_ == "of" and start > 1 and (
                    doc[start - 2].text == "," or doc[start - 2].ent_type_ == "PERSON"):
                return True
        if nxt is not None:
            if nxt.lower_ in REGION_WORDS:
                return True
            # "Danbury police", "a Clinton couple", "Northbrook-based"
            # the place opens the name: not "Force" in "Task Force officers"
            plain = (span[0].lower_ not in GENERIC_MODIFIERS
                     and not _institution_word_in(span)
                     and (prev is None or not _capitalised(prev)
                          or prev.lower_ in ("the", "a", "an")))
            if plain and nxt.lower_ in LOCAL_NOUNS and not nxt.text[0].isupper():
                return True
            if (plain and nxt.text in _DASHES and end + 1 < len(doc)
                    and doc[end + 1].lower_ == "based"):
                return True
            if plain and _head_follows(doc, end, len(doc)):
                return True
            # dateline after a headline: "ROSWELL - A man ..."
            if (nxt.text in _DASHES and span.text.isupper() and len(span.text) > 2
                    and (prev is None or prev.is_punct or prev.is_space
                         or span[0].is_sent_start)):
                return True
            if nxt.text == "," and end + 1 < len(doc):
                after = doc[end + 1]
                if _capitalised(after) and self.contains(after.text):
                    return True
        # dateline: "KRAMATORSK, Ukraine --" at the start of the text
        if start <= 1 and span.text.isupper() and nxt is not None and nxt.text == ",":
            return True
        return False

    def _reject(self, doc: Doc, span: Span, source: str, *,
                propagated: bool = False) -> bool:
        """Evidence against a place reading.

        ``propagated`` spans repeat a form accepted elsewhere in the document;
        for them a multi-token form inside a longer person name ("Laurel County
        Clerk Dean Johnson") or an event name ("the Walker County Fair") stands.
        """
        text = span.text
        if self.is_demonym(text):
            return True
        if len(span) == 1:
            tok = span[0]
            if (tok.is_stop and not text.isupper()) or tok.like_num or len(text) < 2:
                return True
            allowed = ("PROPN", "NOUN", "X") if source != "ner" and not \
                _region_context(doc, span) else ("PROPN", "NOUN", "X", "ADJ")
            if (tok.pos_ not in allowed and not text.isupper()
                    and not _strong_context(doc, span)):
                return True
            # a town the NER reads as a group: only after a locative ("in Tunis")
            if tok.ent_type_ == "NORP" and not (
                    span.start > 0 and doc[span.start - 1].lower_ in _STRONG_LOCATIVE):
                return True
        multi = propagated and len(span) > 1
        # inside a longer person name: "Jackson" in "Michael Jackson"
        for tok in span:
            if tok.ent_type_ == "PERSON" and not multi:
                ent = _ent_of(doc, tok)
                if ent is not None and (ent.start < span.start or ent.end > span.end) \
                        and not (ent.start == span.start
                                 and _head_follows(doc, span.end, ent.end)):
                    return True
            if tok.ent_type_ in NER_NEVER and not (multi and tok.ent_type_ == "EVENT"):
                return True
        return False

    def __call__(self, doc: Doc) -> Doc:
        """Set ``doc.spans["toponyms"]``; labels are ``place`` or ``region``."""
        kept: list[Span] = []
        taken = [False] * len(doc)
        # words of the document's full person names: a lone "Modi" or "Chen"
        # is that person unless the context says place ("in Chen")
        person_words = {t.text for ent in doc.ents
                        if ent.label_ == "PERSON" and len(ent) > 1 for t in ent
                        if _capitalised(t)}
        # NER place spans first, then longer gazetteer n-grams, then the rest.
        order = {REMAINDER: 0, "ner": 0, "head": 0, "gaz": 1, "maybe": 2}
        cands = sorted(self._candidates(doc),
                       key=lambda c: (order[c.source], -(c.end - c.start), c.start))
        left: list[_Cand] = []
        for cand in cands:
            if any(taken[cand.start:cand.end]):
                continue
            if cand.source == REMAINDER:
                taken[cand.start] = True
                continue
            span = doc[cand.start:cand.end]
            evidence = None
            if len(span) == 1 and span.text in person_words:
                evidence = self._evidence(doc, span)
                if not evidence:
                    continue
            if self._reject(doc, span, cand.source) or (
                cand.source != "ner" and not (
                    (self._evidence(doc, span) if evidence is None else evidence)
                    or self.importance(span.text) >= self.known_population)):
                left.append(cand)
                continue
            for k in range(cand.start, cand.end):
                taken[k] = True
            kept.append(span)
        # One sense per document: a form accepted once is a place wherever it
        # recurs ("Bicester" after "in Bicester"), short of hard evidence against.
        forms = {s.text for s in kept}
        for cand in left:
            span = doc[cand.start:cand.end]
            if span.text not in forms or any(taken[cand.start:cand.end]):
                continue
            # a lone word the NER reads as a person or organisation ("Kelly")
            # is not carried over; multi-token forms are
            if len(span) == 1 and span[0].ent_type_ in ("PERSON", "ORG"):
                continue
            if self._reject(doc, span, cand.source, propagated=True):
                continue
            for k in range(cand.start, cand.end):
                taken[k] = True
            kept.append(span)
        kept.sort(key=lambda s: s.start)
        labelled = [Span(doc, s.start, s.end,
                         label="region" if _region_context(doc, s) else "place")
                    for s in kept]
        doc.spans[SPANS_KEY] = labelled
        return doc


def _head_follows(doc: Doc, k: int, end: int) -> bool:
    """Whether an institution head (:data:`ORG_HEADS`) follows token ``k``
    within a run of at most three capitalised words ending before ``end``:
    "Police" in "X Police Department", "Fire" in "X Volunteer Fire Department".
    """
    for j in range(k, min(end, k + 3)):
        tok = doc[j]
        if not _capitalised(tok):
            return False
        if tok.lower_ in ORG_HEADS:
            return True
    return False


def _strong_context(doc: Doc, span: Span) -> bool:
    """Context that reads a capitalised word inside a sentence as a place
    whatever its tagged part of speech: "Maplewood police", "a Fairview
    resident", "moved to Kingsbury", "Sen. Ann Lee, D-Maplewood"."""
    start, end = span.start, span.end
    if not _capitalised(span[0]) or span[0].is_sent_start or start == 0:
        return False
    if span[0].lower_ in GENERIC_MODIFIERS:
        return False
    prev = doc[start - 1]
    nxt = doc[end] if end < len(doc) else None
    local = (nxt is not None and nxt.lower_ in LOCAL_NOUNS
             and not nxt.text[0].isupper())
    if local:
        return True
    if prev.text == "-" and start > 1 and doc[start - 2].text in _PARTY_LETTERS:
        return True
    # "in Arab culture": a word that modifies a following noun is no place
    return prev.lower_ in _STRONG_LOCATIVE and (
        nxt is None or not (nxt.is_alpha and nxt.text[0].islower()))


def _institution_word_in(span: Span) -> bool:
    """Whether ``span`` has a word that heads names rather than naming a place
    ("Police", "Court", "City" in "The City Council")."""
    return any(t.lower_ in ORG_HEADS or t.lower_ in LOCAL_NOUNS
               or t.lower_ in STREET_HEADS
               or (t.lower_ in PLACE_NOUNS and (k == 0 or t.lower_ not in REGION_WORDS))
               for k, t in enumerate(span))


def _ent_of(doc: Doc, tok: Token) -> Span | None:
    """The entity holding ``tok``, read off the IOB tags around it (as
    ``doc.ents`` reads them: a B and the I's after it)."""
    if tok.ent_iob_ not in ("B", "I"):
        return None
    start, end = tok.i, tok.i + 1
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return doc[start:end]


def _region_context(doc: Doc, span: Span) -> bool:
    """"X region", "X Oblast", and coordinated "the X and Y regions"."""
    j = span.end
    if j < len(doc) and doc[j].lower_ in REGION_WORDS:
        return doc[j].lower_ not in ("state", "states") or doc[j].text[0].isupper()
    # "the Kyiv and Chernigiv regions": skip over coordinated proper nouns
    k = j
    while k < len(doc) and k - j < 6 and (
        doc[k].lower_ in ("and", ",", "or") or _capitalised(doc[k])
    ):
        k += 1
    return (k > j and k < len(doc) and doc[k].lower_ in REGION_WORDS
            and doc[k].lower_.endswith("s"))
