"""Toponym resolution: recognised spans -> ``Mention`` records with places.

Every candidate place of a surface form gets a linear score ``w . x`` over
transparent features of the whole article; the weights live in the readable
file ``resolve_weights.json`` next to this module (fitted as a conditional
logit on the development corpora, see ``tools/fit_resolver.py``):

* importance: log population and the feature (country, region, county, town);
* how the name matched (main name, alternate, generated variant, fuzzy);
* the span's own context: "X region" / "X Oblast" favours the first-level
  region, "the city of X" a town;
* explicit qualifiers: "Paris, Texas", "Gainesville, Ga.", "Odessa, Ukraine";
* the document's profile, from a first pass over priors only: the share of
  the other mentions (and demonyms) in the candidate's country and in its
  first-level region, whether its region is itself named, how many other
  mentions lie inside a candidate region or country, and the distance to the
  other mentions' likely places ("Chernigiv" next to Kyiv);
* one sense per document: scores are summed over the occurrences of a form.

Metonymic uses ("Moscow said", "Kyiv's negotiator") are resolved like any
other but marked ``role="metonymic"`` so that incidents are not placed there.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
from spacy.attrs import ENT_TYPE, POS
from spacy.parts_of_speech import ADJ
from spacy.tokens import Doc, Span

from gazetteer import Candidate, Gazetteer, Place, normalize
from geomap.geo import haversine_matrix_km as _haversine_matrix
from geomap.models import Mention, Role
from geomap.recognise import SPANS_KEY

__all__ = ["FEATURES", "candidate_features", "fuzzy_close", "load_weights",
           "mention_role", "resolve_doc"]

#: Names of the features, in the order of the feature vector.
FEATURES: tuple[str, ...] = (
    "log_population", "country", "admin1", "county", "capital_like",
    "match_alternate", "match_variant", "match_fuzzy",
    "region_label_admin1", "region_label_city", "city_context_city",
    "city_context_admin1", "qualifier", "country_share", "country_any",
    "admin1_share", "admin1_named", "contains_share", "near_50km", "near_300km",
    "log_distance", "top_population", "eponymous_region", "city_namesake",
    "near_any",
)
_F = {name: i for i, name in enumerate(FEATURES)}
#: Features that need no document context (pass one).
PRIOR_FEATURES: frozenset[str] = frozenset({
    "log_population", "country", "admin1", "county", "capital_like",
    "match_alternate", "match_variant", "match_fuzzy", "region_label_admin1",
    "region_label_city", "city_context_city", "city_context_admin1", "qualifier",
    "top_population", "eponymous_region", "city_namesake",
})

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
                        "settlement", "hamlet", "municipality", "township"})
_COUNTY_WORDS = frozenset({"county", "parish", "borough", "co"})
#: Features placed at a point for the distance features: towns and districts
#: (districts were stored as towns before the gazetteer had admin2).
_POINT_FEATURES = frozenset({"city", "admin2"})
_LIMIT = 40
_NAMESAKE_POPULATION = 100_000
#: Matches by which a same-named town makes a region the second reading (a
#: fuzzy "Mykolaev" is the town as much as an exact "Mykolaiv").
_TOWN_MATCHES = frozenset({"name", "alternate", "fuzzy"})
#: Fuzzy lookups go this low (rapidfuzz ratio); :func:`fuzzy_close` decides.
_FUZZY_MIN_SCORE = 0.8
#: Radius (km) within which a candidate of another form supports this one.
_NEAR_ANY_KM = 50.0


@functools.lru_cache(maxsize=2)
def load_weights(part: str = "weights") -> dict[str, float]:
    """Weights (feature name -> weight) from ``resolve_weights.json``.

    ``part`` is ``weights`` (the final score) or ``prior`` (pass one, which
    uses only the context-free features).

    >>> load_weights()["qualifier"] > 0
    True
    """
    text = (files("geomap") / "resolve_weights.json").read_text(encoding="utf-8")
    raw = json.loads(text)[part]
    return {name: float(raw.get(name, 0.0)) for name in FEATURES}


def _weight_vector(weights: dict[str, float] | None,
                   part: str = "weights") -> np.ndarray:
    w = load_weights(part) if weights is None else weights
    return np.array([w.get(name, 0.0) for name in FEATURES])


@dataclass(frozen=True, slots=True)
class _Occurrence:
    span: Span
    norm: str
    region: bool
    city_context: bool
    qualifier: str | None


@dataclass(slots=True)
class Group:
    """The occurrences of one surface form (one sense per document)."""

    key: str
    occurrences: list[_Occurrence]
    candidates: list[Candidate]
    features: np.ndarray  # (n_candidates, n_features)


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
        # "the city of X", "the town X" (not "the town in the X region")
        k = span.start - 1
        if k >= 1 and doc[k].lower_ == "of":
            k -= 1
        city_context = k >= 0 and doc[k].lower_ in CITY_WORDS
        qualifier = None
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        if (nxt is not None and nxt.start == span.end + 1
                and doc[span.end].text == ","):
            qualifier = nxt.text
        out.append(_Occurrence(span, normalize(span.text), span.label_ == "region",
                               city_context, qualifier))
    return out


def _is_county(place: Place) -> bool:
    # districts are feature admin2 since the gazetteer has them (build 8)
    return place.feature == "admin2" or (
        place.feature == "city" and place.geonameid < 0
        and normalize(place.name).rpartition(" ")[2] in _COUNTY_WORDS)


def _qualifies(place: Place, qual: list[Candidate]) -> bool:
    for q in qual:
        qp = q.place
        if qp.feature == "country" and qp.country_code == place.country_code:
            return True
        if (qp.feature == "admin1" and qp.country_code == place.country_code
                and qp.admin1 is not None and qp.admin1 == place.admin1
                and qp.geonameid != place.geonameid):
            return True
    return False


def _prior_matrix(
    group_occs: list[_Occurrence], cands: list[Candidate],
    quals: dict[str, list[Candidate]],
) -> np.ndarray:
    x = np.zeros((len(cands), len(FEATURES)))
    if not cands:
        return x
    n = len(group_occs)
    region = sum(o.region for o in group_occs) / n
    city_ctx = sum(o.city_context for o in group_occs) / n
    qual_lists = [quals.get(o.qualifier, []) for o in group_occs if o.qualifier]
    top_pop = max(c.place.population for c in cands)
    # towns that share the form: a bare "Kharkiv" is the city, not the oblast
    towns = {(c.place.country_code, c.place.admin1) for c in cands
             if c.place.feature == "city" and c.match in _TOWN_MATCHES}
    # a large town of the same name in the same country: a bare "Washington"
    # or "Kharkiv" is the town unless the text says region
    big_towns = {c.place.country_code for c in cands
                 if c.place.feature == "city" and c.match in _TOWN_MATCHES
                 and c.place.population >= _NAMESAKE_POPULATION}
    for i, cand in enumerate(cands):
        p = cand.place
        row = x[i]
        row[_F["log_population"]] = math.log10(p.population + 10)
        county = _is_county(p)
        if p.feature == "country":
            row[_F["country"]] = 1.0
        elif p.feature == "admin1":
            row[_F["admin1"]] = 1.0
        elif county:
            row[_F["county"]] = 1.0
        row[_F["capital_like"]] = float(p.feature == "city" and
                                        p.population >= 1_000_000)
        if cand.match != "name":
            row[_F[f"match_{cand.match}"]] = 1.0 if cand.match != "fuzzy" else \
                2.0 - cand.score
        if p.feature == "admin1":
            row[_F["region_label_admin1"]] = region
            row[_F["city_context_admin1"]] = city_ctx
        elif p.feature == "city" and not county:
            row[_F["region_label_city"]] = region
            row[_F["city_context_city"]] = city_ctx
        if qual_lists:
            row[_F["qualifier"]] = sum(_qualifies(p, q) for q in qual_lists) / n
        row[_F["top_population"]] = float(p.population == top_pop and top_pop > 0)
        if p.feature == "admin1" and (p.country_code, p.admin1 or p.name) in towns:
            row[_F["eponymous_region"]] = 1.0
        if p.feature == "admin1" and p.country_code in big_towns:
            row[_F["city_namesake"]] = 1.0
    return x


def candidate_features(
    doc: Doc, gazetteer: Gazetteer, *, country_focus: Sequence[str] = (),
    prior_weights: dict[str, float] | None = None,
) -> list[Group]:
    """Group the recognised spans of ``doc`` by form and build candidate features.

    Pass one scores candidates with the context-free features only; its best
    reading of every other form gives the document profile for pass two.
    """
    occs = _occurrences(doc)
    if not occs:
        return []
    prior_mask = np.array([name in PRIOR_FEATURES for name in FEATURES], dtype=float)
    w = _weight_vector(prior_weights, "prior") * prior_mask
    names = {o.span.text for o in occs} | {o.qualifier for o in occs if o.qualifier}
    table = gazetteer.lookup_many(sorted(names), limit=_LIMIT,
                                  min_score=_FUZZY_MIN_SCORE)
    by_norm: dict[str, list[Candidate]] = {}
    for name, cands in table.items():
        by_norm.setdefault(normalize(name), cands)
    quals = {o.qualifier: by_norm.get(normalize(o.qualifier), [])
             for o in occs if o.qualifier}

    grouped: dict[str, list[_Occurrence]] = defaultdict(list)
    for occ in occs:
        grouped[occ.norm + ("\x00r" if occ.region else "")].append(occ)
    groups: list[Group] = []
    for key, gocc in grouped.items():
        cands = by_norm.get(gocc[0].norm, [])
        # a people's name ("Syrian", "Russians") stands for its country, not
        # for a town that happens to be spelt like it
        cc = gazetteer.country_of_demonym(gocc[0].span.text)
        country = gazetteer.country(cc) if cc else None
        if country is not None:
            cands = [Candidate(country, gocc[0].norm, "alternate")]
        cands = [c for c in cands if c.match != "fuzzy"
                 or fuzzy_close(gocc[0].norm, c.matched)]
        groups.append(Group(key, gocc, cands, _prior_matrix(gocc, cands, quals)))

    # Pass one: the likely place of every form, from priors only (a fuzzy
    # match is no evidence of the document's countries).
    best: dict[str, Place] = {}
    for g in groups:
        if g.candidates and not _fuzzy_only(g):
            s = g.features @ w
            best[g.key] = g.candidates[int(np.argmax(s))].place
    profile: Counter[str] = Counter(c.upper() for c in country_focus)
    # a people's name: a NORP entity token or an adjective (read as columns)
    kinds = doc.to_array([ENT_TYPE, POS])
    for i in np.flatnonzero((kinds[:, 0] == doc.vocab.strings["NORP"])
                            | (kinds[:, 1] == ADJ)).tolist():
        cc = gazetteer.country_of_demonym(doc[i].text)
        if cc:
            profile[cc] += 1
    # A fuzzy match must agree with the document: its country is named (or
    # its people, or --country) elsewhere; else the form stays unresolved.
    for g in groups:
        if g.candidates and _fuzzy_only(g):
            keep = [i for i, c in enumerate(g.candidates)
                    if profile.get(c.place.country_code, 0) > 0
                    or any(b.country_code == c.place.country_code
                           for k, b in best.items() if k != g.key)]
            g.candidates = [g.candidates[i] for i in keep]
            g.features = g.features[keep]
    mention_weight = {g.key: len(g.occurrences) for g in groups}
    admin1_count: Counter[tuple[str, str]] = Counter()
    for key, place in best.items():
        profile[place.country_code] += mention_weight[key]
        if place.admin1:
            admin1_count[(place.country_code, place.admin1)] += mention_weight[key]
    named_admin1: dict[tuple[str, str], set[str]] = defaultdict(set)
    for key, p in best.items():
        if p.feature == "admin1":
            named_admin1[(p.country_code, p.admin1 or p.name)].add(key)
    keys = list(best)
    if keys:
        blat = np.array([best[k].lat for k in keys])
        blon = np.array([best[k].lon for k in keys])
        bpoint = np.array([best[k].feature in _POINT_FEATURES for k in keys])
    _near_any(groups)
    # Pass two: context features against the other forms' likely places.
    for g in groups:
        if not g.candidates:
            continue
        own = mention_weight[g.key]
        own_place = best.get(g.key)
        x = g.features
        total = sum(profile.values()) - own
        a1_total = sum(admin1_count.values()) - own
        for i, cand in enumerate(g.candidates):
            p = cand.place
            same_cc = profile.get(p.country_code, 0) - (
                own if own_place is not None
                and own_place.country_code == p.country_code
                else 0)
            if total > 0 and p.country_code:
                x[i, _F["country_share"]] = same_cc / total
                x[i, _F["country_any"]] = float(same_cc > 0)
            if p.admin1:
                key_a1 = (p.country_code, p.admin1)
                same_a1 = admin1_count.get(key_a1, 0) - (
                    own if own_place is not None and own_place.admin1 == p.admin1
                    and own_place.country_code == p.country_code else 0)
                if a1_total > 0:
                    x[i, _F["admin1_share"]] = max(0, same_a1) / a1_total
                if p.feature != "admin1" and named_admin1.get(key_a1, set()) - {g.key}:
                    x[i, _F["admin1_named"]] = 1.0
            if p.feature in ("admin1", "country") and total > 0:
                inside = sum(
                    mention_weight[k] for k, q in best.items() if k != g.key and (
                        q.country_code == p.country_code and (
                            p.feature == "country" or q.admin1 == p.admin1)))
                x[i, _F["contains_share"]] = inside / total
        if keys:
            others = np.array([k != g.key for k in keys]) & bpoint
            if others.any():
                clat = np.array([c.place.lat for c in g.candidates])
                clon = np.array([c.place.lon for c in g.candidates])
                d = _haversine_matrix(clat, clon, blat[others],
                                      blon[others]).min(axis=1)
                is_city = np.array([c.place.feature in _POINT_FEATURES
                                    for c in g.candidates])
                x[:, _F["near_50km"]] = (d < 50) & is_city
                x[:, _F["near_300km"]] = (d < 300) & is_city
                # relative to the group's nearest town, so that a region
                # (no point, no distance) gains nothing from it
                logd = np.log10(1.0 + d)
                near = logd[is_city].min() if is_city.any() else 0.0
                x[:, _F["log_distance"]] = (logd - near) * is_city
    return groups


def fuzzy_close(query: str, name: str) -> bool:
    """Whether a fuzzy match is close enough to stand: no edit in names under
    seven letters, one in longer ones, two from twelve letters (a one-letter
    transliteration slip in "Mykolaev", not "Dufur" for "Darfur").

    >>> fuzzy_close("mykolaev", "mykolaiv"), fuzzy_close("darfur", "dufur")
    (True, False)
    >>> fuzzy_close("nile", "niles")
    False
    """
    from rapidfuzz.distance import Levenshtein

    n = len(query)
    allowed = 0 if n < 7 else 1 if n < 12 else 2
    return allowed > 0 and Levenshtein.distance(query, name) <= allowed


def _fuzzy_only(group: Group) -> bool:
    return all(c.match == "fuzzy" for c in group.candidates)


def _near_any(groups: list[Group]) -> None:
    """Set ``near_any``: the share of the other forms that have *some* town or
    district candidate within 50 km of this one ("Paris" and "Henry County"
    that lie together in one state support each other, whatever their priors).
    """
    pts = [(gi, c.place.lat, c.place.lon) for gi, g in enumerate(groups)
           for c in g.candidates if c.place.feature in _POINT_FEATURES]
    n_forms = sum(1 for g in groups if g.candidates)
    if n_forms < 2 or not pts:
        return
    owner = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    lon = np.array([p[2] for p in pts])
    for gi, g in enumerate(groups):
        if not g.candidates:
            continue
        others = owner != gi
        if not others.any():
            continue
        clat = np.array([c.place.lat for c in g.candidates])
        clon = np.array([c.place.lon for c in g.candidates])
        near = _haversine_matrix(clat, clon, lat[others], lon[others]) < _NEAR_ANY_KM
        forms = owner[others]
        for i, cand in enumerate(g.candidates):
            if cand.place.feature in _POINT_FEATURES:
                g.features[i, _F["near_any"]] = (
                    len(set(forms[near[i]].tolist())) / (n_forms - 1))


def resolve_doc(
    doc: Doc, article_id: str, gazetteer: Gazetteer,
    *, country_focus: Sequence[str] = (), weights: dict[str, float] | None = None,
    prior_weights: dict[str, float] | None = None,
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
    weights, prior_weights
        Feature weights of the final score and of pass one (default:
        :func:`load_weights`), for cross-validation and ablations.

    Returns
    -------
    list of Mention
        One per recognised span, in text order; ``place`` is None when no
        candidate was found. ``score`` is the softmax probability of the
        chosen place among the candidates.
    """
    groups = candidate_features(doc, gazetteer, country_focus=country_focus,
                                prior_weights=prior_weights)
    w = _weight_vector(weights)
    chosen: dict[int, tuple[Place | None, float]] = {}
    for g in groups:
        place, conf = None, 0.0
        if g.candidates:
            s = g.features @ w
            top = int(np.argmax(s))
            z = np.exp(np.clip(s - s[top], -50.0, 0.0)).sum()
            place, conf = g.candidates[top].place, 1.0 / float(z)
        for occ in g.occurrences:
            chosen[occ.span.start] = (place, conf)
    mentions = []
    for span in sorted((o.span for g in groups for o in g.occurrences),
                       key=lambda s: s.start):
        place, conf = chosen[span.start]
        mentions.append(Mention(
            article_id=article_id, start=span.start_char, end=span.end_char,
            text=span.text, place=place, score=round(conf, 4),
            # a people's name places no event: "Syrian forces" is not in Syria
            role="demonym" if gazetteer.country_of_demonym(span.text)
            else mention_role(span),
        ))
    return mentions
