"""Toponym recognition as candidates -> named features -> fitted filter.

Candidates are every span :class:`geomap.recognise.ToponymRecogniser` proposes
(NER place spans, capitalised gazetteer n-grams, the place opening an
institution name) plus country demonyms. Each candidate gets the named features
of :data:`FEATURES`; a logistic score with the weights of
``toponym_weights.json`` (fitted by ``tools/fit_toponyms.py``; two rare but
decisive cues, "X region" and a legislator's "D-X", are hand-set there) decides.
The old cascade's verdicts (``evidence``, ``reject``, ``rule_accept``) are
features too, so the fit weighs them against the rest instead of obeying them.

Two passes: the second adds document features (the best first-pass score of
the same form elsewhere, its context there, and of a coordinated name). A
candidate is kept above the file's ``threshold`` (below 0: a missed toponym
costs more end to end than a spurious one); among overlapping ones a longer
gazetteer name wins, then the higher score. Kept spans go to
``doc.spans["toponyms"]`` with label ``place`` or ``region``.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib.resources import files

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from gazetteer import Gazetteer
from geomap.nlp.lexicon import load as load_lexicon
from geomap.recognise import (
    _PARTY_LETTERS,
    DIRECTION_WORDS,
    GENERIC_MODIFIERS,
    LOCAL_NOUNS,
    LOCATIVE,
    REMAINDER,
    SPANS_KEY,
    ToponymRecogniser,
    _Cand,
    _capitalised,
    _region_context,
    _strong_context,
    _Words,
)

__all__ = ["DOC_FEATURES", "FEATURES", "Candidate", "FittedToponymRecogniser",
           "candidate_table", "document_features", "load_threshold", "load_weights",
           "make_toponym_recogniser", "score", "scored_candidates", "select"]

#: Names of the recognition features, in the order of the feature vector.
FEATURES: tuple[str, ...] = (
    "src_ner", "src_gaz", "src_maybe", "src_head", "src_demonym",
    "ner_gpe", "ner_loc", "ner_fac", "ner_person", "ner_org", "ner_norp",
    "ner_other", "known", "importance", "importance_top", "evidence", "reject",
    "strong_context", "region_context", "demonym_modifier", "demonym_plural",
    "multi_token", "all_caps", "sent_start", "person_word", "metonymic",
    "locative_before", "possessive_after", "propn", "generic_word",
    "inside_entity", "same_form_best", "same_form_count", "same_form_evidence",
    "coordinated_best", "rule_accept", "party_letter", "local_noun_after",
)
_F = {name: i for i, name in enumerate(FEATURES)}
#: Features of the second pass (need the other candidates' first-pass scores).
DOC_FEATURES: frozenset[str] = frozenset({"same_form_best", "same_form_count",
                                          "same_form_evidence", "coordinated_best"})
#: Words that coordinate two names: "Kyiv and Chernigiv", "Fargo-Moorhead".
_COORDINATORS = frozenset({"and", "or", ",", "-", "/", "&", "\u2013"})
_ARTICLES = frozenset({"the", "a", "an"})
_NER_LABELS = {"GPE": "ner_gpe", "LOC": "ner_loc", "FAC": "ner_fac",
               "PERSON": "ner_person", "ORG": "ner_org", "NORP": "ner_norp"}


@functools.lru_cache(maxsize=2)
def load_weights(part: str = "weights") -> dict[str, float]:
    """Weights of ``toponym_weights.json`` (``weights``: final; ``prior``: pass one).

    >>> "bias" in load_weights()
    True
    """
    text = (files("geomap.nlp") / "toponym_weights.json").read_text(encoding="utf-8")
    raw = json.loads(text)[part]
    return {str(k): float(v) for k, v in raw.items()}


def load_threshold() -> float:
    """The log-odds a candidate must exceed to be kept (``threshold`` in the file).

    Below 0 favours recall: an unrecognised toponym is a miss end to end, while
    a spurious one costs only precision.
    """
    text = (files("geomap.nlp") / "toponym_weights.json").read_text(encoding="utf-8")
    return float(json.loads(text).get("threshold", 0.0))


class Candidate:
    """One candidate span with its feature vector (filled in two passes)."""

    __slots__ = ("end", "source", "span", "start", "x")

    def __init__(self, span: Span, source: str, x: np.ndarray) -> None:
        self.span, self.source, self.x = span, source, x
        self.start, self.end = span.start, span.end


def score(x: np.ndarray, w: Mapping[str, float]) -> np.ndarray:
    """Log-odds of each row of ``x`` under weights ``w`` (``bias`` included)."""
    vec = np.array([w.get(name, 0.0) for name in FEATURES])
    return x @ vec + w.get("bias", 0.0)


@functools.cache
def _natural_nouns() -> frozenset[str]:
    return load_lexicon("natural_nouns")


def _demonym_spans(words: _Words, is_demonym) -> list[_Cand]:
    """Single capitalised tokens that name a country's people ("Syrian", "Russians")."""
    return [_Cand(i, i + 1, "demonym") for i, text in enumerate(words.texts)
            if words.caps[i] and is_demonym(text)]


