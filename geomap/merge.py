"""Merge incidents reported by several articles into one record per event.

Two incidents are the same event when their dates agree (equal, or both
unknown), their places are the same GeoNames entry or lie within ``max_km`` of
each other, and their event types are compatible. Clusters are connected
components of that relation, so the result does not depend on input order; the
merged record keeps the highest figures and every source. Merging is the reduce
step of the Dask path: merging partitions and then merging the partial results
gives the same incidents as merging everything at once (for events that are
well separated in space or time, which is what the 25 km rule assumes).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from geomap.geo import haversine_km
from geomap.models import (
    EVENT_TYPE_SPECIFICITY,
    PRECISION_RANK,
    QUALIFIERS,
    Incident,
    Place,
)

__all__ = ["contains", "merge_incidents", "same_place", "types_compatible"]

log = logging.getLogger(__name__)

_EXPLOSIVE = frozenset({"airstrike", "missile", "shelling", "drone", "explosion",
                        "bombing"})
_ARMED = frozenset({"shooting", "clash", "bombing", "explosion"})
_WILDCARD = frozenset({"other", "explosion"})
_PRECISION_RANK = {**PRECISION_RANK, None: len(PRECISION_RANK)}
_QUALIFIER_RANK = {**{q: n for n, q in enumerate(QUALIFIERS)}, None: len(QUALIFIERS)}


def types_compatible(a: str, b: str) -> bool:
    """Whether two event types can describe the same event.

    Equal types are compatible; ``other`` and ``explosion`` go with anything;
    otherwise both must be explosive weapons (airstrike, missile, shelling,
    drone, bombing) or both armed attacks (shooting, clash, bombing).

    Examples
    --------
    >>> types_compatible("missile", "airstrike"), types_compatible("shooting", "drone")
    (True, False)
    """
    if a == b or a in _WILDCARD or b in _WILDCARD:
        return True
    return (a in _EXPLOSIVE and b in _EXPLOSIVE) or (a in _ARMED and b in _ARMED)


def contains(coarse: Place, fine: Place) -> bool:
    """Whether ``fine`` lies in the region or country ``coarse`` (same country).

    A country contains every finer place of its country; a first-level region
    contains the towns and districts that carry its ``admin1`` name.
    """
    if coarse.country_code != fine.country_code or coarse.feature == fine.feature:
        return False
    if coarse.feature == "country":
        return fine.feature != "continent"
    return (coarse.feature == "admin1" and fine.feature in ("city", "admin2")
            and coarse.admin1 is not None and coarse.admin1 == fine.admin1)


def same_place(a: Place | None, b: Place | None, max_km: float) -> bool:
    """Same GeoNames entry, or both points within ``max_km`` kilometres."""
    if a is None or b is None:
        return False
    if a.geonameid == b.geonameid:
        return True
    if a.feature != b.feature and "country" in (a.feature, b.feature):
        return False  # a country centroid says nothing about distance
    return haversine_km(a.lat, a.lon, b.lat, b.lon) <= max_km


def _figure_key(value: int | None, qualifier: str | None) -> tuple[int, int, int]:
    # numbers beat vague amounts beat nothing; then higher; then more certain
    has = 2 if value is not None else (1 if qualifier is not None else 0)
    return (has, value or 0, -_QUALIFIER_RANK[qualifier])


def _representative_key(inc: Incident) -> tuple:
    """Total order on the fields a merged record keeps from its representative.

    Only fields that merging preserves take part, so that merging partial results
    picks the same representative as merging everything.
    """
    return (
        _PRECISION_RANK[inc.precision],
        not (inc.place is not None and inc.place.has_geonameid),
        inc.article_id, inc.location, inc.quote,
    )


_TYPE_PRIORITY = {t: n for n, t in enumerate(EVENT_TYPE_SPECIFICITY)}


# A merged event says the most an analyst did to any of its reports.
_STATUS_RANK = {"machine": 0, "accepted": 1, "edited": 2, "added": 3}


def _combine(members: Sequence[Incident]) -> Incident:
    rep = min(members, key=_representative_key)
    killed = max(members, key=lambda i: _figure_key(i.killed, i.killed_qualifier))
    wounded = max(members, key=lambda i: _figure_key(i.wounded, i.wounded_qualifier))
    sources = sorted({s for inc in members for s in (inc.sources or (inc.article_id,))})
    date = next((i.date for i in members if i.date is not None), None)
    # the most specific type reported (a "missile" says more than "explosion")
    event_type = min((i.event_type for i in members),
                     key=lambda t: (_TYPE_PRIORITY.get(t, len(_TYPE_PRIORITY)), t))
    return replace(
        rep, date=date, event_type=event_type,
        killed=killed.killed, killed_qualifier=killed.killed_qualifier,
        wounded=wounded.wounded, wounded_qualifier=wounded.wounded_qualifier,
        sources=tuple(sources),
        review_status=max((i.review_status for i in members),
                          key=lambda st: _STATUS_RANK.get(st, 0)),
    )


def _sort_key(inc: Incident) -> tuple:
    return (inc.date.isoformat() if inc.date else "", inc.place.geonameid
            if inc.place else 0, inc.location, inc.article_id, inc.quote,
            inc.event_type, inc.killed or -1, inc.wounded or -1)


def merge_incidents(incidents: Iterable[Incident], *, max_km: float = 25.0
                    ) -> list[Incident]:
    """Merge incidents that describe the same event, across articles.

    Parameters
    ----------
    incidents
        Incidents from any number of articles (or already merged ones).
    max_km
        Two places closer than this (haversine, km) count as the same place.

    Returns
    -------
    list of Incident
        One incident per event, sorted by date, place and article; each keeps
        the highest killed/wounded figures, the most precise place, and the
        sorted union of ``sources``. Incidents without a place are kept as
        they are.

    Examples
    --------
    >>> merge_incidents([])
    []
    """
    items = sorted(incidents, key=_sort_key)
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_date: dict[object, list[int]] = defaultdict(list)
    for idx, inc in enumerate(items):
        if inc.place is not None:
            by_date[inc.date].append(idx)
    for group in by_date.values():
        for pos, i in enumerate(group):
            for j in group[pos + 1:]:
                a, b = items[i], items[j]
                if (types_compatible(a.event_type, b.event_type)
                        and same_place(a.place, b.place, max_km)):
                    ri, rj = find(i), find(j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
    clusters: dict[int, list[Incident]] = defaultdict(list)
    for idx, inc in enumerate(items):
        clusters[find(idx)].append(inc)
    merged = [_combine(members) for members in clusters.values()]
    log.debug("merged %d incidents into %d", len(items), len(merged))
    return sorted(merged, key=_sort_key)
