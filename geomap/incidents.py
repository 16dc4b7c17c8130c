"""Incidents and casualty figures from a parsed article, as an analyst codes them.

Per sentence, casualty triggers (killed, dead, died, bodies, wounded, injured,
hurt, death toll) are tied to their numbers through the dependency parse:
the subject of a passive or adjectival trigger ("12 people were killed",
"33 wounded"), the object of an active one ("killing 12"), the numeric
modifier of a casualty noun ("14 deaths", "the bodies of 12 people"),
"left 5 dead", and toll updates ("the death toll rose to 89 from 63").
Sub-counts ("including three children", "five of them children") are never
added; coordinated groups ("19 children and two teachers") are summed.
Figures in a clause that counts over a period ("since the invasion", "this
month", "across the country") become :class:`~geomap.models.Toll` records.

Each figure is placed at the literal place mention closest to its trigger in
the parse (city before region before country), with fallbacks to neighbouring
sentences and then the dateline; it is dated by the date phrase it governs
(:mod:`geomap.dates`). Figures and strike reports about the same place and day
are merged into one incident per event.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from geomap.dates import (
    find_date_expressions,
    is_reporting_context,
    resolve_relative_date,
)
from geomap.merge import same_place, types_compatible
from geomap.models import Article, Incident, Mention, Place, Toll, precision_of
from geomap.numbers import Count, parse_count

__all__ = ["event_type_of", "extract_incidents"]

log = logging.getLogger(__name__)

_KILL_VERBS = frozenset({"kill", "die", "slay", "murder", "perish", "massacre",
                         "execute", "behead"})
_WOUND_VERBS = frozenset({"wound", "injure", "hurt", "maim"})
_KILL_NOUNS = frozenset({"death", "dead", "fatality", "body", "life", "corpse"})
_WOUND_NOUNS = frozenset({"injury", "injured", "wounded"})
_TOLL_NOUNS = frozenset({"toll", "number", "tally", "count", "figure"})
_PERPETRATORS = frozenset({
    "gunman", "gunmen", "attacker", "assailant", "bomber", "shooter", "suspect",
    "perpetrator", "militant", "terrorist", "hijacker", "driver", "sniper",
})
_ATTACK_VERBS = frozenset({
    "hit", "strike", "slam", "tear", "rip", "pound", "target", "explode", "land",
    "fall", "crash", "blow", "shell", "bomb", "down", "destroy", "damage", "rock",
    "smash", "ravage", "level", "devastate", "set", "struck", "shoot", "intercept",
    "bring", "rain", "attack", "storm",
})
_EVENT_NOUNS = frozenset({
    "missile", "rocket", "drone", "strike", "airstrike", "shelling", "shell",
    "bomb", "bombing", "explosion", "blast", "barrage", "artillery",
    "attack", "raid", "earthquake", "quake", "flood", "gunman", "gunmen",
})
_LOC_PREPS = frozenset({
    "in", "at", "near", "outside", "into", "on", "onto", "across", "over", "around",
    "through", "inside", "throughout", "within", "of", "off", "along", "towards",
    "toward", "upon", "beside", "between", "by",
})
_PLACE_HEADS = frozenset({
    "city", "town", "village", "region", "centre", "center", "outskirts", "port",
    "suburb", "capital", "province", "district", "edge", "part", "area", "oblast",
    "heart", "neighbourhood", "neighborhood", "state", "county", "territory",
    "settlement", "camp", "strip", "south", "north", "east", "west", "outskirt",
    "shelling", "bombing", "bombardment", "attack", "strike", "streets",
})
_NON_EVENT_VERBS = frozenset({
    "arrive", "visit", "travel", "fly", "meet", "return", "gather", "hold", "talk",
    "negotiate", "flee", "evacuate", "move", "head", "live", "base", "bind",
    "blame", "say", "announce", "launch", "fire", "send", "come", "go", "leave",
    "talks", "negotiation", "summit", "meeting", "conference", "embassy",
    "ambassador", "envoy", "minister", "ministry", "speech",
    "authority", "authorities", "official", "officials", "governor", "mayor",
    "spokesman", "spokesperson", "prosecutor",
})
_CUMULATIVE_WORDS = re.compile(
    r"(?i)\b(?:since|so far|to date|in total|altogether|cumulative|nationwide|"
    r"month-long|week-long|year-long|months-long|throughout|in recent (?:days|"
    r"weeks|months)|in its \w+ (?:day|week|month|year)|"
    r"(?:first|second|third|\w+th) (?:year|month|week) of (?:the )?war|"
    r"(?:this|last|past) (?:year|month|week)|over the (?:past|last)|"
    r"during the (?:[\w-]+ )?(?:war|occupation|siege|conflict|invasion|month|"
    r"week|year|months|weeks|years|fighting|offensive)|across the (?:country|"
    r"nation)|(?:days?|weeks?|months?|years?) of (?:the )?(?:war|fighting|conflict|"
    r"occupation|siege|bombardment|shelling|violence|unrest))"
)
_DATELINE = re.compile(r"^\s*(?P<head>.{0,100}?)\s(?:--|\u2014|\u2013)\s")
_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bombing", re.compile(r"(?i)\b(?:suicide (?:bomb\w*|attack\w*|vest)|car bombs?|"
                           r"bombings?|bombers?|bomb blasts?|bombs?|ied|"
                           r"improvised explosive)\b")),
    ("airstrike", re.compile(r"(?i)\b(?:air ?strikes?|air-strikes?|air ?raids?|"
                             r"warplanes?|jets?|aerial bombardment|air attacks?|"
                             r"air assaults?|helicopter gunships?|barrel bombs?)\b")),
    ("drone", re.compile(r"(?i)\b(?:drones?|uavs?|shaheds?|kamikaze)\b")),
    ("missile", re.compile(r"(?i)\b(?:missiles?|rockets?|ballistic|cruise|"
                           r"iskanders?|strikes?)\b")),
    ("shelling", re.compile(r"(?i)\b(?:shell(?:ing|ed|s)?|artillery|mortars?|"
                            r"bombardment|grad|howitzers?|(?:russian|israeli|"
                            r"enemy|heavy) fire|under fire|by fire)\b")),
    ("shooting", re.compile(r"(?i)\b(?:gunm[ae]n|shoot(?:ing|er|ers)?|shot|"
                            r"opened fire|open fire|gunfire|gunshots?|rifles?|"
                            r"snipers?|firearms?|massacre|stormed|rampage)\b")),
    ("clash", re.compile(r"(?i)\b(?:clash(?:es|ed)?|raids?|fighting|battles?|"
                         r"firefights?|skirmish\w*|ambush\w*|offensive|assault)\b")),
    ("explosion", re.compile(r"(?i)\b(?:explosions?|explod\w*|blasts?|blew up|"
                             r"detonat\w*)\b")),
    ("other", re.compile(r"(?i)\b(?:earthquakes?|quakes?|floods?|flooding|"
                         r"floodwaters?|landslides?|crush|stampede|collisions?|"
                         r"crash(?:ed|es)?|derail\w*|fire broke|blaze|storm|"
                         r"cyclone|hurricane|typhoon|tsunami|ramming|rammed|"
                         r"mudslides?|collapse[d]?|tremors?)\b")),
)


# ----------------------------------------------------------------------------
# event type


def event_type_of(text: str) -> str | None:
    """Event type from trigger words: the earliest trigger in ``text`` wins.

    Examples
    --------
    >>> event_type_of("A Russian drone strike hit a petrol station")
    'drone'
    >>> event_type_of("Gunmen and suicide bombers attacked a concert hall")
    'shooting'
    >>> event_type_of("The mayor spoke") is None
    True
    """
    best: tuple[int, int, str] | None = None
    for rank, (name, pattern) in enumerate(_TYPE_PATTERNS):
        m = pattern.search(text)
        if m and (best is None or (m.start(), rank) < best[:2]):
            best = (m.start(), rank, name)
    return None if best is None else best[2]


# ----------------------------------------------------------------------------
# figures


@dataclass(slots=True)
class _Figure:
    kind: str  # "killed" | "wounded"
    count: Count
    trigger: Token
    number: Token | None
    update: bool = False
    cumulative: bool = False


def _is_number(tok: Token) -> bool:
    return tok.like_num or (tok.ent_type_ in ("CARDINAL", "QUANTITY") and \
        tok.pos_ == "NUM") or tok.lower_ in ("dozen", "dozens", "hundreds", "thousands",
                                            "scores", "tens")


def _left_phrase(tok: Token) -> str:
    """Text of the number phrase ending at ``tok`` ("more than a dozen")."""
    left = [t for t in tok.subtree if t.i <= tok.i]
    start = min(t.i for t in left)
    # keep the contiguous run that ends at tok
    idx = {t.i for t in left}
    i = tok.i
    while i - 1 >= start and (i - 1) in idx:
        i -= 1
    return tok.doc[i: tok.i + 1].text


_POWER = frozenset({"^", "**", "×"})


def _in_power(tok: Token) -> bool:
    """Whether a number token is part of a power ("10^12"): not a count."""
    doc = tok.doc
    return (tok.i + 1 < len(doc) and doc[tok.i + 1].text in _POWER) or (
        tok.i > 0 and doc[tok.i - 1].text in _POWER)


def _count_number(tok: Token) -> Count | None:
    """Count of a number token with its modifiers; vague words included."""
    if _in_power(tok):
        return None
    phrase = _left_phrase(tok)
    count = parse_count(phrase)
    if count is None:
        count = parse_count(tok.text)
    if count is None and tok.i + 1 < len(tok.doc):
        # "dozens" sometimes attaches its "of" phrase; "1.5 million" splits
        count = parse_count(tok.doc[max(tok.i - 3, tok.sent.start): tok.i + 2].text)
    return count


def _count_of(noun: Token) -> tuple[Count | None, Token | None]:
    """Count of a victim phrase headed by ``noun`` (sums coordinated groups)."""
    if noun.lower_ in _PERPETRATORS:
        return None, None
    count, number = _count_single(noun)
    if count is None:
        return None, None
    # "19 children and two teachers": add coordinated groups with their own numbers
    total = count
    for conj in noun.conjuncts:
        if conj.i < noun.i or conj.lower_ in _PERPETRATORS:
            continue
        if any(c.lower_ in ("including", "among") for c in conj.lefts):
            continue
        if any(c.lemma_ in _KILL_VERBS | _WOUND_VERBS for c in conj.children):
            continue
        extra, _ = _count_single(conj)
        if extra is None or extra.value is None or total.value is None:
            continue
        total = Count(total.value + extra.value, total.qualifier)
    return total, number


def _count_single(noun: Token) -> tuple[Count | None, Token | None]:
    if _is_number(noun):
        return _count_number(noun), noun
    nummods = [c for c in noun.children if c.dep_ == "nummod"]
    if nummods:
        tok = nummods[0]
        return _count_number(tok), tok
    # "hundreds of residents" when the parser makes residents the head
    if noun.dep_ == "pobj" and noun.head.lower_ == "of" and _is_number(noun.head.head):
        return _count_number(noun.head.head), noun.head.head
    dets = {c.lower_ for c in noun.children if c.dep_ in ("det", "poss", "amod")}
    if noun.lower_ == "couple" and "a" in dets:
        return Count(2, "exact"), None
    if noun.lower_ in ("one", "no-one", "nobody", "none") or "no" in dets:
        return None, None
    if noun.tag_ == "NN" and noun.pos_ in ("NOUN",) and dets & {
            "a", "an", "another", "second", "third", "his", "her", "their", "its"}:
        return Count(1, "exact"), None  # "a journalist was killed"
    return None, None


def _trigger_kind(tok: Token) -> str | None:
    lemma = tok.lemma_.lower()
    if lemma in _KILL_VERBS:
        return "killed"
    if lemma in _WOUND_VERBS or tok.lower_ in ("wounded", "injured", "hurt"):
        return "wounded"
    if lemma == "shoot" and any(c.lower_ == "dead" for c in tok.children):
        return "killed"
    return None


def _negated(tok: Token) -> bool:
    return any(c.dep_ == "neg" for c in tok.children) or any(
        c.lower_ in ("no", "nobody", "none") for c in tok.children
        if c.dep_ in ("nsubj", "nsubjpass", "det"))


def _figures(sent: Span) -> list[_Figure]:
    found: list[_Figure] = []
    for tok in sent:
        kind = _trigger_kind(tok)
        if kind is not None and tok.pos_ in ("VERB", "ADJ", "AUX") and not _negated(tok):
            found.extend(_verb_figures(tok, kind))
        lemma = tok.lemma_.lower()
        if tok.pos_ in ("NOUN", "PROPN") or lemma in ("dead",):
            if lemma in _TOLL_NOUNS or tok.lower_ in _TOLL_NOUNS:
                found.extend(_toll_figures(tok))
            elif lemma in _KILL_NOUNS | _WOUND_NOUNS or tok.lower_ in (
                    "dead", "wounded", "injured"):
                found.extend(_noun_figures(tok))
        if tok.lower_ == "dead" and tok.dep_ in ("oprd", "acomp", "xcomp", "ccomp",
                                                 "advcl", "conj") and \
                tok.head.pos_ in ("VERB", "AUX") and not _negated(tok.head):
            obj = next((c for c in tok.head.children if c.dep_ in ("dobj", "nsubjpass")),
                       None)
            if obj is not None:
                count, number = _count_of(obj)
                if count is not None:
                    found.append(_Figure("killed", count, tok, number))
    # the same number may be reached twice; keep the first reading
    seen: set[tuple[str, int]] = set()
    unique = []
    for fig in found:
        key = (fig.kind, fig.number.i if fig.number is not None else -fig.trigger.i - 1)
        if key not in seen:
            seen.add(key)
            unique.append(fig)
    return unique


def _verb_figures(tok: Token, kind: str) -> list[_Figure]:
    children = list(tok.children)
    dobj = [c for c in children if c.dep_ == "dobj"]
    subj_pass = [c for c in children if c.dep_ == "nsubjpass"]
    subj = [c for c in children if c.dep_ == "nsubj"]
    victim: Token | None = None
    if dobj and tok.lemma_ not in ("die",):
        victim = dobj[0]
    elif subj_pass:
        victim = subj_pass[0]
    elif subj and (tok.tag_ == "VBN" or tok.pos_ == "ADJ" or tok.lemma_ in
                   ("die", "perish")):
        victim = subj[0]
    elif tok.dep_ in ("acl", "amod") and tok.head.pos_ in ("NOUN", "PROPN", "NUM"):
        victim = tok.head  # "14 people killed in ..."
    elif tok.dep_ == "conj" and tok.tag_ == "VBN":
        # "Seven people were killed and 22 wounded" (the 22 sometimes hangs off)
        nums = [c for c in children if _is_number(c)]
        victim = nums[0] if nums else None
    if victim is None:
        return []
    count, number = _count_of(victim)
    if count is None or (count.value == 0):
        return []
    if number is None and victim.i == tok.head.i and tok.dep_ in ("acl", "amod"):
        return []  # "an injured man" is a description, not a count
    return [_Figure(kind, count, tok, number)]


def _noun_figures(tok: Token) -> list[_Figure]:
    kind = "wounded" if tok.lemma_.lower() in _WOUND_NOUNS or tok.lower_ in (
        "wounded", "injured") else "killed"
    if tok.lemma_.lower() == "life" and tok.head.lemma_ not in ("claim", "take", "lose"):
        return []
    count: Count | None = None
    number: Token | None = None
    nummods = [c for c in tok.children if c.dep_ == "nummod"]
    if nummods:
        number = nummods[0]
        count = _count_number(number)
    elif tok.lemma_.lower() == "body":
        of = next((c for c in tok.children if c.lower_ == "of"), None)
        pobj = next((c for c in of.children if c.dep_ == "pobj"), None) if of else None
        if pobj is not None:
            count, number = _count_of(pobj)
    if count is None or count.value == 0:
        return []
    return [_Figure(kind, count, tok, number)]


def _toll_kind(tok: Token) -> str | None:
    """``killed``/``wounded`` for "death toll", "number of people killed"."""
    words = {t.lemma_.lower() for t in tok.subtree if t.i < tok.i + 12} | {
        t.lemma_.lower() for t in tok.children}
    words |= {t.lower_ for t in tok.subtree}
    if tok.lemma_.lower() == "toll" or tok.lower_ == "toll":
        if words & {"injury", "injured", "wounded", "casualty"} and "death" not in words:
            return "wounded"
        return "killed"
    if words & (_KILL_VERBS | {"dead", "death", "killed", "died", "fatality"}):
        return "killed"
    if words & (_WOUND_VERBS | {"injured", "wounded", "injury"}):
        return "wounded"
    return None


def _toll_figures(tok: Token) -> list[_Figure]:
    kind = _toll_kind(tok)
    if kind is None:
        return []
    verb = tok.head
    while verb.dep_ in ("pobj", "prep") and verb.head.i != verb.i:
        verb = verb.head
    own = {t.i for t in tok.subtree}
    candidates: list[tuple[int, Token]] = []
    doc = tok.doc
    for prep in verb.subtree:
        if prep.lower_ in ("to", "at") and prep.dep_ == "prep" and prep.i not in own:
            for t in doc[prep.i + 1: min(prep.i + 5, prep.sent.end)]:
                if _is_number(t):
                    candidates.append((0, t))
                    break
                if t.pos_ in ("VERB", "PUNCT") or t.lower_ == "from":
                    break
    for t in verb.subtree:
        if not _is_number(t) or (t.dep_ == "nummod" and t.head.pos_ == "NOUN" \
                and t.head.i not in own and not _is_number(t.head)):
            continue
        if t.dep_ == "nummod" and t.head.i in own:
            continue
        prep = t.head if t.dep_ == "pobj" else None
        if prep is not None and prep.lower_ == "from":
            continue
        if prep is not None and prep.lower_ in ("to", "at"):
            candidates.append((0, t))
        elif t.dep_ in ("dobj", "attr", "npadvmod", "appos", "conj", "oprd") and \
                t.head.i not in own:
            candidates.append((1, t))
        elif t.i in own and prep is not None and prep.lower_ in ("to", "at"):
            candidates.append((0, t))
    if not candidates:
        return []
    _, number = min(candidates, key=lambda c: (c[0], c[1].i))
    count = _count_number(number)
    if count is None or count.value == 0:
        return []
    return [_Figure(kind, count, tok, number, update=True)]


# ----------------------------------------------------------------------------
# parse geometry


def _path_up(tok: Token) -> list[Token]:
    path = [tok]
    while path[-1].head.i != path[-1].i:
        path.append(path[-1].head)
    return path


def _tree_distance(a: Token, b: Token) -> float:
    """Dependency-path length; ``conj`` and ``appos`` edges are free."""
    up_a, up_b = _path_up(a), _path_up(b)
    index_b = {t.i: n for n, t in enumerate(up_b)}
    for n, t in enumerate(up_a):
        if t.i in index_b:
            cost = 0.0
            for path, stop in ((up_a, n), (up_b, index_b[t.i])):
                for step in path[:stop]:
                    cost += 0.0 if step.dep_ in ("conj", "appos", "compound") else 1.0
            return cost
    return 99.0


def _nearest(token: Token, owners: Sequence[Token]) -> int | None:
    if not owners:
        return None
    dists = [(_tree_distance(token, o), abs(token.i - o.i), k)
             for k, o in enumerate(owners)]
    return min(dists)[2]


def _span_root(doc: Doc, start: int, end: int) -> Token | None:
    span = doc.char_span(start, end, alignment_mode="expand")
    return None if span is None or len(span) == 0 else span.root


_REFERENCE_PREPS = frozenset({"near", "outside", "off", "towards", "toward", "beyond",
                              "from"})
_REFERENCE_HEADS = frozenset({
    "outskirts", "outskirt", "north", "south", "east", "west", "northeast",
    "northwest", "southeast", "southwest", "km", "kilometre", "kilometer", "mile",
    "kilometres", "kilometers", "miles", "border", "vicinity", "suburb", "suburbs",
})


def _reference(root: Token) -> bool:
    """Whether a place is only a reference point ("near X", "outskirts of X")."""
    tok = root
    for _ in range(4):
        if tok.dep_ in ("conj", "appos", "compound"):
            tok = tok.head
            continue
        break
    if tok.dep_ != "pobj":
        return False
    prep = tok.head
    if prep.lower_ in _REFERENCE_PREPS:
        return True
    return prep.lower_ == "of" and prep.head.lower_ in _REFERENCE_HEADS


def _locative(root: Token) -> bool:
    """Whether a place token stands where something happened ("in X", "hit X")."""
    tok = root
    for _ in range(4):
        if tok.dep_ in ("conj", "appos", "compound", "poss", "nmod", "amod"):
            tok = tok.head
            continue
        break
    if tok.dep_ == "pobj":
        prep = tok.head
        if prep.lower_ == "from":
            return False
        if prep.lower_ not in _LOC_PREPS:
            return False
        governor = prep.head
        if governor.lemma_.lower() in _NON_EVENT_VERBS:
            return False
        if prep.lower_ == "of":
            return governor.lemma_.lower() in _PLACE_HEADS or governor.pos_ == "PROPN"
        if prep.lower_ == "by":
            return False
        return True
    if tok.dep_ in ("dobj", "nsubjpass") and tok.head.lemma_.lower() in _ATTACK_VERBS:
        return True
    return False


# ----------------------------------------------------------------------------
# article assembly


@dataclass(slots=True)
class _Draft:
    sent_index: int
    sent: Span
    mention: Mention | None
    date: dt.date | None
    event_type: str | None
    figures: list[_Figure] = field(default_factory=list)
    in_sentence: bool = True


def _dateline_end(text: str) -> int:
    m = _DATELINE.match(text)
    if not m:
        return 0
    head = m.group("head")
    if "(" in head or re.search(r"\b[A-Z][A-Z'\-]{2,}\b", head):
        return m.end()
    return 0


_FEATURE_RANK = {"city": 0, "admin1": 1, "country": 2}


def _candidates(sent: Span, mentions: Sequence[Mention], dateline_end: int
                ) -> list[tuple[Mention, Token, bool]]:
    out = []
    for m in mentions:
        if m.place is None or m.role != "literal" or m.start < dateline_end:
            continue
        if not (sent.start_char <= m.start < sent.end_char):
            continue
        root = _span_root(sent.doc, m.start, m.end)
        if root is None:
            continue
        out.append((m, root, _locative(root)))
    return out


def _pick_place(anchor: Token | None, cands: list[tuple[Mention, Token, bool]],
                dateline_ids: set[int]) -> Mention | None:
    if not cands:
        return None

    def key(c: tuple[Mention, Token, bool]) -> tuple:
        m, root, loc = c
        dist = _tree_distance(anchor, root) if anchor is not None else 0.0
        return (not loc, _reference(root), _FEATURE_RANK.get(m.place.feature, 3), dist,
                m.place.geonameid not in dateline_ids, m.start)

    return min(cands, key=key)[0]


def _dates_in(sent: Span, article_date: dt.date | None
              ) -> list[tuple[Token, dt.date]]:
    out = []
    for expr in find_date_expressions(sent.text):
        if is_reporting_context(sent.text, expr):
            continue
        resolved = resolve_relative_date(expr.text, article_date)
        if resolved is None:
            continue
        root = _span_root(sent.doc, sent.start_char + expr.start,
                          sent.start_char + expr.end)
        if root is not None:
            out.append((root, resolved))
    return out


def _cumulative(fig: _Figure, sent: Span, owners: Sequence[Token]) -> bool:
    for m in _CUMULATIVE_WORDS.finditer(sent.text):
        tok = _span_root(sent.doc, sent.start_char + m.start(), sent.start_char + m.end())
        if tok is None:
            continue
        k = _nearest(tok, owners)
        if k is not None and owners[k].i == fig.trigger.i:
            return True
    return False


def _event_anchor(sent: Span) -> Token | None:
    """A strike reported without figures: event noun as subject of an attack verb."""
    for tok in sent:
        lemma = tok.lemma_.lower()
        if lemma not in _EVENT_NOUNS or tok.lemma_.lower() in ("attack", "raid"):
            continue
        head = tok.head
        if tok.dep_ in ("nsubj", "nsubjpass") and head.lemma_.lower() in _ATTACK_VERBS:
            if not _negated(head):
                return head
    return None


def extract_incidents(doc: Doc, article: Article, mentions: Sequence[Mention]
                      ) -> tuple[list[Incident], list[Toll]]:
    """Incidents (place, date, type, killed, wounded, quote) and tolls of an article.

    Parameters
    ----------
    doc
        The spaCy parse of ``article.text`` (same character offsets).
    article
        The article; its date anchors relative dates, its ``source`` (or id)
        becomes the incident's source.
    mentions
        Resolved place mentions of the article; metonymic ones and places only
        in the dateline are not used as incident locations unless nothing else is.

    Returns
    -------
    (list of Incident, list of Toll)
        One incident per (place, date) event, figures merged within the article
        (the latest update, else the highest figure); cumulative tolls apart.
    """
    sents = list(doc.sents)
    text = article.text
    dateline_end = _dateline_end(text)
    dateline_ids = {m.place.geonameid for m in mentions
                    if m.place is not None and m.start < dateline_end}
    dateline_mentions = [m for m in mentions if m.place is not None and
                         m.start < dateline_end]
    per_sent_cands = [_candidates(s, mentions, dateline_end) for s in sents]
    sent_dates = [_dates_in(s, article.date) for s in sents]
    article_type = event_type_of(text[dateline_end:])
    drafts: list[_Draft] = []
    tolls: list[Toll] = []
    for si, sent in enumerate(sents):
        figures = _figures(sent)
        triggers = [f.trigger for f in figures]
        anchor = _event_anchor(sent)
        owners = list(dict.fromkeys(triggers))
        kept = []
        for fig in figures:
            if _cumulative(fig, sent, owners):
                tolls.append(Toll(article.id, fig.count.value if fig.kind == "killed"
                                  else None, fig.count.value if fig.kind == "wounded"
                                  else None, sent.text.strip()))
                continue
            kept.append(fig)
        dates = sent_dates[si]
        sent_type = event_type_of(sent.text)
        cands = per_sent_cands[si]
        groups: dict[int | None, _Draft] = {}
        loc_cands = [c for c in cands if c[2]]
        for fig in kept:
            place = _pick_place(fig.trigger, loc_cands, dateline_ids)
            key = place.start if place is not None else None
            draft = groups.get(key)
            if draft is None:
                own_dates = [d for tok, d in dates
                             if owners[_nearest(tok, owners)].i == fig.trigger.i
                             or _tree_distance(tok, fig.trigger) <= 2]
                draft = _Draft(si, sent, place, own_dates[0] if own_dates else None,
                               sent_type)
                if not dates:
                    draft.in_sentence = False  # may borrow a date later
                groups[key] = draft
            elif draft.date is None:
                own = [d for tok, d in dates
                       if owners[_nearest(tok, owners)].i == fig.trigger.i]
                draft.date = own[0] if own else None
            draft.figures.append(fig)
        if not kept and anchor is not None and not figures:
            place = _pick_place(anchor, [c for c in cands if c[2]], dateline_ids)
            if place is not None:
                draft = _Draft(si, sent, place, dates[0][1] if dates else None,
                               sent_type)
                draft.in_sentence = bool(dates)
                groups[place.start] = draft
            elif dateline_mentions and not any(
                    c[2] for c in cands) and not drafts:
                # "drones were downed over <landmark>": the dateline city, kept
                # only if the article reports nothing else (see _assemble)
                place = min(dateline_mentions, key=lambda m: (
                    _FEATURE_RANK.get(m.place.feature, 3), m.start))
                draft = _Draft(si, sent, place, dates[0][1] if dates else None,
                               sent_type)
                draft.in_sentence = False
                groups[-1] = draft
        drafts.extend(groups.values())
    _borrow(drafts, sents, per_sent_cands, dateline_ids, dateline_mentions, article,
            sent_dates)
    incidents = _assemble(drafts, article, article_type, dateline_mentions)
    return incidents, tolls


def _borrow(drafts: list[_Draft], sents: list[Span],
            per_sent_cands: list[list[tuple[Mention, Token, bool]]],
            dateline_ids: set[int], dateline_mentions: list[Mention],
            article: Article, sent_dates: list[list[tuple[Token, dt.date]]]) -> None:
    """Fill missing places and dates from neighbouring sentences.

    ``sent_dates`` holds each sentence's dates, found once per article.
    """
    n = len(sents)
    for d in drafts:
        if d.mention is None:
            order = list(range(d.sent_index - 1, -1, -1)) + list(
                range(d.sent_index + 1, n))
            for si in order:
                cands = [c for c in per_sent_cands[si] if c[2]]
                if cands:
                    d.mention = _pick_place(None, cands, dateline_ids)
                    break
            if d.mention is None:
                own = per_sent_cands[d.sent_index]
                if own:
                    d.mention = _pick_place(None, own, dateline_ids)
            if d.mention is None and dateline_mentions:
                d.mention = min(dateline_mentions,
                                key=lambda m: (_FEATURE_RANK.get(m.place.feature, 3),
                                               m.start))
        # refine a country-level place with a finer one elsewhere in the article
        if d.mention is not None and d.mention.place.feature == "country":
            finer = [c[0] for cands in per_sent_cands for c in cands
                     if c[2] and c[0].place.feature != "country"
                     and c[0].place.country_code == d.mention.place.country_code]
            if finer:
                d.mention = min(finer, key=lambda m: (
                    _FEATURE_RANK.get(m.place.feature, 3), m.start))
    for d in drafts:
        if d.date is None and not d.in_sentence:
            for si in sorted(range(n), key=lambda s: (abs(s - d.sent_index), s)):
                if si == d.sent_index:
                    continue
                found = sent_dates[si]
                if found:
                    d.date = found[0][1]
                    break


def _contains(coarse: Place, fine: Place) -> bool:
    """Whether ``fine`` lies in the region or country ``coarse``."""
    if coarse.country_code != fine.country_code or coarse.feature == fine.feature:
        return False
    if coarse.feature == "country":
        return True
    return (coarse.feature == "admin1" and fine.feature == "city"
            and coarse.admin1 is not None and coarse.admin1 == fine.admin1)


def _best_figure(figs: list[_Figure]) -> _Figure | None:
    if not figs:
        return None
    updates = [f for f in figs if f.update and f.count.value is not None]
    if updates:
        return updates[-1]
    numeric = [f for f in figs if f.count.value is not None]
    if numeric:
        return max(numeric, key=lambda f: (f.count.value, -f.trigger.i))
    return figs[0]


def _assemble(drafts: list[_Draft], article: Article, article_type: str | None,
              dateline_mentions: list[Mention]) -> list[Incident]:
    # merge drafts of the same place and compatible date (within the article)
    groups: list[list[_Draft]] = []
    # finer places first, so that a region-level report can join a city's group
    ordered = sorted((d for d in drafts if d.mention is not None), key=lambda d: (
        _FEATURE_RANK.get(d.mention.place.feature, 3), d.sent_index))
    for d in ordered:
        for g in groups:
            head = g[0]
            if not (same_place(head.mention.place, d.mention.place, 25.0)
                    or _contains(d.mention.place, head.mention.place)):
                continue
            dates = {x.date for x in g if x.date is not None}
            if d.date is not None and dates and d.date not in dates:
                continue
            types = [x.event_type for x in g if x.event_type]
            if d.event_type and any(not types_compatible(t, d.event_type)
                                    for t in types) and d.figures and any(
                    x.figures for x in g):
                continue
            g.append(d)
            break
        else:
            groups.append([d])
    # a figure-less strike report only stands alone when nothing else does
    with_figures = [g for g in groups if any(x.figures for x in g)]
    if with_figures:
        groups = with_figures + [g for g in groups if not any(x.figures for x in g)
                                 and g[0].in_sentence and
                                 g[0].mention.place.feature != "country"]
    else:
        groups = [g for g in groups if g[0].mention.place.feature != "country"][:1]
    source = article.source or article.id
    incidents = []
    for g in sorted(groups, key=lambda g: min(x.sent.start for x in g)):
        figs = [f for x in g for f in x.figures]
        killed = _best_figure([f for f in figs if f.kind == "killed"])
        wounded = _best_figure([f for f in figs if f.kind == "wounded"])
        if figs and all(f.count.value is None for f in figs) and \
                g[0].mention.place.feature == "country":
            continue  # "dozens killed across Ukraine": too vague to map
        first = next((x for x in g if x.figures), g[0])
        best = min(g, key=lambda x: (_FEATURE_RANK.get(x.mention.place.feature, 3),
                                     not x.in_sentence, x.sent_index))
        date = next((x.date for x in g if x.date is not None), None)
        etype = next((x.event_type for x in g if x.event_type), None) or \
            article_type or "other"
        incidents.append(Incident(
            article_id=article.id,
            place=best.mention.place,
            location=best.mention.text,
            precision=precision_of(best.mention.place),
            event_type=etype,
            date=date,
            killed=killed.count.value if killed else None,
            wounded=wounded.count.value if wounded else None,
            killed_qualifier=killed.count.qualifier if killed else None,
            wounded_qualifier=wounded.count.qualifier if wounded else None,
            quote=first.sent.text.strip(),
            sources=(source,),
        ))
    return incidents
