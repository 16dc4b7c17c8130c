"""Toponym resolution: recognised spans -> ``Mention`` records with places.

Each candidate place gets a transparent linear score from features of the
whole article (weights in ``WEIGHTS``):

* importance: log population, with a prior by feature (country > region > city);
* how the name matched (main name, alternate, generated variant, fuzzy);
* the region label ("X region" / "X Oblast" -> the first-level region);
* the document's country profile: countries named, demonyms, and the
  countries of unambiguous places;
* distance to the other confidently resolved places ("Chernigiv" next to Kyiv);
* explicit qualifiers ("Paris, Texas", "Odessa, Ukraine");
* one sense per document: every occurrence of a surface form gets one place.

Metonymic uses ("Moscow said", "Kyiv's negotiator") are resolved like any
other but marked ``role="metonymic"`` so that incidents are not placed there.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from gazetteer import Candidate, Gazetteer, Place, normalize
from geomap.geo import haversine_km
from geomap.models import Mention, Role
from geomap.recognise import SPANS_KEY

__all__ = ["WEIGHTS", "mention_role", "resolve_doc"]

WEIGHTS: dict[str, float] = {
    "log_population": 0.9,
    "country": 7.0,
    "admin1": 0.0,
    "admin1_population": 2e5,
    "match_name": 1.0,
    "match_alternate": 0.5,
    "match_variant": 0.0,
    "match_fuzzy": -3.0,
    "region_label_admin1": 5.0,
    "region_label_city": -4.0,
    "city_context_city": 1.5,
    "city_context_admin1": -2.0,
    "profile_share": 3.0,
    "profile_any": 1.0,
    "qualifier": 8.0,
    "near_100km": 2.0,
    "near_300km": 1.0,
    "anchor_margin": 2.0,
}

SPEECH_VERBS = frozenset({
    "say", "tell", "announce", "claim", "deny", "accuse", "blame", "warn",
    "vow", "urge", "demand", "insist", "respond", "reject", "condemn", "call",
    "threaten", "agree", "refuse", "confirm", "report", "state", "argue",
    "negotiate", "sanction", "recognise", "recognize", "want", "hope",
})
INSTITUTION_NOUNS = frozenset({
    "negotiator", "negotiators", "government", "ministry", "president", "leader",
    "leadership", "officials", "official", "forces", "army", "military", "troops",
    "words", "position", "envoy", "ambassador", "delegation", "spokesman",
    "spokeswoman", "spokesperson", "foreign", "defence", "defense", "embassy",
    "parliament", "prime", "regime", "authorities", "administration", "demands",
    "offensive", "invasion", "war", "side", "mayor", "governor", "allies",
    "navy", "air", "staff", "campaign", "aggression",
})
CITY_WORDS = frozenset({"city", "town", "village", "port", "capital", "suburb",
                        "settlement", "hamlet", "municipality"})


@dataclass(frozen=True, slots=True)
class _Occurrence:
    span: Span
    norm: str
    region: bool
    city_context: bool
    qualifier: str | None


def mention_role(span: Span) -> Role:
    """``metonymic`` for "Moscow said" / "Kyiv's negotiator", else ``literal``."""
    root = span.root
    head = root.head
    if root.dep_ in ("nsubj", "nsubjpass") and head.lemma_.lower() in SPEECH_VERBS:
        return "metonymic"
    if root.dep_ == "dobj" and head.lemma_.lower() in ("blame", "accuse", "urge",
                                                      "condemn", "sanction"):
        return "metonymic"
    if root.dep_ == "poss" and head.lower_ in INSTITUTION_NOUNS:
        return "metonymic"
    if root.dep_ == "compound" and head.lower_ in INSTITUTION_NOUNS and \
            head.lower_ not in ("forces", "troops", "army", "military", "offensive"):
        return "metonymic"
    return "literal"


def _occurrences(doc: Doc) -> list[_Occurrence]:
    spans = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    out = []
    for i, span in enumerate(spans):
        before = doc[max(0, span.start - 3):span.start]
        city_context = any(t.lower_ in CITY_WORDS for t in before)
        qualifier = None
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        if (nxt is not None and nxt.start == span.end + 1
                and doc[span.end].text == ","):
            qualifier = nxt.text
        out.append(_Occurrence(span, normalize(span.text), span.label_ == "region",
                               city_context, qualifier))
    return out


def _importance(place: Place) -> float:
    w = WEIGHTS
    pop = place.population
    if place.feature == "admin1":
        # regions compete as a mid-sized town: a bare "Kharkiv" is the city,
        # a bare "Texas" beats the hamlets called Texas.
        pop = w["admin1_population"]
    score = w["log_population"] * math.log10(pop + 10)
    if place.feature == "country":
        score += w["country"]
    elif place.feature == "admin1":
        score += w["admin1"]
    return score


def _prior(cand: Candidate, occ: _Occurrence) -> float:
    w = WEIGHTS
    place = cand.place
    score = _importance(place) + w[f"match_{cand.match}"]
    if cand.match == "fuzzy":
        score += 3.0 * cand.score
    if occ.region:
        if place.feature == "admin1":
            score += w["region_label_admin1"]
        elif place.feature == "city":
            score += w["region_label_city"]
    if occ.city_context:
        if place.feature == "city":
            score += w["city_context_city"]
        elif place.feature == "admin1":
            score += w["city_context_admin1"]
    return score


def _qualifies(place: Place, qual: list[Candidate]) -> bool:
    for q in qual:
        qp = q.place
        if qp.feature == "country" and qp.country_code == place.country_code:
            return True
        if (qp.feature == "admin1" and qp.country_code == place.country_code
                and qp.admin1 is not None and qp.admin1 == place.admin1):
            return True
    return False


def resolve_doc(
    doc: Doc, article_id: str, gazetteer: Gazetteer,
    *, country_focus: Sequence[str] = (),
) -> list[Mention]:
    """Resolve the recognised spans of ``doc`` to places.

    Parameters
    ----------
    doc
        A doc processed by a pipeline with the ``geomap_toponyms`` component.
    article_id
        Id written into each mention.
    gazetteer
        The place store.
    country_focus
        ISO-2 codes that the user expects the corpus to be about; they join the
        document's country profile.

    Returns
    -------
    list of Mention
        One per recognised span, in text order; ``place`` is None when no
        candidate was found.
    """
    occs = _occurrences(doc)
    if not occs:
        return []
    names = {o.span.text for o in occs}
    table = gazetteer.lookup_many(sorted(names), limit=25)
    by_norm: dict[str, list[Candidate]] = {}
    for name, cands in table.items():
        by_norm.setdefault(normalize(name), cands)
    quals = {o.qualifier: by_norm.get(normalize(o.qualifier), [])
             for o in occs if o.qualifier}

    # Pass 1: priors only; collect the document's country profile and anchors.
    profile: Counter[str] = Counter(country_focus)
    for tok in doc:
        if tok.ent_type_ in ("NORP", "GPE") or tok.pos_ == "ADJ":
            cc = gazetteer.country_of_demonym(tok.text)
            if cc:
                profile[cc] += 1
    best1: dict[str, tuple[Candidate, float]] = {}
    for occ in occs:
        cands = by_norm.get(occ.norm, [])
        if not cands:
            continue
        scored = sorted(((_prior(c, occ), c) for c in cands), key=lambda x: -x[0])
        margin = scored[0][0] - scored[1][0] if len(scored) > 1 else 10.0
        best1[occ.norm] = (scored[0][1], margin)
    anchors: list[tuple[str, Place]] = []
    for norm, (cand, margin) in best1.items():
        place = cand.place
        if place.feature == "country":
            profile[place.country_code] += 2
        elif margin >= WEIGHTS["anchor_margin"]:
            profile[place.country_code] += 1
            anchors.append((norm, place))
    total = sum(profile.values()) or 1

    # Pass 2: full score, one sense per document (scores summed over occurrences).
    sums: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    cand_of: dict[tuple[str, int], Candidate] = {}
    for occ in occs:
        for cand in by_norm.get(occ.norm, []):
            place = cand.place
            score = _prior(cand, occ)
            share = profile.get(place.country_code, 0) / total
            score += WEIGHTS["profile_share"] * share
            if share:
                score += WEIGHTS["profile_any"]
            if occ.qualifier and _qualifies(place, quals.get(occ.qualifier, [])):
                score += WEIGHTS["qualifier"]
            near = [haversine_km(place.lat, place.lon, a.lat, a.lon)
                    for n, a in anchors if n != occ.norm
                    and a.feature == "city" and a.geonameid != place.geonameid]
            if near and place.feature == "city":
                d = min(near)
                score += (WEIGHTS["near_100km"] if d < 100
                          else WEIGHTS["near_300km"] if d < 300 else 0.0)
            key = (occ.norm, place.geonameid)
            # keep the region-labelled reading separate from the plain one
            sums[occ.norm + ("\x00r" if occ.region else "")][place.geonameid] += score
            cand_of[key] = cand

    chosen: dict[str, tuple[Place, float]] = {}
    for key, scores in sums.items():
        norm = key.split("\x00")[0]
        gid, top = max(scores.items(), key=lambda kv: kv[1])
        z = sum(math.exp(min(50.0, s - top)) for s in scores.values())
        chosen[key] = (cand_of[(norm, gid)].place, 1.0 / z)

    mentions = []
    for occ in occs:
        key = occ.norm + ("\x00r" if occ.region else "")
        place, conf = chosen.get(key, (None, 0.0))
        span = occ.span
        mentions.append(Mention(
            article_id=article_id, start=span.start_char, end=span.end_char,
            text=span.text, place=place, score=round(conf, 4),
            role=mention_role(span),
        ))
    return mentions
