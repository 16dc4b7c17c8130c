"""The fitted toponym filter and the resolver's context rules, on sentences written
for these tests (never taken from the development corpora)."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from spacy.tokens import Span

from geomap.nlp.toponyms import FEATURES, load_threshold
from geomap.recognise import SPANS_KEY
from geomap.resolve import resolve_doc


def _places(pipeline, text):
    return {m.text: m for m in pipeline.process(text).mentions}


def test_weight_file_covers_every_feature():
    doc = json.loads((files("geomap.nlp") / "toponym_weights.json").read_text("utf-8"))
    for part in ("prior", "weights"):
        assert set(doc[part]) - {"bias"} <= set(FEATURES)
    assert set(doc["weights"]) == {*FEATURES, "bias"}
    assert load_threshold() == doc["threshold"]


@pytest.mark.parametrize(("text", "name", "feature", "cc"), [
    ("Fighting spread across Darfur as aid convoys stalled.", "Darfur", "region", "SD"),
    ("Moscow annexed Crimea after a disputed vote.", "Crimea", "region", "UA"),
    ("Shelling intensified in the Donbas overnight.", "Donbas", "region", "UA"),
    ("Aid trucks entered the Gaza Strip on Sunday.", "Gaza Strip", "region", "PS"),
    ("A cargo ship sank in the Black Sea.", "Black Sea", "natural", ""),
    ("Ferries crossed the Kerch Strait again.", "Kerch Strait", "natural", ""),
    ("Troops dug in along the Dnipro river.", "Dnipro river", "natural", "UA"),
    ("Two villages in Kharkiv Oblast were shelled.", "Kharkiv Oblast", "admin1", "UA"),
    ("Drones struck a depot in Pokrovsk Raion.", "Pokrovsk Raion", "admin2", "UA"),
    ("Barges moved slowly down the Nile.", "Nile", "natural", ""),
])
def test_kinds_of_place(geomap_pipeline, text, name, feature, cc):
    place = _places(geomap_pipeline, text)[name].place
    assert (place.feature, place.country_code) == (feature, cc)


@pytest.mark.parametrize("text", [
    "The bridge over the Dnipro river was hit.",
    "Boats waited on the Dnipro river below the dam.",
    "Ukrainian units crossed the Dnipro river at night.",
])
def test_lower_case_river_noun_makes_the_river(geomap_pipeline, text):
    place = _places(geomap_pipeline, text)["Dnipro river"].place
    assert place.feature == "natural"


@pytest.mark.parametrize("text", [
    "KYIV, Ukraine -- Drones hit Kyiv overnight, while shelling hit the Kharkiv "
    "and Sumy regions.",
    "Officials in Kyiv said the Poltava and Sumy regions lost power on Monday.",
    "She arrived in Kyiv by train; the Chernihiv region was quiet, the governor said.",
])
def test_kyiv_stays_the_city_in_a_story_naming_regions(geomap_pipeline, text):
    found = [m for m in geomap_pipeline.process(text).mentions
             if m.text.lower() == "kyiv"]
    assert found
    assert {(m.place.feature, m.place.geonameid) for m in found} == {("city", 703448)}


@pytest.mark.parametrize("text", [
    "Officials in Buenos Aires said the talks failed.",
    "Protesters marched in Buenos Aires on Saturday.",
    "Talks in Buenos Aires ended without a deal.",
])
def test_bare_name_of_a_province_and_a_large_town_is_the_town(geomap_pipeline, text):
    # the city is not in the province of its name, so only city_namesake
    # (not eponymous_region) keeps the bare name the town
    place = _places(geomap_pipeline, text)["Buenos Aires"].place
    assert (place.feature, place.admin1) == ("city", "Autonomous City of Buenos Aires")


@pytest.mark.parametrize("text", [
    "Police in Naples and Marco Island searched for the driver.",
    "A Naples man was arrested in Bonita Springs on Friday.",
    "Storms hit Naples, Marco Island and Everglades City overnight.",
])
def test_places_that_lie_together_support_each_other(geomap_pipeline, text):
    place = _places(geomap_pipeline, text)["Naples"].place
    assert (place.country_code, place.admin1) == ("US", "Florida")


@pytest.mark.parametrize(("text", "part"), [
    ("Police in Jersey City said two men were arrested.", "jersey"),
    ("JERSEY CITY -- A storm knocked out power to thousands.", "jersey"),
    ("Crowds gathered in Quezon City on Monday.", "quezon"),
])
def test_longer_gazetteer_name_wins_over_its_part(geomap_pipeline, text, part):
    doc = geomap_pipeline.nlp(text)
    spans = [s.text.lower() for s in doc.spans[SPANS_KEY]]
    assert f"{part} city" in spans and part not in spans


def _resolve_as(pipeline, text, word):
    """Resolve ``word`` in ``text`` as if the recogniser had proposed it."""
    doc = pipeline.nlp(text)
    start = text.index(word)
    span = doc.char_span(start, start + len(word))
    others = [s for s in doc.spans[SPANS_KEY]
              if s.end <= span.start or s.start >= span.end]
    doc.spans[SPANS_KEY] = sorted([*others, Span(doc, span.start, span.end, "place")],
                                  key=lambda s: s.start)
    [m] = [m for m in resolve_doc(doc, "t", pipeline.gazetteer) if m.text == word]
    return m.place


@pytest.mark.parametrize(("text", "word", "geonameid"), [
    ("Ukraine said missiles struck Mykolaev and Odesa overnight.", "Mykolaev", 700569),
    ("In southern Ukraine, Mykolaev was shelled again.", "Mykolaev", 700569),
    ("Ukrainian officials said drones hit Zaporizhzia on Monday.", "Zaporizhzia",
     687700),
])
def test_one_letter_slip_in_a_long_name_agrees_with_the_story(geomap_pipeline, text,
                                                              word, geonameid):
    assert _resolve_as(geomap_pipeline, text, word).geonameid == geonameid


@pytest.mark.parametrize(("text", "word"), [
    # the same slip, but nothing in the story is in its country
    ("Peru said floods cut the road to Mykolaev on Monday.", "Mykolaev"),
    ("Farmers near Mykolaev in Chile lost their crops.", "Mykolaev"),
    # a short name one letter off is no match at all
    ("Sudan said fighting spread in Darfor on Monday.", "Darfor"),
])
def test_fuzzy_match_without_the_story_or_too_far_is_no_place(geomap_pipeline, text,
                                                              word):
    assert _resolve_as(geomap_pipeline, text, word) is None
