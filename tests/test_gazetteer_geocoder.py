"""The geopy-compatible Geocoder over the real store."""

from __future__ import annotations

import pytest
from geopy.geocoders.base import Geocoder as GeopyGeocoder
from geopy.location import Location
from geopy.point import Point

from gazetteer import Geocoder


@pytest.fixture(scope="module")
def geocoder(gazetteer_store):
    return Geocoder(gazetteer_store)


def test_is_a_geopy_geocoder(geocoder):
    assert isinstance(geocoder, GeopyGeocoder)


def test_geocode_one(geocoder):
    loc = geocoder.geocode("Chernigiv")
    assert isinstance(loc, Location)
    assert loc.address == "Chernihiv, Chernihiv Oblast, UA"
    assert (round(loc.latitude, 2), round(loc.longitude, 2)) == (51.51, 31.29)
    assert loc.raw["geonameid"] == 710735
    assert loc.raw["feature"] == "city"
    assert loc.raw["match"] == "alternate"
    assert loc.raw["score"] == 1.0


def test_geocode_many_and_country(geocoder):
    found = geocoder.geocode("Paris", exactly_one=False, limit=5)
    assert len(found) == 5
    assert found[0].raw["country_code"] == "FR"
    tx = geocoder.geocode("Paris", country_codes="US")
    assert tx.address == "Paris, Texas, US"
    assert geocoder.geocode("Ukraine").address == "Ukraine"
    assert geocoder.geocode("Kharkiv Oblast").address == "Kharkiv Oblast, UA"


def test_geocode_nothing(geocoder):
    assert geocoder.geocode("Qxzqxz Vvvqq") is None
    assert geocoder.geocode("Qxzqxz Vvvqq", exactly_one=False) == []


@pytest.mark.parametrize(
    "query", [(51.505, 31.287), Point(51.505, 31.287), "51.505, 31.287"]
)
def test_reverse(geocoder, query):
    loc = geocoder.reverse(query)
    assert loc.raw["name"] == "Chernihiv"
    assert loc.address == "Chernihiv, Chernihiv Oblast, UA"
    assert geocoder.reverse(query, exactly_one=False)[0] == loc


def test_reverse_bad_query(geocoder):
    with pytest.raises(ValueError, match="not a 'lat, lon' pair"):
        geocoder.reverse("somewhere")
    assert geocoder.reverse((0.0, -140.0), max_km=10) is None
