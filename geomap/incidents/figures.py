"""Casualty figures read off the ``geomap_casualties`` spans.

The patterns (``geomap/nlp/lexicon/casualty_patterns.jsonl``) find a trigger
and the victim phrase; this module does what patterns cannot say: the number
and its qualifier (:func:`geomap.numbers.parse_count`), sums of coordinated
groups ("19 children and two teachers"), sub-counts that are never added
("including three children"), negation ("no one was hurt"), attackers who are
not victims, and the kind of a toll ("death toll" vs "injury toll").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spacy.tokens import Doc, Span, Token

from geomap.nlp.casualties import CASUALTIES, TRIGGERS, load_patterns
from geomap.nlp.lexicon import load
from geomap.numbers import Count, parse_count

__all__ = ["Figure", "FigureKind", "read_figures"]

FigureKind = Literal["killed", "wounded"]

_PERPETRATORS = load("perpetrators")
_PERSON_NOUNS = load("person_nouns")
_SUBCOUNT = load("subcount_markers")
_VAGUE_NOUNS = frozenset({"dozen", "dozens", "hundreds", "thousands", "scores", "tens"})
_SINGULAR_DETS = frozenset({"a", "an", "another", "the", "this", "that", "his", "her",
                            "their", "its", "our", "my", "one"})
_VICTIM_DEPS = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "conj", "appos"})
_SINGULAR_PRONOUNS = frozenset({"he", "she", "him", "her"})
_WEAK = frozenset(r["id"] for r in load_patterns("casualty_patterns") if r.get("weak"))
_NUMERIC = frozenset(r["id"] for r in load_patterns("casualty_patterns")
                     if r.get("numeric") or r["label"] == "toll")
_POWER = frozenset({"^", "**", "\u00d7"})
_FATAL = load("casualty_triggers", "fatal_adverb")
_MULTIPLIERS = frozenset({"dozen", "hundred", "thousand", "million"})
_NEGATORS = frozenset({"no", "nobody", "none", "no-one"})
_KILL_WORDS = load("casualty_triggers", "kill_verb") | load(
    "casualty_triggers", "die_verb") | load("casualty_triggers", "kill_noun") | load(
    "casualty_triggers", "kill_state")
_WOUND_WORDS = load("casualty_triggers", "wound_noun") | load("casualty_triggers",
                                                                "wound_state")


@dataclass(frozen=True, slots=True)
class Figure:
    """One casualty figure: what it counts, the count, and where it sits.

    ``trigger`` is the casualty word ("killed", "toll"), ``victim`` the counted
    phrase's head, ``number`` the number token (None for "a journalist was
    killed"); ``update`` marks a toll statement ("the toll rose to 17"),
    ``pattern`` the id of the construction that found it.
    """

    kind: FigureKind
    count: Count
    trigger: Token
    victim: Token
    number: Token | None
    pattern: str
    update: bool = False

    @property
    def sent(self) -> Span:
        """The sentence of the trigger."""
        return self.trigger.sent

    @property
    def value(self) -> int | None:
        """The number of people (None for a vague amount)."""
        return self.count.value


def _in_phrase(tok: Token) -> bool:
    """Whether ``tok`` is part of a several-word entity ("3 a.m.", "May 5")."""
    doc = tok.doc
    return tok.ent_iob_ == "I" or (
        tok.i + 1 < len(doc) and doc[tok.i + 1].ent_iob_ == "I")


def _is_number(tok: Token) -> bool:
    if tok.ent_type_ in ("DATE", "TIME") and (tok.shape_ == "dddd" or _in_phrase(tok)):
        return False  # "the 1998 bombing", "at 3 a.m.": not a count of people
    return tok.like_num or (
        tok.pos_ == "NUM" and tok.ent_type_ in ("CARDINAL", "QUANTITY")
    ) or tok.lower_ in _VAGUE_NOUNS


def _in_power(tok: Token) -> bool:
    doc = tok.doc
    return (tok.i + 1 < len(doc) and doc[tok.i + 1].text in _POWER) or (
        tok.i > 0 and doc[tok.i - 1].text in _POWER)


def _left_phrase(tok: Token) -> str:
    """The number phrase ending at ``tok`` ("more than a dozen")."""
    idx = {t.i for t in tok.subtree if t.i <= tok.i}
    i = tok.i
    while (i - 1) in idx:
        i -= 1
    return tok.doc[i: tok.i + 1].text


def _count_number(tok: Token) -> Count | None:
    if _in_power(tok):
        return None
    phrase = _left_phrase(tok)
    nxt = tok.i + 1
    while nxt < len(tok.doc) and tok.doc[nxt].lower_ in _MULTIPLIERS:
        nxt += 1  # "two dozen", "three hundred": the multiplier may be the noun's
    if nxt > tok.i + 1:
        phrase = phrase + tok.doc[tok.i].whitespace_ + tok.doc[tok.i + 1: nxt].text
    count = parse_count(phrase) or parse_count(tok.text)
    if count is None and tok.i + 1 < len(tok.doc):
        # "dozens" may hang its "of" phrase; "1.5 million" splits in two tokens
        count = parse_count(tok.doc[max(tok.i - 3, tok.sent.start): tok.i + 2].text)
    return count


def _count_single(noun: Token) -> tuple[Count | None, Token | None]:
    if _is_number(noun):
        return _count_number(noun), noun
    nummods = [c for c in noun.children if _is_number(c) and (
        c.dep_ == "nummod" or (c.dep_ == "compound" and c.i < noun.i))]
    if nummods:
        return _count_number(nummods[0]), nummods[0]
    head = noun.head
    if noun.dep_ == "pobj" and head.lower_ == "of" and _is_number(head.head):
        return _count_number(head.head), head.head  # "hundreds of residents"
    dets = {c.lower_ for c in noun.children
            if c.dep_ in ("det", "poss", "amod", "predet")}
    if noun.lower_ in _NEGATORS or dets & _NEGATORS:
        return None, None
    if (noun.lower_ in ("couple", "pair") and dets & {"a", "the"}) or "both" in dets:
        return Count(2, "exact"), None  # "a couple were killed", "both men died"
    if noun.dep_ not in _VICTIM_DEPS:
        return None, None  # "this month", "the toll": not a person
    if noun.tag_ == "NN" and noun.pos_ == "NOUN" and dets & _SINGULAR_DETS:
        return Count(1, "exact"), None  # "a journalist was killed", "the victim died"
    if noun.tag_ == "NN" and not dets and noun.lemma_.lower() in _PERSON_NOUNS:
        return Count(1, "exact"), None  # headline style: "fire kills man"
    if noun.pos_ == "PROPN" and noun.ent_type_ == "PERSON" and noun.tag_ == "NNP":
        return Count(1, "exact"), None  # a named person
    if noun.lower_ in _SINGULAR_PRONOUNS:
        return Count(1, "exact"), None  # "he was shot"
    return None, None


def _count_of(victim: Token) -> tuple[Count | None, Token | None]:
    """Count of a victim phrase (coordinated groups summed, sub-counts not)."""
    if victim.lemma_.lower() in _PERPETRATORS or victim.lower_ in _PERPETRATORS:
        return None, None
    count, number = _count_single(victim)
    if count is None:
        return None, None
    total = count
    for conj in victim.conjuncts:
        if conj.i < victim.i or conj.lower_ in _PERPETRATORS:
            continue
        if any(c.lower_ in _SUBCOUNT for c in conj.lefts):
            continue
        extra, _ = _count_single(conj)
        if extra is None or extra.value is None or total.value is None:
            continue
        total = Count(total.value + extra.value, total.qualifier)
    return total, number


def _negated(tok: Token) -> bool:
    return any(c.dep_ == "neg" for c in tok.children) or any(
        c.lower_ in _NEGATORS for c in tok.children
        if c.dep_ in ("nsubj", "nsubjpass", "det", "dobj"))


def _fatal(trigger: Token) -> bool:
    """Whether the harm was fatal ("fatally shot", "mortally wounded", "was hit
    by a car and killed")."""
    return any((c.dep_ == "advmod" and c.lower_ in _FATAL)
               or (c.dep_ == "conj" and c.lemma_.lower() in _KILL_WORDS)
               for c in trigger.children)


def _is_subcount(victim: Token, trigger: Token) -> bool:
    """Whether the victim sits in an "including ..." / "among them" phrase."""
    tok = victim
    for _ in range(4):
        if tok.i == trigger.i or tok.head.i == tok.i:
            return False
        if tok.lower_ in ("including", "among") or (
                tok.dep_ == "prep" and tok.lower_ in ("including", "among")):
            return True
        tok = tok.head
    return False


def _toll_kind(trigger: Token) -> FigureKind | None:
    """killed | wounded for a toll noun; None for a count of something else.

    "toll" alone is a death toll; "number", "count" or "figure" needs a
    casualty word in its phrase ("the number of people killed").
    """
    words = {t.lower_ for t in trigger.subtree} | {t.lemma_ for t in trigger.subtree}
    if words & (_WOUND_WORDS | {"injury", "casualty"}) and not words & _KILL_WORDS:
        return "wounded"
    if trigger.lemma_.lower() in ("toll", "tally") or words & _KILL_WORDS:
        return "killed"
    return None


def read_figures(doc: Doc) -> list[Figure]:
    """Every casualty figure of a parsed doc, in text order (one per number).

    Needs the ``geomap_casualties`` component's spans. A number reached by two
    constructions is read once (the first, by pattern order in the file).
    RETURNS (list[Figure]): figures with a count (value may be None: "dozens").
    """
    out: list[Figure] = []
    seen: set[tuple[str, int]] = set()
    spans = doc.spans[CASUALTIES] if CASUALTIES in doc.spans else []
    triggers = doc.spans[TRIGGERS] if TRIGGERS in doc.spans else []
    for span, trig_span in zip(spans, triggers, strict=True):
        victim, trigger = span.root, trig_span.root
        if _negated(trigger) or _is_subcount(victim, trigger):
            continue
        label = span.label_
        kind = _toll_kind(trigger) if label == "toll" else label
        if kind is None or (kind == "wounded" and _fatal(trigger)):
            continue  # "mortally wounded" counts the dead (pattern fatal-harm)
        count, number = _count_of(victim)
        if count is None or count.value == 0:
            continue
        if number is None and (span.kb_id_ in _NUMERIC or victim.i == trigger.i):
            continue  # a toll needs its number; "the toll" itself counts nobody
        if number is None and trigger.dep_ in ("acl", "amod") \
                and trigger.head.i == victim.i:
            continue  # "an injured man": a description, not a count
        key = (kind, number.i if number is not None else -victim.i - 1)
        if key in seen:
            continue
        seen.add(key)
        out.append(Figure(kind, count, trigger, victim, number, span.kb_id_,
                          update=label == "toll"))
    strong = {f.victim.i for f in out if f.pattern not in _WEAK}
    out = [f for f in out if f.pattern not in _WEAK or f.victim.i not in strong]
    out.sort(key=lambda f: (f.trigger.sent.start, (f.number or f.victim).i))
    return out
