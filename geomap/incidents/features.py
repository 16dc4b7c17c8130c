"""Named features of the incident decisions (weights in ``weights.json``).

Two decisions, each a linear score over the features listed here:

- :data:`FIGURE_FEATURES`, per casualty figure or figure-less event report:
  is it the article's own (or a recent background) incident, rather than a
  cumulative or aggregate toll or an old event? (logistic)
- :data:`PLACE_FEATURES`, per (figure, candidate place): which mention is the
  incident's location? (conditional logit over the candidates)

Every feature is a number in about [0, 1]; the functions are pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from spacy.tokens import Span, Token

from geomap.incidents.context import ArticleContext, Candidate
from geomap.incidents.figures import Figure
from geomap.models import Mention
from geomap.nlp.casualties import EVENT_TYPES_KEY, PERIODS
from geomap.nlp.lexicon import load

__all__ = [
    "FIGURE_FEATURES",
    "PLACE_FEATURES",
    "figure_features",
    "main_place",
    "place_features",
    "tree_distance",
]

_LOC_PREPS = load("locatives", "preposition")
_MOVEMENT = load("non_event_places", "preposition")
_NON_EVENT_VERBS = load("non_event_places", "verb")
_INSTITUTIONS = load("non_event_places", "noun")
_NON_EVENT_HEADS = _NON_EVENT_VERBS | _INSTITUTIONS
# single-word nearness prepositions; phrases ("north of", "km from") are read
# from the word the preposition hangs on (_DIRECTIONS)
_NEAR = frozenset(t for t in load("nearness") if " " not in t) | {"off", "beyond"}
_PLACE_NOUNS = load("place_nouns")
_PERSON_NOUNS = load("person_nouns")
_STREET_NOUNS = load("street_nouns")
_FACILITY_NOUNS = load("facility_nouns")
_SAINTS = frozenset({"st", "st.", "saint", "san", "santa", "sainte"})
_ATTACK_VERBS = load("attack_verbs")
_SPEECH = load("speech_verbs")
_LEGAL = load("historical_markers", "legal")
_MEMORY = load("historical_markers", "memory")
_VENUES = load("historical_markers", "venue")
_DIRECTIONS = load("directions")
_QUOTES = frozenset('"\u201c\u201d')
_MODALS = frozenset({"could", "would", "might", "may", "will", "can"})
_NEGATORS = frozenset({"no", "nobody", "none", "no-one", "neither", "nor"})
_CASUALTY_WORDS = load("casualty_triggers") | {"casualty", "victim"}
_KIND_FEATURES = ("city", "admin2", "admin1", "country", "region", "natural")

FIGURE_FEATURES: tuple[str, ...] = (
    "period_governs",      # a period/aggregate phrase is nearest this trigger
    "period_in_sentence",  # any period/aggregate phrase in the sentence
    "since_in_sentence",   # "since ..." / "so far" / "to date"
    "legal_words",         # trial, court, sentenced... in the sentence
    "memory_words",        # anniversary, ago, deadliest, previous... in the sentence
    "earlier_year",        # an explicit year before the article's year
    "old_date",            # a date in the sentence over 30 days before the article
    "recent_date",         # a date in the sentence within 30 days
    "log_value",           # log10(value + 1) / 4
    "vague",               # no number ("dozens")
    "toll_update",         # "the toll rose to ..."
    "in_quote",            # inside quotation marks
    "speech_in_sentence",  # a reporting verb in the sentence
    "lead",                # one of the first three sentences
    "position",            # sentence index / number of sentences
    "no_place_sentence",   # no literal place in the sentence
    "no_place_paragraph",  # no literal place in the paragraph
    "country_only",        # the sentence's only places are countries
    "past_perfect",        # "had been killed"
    "modal",               # "could kill", "would die"
    "event_word",          # an event-type word in the sentence
    "no_figure",           # a figure-less event report ("a missile hit X")
    "figures_in_article",  # number of figures in the article / 10
    "first_of_kind",       # the article's first killed (or wounded) figure
    "max_of_kind",         # the article's largest figure of its kind
    "repeated_value",      # the same figure of the same kind appears again
    "first_sentence",      # the headline or first sentence
    "implicit",            # counted from a determiner or a name ("a man", "Smith")
    "legal_governs",       # under a trial word ("sentenced the man who killed")
    "memory_governs",      # under a memory word ("the anniversary of the blast")
    "old_year_near",       # an earlier year or old date within four dependency steps
    "restates_old",        # the same figure stands elsewhere beside an old date or year
    "present_perfect",     # "have been killed": a running toll more than an event
    "no_casualties",       # "no one was hurt" here or in the next sentence
)

PLACE_FEATURES: tuple[str, ...] = (
    "same_sentence",
    "previous_sentence",
    "earlier_in_paragraph",
    "other_paragraph",
    "later_sentence",
    "dateline",
    "tree_distance",       # dependency path / 10, same sentence only
    "locative",            # "in X", "at X", "hit X"
    "reference_point",     # "near X", "north of X", "km from X"
    "movement",            # "from X", "to X"
    "institution",         # "X police", governed by travel/diplomacy words
    "kind_city", "kind_admin2", "kind_admin1", "kind_country", "kind_region",
    "kind_natural",
    "mentions_in_article",  # how often the article names this place / 5
    "first_place",          # the article's first literal place outside the dateline
    "before_trigger",
    "log_population",       # log10(population + 1) / 7
    "coarser_than_other",   # another candidate of the sentence lies inside it
    "place_noun_head",      # "the city of X", "X province"
    "person_origin",        # "a man of X", "Smith, 36, of X": where a person is from
    "street_name",          # "X Road", "X Boulevard": part of an address
    "main_place",           # the article's most-named literal place below country level
    "headline",             # named in the article's first sentence
    "same_as_dateline",     # the dateline names this place
    "contains_dateline",    # a coarser place that holds the dateline's place
    "coarser_than_any",     # another candidate of this figure lies inside it
    "nearest_in_sentence",  # the sentence's place nearest the figure in the parse
    "in_clause",            # inside the figure's own clause (the trigger's subtree)
    "describes_place",      # a sea or region naming a town ("the Black Sea port")
    "named_building",       # a saint's name on a building ("St. Mary's Church")
)


def _path_up(tok: Token) -> list[Token]:
    path = [tok]
    while path[-1].head.i != path[-1].i:
        path.append(path[-1].head)
    return path


def tree_distance(a: Token, b: Token) -> float:
    """Dependency-path length between two tokens.

    Appositions, compounds, prepositions and coordinated nouns are free steps
    ("in Kyiv and Kharkiv" are equally near); coordinated clauses are not.
    """
    up_a, up_b = _path_up(a), _path_up(b)
    index_b = {t.i: n for n, t in enumerate(up_b)}
    for n, t in enumerate(up_a):
        if t.i in index_b:
            cost = 0.0
            for path, stop in ((up_a, n), (up_b, index_b[t.i])):
                cost += sum(0.0 if s.dep_ in ("appos", "compound", "prep", "agent") or (
                    s.dep_ == "conj" and s.pos_ in ("NOUN", "PROPN", "NUM")) else 1.0
                    for s in path[:stop])
            return cost
    return 99.0


def _climb(root: Token) -> Token:
    tok = root
    for _ in range(4):
        if tok.dep_ in ("conj", "appos", "compound", "poss", "nmod", "amod"):
            tok = tok.head
        else:
            break
    return tok


def _relation(root: Token) -> dict[str, float]:
    """How a place mention hangs in its sentence: locative, reference, movement..."""
    tok = _climb(root)
    out = {"locative": 0.0, "reference_point": 0.0, "movement": 0.0, "institution": 0.0,
           "place_noun_head": 0.0, "person_origin": 0.0, "street_name": 0.0}
    if root.dep_ == "compound" and root.head.lemma_.lower() in _INSTITUTIONS:
        out["institution"] = 1.0
    nxt = root.doc[root.i + 1] if root.i + 1 < len(root.doc) else None
    if nxt is not None and nxt.lower_.rstrip(".") in _STREET_NOUNS and nxt.is_title:
        out["street_name"] = 1.0
    if tok.dep_ == "pobj":
        prep = tok.head
        p = prep.lower_
        gov = prep.head
        if p in ("of", "from") and (gov.ent_type_ == "PERSON"
                                    or gov.lemma_.lower() in _PERSON_NOUNS):
            out["person_origin"] = 1.0
        if gov.lemma_.lower() in _NON_EVENT_HEADS:
            out["institution"] = 1.0
        if p in _NEAR or (p in ("of", "from", "to") and gov.lower_ in _DIRECTIONS):
            out["reference_point"] = 1.0
        elif p in _MOVEMENT:
            out["movement"] = 1.0
        elif p == "of":
            if gov.lemma_.lower() in _PLACE_NOUNS:
                out["locative"] = out["place_noun_head"] = 1.0
        elif p in _LOC_PREPS:
            out["locative"] = 1.0
    elif tok.dep_ in ("dobj", "nsubjpass") and tok.head.lemma_.lower() in _ATTACK_VERBS:
        out["locative"] = 1.0
    if any(c.lemma_.lower() in _PLACE_NOUNS for c in root.head.children
           if c.i == root.i + 1) or root.head.lemma_.lower() in _PLACE_NOUNS:
        out["place_noun_head"] = 1.0
    return out


def _contains(coarse_feature: str, coarse_cc: str, coarse_admin1: str | None,
              fine: Candidate) -> bool:
    p = fine.mention.place
    if p is None or p.country_code != coarse_cc or p.feature == coarse_feature:
        return False
    if coarse_feature == "country":
        return True
    return coarse_feature == "admin1" and p.feature in ("city", "admin2") and \
        coarse_admin1 is not None and p.admin1 == coarse_admin1


def place_features(ctx: ArticleContext, anchor: Token, cands: Sequence[Candidate]
                   ) -> np.ndarray:
    """Feature matrix (len(cands), len(PLACE_FEATURES)) for an anchor's candidates."""
    si = ctx.sent_index(anchor)
    para = ctx.paragraph_of[si]
    counts: dict[int, int] = {}
    for c in ctx.candidates:
        counts[c.mention.place.geonameid] = counts.get(c.mention.place.geonameid, 0) + 1
    first = next((c for c in ctx.candidates if not c.in_dateline), None)
    main = main_place(ctx)
    dateline = {c.mention.place.geonameid: c.mention.place for c in ctx.candidates
                if c.in_dateline}
    rows = np.zeros((len(cands), len(PLACE_FEATURES)))
    col = {n: i for i, n in enumerate(PLACE_FEATURES)}
    same = [c for c in cands if c.sent_index == si]
    dist = {id(c): tree_distance(anchor, c.root) for c in same}
    nearest = min(dist.values(), default=None)
    clause = {t.i for t in anchor.subtree}
    for r, c in enumerate(cands):
        f = rows[r]
        place = c.mention.place
        if c.in_dateline:
            f[col["dateline"]] = 1
        elif c.sent_index == si:
            f[col["same_sentence"]] = 1
            f[col["tree_distance"]] = min(tree_distance(anchor, c.root), 10.0) / 10
        elif c.sent_index == si - 1 and c.paragraph == para:
            f[col["previous_sentence"]] = 1
        elif c.sent_index < si and c.paragraph == para:
            f[col["earlier_in_paragraph"]] = 1
        elif c.sent_index > si:
            f[col["later_sentence"]] = 1
        else:
            f[col["other_paragraph"]] = 1
        if not c.in_dateline:
            for name, v in _relation(c.root).items():
                f[col[name]] = v
        kind = place.feature if place.feature in _KIND_FEATURES else "city"
        f[col[f"kind_{kind}"]] = 1
        f[col["mentions_in_article"]] = min(counts.get(place.geonameid, 1), 5) / 5
        f[col["first_place"]] = float(
            first is not None and c.mention.start == first.mention.start)
        f[col["before_trigger"]] = float(c.root.i < anchor.i)
        f[col["log_population"]] = math.log10((place.population or 0) + 1) / 7
        f[col["coarser_than_other"]] = float(any(
            o is not c and _contains(place.feature, place.country_code, place.admin1, o)
            for o in same))
        f[col["coarser_than_any"]] = float(any(
            o is not c and _contains(place.feature, place.country_code, place.admin1, o)
            for o in cands))
        f[col["main_place"]] = float(
            main is not None and place.geonameid == main.mention.place.geonameid)
        f[col["headline"]] = float(c.sent_index == 0 and not c.in_dateline)
        f[col["nearest_in_sentence"]] = float(id(c) in dist and dist[id(c)] == nearest)
        f[col["in_clause"]] = float(c.root.i in clause)
        f[col["named_building"]] = float(_named_building(c.mention, c.root))
        f[col["describes_place"]] = float(
            place.feature in ("natural", "region", "country", "continent")
            and c.root.dep_ in ("compound", "amod", "nmod")
            and c.root.head.lemma_.lower() in _PLACE_NOUNS)
        f[col["same_as_dateline"]] = float(place.geonameid in dateline)
        f[col["contains_dateline"]] = float(any(
            place.country_code == d.country_code and place.feature != d.feature and (
                place.feature == "country" or (place.feature == "admin1"
                and d.feature in ("city", "admin2") and d.admin1 == place.admin1))
            for d in dateline.values()))
    return rows


