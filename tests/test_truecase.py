"""Upper-case wire copy is parsed in ordinary case, offsets and quotes kept."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap.models import Article
from geomap.nlp.truecase import gazetteer_names, is_shouting, truecase


@pytest.fixture(scope="module")
def names(gazetteer_store):
    return gazetteer_names(gazetteer_store)


@pytest.mark.parametrize(("line", "expected"), [
    ("THREE SOLDIERS WERE WOUNDED IN AN AMBUSH NEAR THE BORDER.", True),
    ("FIRE DESTROYS WAREHOUSE; NO ONE HURT, OFFICIALS SAY", True),
    ("CUENCA, 4 MAY 91 (AFP) -- [TEXT] A CAR BOMB EXPLODED TODAY.", True),
    ("CUENCA, Ecuador -- A car bomb exploded today near the palace.", False),
    ("NATO SAID ON MONDAY that its aircraft had struck a depot.", False),
    ("FLOOD WARNING", False),
])
def test_shouting_lines(line, expected):
    assert is_shouting(line) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("TWO GUARDS WERE KILLED TODAY IN A BOMB ATTACK IN GUAYAQUIL, ECUADOR.",
     "Two guards were killed today in a bomb attack in Guayaquil, Ecuador."),
    ("A BUS EXPLODED IN THE CENTRE OF SANTIAGO. FIVE PEOPLE WERE HURT.",
     "A bus exploded in the centre of Santiago. Five people were hurt."),
    ("REBELS ATTACKED A POLICE POST NEAR MEDELLIN, THE ARMY SAID ON MONDAY.",
     "Rebels attacked a police post near Medellin, the army said on monday."),
    ("GUNMEN OPENED FIRE ON A CROWD IN THE SOUTHERN PART OF NEW DELHI.",
     "Gunmen opened fire on a crowd in the southern part of New Delhi."),
])
def test_truecase_keeps_place_names_and_lowers_common_words(names, text, expected):
    out = truecase(text, names)
    assert out == expected
    assert len(out) == len(text)


def test_mixed_case_lines_are_untouched(names):
    text = ("AREQUIPA, Peru -- Police said the BOMB went off at 3 a.m.\n"
            "NO ONE WAS HURT IN THE BLAST, A SPOKESMAN FOR THE POLICE SAID.")
    out = truecase(text, names)
    assert out.splitlines()[0] == text.splitlines()[0]
    assert out.splitlines()[1] == ("No one was hurt in the blast, a spokesman for "
                                   "the police said.")


@pytest.mark.parametrize("text", [
    "CUENCA, 4 MAY 91 (EFE) -- [TEXT] SIX PEOPLE WERE KILLED AND FOUR WOUNDED TODAY "
    "WHEN A BOMB EXPLODED AT A MARKET IN THE TOWN OF RIOBAMBA.",
    "SANTIAGO, 12 JUN 90 (AFP) -- [TEXT] A CAR BOMB KILLED SIX PEOPLE AND WOUNDED "
    "FOUR OTHERS TODAY IN THE CITY OF VALPARAISO, POLICE SAID.",
    "BARRANQUILLA, 2 FEB 90 (AFP) -- [TEXT] SIX PEASANTS WERE KILLED AND FOUR WERE "
    "WOUNDED WHEN GUERRILLAS ATTACKED THE VILLAGE OF SOGAMOSO LAST NIGHT.",
])
def test_upper_case_wire_story_gives_its_incident_in_the_original_case(
        geomap_pipeline, text):
    result = geomap_pipeline.process(Article("caps", text))
    assert [(i.killed, i.wounded) for i in result.incidents] == [(6, 4)]
    incident = result.incidents[0]
    assert incident.place.feature == "city"
    assert incident.quote in text  # the article's own words, in capitals
    assert incident.location.isupper()
    assert all(m.text == text[m.start:m.end] for m in result.mentions)


_SHOUTING = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Nd", "Zs", "Po")),
                    min_size=0, max_size=200)


@settings(max_examples=200, deadline=None)
@given(st.lists(_SHOUTING, max_size=4))
def test_truecase_changes_only_case(lines):
    text = "\n".join(line.upper() if n % 2 == 0 else line
                     for n, line in enumerate(lines))
    out = truecase(text, lambda phrase, freq: len(phrase) % 3 == 0)
    assert len(out) == len(text)
    assert [a == b or a.lower() == b.lower() for a, b in zip(out, text, strict=True)] \
        == [True] * len(text)
