"""Kinds of place beyond towns: districts, natural features, macro-regions, continents.

The curated data files are checked against the Natural Earth outlines bundled
for country points; the acceptance names are looked up in the real store and
through ``geomap geocode``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib.resources import files

import pycountry
import pytest
from shapely.geometry import Point, Polygon
from shapely.ops import nearest_points, unary_union

from gazetteer.landmass import decode_topojson
from gazetteer.normalize import normalize
from gazetteer.sources.admin2 import admin2_names, district_core
from geomap import cli
from geomap.models import (
    FEATURE_RANK,
    FEATURES,
    GEO_PRECISION,
    PRECISION_OF,
    geo_precision_of,
    precision_of,
)

#: Kinds whose point lies on water: within this many km of a country they name.
WATER_KINDS = frozenset({"sea", "gulf", "strait", "lake"})
WATER_KM = 500.0
#: Other kinds lie inside one of their countries (this close, for border rivers).
LAND_KM = 25.0
KINDS = {
    "natural.jsonl": WATER_KINDS | {"river", "mountains", "desert"},
    "regions.jsonl": {"region", "territory", "peninsula"},
}


def _rows(name: str) -> list[dict]:
    text = (files("gazetteer") / "data" / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


CURATED = [(f, r) for f in KINDS for r in _rows(f)]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2)
         * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


@cache
def outlines() -> dict[str, object]:
    """Alpha-2 code -> shapely outline (lon, lat) from the bundled world-atlas file."""
    path = files("gazetteer") / "data" / "countries-50m.json"
    topo = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for numeric, polygons in decode_topojson(topo, "countries").items():
        country = pycountry.countries.get(numeric=numeric)
        if country is not None:
            out[country.alpha_2] = unary_union(
                [Polygon(p[0], p[1:]).buffer(0) for p in polygons])
    return out


def km_to_country(lat: float, lon: float, code: str) -> float:
    """0 inside the country's outline, else km to its nearest edge."""
    shape = outlines()[code]
    pt = Point(lon, lat)
    if shape.contains(pt):
        return 0.0
    near = nearest_points(shape, pt)[0]
    return _km(lat, lon, near.y, near.x)


@pytest.mark.parametrize(("file", "row"), CURATED, ids=[r["name"] for _, r in CURATED])
def test_curated_row_is_well_formed(file, row):
    assert row["kind"] in KINDS[file]
    assert row["name"].strip() == row["name"] and row["name"]
    assert -90 <= row["lat"] <= 90 and -180 <= row["lon"] <= 180
    assert row["countries"], "every row names the countries it lies in or touches"
    assert row["country_code"] in ("", *row["countries"])
    if len(row["countries"]) == 1:
        assert row["country_code"] == row["countries"][0]
    for code in row["countries"] + row.get("members", []):
        base = code.split("-")[0]
        assert pycountry.countries.get(alpha_2=base) is not None, code
    assert row["source"].startswith("curated")
    assert row["wikidata"] is None or row["wikidata"].startswith("Q")


@pytest.mark.parametrize(("file", "row"), CURATED, ids=[r["name"] for _, r in CURATED])
def test_curated_point_lies_in_or_by_its_countries(file, row):
    nearest = min(km_to_country(row["lat"], row["lon"], cc) for cc in row["countries"])
    limit = WATER_KM if row["kind"] in WATER_KINDS else LAND_KM
    assert nearest <= limit, f"{row['name']}: {nearest:.0f} km from {row['countries']}"


def test_point_check_can_fail():
    # The Black Sea is not within reach of Portugal, Kyiv is not in Russia.
    assert km_to_country(43.4, 34.0, "PT") > WATER_KM
    assert km_to_country(50.45, 30.52, "RU") > LAND_KM
    assert km_to_country(50.45, 30.52, "UA") == 0.0


def test_curated_names_are_unique():
    norms = [normalize(n) for _, r in CURATED for n in [r["name"], *r["alternates"]]]
    dupes = {n for n in norms if norms.count(n) > 1}
    # an alternate that repeats its own row's name ("Dnipro river") is fine
    own = {normalize(r["name"]) for _, r in CURATED}
    assert dupes <= own
    assert len({normalize(r["name"]) for _, r in CURATED}) == len(CURATED)