def _named_building(mention: Mention, root: Token) -> bool:
    """Whether the name is a saint's or a person's on a building: "St. Mary's
    Church", "Saint George's Hospital", "Lincoln's school"."""
    doc = root.doc
    first = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    start = first.start if first is not None else root.i
    saint = start > 0 and doc[start - 1].lower_ in _SAINTS
    head = root.head if root.dep_ in ("poss", "compound") else None
    on_building = head is not None and head.lemma_.lower() in _FACILITY_NOUNS
    return on_building and (saint or root.dep_ == "poss")


def main_place(ctx: ArticleContext) -> Candidate | None:
    """The article's most-named literal place below country level.

    Named at least twice and more often than any other (the dateline counts as
    one naming). RETURNS: its first candidate, or None.
    """
    counts: dict[int, int] = {}
    first: dict[int, Candidate] = {}
    for c in ctx.candidates:
        if c.mention.place.feature in ("country", "continent", "region", "natural"):
            continue
        gid = c.mention.place.geonameid
        counts[gid] = counts.get(gid, 0) + 1
        first.setdefault(gid, c)
    ranked = sorted(counts.values(), reverse=True)
    if not ranked or ranked[0] < 2 or (len(ranked) > 1 and ranked[1] == ranked[0]):
        return None
    return first[max(counts, key=counts.__getitem__)]


