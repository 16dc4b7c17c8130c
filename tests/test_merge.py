import datetime as dt
import itertools
import random

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
