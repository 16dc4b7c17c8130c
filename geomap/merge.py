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
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from geomap.geo import EARTH_RADIUS_KM, haversine_km
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


def _near_pairs(places: Sequence[Place], max_km: float
                ) -> Iterator[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of ``places`` that may pass
    :func:`same_place`: the same GeoNames entry or points within ``max_km``.

    Points go into a grid of cubes on the unit sphere in 3-D, as wide as the
    chord of ``max_km``, so a near pair lies in neighbouring cubes (no trouble
    at the poles or the date line); the pairs of one date are then found in
    time linear in their number instead of quadratic.

    >>> from geomap.models import Place
    >>> ps = [Place(1, "A", 50.0, 30.0, "UA", None, "city"),
    ...       Place(2, "B", 50.1, 30.1, "UA", None, "city"),
    ...       Place(3, "C", 46.0, 31.0, "UA", None, "city"),
    ...       Place(1, "A", 50.0, 30.0, "UA", None, "city")]
    >>> sorted(_near_pairs(ps, 25.0))
    [(0, 1), (0, 3), (1, 3)]
    """
    chord = 2 * math.sin(min(max(max_km, 0.0) / (2 * EARTH_RADIUS_KM), math.pi / 2))
    size = max(chord * 1.001, 1e-9)
    cells: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    keys: list[tuple[int, int, int] | None] = []
    same_id: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(places):
        same_id[p.geonameid].append(i)
        key = None
        if math.isfinite(p.lat) and math.isfinite(p.lon):
            lat, lon = math.radians(p.lat), math.radians(p.lon)
            xyz = (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon),
                   math.sin(lat))
            key = (math.floor(xyz[0] / size), math.floor(xyz[1] / size),
                   math.floor(xyz[2] / size))
            cells[key].append(i)
        keys.append(key)
    steps = (-1, 0, 1)
    for i, p in enumerate(places):
        near = {j for j in same_id[p.geonameid] if j > i}
        key = keys[i]
        if key is not None:
            for dx in steps:
                for dy in steps:
                    for dz in steps:
                        cell = cells.get((key[0] + dx, key[1] + dy, key[2] + dz))
                        if cell:
                            near.update(j for j in cell if j > i)
        for j in sorted(near):
            yield i, j


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
    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    for group in by_date.values():
        # Same place and type: always one event. Only the first of each such
        # class is compared with the others (the relation is the same for all).
        first: dict[tuple[Place | None, str], int] = {}
        for i in group:
            union(first.setdefault((items[i].place, items[i].event_type), i), i)
        reps = list(first.values())
        places = [items[i].place for i in reps]
        for pi, pj in _near_pairs(places, max_km):  # type: ignore[arg-type]
            i, j = reps[pi], reps[pj]
            if find(i) == find(j):
                continue
            a, b = items[i], items[j]
            if (types_compatible(a.event_type, b.event_type)
                    and same_place(a.place, b.place, max_km)):
                union(i, j)
    clusters: dict[int, list[Incident]] = defaultdict(list)
    for idx, inc in enumerate(items):
        clusters[find(idx)].append(inc)
    merged = [_combine(members) for members in clusters.values()]
    log.debug("merged %d incidents into %d", len(items), len(merged))
    return sorted(merged, key=_sort_key)