def _in_quote(sent: Span, tok: Token) -> bool:
    before = sent.text[: tok.idx - sent.start_char]
    return sum(ch in _QUOTES for ch in before) % 2 == 1


def _years(sent: Span) -> list[Token]:
    """The tokens of a sentence that write a year (1900-2100)."""
    return [t for t in sent if t.shape_ == "dddd" and 1900 <= int(t.text) <= 2100]


def _in_comparison(period: Span) -> bool:
    """Whether a period phrase closes a superlative ("the deadliest attack
    since the war began", "the first strike in months"): it dates a
    comparison, not the figure."""
    sent = period.sent
    before = period.doc[max(period.start - 6, sent.start): period.start]
    if any(t.tag_ in ("JJS", "RBS") or t.lower_ == "first" for t in before):
        return True  # "the biggest attack on the city since ..."
    tok = period.root
    for _ in range(3):
        if tok.head.i == tok.i:
            return False
        tok = tok.head
        if tok.tag_ in ("JJS", "RBS") or any(
                c.tag_ in ("JJS", "RBS") or c.lower_ in ("first", "last")
                for c in tok.children if c.dep_ in ("amod", "advmod")):
            return True
    return False


def _coordinated(a: Token, b: Token) -> bool:
    """Whether two triggers report one casualty set ("9,000 killed and 16,000
    injured"): the second hangs in a conjunct of the first, or the two stand
    within five words joined by "and" with no punctuation between (the parse
    often hangs the second figure elsewhere)."""
    if any(b in c.subtree for c in a.conjuncts) or any(
            a in c.subtree for c in b.conjuncts):
        return True
    lo, hi = sorted((a.i, b.i))
    between = a.doc[lo + 1: hi]
    return hi - lo <= 5 and any(t.lower_ == "and" for t in between) and not any(
        t.is_punct for t in between)


