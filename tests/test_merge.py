import datetime as dt
import itertools
import random

import pytest

from geomap.geo import haversine_km
from geomap.merge import merge_incidents, types_compatible
from geomap.models import Incident, Place

KHARKIV = Place(706483, "Kharkiv", 49.98081, 36.25272, "UA", "Kharkiv Oblast", "city")
# Chuhuiv lies ~37 km from Kharkiv; a synthetic "suburb" point ~8 km away
CHUHUIV = Place(710403, "Chuhuiv", 49.83537, 36.68756, "UA", "Kharkiv Oblast", "city")
SUBURB = Place(-9, "Kharkiv suburb", 50.05, 36.30, "UA", "Kharkiv Oblast", "city")
LVIV = Place(702550, "Lviv", 49.83826, 24.02324, "UA", "Lviv Oblast", "city")
D1, D2 = dt.date(2022, 3, 1), dt.date(2022, 3, 2)


def inc(article, place, date, killed=None, wounded=None, kind="missile", kq=None):
    return Incident(article, place, place.name, "point", kind, date, killed, wounded,
                    kq or ("exact" if killed is not None else None),
                    "exact" if wounded is not None else None, f"quote {article}",
                    (f"src-{article}",))


def test_haversine():
    assert round(haversine_km(KHARKIV.lat, KHARKIV.lon, LVIV.lat, LVIV.lon)) == 875
    assert haversine_km(1.0, 2.0, 1.0, 2.0) == 0.0


def test_types():
    assert types_compatible("drone", "missile")
    assert types_compatible("other", "shooting")
    assert not types_compatible("shooting", "airstrike")


def test_same_place_same_date_merges_highest_figures_and_sources():
    merged = merge_incidents([
        inc("a", KHARKIV, D1, killed=10, wounded=35, kq="at_least"),
        inc("b", SUBURB, D1, killed=12, wounded=20),
        inc("c", KHARKIV, D1, kind="explosion"),
    ])
    assert len(merged) == 1
    m = merged[0]
    assert (m.killed, m.killed_qualifier, m.wounded) == (12, "exact", 35)
    assert m.sources == ("src-a", "src-b", "src-c")
    assert m.place == KHARKIV and m.event_type == "missile"


def test_different_date_place_or_type_stay_apart():
    merged = merge_incidents([
        inc("a", KHARKIV, D1, killed=3),
        inc("b", KHARKIV, D2, killed=3),
        inc("c", CHUHUIV, D1, killed=3),
        inc("d", KHARKIV, D1, killed=3, kind="shooting"),
        inc("e", LVIV, None, killed=1),
        inc("f", LVIV, D1, killed=1),
    ])
    assert len(merged) == 6


def test_unknown_dates_merge_only_with_unknown():
    merged = merge_incidents([inc("a", LVIV, None, killed=1),
                              inc("b", LVIV, None, wounded=4)])
    assert [(m.killed, m.wounded) for m in merged] == [(1, 4)]


def _corpus():
    out = []
    for n, (place, date) in enumerate(itertools.product([KHARKIV, CHUHUIV, LVIV],
                                                         [D1, D2, None])):
        for k in range(3):
            kind = ["missile", "drone", "explosion"][k]
            out.append(inc(f"x{n}-{k}", SUBURB if (k == 1 and place is KHARKIV)
                           else place, date, killed=n + k, wounded=k * 3, kind=kind))
    return out


def test_order_independent():
    items = _corpus()
    expected = merge_incidents(items)
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(items)
        assert merge_incidents(items) == expected


def test_merging_partitions_then_results_equals_merging_all():
    items = _corpus()
    expected = merge_incidents(items)
    assert len(expected) == 9
    rng = random.Random(11)
    for parts in (2, 3, 5):
        shuffled = items[:]
        rng.shuffle(shuffled)
        partial = [merge_incidents(shuffled[i::parts]) for i in range(parts)]
        assert merge_incidents(itertools.chain.from_iterable(partial)) == expected
        # and merging is idempotent
        assert merge_incidents(expected) == expected


def _merge_pairwise(incidents, max_km=25.0):
    """The definition: connected components of the same-event relation over
    every pair (what merge_incidents computed before its grid)."""
    from geomap.merge import _combine, _sort_key, same_place

    items = sorted(incidents, key=_sort_key)
    parent = list(range(len(items)))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(items)), 2):
        a, b = items[i], items[j]
        if (a.place is not None and b.place is not None and a.date == b.date
                and types_compatible(a.event_type, b.event_type)
                and same_place(a.place, b.place, max_km)):
            ri, rj = find(i), find(j)
            parent[max(ri, rj)] = min(ri, rj)
    clusters = {}
    for idx, item in enumerate(items):
        clusters.setdefault(find(idx), []).append(item)
    return sorted((_combine(m) for m in clusters.values()), key=_sort_key)


# Near each other, across the date line, at a pole, a shared synthetic id far
# apart, a country centroid and a point without coordinates.
EDGE_PLACES = [
    KHARKIV, CHUHUIV, SUBURB, LVIV,
    Place(-1, "East", 64.0, 179.95, "RU", None, "city"),
    Place(-2, "West", 64.0, -179.95, "US", None, "city"),
    Place(-3, "Pole", 89.99, 10.0, "XX", None, "city"),
    Place(-3, "Pole too", 89.99, -170.0, "XX", None, "city"),
    Place(690791, "Ukraine", 49.0, 32.0, "UA", None, "country"),
    Place(-4, "Nowhere", float("nan"), 30.0, "UA", None, "city"),
]


@pytest.mark.issue(16)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grid_merge_equals_every_pair(seed):
    rng = random.Random(seed)
    places = EDGE_PLACES + [
        Place(-100 - k, f"P{k}", rng.uniform(49.5, 50.5), rng.uniform(35.5, 37.0),
              "UA", None, "city") for k in range(40)]
    kinds = ["missile", "shelling", "shooting", "other", "drone", "clash"]
    incidents = [inc(f"a{k}", rng.choice(places), rng.choice([None, D1, D2]),
                     killed=rng.choice([None, 1, 2, 5]), kind=rng.choice(kinds))
                 for k in range(400)]
    incidents.append(Incident("none", None, "Somewhere", None, "missile", D1,
                              3, None, "exact", None, "q", ()))
    assert merge_incidents(incidents) == _merge_pairwise(incidents)
