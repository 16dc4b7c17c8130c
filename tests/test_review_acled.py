"""The ACLED-compatible CSV: codebook rules for precision, dates and fatalities."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from common import KHARKIV, KYIV

from geomap.merge import merge_incidents
from geomap.models import Incident, Place
from geomap.outputs.tables import (
    ACLED_FIELDS,
    GEOMAP_CSV_FIELDS,
    acled_fatalities,
    acled_frame,
    acled_geo_precision,
    acled_time_precision,
    write_layers,
)

DAY = dt.date(2022, 3, 1)


def inc(quote, *, killed=None, qualifier=None, place=KYIV, date=DAY, aid="a",
        etype="shelling", sources=()):
    return Incident(aid, place, place.name if place else "", "point", etype, date,
                    killed, None, qualifier, None, quote, sources)


@pytest.mark.parametrize(("quote", "value"), [
    ("Dozens of people were killed in the shelling.", 12),
    ("The strike left dozens dead.", 12),
    ("Officials said dozens died overnight.", 12),
    ("Hundreds were killed when the dam broke.", 100),
    ("The attack killed hundreds of civilians.", 100),
    ("Hundreds died in the fighting, medics said.", 100),
    ("Tens of people died.", 10),
    ("Thousands were killed over the siege.", 1000),
    ("Tens of thousands died in the city.", 10000),
    ("Dozens, possibly hundreds, were killed.", 12),  # the lowest estimate
])
def test_vague_counts_follow_the_codebook(quote, value):
    assert acled_fatalities(inc(quote, qualifier="approx")) == value


@pytest.mark.parametrize(("killed", "qualifier", "quote", "value"), [
    (12, "at_least", "At least 12 people were killed.", 12),
    (3, "exact", "Three died, dozens were hurt.", 3),  # a number beats a vague word
    (None, None, "A shell hit the depot.", 0),  # unknown: 0, as ACLED codes it
    (None, "approx", "Several people died.", 0),
])
def test_figures_and_unknowns(killed, qualifier, quote, value):
    assert acled_fatalities(inc(quote, killed=killed, qualifier=qualifier)) == value


def test_conflicting_reports_give_the_lowest_figure(tmp_path):
    reports = [
        inc("Shelling killed 8.", killed=8, qualifier="exact", aid="r1",
            sources=("Agency one",)),
        inc("Shelling killed 5.", killed=5, qualifier="exact", aid="r2",
            sources=("Agency two",)),
        inc("Shelling killed 6.", killed=6, qualifier="exact", aid="r3",
            sources=("Agency three",)),
        inc("A strike killed 9.", killed=9, qualifier="exact", aid="r4",
            place=KHARKIV, sources=("Agency four",)),
    ]
    merged = merge_incidents(reports)
    assert sorted(i.killed for i in merged) == [8, 9]  # the merge keeps the highest
    df = acled_frame(merged, reports)
    assert sorted(zip(df["location"], df["fatalities"], strict=True)) == [
        ("Kharkiv", 9), ("Kyiv", 5)]
    assert sorted(acled_frame(merged)["fatalities"]) == [8, 9]
    path = write_layers(tmp_path, merged, (), "csv", reports=reports)[0]
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert sorted((r["location"], r["fatalities"], r["killed"]) for r in rows) == [
        ("Kharkiv", "9", "9"), ("Kyiv", "5", "8")]
    assert list(rows[0]) == [*ACLED_FIELDS, *GEOMAP_CSV_FIELDS]


@pytest.mark.parametrize(("quote", "code"), [
    ("A missile hit Kyiv overnight.", 1),
    ("Shelling in Kyiv killed two.", 1),
    ("Shells landed near Kyiv on Monday.", 2),
    ("Fighting raged outside Kyiv.", 2),
    ("A convoy was hit 30 km from Kyiv.", 2),
    ("Strikes on the outskirts of Kyiv killed one.", 2),
])
def test_geo_precision_for_a_town(quote, code):
    assert acled_geo_precision(inc(quote)) == code


@pytest.mark.parametrize(("feature", "code"), [
    ("city", 1), ("admin2", 2), ("natural", 3), ("admin1", 3), ("region", 3),
    ("country", 3), ("continent", 3),
])
def test_geo_precision_by_feature(feature, code):
    place = Place(1, "Somewhere", 1.0, 2.0, "UA", None, feature)
    assert acled_geo_precision(inc("Shelling near Somewhere.", place=place)) == (
        code if feature != "city" else 2)
    assert acled_geo_precision(inc("Shelling in Somewhere.", place=place)) == code


@pytest.mark.parametrize(("quote", "date", "code"), [
    ("Shelling on Monday killed two.", DAY, 1),
    ("Two died on 28 February.", DAY, 1),
    ("Shelling last week killed two.", DAY, 2),
    ("Earlier this week, two were killed.", DAY, 2),
    ("Two died over the weekend.", None, 2),
    ("Last month, a strike killed two.", DAY, 3),
    ("Earlier this month two people died.", None, 3),
    ("Two were killed in recent weeks.", DAY, 3),
    ("Two died.", None, None),
])
def test_time_precision(quote, date, code):
    assert acled_time_precision(inc(quote, date=date)) == code