def _governed_by(anchor: Token, lemmas: frozenset[str],
                 speakers: frozenset[str] = frozenset()) -> bool:
    """Whether a word of ``lemmas`` heads ``anchor``, or a ``speakers`` word
    is the subject of the clause that reports it.

    "The judge sentenced the man who killed four" (trigger under "sentence"),
    "a woman was killed, a court heard" (the reporting clause's subject is
    "court").
    """
    tok = anchor
    while tok.head.i != tok.i:
        tok = tok.head
        if tok.lemma_.lower() in lemmas:
            return True
    clauses = [tok] + [c for c in tok.children if c.dep_ in ("ccomp", "parataxis")]
    return any(s.dep_ in ("nsubj", "nsubjpass", "npadvmod")
               and s.lemma_.lower() in speakers
               for c in clauses for s in c.children)


def _says_no_casualties(sent: Span) -> bool:
    """Whether a sentence says nobody was hurt ("no one was injured")."""
    for tok in sent:
        if tok.lemma_.lower() in _CASUALTY_WORDS:
            near = [tok, *tok.children, *(c for k in tok.children for c in k.children)]
            if any(t.lower_ in _NEGATORS for t in near):
                return True
    return False


def _old_year_near(ctx: ArticleContext, si: int, anchor: Token) -> bool:
    adate = ctx.article.date
    if adate is None:
        return False
    sent = ctx.sents[si]
    olds = [t for t in _years(sent) if int(t.text) < adate.year]
    olds += [m.root for m in ctx.dates[si] if (adate - m.date).days > 30]
    return any(tree_distance(t, anchor) <= 4 for t in olds)


