"""Resolution with the real model and gazetteer, on sentences written for the tests."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from geomap.resolve import FEATURES, PRIOR_FEATURES, load_weights


def _places(pipeline, text):
    res = pipeline.process(text)
    return {m.text: m for m in res.mentions}


def test_weights_file_is_readable_and_complete():
    raw = json.loads((files("geomap") / "resolve_weights.json").read_text("utf-8"))
    assert set(raw["weights"]) == set(FEATURES)
    assert set(raw["prior"]) <= PRIOR_FEATURES
    assert set(raw["fixed"]) <= set(FEATURES)
    w = load_weights()
    assert w["qualifier"] > 0 and w["region_label_admin1"] > 0
    assert w["eponymous_region"] < 0


def test_state_qualifier_picks_the_american_town(geomap_pipeline):
    m = _places(geomap_pipeline, "The fair opened in Paris, Texas, on Saturday.")
    assert m["Paris"].place.country_code == "US"
    assert m["Paris"].place.admin1 == "Texas"


def test_bare_paris_is_the_french_capital(geomap_pipeline):
    m = _places(geomap_pipeline, "She moved to Paris after the war and never left.")
    assert (m["Paris"].place.country_code, m["Paris"].place.feature) == ("FR", "city")


def test_ap_abbreviation_qualifies_a_town(geomap_pipeline):
    m = _places(geomap_pipeline,
                "Firefighters were called to a barn in Gainesville, Ga., late "
                "on Friday.")
    assert (m["Gainesville"].place.country_code,
            m["Gainesville"].place.admin1) == ("US", "Georgia")


def test_oblast_names_resolve_to_the_region(geomap_pipeline):
    m = _places(geomap_pipeline, "Shelling continued across Kharkiv Oblast overnight.")
    assert m["Kharkiv Oblast"].place.feature == "admin1"
    assert m["Kharkiv Oblast"].place.country_code == "UA"


def test_coordinated_regions_resolve_to_admin1(geomap_pipeline):
    res = geomap_pipeline.process(
        "Troops withdrew from the Kyiv and Chernigiv regions last week.")
    feats = {m.text: (m.place.feature, m.place.country_code) for m in res.mentions}
    assert feats["Kyiv"] == ("admin1", "UA")
    assert feats["Chernigiv"] == ("admin1", "UA")


def test_bare_name_of_a_region_and_its_capital_is_the_city(geomap_pipeline):
    m = _places(geomap_pipeline, "Rockets hit a school in Kharkiv on Monday morning.")
    place = m["Kharkiv"].place
    assert (place.feature, place.country_code) == ("city", "UA")


def test_county_names_resolve_to_the_county(geomap_pipeline):
    m = _places(geomap_pipeline,
                "Deputies in Rapides Parish arrested two men after the chase.")
    place = m["Rapides Parish"].place
    assert (place.country_code, place.admin1) == ("US", "Louisiana")
    assert abs(place.lat - 31.2) < 0.5 and abs(place.lon + 92.5) < 0.5


def test_state_named_in_the_article_guides_its_towns(geomap_pipeline):
    m = _places(geomap_pipeline,
                "The Georgia legislature met on Tuesday. Lawmakers from Athens and "
                "Decatur asked for new school funds.")
    assert m["Athens"].place.admin1 == "Georgia"


def test_metonymic_capital_is_marked(geomap_pipeline):
    res = geomap_pipeline.process("Moscow said the talks had failed.")
    (m,) = [m for m in res.mentions if m.text == "Moscow"]
    assert (m.role, m.place.country_code) == ("metonymic", "RU")


@pytest.mark.parametrize("text", ["", "No places are named in this sentence."])
def test_no_mentions(geomap_pipeline, text):
    assert geomap_pipeline.process(text).mentions == ()