def _features(rec: ToponymRecogniser, doc: Doc, cand: _Cand,
              person_words: set[str], meton, recurs: bool = False,
              entities: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """The recogniser's features of one candidate (``entities``: the doc's
    entity bounds, read once per doc)."""
    span = doc[cand.start:cand.end]
    x = np.zeros(len(FEATURES))
    src = {"ner": "src_ner", "gaz": "src_gaz", "maybe": "src_maybe",
           "head": "src_head", "demonym": "src_demonym"}[cand.source]
    x[_F[src]] = 1.0
    ent = span[0].ent_type_
    x[_F[_NER_LABELS.get(ent, "ner_other")]] = float(bool(ent))
    text = span.text
    known = rec.contains(text)
    x[_F["known"]] = float(known)
    if known:
        imp = rec.importance(text)
        x[_F["importance_top"]] = float(math.isinf(imp))
        x[_F["importance"]] = 1.0 if math.isinf(imp) else math.log10(imp + 1) / 7
    demonym = cand.source == "demonym"
    if not demonym:
        evidence = rec._evidence(doc, span)
        # a form that recurs keeps its multi-token name inside an event or a
        # longer person name ("the Walker County Fair" after "in Walker County")
        reject = rec._reject(doc, span, cand.source, propagated=recurs)
        x[_F["evidence"]] = float(evidence)
        x[_F["reject"]] = float(reject)
        # the rule cascade's verdict: no evidence against, and a place span
        # of the NER, or context for a place, or a well-known name
        x[_F["rule_accept"]] = float(not reject and (
            cand.source == "ner" or evidence
            or (known and rec.importance(text) >= rec.known_population)))
    else:
        tok = span[0]
        x[_F["demonym_modifier"]] = float(tok.dep_ in ("amod", "compound")
                                          and tok.head.i > tok.i)
        x[_F["demonym_plural"]] = float(tok.tag_ in ("NNS", "NNPS")
                                        or text.endswith("s"))
    x[_F["strong_context"]] = float(_strong_context(doc, span))
    x[_F["region_context"]] = float(_region_context(doc, span))
    x[_F["multi_token"]] = float(len(span) > 1)
    x[_F["all_caps"]] = float(text.isupper() and len(text) > 1)
    x[_F["sent_start"]] = float(span[0].is_sent_start)
    x[_F["person_word"]] = float(len(span) == 1 and text in person_words)
    x[_F["metonymic"]] = float(meton(span) == "metonymic")
    prev = doc[span.start - 1] if span.start > 0 else None
    x[_F["locative_before"]] = float(prev is not None and prev.lower_ in LOCATIVE)
    # a legislator's home town: "Sen. Ann Lee, D-Maplewood"
    x[_F["party_letter"]] = float(prev is not None and prev.text == "-"
                                  and span.start > 1
                                  and doc[span.start - 2].text in _PARTY_LETTERS)
    nxt = doc[span.end] if span.end < len(doc) else None
    # "Danbury police", "a Fairview resident"
    x[_F["local_noun_after"]] = float(nxt is not None and nxt.lower_ in LOCAL_NOUNS
                                      and not nxt.text[0].isupper())
    x[_F["possessive_after"]] = float(nxt is not None
                                      and nxt.lower_ in ("'s", "\u2019s"))
    x[_F["propn"]] = float(span.root.pos_ == "PROPN")
    # "North" in "North Africa", "French" in "French Quarter"
    x[_F["generic_word"]] = float(all(t.lower_ in GENERIC_MODIFIERS
                                      or t.lower_ in DIRECTION_WORDS for t in span))
    x[_F["inside_entity"]] = float(any(
        start <= span.start and span.end <= end and end - start > len(span)
        for start, end in entities))
    return x


def candidate_table(rec: ToponymRecogniser, doc: Doc) -> list[Candidate]:
    """Every candidate span of ``doc`` with its first-pass features.

    RETURNS (list[Candidate]): candidates in generation order, one per span.
    """
    from geomap.resolve import mention_role

    person_words = {t.text for ent in doc.ents
                    if ent.label_ == "PERSON" and len(ent) > 1 for t in ent
                    if _capitalised(t)}
    words = _Words.of(doc)
    generated = rec._candidates(doc, words)
    # the rest of a place span whose known parts were taken ("North" in
    # "North Texas") is no place of its own
    blocked = {c.start for c in generated if c.source == REMAINDER}
    # a people's name is a demonym candidate whatever else proposed it
    raw = _demonym_spans(words, rec.is_demonym)
    raw += [c for c in generated if c.source != REMAINDER]
    forms = Counter(doc[c.start:c.end].text for c in raw)
    entities = [(e.start, e.end) for e in doc.ents]
    seen: set[tuple[int, int]] = set()
    cands: list[Candidate] = []
    for c in raw:
        if c.end - c.start > 1 and doc[c.start].lower_ in _ARTICLES \
                and rec.contains(doc[c.start + 1:c.end].text):
            # "The US" is "US": the article is no part of the name
            c = _Cand(c.start + 1, c.end, c.source)
        if (c.start, c.end) in seen or any(k in blocked for k in range(c.start, c.end)):
            continue
        if (c.end < len(doc) and doc[c.end].lower_ in _natural_nouns()
                and rec.contains(doc[c.start:c.end + 1].text)):
            # "the Dnipro river" is the river, not the city
            c = _Cand(c.start, c.end + 1, c.source)
        seen.add((c.start, c.end))
        cands.append(Candidate(doc[c.start:c.end], c.source,
                               _features(rec, doc, c, person_words, mention_role,
                                         forms[doc[c.start:c.end].text] > 1,
                                         entities)))
    return cands


def document_features(cands: Sequence[Candidate], prior: Mapping[str, float]
                      ) -> np.ndarray:
    """The feature matrix with the second-pass (one sense per document) features.

    ``same_form_best`` is the best first-pass probability of the same form
    elsewhere in the document; ``same_form_count`` how often it recurs (capped);
    ``same_form_evidence`` whether another occurrence has place context ("in X",
    "X, State", "X police"); ``coordinated_best`` the best first-pass
    probability of a candidate coordinated with this one ("the Kyiv and
    Chernigiv regions", "Fargo-Moorhead").
    """
    X = np.array([c.x for c in cands]) if cands else np.zeros((0, len(FEATURES)))
    for name in DOC_FEATURES:
        X[:, _F[name]] = 0.0
    p1 = score(X, prior)
    ctx = np.maximum.reduce([X[:, _F[f]] for f in
                             ("evidence", "strong_context", "locative_before",
                              "region_context")])
    prob = 1.0 / (1.0 + np.exp(-p1))
    by_edge: dict[int, list[int]] = {}
    for i, c in enumerate(cands):
        by_edge.setdefault(c.start, []).append(i)
    for i, c in enumerate(cands):
        doc = c.span.doc
        if c.end < len(doc) and doc[c.end].lower_ in _COORDINATORS:
            k = _F["coordinated_best"]
            for j in by_edge.get(c.end + 1, ()):
                X[i, k] = max(X[i, k], prob[j])
                X[j, k] = max(X[j, k], prob[i])
    by_form: dict[str, list[int]] = {}
    for i, c in enumerate(cands):
        by_form.setdefault(c.span.text, []).append(i)
    for idx in by_form.values():
        if len(idx) < 2:
            continue
        for i in idx:
            best = max(p1[j] for j in idx if j != i)
            X[i, _F["same_form_best"]] = 1.0 / (1.0 + math.exp(-best))
            X[i, _F["same_form_count"]] = min(len(idx) - 1, 5) / 5
            X[i, _F["same_form_evidence"]] = max(ctx[j] for j in idx if j != i)
    return X


def scored_candidates(
    rec: ToponymRecogniser, doc: Doc, weights: Mapping[str, float] | None = None,
    prior: Mapping[str, float] | None = None,
) -> tuple[list[Candidate], np.ndarray]:
    """All candidate spans of ``doc`` and their final scores (log-odds)."""
    cands = candidate_table(rec, doc)
    if not cands:
        return [], np.zeros(0)
    X = document_features(cands, load_weights("prior") if prior is None else prior)
    return cands, score(X, load_weights() if weights is None else weights)


def select(cands: Sequence[Candidate], scores: np.ndarray,
           threshold: float = 0.0) -> list[Span]:
    """The non-overlapping candidates above ``threshold``: longer gazetteer
    names first, then by score.

    RETURNS (list[Span]): the kept spans in text order.
    """
    taken: set[int] = set()
    kept: list[Span] = []
    above = [i for i in range(len(cands)) if scores[i] > threshold]
    # a longer gazetteer name wins over its parts ("Kansas City" over
    # "Kansas"); the rest by score
    known = _F["known"]
    above.sort(key=lambda i: (-(len(cands[i].span) if cands[i].x[known] else 0),
                              -scores[i]))
    for i in above:
        c = cands[i]
        if any(k in taken for k in range(c.start, c.end)):
            continue
        taken.update(range(c.start, c.end))
        kept.append(c.span)
    kept.sort(key=lambda s: s.start)
    return kept


class FittedToponymRecogniser(ToponymRecogniser):
    """Candidates from the rule recogniser, kept by a fitted logistic filter.

    RETURNS (Doc): the same doc with ``doc.spans["toponyms"]`` set.
    """

    weights: Mapping[str, float] | None = None
    prior: Mapping[str, float] | None = None

    def __call__(self, doc: Doc) -> Doc:
        """Set ``doc.spans["toponyms"]``; labels are ``place`` or ``region``."""
        cands, scores = scored_candidates(self, doc, self.weights, self.prior)
        kept = select(cands, scores, load_threshold())
        doc.spans[SPANS_KEY] = [
            Span(doc, s.start, s.end,
                 label="region" if _region_context(doc, s) else "place")
            for s in kept]
        return doc


@Language.factory(
    "geomap_toponyms",
    default_config={"gazetteer": {"@misc": "geomap.gazetteer.v1", "path": None},
                    "max_ngram": 4, "known_population": 100_000, "fitted": True},
)
def make_toponym_recogniser(
    nlp: Language, name: str, gazetteer: Gazetteer, max_ngram: int,
    known_population: float, fitted: bool = True,
) -> ToponymRecogniser:
    """Build the recogniser over ``gazetteer`` (from the config's registry ref).

    ``fitted`` (default) keeps candidates by the fitted feature filter of
    :mod:`geomap.nlp.toponyms`; ``False`` gives the rule cascade (for ablation).
    """
    from geomap.gazetteer_access import name_lookups

    contains, is_demonym, importance = name_lookups(gazetteer)
    cls = FittedToponymRecogniser if fitted else ToponymRecogniser
    rec = cls(contains, is_demonym, importance,
              max_ngram=max_ngram, known_population=known_population)
    rec.gazetteer = gazetteer  # the pipeline resolves with the same handle
    return rec