def figure_features(ctx: ArticleContext, anchor: Token, figure: Figure | None,
                    figures: Sequence[Figure]) -> np.ndarray:
    """Feature vector (len(FIGURE_FEATURES),) of one figure or figure-less report.

    ``anchor`` is the figure's trigger, or the attack verb of a report without
    figures (``figure`` None); ``figures`` are all the article's figures.
    """
    n_figures = len(figures)
    si = ctx.sent_index(anchor)
    sent = ctx.sents[si]
    doc = ctx.doc
    f = np.zeros(len(FIGURE_FEATURES))
    col = {n: i for i, n in enumerate(FIGURE_FEATURES)}
    periods = [p for p in doc.spans[PERIODS] if sent.start <= p.start < sent.end
               and not _in_comparison(p)] if PERIODS in doc.spans else []
    if periods:
        f[col["period_in_sentence"]] = 1
        f[col["since_in_sentence"]] = float(any(p.label_ == "since" for p in periods))
        # does a period phrase hang nearer this trigger than any other figure's?
        owners = [t for t in sent if t.i == anchor.i
                  or t.lemma_ in ("kill", "die", "wound", "injure", "toll")]
        linked = {o.i for o in owners if o.i == anchor.i or _coordinated(o, anchor)}
        for p in periods:
            # the nearest figure, and the figures coordinated with it ("9,000
            # killed and 16,000 injured since ..."), count over the period
            if min(owners, key=lambda o: (tree_distance(p.root, o), abs(p.root.i - o.i))
                   ).i in linked:
                f[col["period_governs"]] = 1
    lemmas = {t.lemma_.lower() for t in sent}
    f[col["legal_words"]] = float(bool(lemmas & _LEGAL))
    f[col["legal_governs"]] = float(_governed_by(anchor, _LEGAL, _VENUES))
    f[col["memory_governs"]] = float(_governed_by(anchor, _MEMORY))
    f[col["old_year_near"]] = float(_old_year_near(ctx, si, anchor))
    if figure is not None and figure.value is not None:
        f[col["restates_old"]] = float(any(
            g is not figure and g.kind == figure.kind and g.value == figure.value
            and _old_year_near(ctx, ctx.sent_index(g.trigger), g.trigger)
            for g in figures))
    f[col["memory_words"]] = float(bool(lemmas & _MEMORY))
    f[col["speech_in_sentence"]] = float(bool(lemmas & _SPEECH))
    adate = ctx.article.date
    if adate is not None:
        f[col["earlier_year"]] = float(any(int(t.text) < adate.year
                                           for t in _years(sent)))
        for mark in ctx.dates[si]:
            age = (adate - mark.date).days
            if age > 30:
                f[col["old_date"]] = 1
            elif age >= 0:
                f[col["recent_date"]] = 1
    if figure is not None:
        v = figure.value
        f[col["vague"]] = float(v is None)
        f[col["log_value"]] = 0.0 if v is None else math.log10(v + 1) / 4
        f[col["toll_update"]] = float(figure.update)
        same_kind = [g for g in figures if g.kind == figure.kind]
        f[col["first_of_kind"]] = float(same_kind[0] is figure)
        values = [g.value for g in same_kind if g.value is not None]
        f[col["max_of_kind"]] = float(v is not None and v == max(values))
        f[col["repeated_value"]] = float(v is not None and values.count(v) > 1)
        f[col["implicit"]] = float(figure.number is None)
    else:
        f[col["no_figure"]] = 1
    f[col["in_quote"]] = float(_in_quote(sent, anchor))
    f[col["lead"]] = float(si <= 2)
    f[col["first_sentence"]] = float(si == 0)
    f[col["position"]] = si / max(len(ctx.sents) - 1, 1)
    here = ctx.in_sentence(si)
    para = [c for c in ctx.candidates if c.paragraph == ctx.paragraph_of[si]
            and not c.in_dateline]
    f[col["no_place_sentence"]] = float(not here)
    f[col["no_place_paragraph"]] = float(not para)
    f[col["country_only"]] = float(bool(here) and all(
        c.mention.place.feature in ("country", "continent") for c in here))
    aux = {c.lower_ for c in anchor.children if c.dep_ in ("aux", "auxpass")}
    f[col["past_perfect"]] = float("had" in aux)
    f[col["modal"]] = float(bool(aux & _MODALS))
    f[col["present_perfect"]] = float(bool(aux & {"has", "have", "'ve"}))
    f[col["no_casualties"]] = float(any(
        _says_no_casualties(ctx.sents[j]) for j in (si, si + 1) if j < len(ctx.sents)
        and ctx.paragraph_of[j] == ctx.paragraph_of[si]))
    f[col["event_word"]] = float(EVENT_TYPES_KEY in doc.spans and any(
        sent.start <= s.start < sent.end for s in doc.spans[EVENT_TYPES_KEY]))
    f[col["figures_in_article"]] = min(n_figures, 10) / 10
    return f

