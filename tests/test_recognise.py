"""Toponym recognition with the real model and gazetteer, on sentences written
for these tests."""

from __future__ import annotations

import pytest

from geomap.recognise import SPANS_KEY, is_region_word


def _spans(pipeline, text):
    doc = pipeline.nlp(text)
    return {s.text: s.label_ for s in doc.spans[SPANS_KEY]}


def test_region_words():
    assert is_region_word("Oblast") and is_region_word("counties")
    assert not is_region_word("city")


def test_dateline_is_a_place(geomap_pipeline):
    spans = _spans(geomap_pipeline,
                   "KRAMATORSK, Ukraine -- Two missiles struck the railway station.")
    assert "KRAMATORSK" in spans and "Ukraine" in spans


@pytest.mark.parametrize(("text", "word", "cc"), [
    ("Ukrainian forces pushed east on Sunday.", "Ukrainian", "UA"),
    ("The convoy carried Moldovan volunteers across the river.", "Moldovan", "MD"),
    ("Chilean farmers blocked the highway for a week.", "Chilean", "CL"),
])
def test_demonym_stands_for_its_country_and_places_no_event(geomap_pipeline,
                                                            text, word, cc):
    # a people's name refers to its country (GeoWebNews and LGL annotate it),
    # never to a town spelt like it, and no incident is placed there
    found = {m.text: m for m in geomap_pipeline.process(text).mentions}
    assert found[word].place.country_code == cc
    assert found[word].place.feature == "country"
    assert found[word].role == "demonym"


def test_coordinated_regions_are_labelled_region(geomap_pipeline):
    spans = _spans(geomap_pipeline,
                   "Troops withdrew from the Kyiv and Chernigiv regions last week.")
    assert spans.get("Kyiv") == "region" and spans.get("Chernigiv") == "region"


def test_upper_case_country_abbreviation_is_kept(geomap_pipeline):
    spans = _spans(geomap_pipeline, "The US sent more aid on Friday.")
    assert "US" in spans


def test_state_abbreviation_after_a_town(geomap_pipeline):
    spans = _spans(geomap_pipeline, "He grew up in Huntington, W.Va., and studied law.")
    assert "Huntington" in spans and "W.Va." in spans


def test_person_named_like_a_place_is_not_a_toponym(geomap_pipeline):
    spans = _spans(geomap_pipeline,
                   "Coach Phil Jackson said the team had played well.")
    assert "Jackson" not in spans and "Phil Jackson" not in spans


def test_form_accepted_once_is_kept_inside_an_event_name(geomap_pipeline):
    doc = geomap_pipeline.nlp(
        "Storms hit Walker County on Friday. The 2009 Walker County Fair Queen "
        "was crowned later.")
    found = [s.text for s in doc.spans[SPANS_KEY]]
    assert found == ["Walker County", "Walker County"]


def test_county_inside_a_job_title_is_a_place(geomap_pipeline):
    doc = geomap_pipeline.nlp(
        "Deputies patrolled Laurel County overnight. And when Laurel County Clerk "
        "Dean Smith was asked, he said no.")
    found = [s.text for s in doc.spans[SPANS_KEY]]
    assert found == ["Laurel County", "Laurel County"]


def test_surname_of_a_named_person_is_not_a_place(geomap_pipeline):
    spans = _spans(geomap_pipeline,
                   "Prime Minister Narendra Modi spoke in Delhi. Voters said Modi "
                   "had kept his promises.")
    assert "Delhi" in spans and "Modi" not in spans


def test_place_naming_an_institution_inside_a_person_span(geomap_pipeline):
    spans = _spans(geomap_pipeline,
                   "Brookfield Fire Chief Tom Reed said nobody was hurt.")
    assert spans.get("Brookfield") == "place"


def test_place_opening_a_facility_name_keeps_its_county(geomap_pipeline):
    doc = geomap_pipeline.nlp(
        "Residents of Laurel County met at the Laurel County Detention Center.")
    assert [s.text for s in doc.spans[SPANS_KEY]] == ["Laurel County", "Laurel County"]


def test_town_tagged_as_a_group_after_a_locative(geomap_pipeline):
    spans = _spans(geomap_pipeline, "He flew back to Tunis on Sunday.")
    assert "Tunis" in spans


def test_institution_words_are_not_places(geomap_pipeline):
    spans = _spans(geomap_pipeline,
                   "The Supreme Court ruled on Monday. "
                   "Task Force officers arrived later. "
                   "Police officers closed the road.")
    assert spans == {}


def test_direction_word_before_a_region_is_stripped(geomap_pipeline):
    spans = _spans(geomap_pipeline, "She moved to North Texas in 1990 and never left.")
    assert "Texas" in spans and "North Texas" not in spans and "North" not in spans


def test_hyphenated_pair_gives_clean_town_names(geomap_pipeline):
    doc = geomap_pipeline.nlp("Storms swept through the Fargo-Moorhead region.")
    assert [s.text for s in doc.spans[SPANS_KEY]] == ["Fargo", "Moorhead"]


def test_local_noun_overrides_the_part_of_speech(geomap_pipeline):
    spans = _spans(geomap_pipeline, "A Hounslow resident was robbed.")
    assert "Hounslow" in spans


def test_party_letter_before_a_legislator_home_town(geomap_pipeline):
    spans = _spans(geomap_pipeline,
                   "The bill was filed by Rep. Ann Lee, D-Hardy, last week.")
    assert "Hardy" in spans