# -- acceptance names in the real store ------------------------------------------

#: name -> (feature, reference lat, lon, km): the reference is a well-known
#: point of the place (a town in it, on it or by it), not the stored point.
ACCEPTANCE = {
    "Darfur": ("region", 13.63, 25.35, 400),           # El Fasher
    "Crimea": ("region", 44.95, 34.10, 150),           # Simferopol
    "Donbas": ("region", 48.00, 37.80, 200),           # Donetsk
    "Gaza Strip": ("region", 31.50, 34.47, 30),        # Gaza City
    "West Bank": ("region", 31.90, 35.20, 50),         # Ramallah
    "Kashmir": ("region", 34.08, 74.80, 250),          # Srinagar
    "Middle East": ("region", 29.0, 45.0, 1200),
    "Black Sea": ("natural", 43.0, 34.0, 400),
    "Kerch Strait": ("natural", 45.36, 36.47, 30),     # Kerch
    "Dnipro river": ("natural", 46.64, 32.61, 100),    # Kherson, on the river
    "Nile": ("natural", 25.69, 32.64, 300),            # Luxor, on the river
    "Kharkiv Oblast": ("admin1", 49.99, 36.23, 100),   # Kharkiv
    "Pokrovsk Raion": ("admin2", 48.28, 37.18, 50),    # Pokrovsk
    "Europe": ("continent", 50.0, 15.0, 1500),
}


@pytest.mark.parametrize("name", list(ACCEPTANCE))
def test_acceptance_name_is_the_right_kind_of_place(gazetteer_store, name):
    feature, lat, lon, km = ACCEPTANCE[name]
    best = gazetteer_store.candidates(name)[0]
    assert best.place.feature == feature
    assert best.match != "fuzzy"
    assert _km(best.place.lat, best.place.lon, lat, lon) <= km


@pytest.mark.parametrize("name", ["Darfur", "Black Sea", "Pokrovsk Raion", "Europe"])
def test_geocode_command_prints_the_kind_of_place(name, capsys):
    feature, lat, lon, km = ACCEPTANCE[name]
    assert cli.main(["geocode", name, "--json", "-n", "1"]) == 0
    rec = json.loads(capsys.readouterr().out.splitlines()[0])
    assert rec["feature"] == feature
    assert _km(rec["lat"], rec["lon"], lat, lon) <= km


def test_europe_is_a_continent_not_a_country(gazetteer_store):
    europe = gazetteer_store.candidates("Europe")[0].place
    assert (europe.feature, europe.country_code) == ("continent", "")
    assert europe.geonameid == 6255148
    assert gazetteer_store.candidates("Europe", features=["country"]) == []


@pytest.mark.parametrize("query", ["Nile", "the Nile", "Nile river", "Nile River"])
def test_nile_is_the_river_never_niles_illinois(gazetteer_store, query):
    found = gazetteer_store.candidates(query)
    assert found[0].place.name == "Nile" and found[0].place.feature == "natural"
    assert all(c.place.name != "Niles" for c in found)


@pytest.mark.parametrize(("query", "name"), [
    ("Dnieper", "Dnipro River"), ("river Dnipro", "Dnipro River"),
    ("Dnieper River", "Dnipro River"), ("Strait of Kerch", "Kerch Strait"),
    ("Donbass", "Donbas"), ("Donets Basin", "Donbas"),
    ("Crimean Peninsula", "Crimea"), ("Bosporus", "Bosphorus"),
    ("Bab al-Mandab", "Bab el-Mandeb"), ("Himalaya", "Himalayas"),
])
def test_curated_alternates_find_their_place(gazetteer_store, query, name):
    found = gazetteer_store.candidates(query, features=["natural", "region"])
    assert found[0].place.name == name and found[0].match == "alternate"


def test_country_filter_keeps_a_river_of_that_country(gazetteer_store):
    river = gazetteer_store.candidates("Dnieper", country_codes=["UA"])[0].place
    assert (river.name, river.feature) == ("Dnipro River", "natural")
    shared = gazetteer_store.candidates("Black Sea", country_codes=["UA"], fuzzy=False)
    assert shared == []  # a sea shared by six countries belongs to none of them


def test_bare_river_name_that_is_a_city_stays_the_city(gazetteer_store):
    # "Dnipro" alone is the city; the river needs "river" or "Dnieper".
    best = gazetteer_store.candidates("Dnipro")[0].place
    assert (best.name, best.feature, best.country_code) == ("Dnipro", "city", "UA")


@pytest.mark.parametrize("query", ["Pokrovsk district", "Pokrovsk raion",
                                   "Pokrovsk rayon", "Pokrovskyi raion"])
def test_raion_paraphrases_find_the_district(gazetteer_store, query):
    best = gazetteer_store.candidates(query, country_codes=["UA"])[0].place
    assert (best.name, best.feature, best.admin1) == (
        "Pokrovsk Raion", "admin2", "Donetsk Oblast")
    assert best.has_geonameid


@pytest.mark.parametrize(("query", "cc"), [
    ("Al Haouz province", "MA"), ("Adair County", "US"), ("Adair Co.", "US"),
    ("Zendeh Jan district", "AF"),
])
def test_districts_are_admin2(gazetteer_store, query, cc):
    found = gazetteer_store.candidates(query, country_codes=[cc], fuzzy=False)
    assert found and all(c.place.feature == "admin2" for c in found)


@pytest.mark.parametrize(("town", "cc"), [("Pokrovsk", "UA"), ("Kent", "US"),
                                           ("Paris", "FR"), ("Tiznit", "MA")])
def test_a_district_never_shadows_its_town(gazetteer_store, town, cc):
    best = gazetteer_store.candidates(town, country_codes=[cc])[0].place
    assert (best.name, best.feature) == (town, "city")


@pytest.mark.parametrize("county", ["Kent", "Norfolk", "Hampshire"])
def test_bare_county_name_is_kept_where_no_town_of_its_country_has_it(
        gazetteer_store, county):
    # "Kent" has towns in the US, not in Britain: the English county keeps it
    best = gazetteer_store.candidates(county, country_codes=["GB"])[0].place
    assert (best.name, best.feature) == (county, "admin2")


def test_cldr_macroregion_is_placed_among_its_countries(gazetteer_store):
    sea = gazetteer_store.candidates("Southeast Asia")[0].place
    assert sea.feature == "region" and sea.population > 500_000_000
    assert _km(sea.lat, sea.lon, 5.0, 110.0) < 1200


def test_kinds_recorded_in_store_info(gazetteer_store):
    counts = gazetteer_store.info()["counts"]
    assert set(counts) == set(FEATURES)
    assert counts["admin2"] > 30_000 and counts["natural"] >= 70


# -- the vocabulary ---------------------------------------------------------------


def test_vocabulary_covers_every_feature():
    assert FEATURES == ("city", "admin2", "admin1", "region", "natural", "country",
                        "continent")
    assert set(FEATURE_RANK) == set(PRECISION_OF) == set(GEO_PRECISION) == set(
        FEATURES)
    ranks = [FEATURE_RANK[f] for f in FEATURES]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(("feature", "precision", "geo"), [
    ("city", "point", 1), ("admin2", "admin2", 2), ("admin1", "admin1", 3),
    ("region", "region", 3), ("natural", "region", 3), ("country", "country", 3),
    ("continent", "continent", 3),
])
def test_precision_and_acled_code_follow_the_feature(feature, precision, geo):
    from gazetteer import Place

    place = Place(1, "x", 0.0, 0.0, "", None, feature)
    assert precision_of(place) == precision
    assert geo_precision_of(place) == geo == GEO_PRECISION[feature]


def test_district_core_and_names():
    assert district_core("zolochiv raion") == ("zolochiv", "raion")
    assert district_core("yavatmal") == ("yavatmal", None)
    names = admin2_names("Yavatmal", ["Yavatmal District"], "IN", taken=set())
    assert names == {"yavatmal": 0, "yavatmal district": 1}
    taken = admin2_names("Yavatmal", ["Yavatmal District"], "IN", taken={"yavatmal"})
    assert taken == {"yavatmal district": 1}
    # the bare core of a typed name is never kept, even when no town has it
    assert admin2_names("Travis County", ["Travis"], "US", taken=set()) == {
        "travis county": 0, "travis co": 2}
    assert admin2_names("NTR", [], "IN", taken=set()) == {"ntr district": 2}
