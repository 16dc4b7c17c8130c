"""Named features of the incident decisions, on sentences of our own, real parser."""

import datetime as dt

import pytest

from geomap.incidents.context import article_context
from geomap.incidents.extract import decisions
from geomap.incidents.features import FIGURE_FEATURES, PLACE_FEATURES, place_features
from geomap.models import Article, Place
from geomap.nlp.casualties import PERIODS
from tests.test_incidents import mentions_in

DAY = dt.date(2023, 3, 6)


def _place_feature(nlp, text, name, feature):
    doc = nlp(text)
    article = Article("t", text, DAY)
    ctx = article_context(doc, article, mentions_in(text))
    cands = [c for c in ctx.candidates if c.mention.text == name]
    assert cands, name
    rows = place_features(ctx, doc[0], cands)
    return rows[0][PLACE_FEATURES.index(feature)]


@pytest.mark.parametrize("text", [
    "A 34-year-old man of Lviv died in the crash on Sunday.",
    "Sergeant Ivan Petrenko, 41, of Lviv was wounded in the attack.",
    "A resident of Lviv was hurt when the roof collapsed.",
])
def test_person_origin(nlp, text):
    assert _place_feature(nlp, text, "Lviv", "person_origin") == 1.0


@pytest.mark.parametrize("text", [
    "Shelling killed two people in Lviv on Sunday.",
    "Two people were hurt near the station of Lviv.",
    "A missile struck Lviv, wounding five.",
])
def test_event_places_are_not_origins(nlp, text):
    assert _place_feature(nlp, text, "Lviv", "person_origin") == 0.0


@pytest.mark.parametrize("text", [
    "Two cars collided at Kherson Road and Pine Street on Sunday.",
    "The victim was found on Kharkiv Avenue late on Friday.",
    "Police closed Lviv Boulevard after the shooting.",
])
def test_street_names(nlp, text):
    name = next(n for n in ("Kherson", "Kharkiv", "Lviv") if n in text)
    assert _place_feature(nlp, text, name, "street_name") == 1.0


def _figure_features(nlp, text, date=DAY):
    doc = nlp(text)
    _, rows = decisions(doc, Article("t", text, date), mentions_in(text))
    return [dict(zip(FIGURE_FEATURES, r.features, strict=True)) for r in rows
            if r.figure is not None]


@pytest.mark.parametrize("text", [
    "A judge sentenced the man who killed four people in Kharkiv to life in prison.",
    "The court convicted two men who murdered a shopkeeper in Lviv.",
    "A young man was killed outside a bar in Kherson, a court heard on Monday.",
])
def test_legal_governs(nlp, text):
    assert {f["legal_governs"] for f in _figure_features(nlp, text)} == {1.0}


@pytest.mark.parametrize("text", [
    "Shelling killed four people in Kharkiv, the prosecutor said.",
    "Two people were killed in Lviv on Sunday, police said.",
    "A missile killed three people in Kherson before the trial began.",
])
def test_legal_words_elsewhere_do_not_govern(nlp, text):
    assert {f["legal_governs"] for f in _figure_features(nlp, text)} == {0.0}


@pytest.mark.parametrize("text", [
    "Hundreds marked the anniversary of the bombing that killed 21 people in Lviv.",
    "Relatives held a memorial for the 14 miners who died in the Kharkiv blast.",
    "The town commemorated the nine soldiers killed near Kherson.",
])
def test_memory_governs(nlp, text):
    assert {f["memory_governs"] for f in _figure_features(nlp, text)} == {1.0}


@pytest.mark.parametrize("text", [
    "The 1998 bombing of the market in Lviv killed 31 people.",
    "In 2004 an explosion at the mine in Kharkiv killed 12 workers.",
    "A fire in Kherson in May 2011 killed 17 residents.",
])
def test_old_year_near_the_figure(nlp, text):
    assert {f["old_year_near"] for f in _figure_features(nlp, text)} == {1.0}


@pytest.mark.parametrize("text", [
    "Shelling killed four people in Kharkiv on Sunday.",
    "A drone strike on Lviv killed two people overnight, the mayor said.",
    "Three people were killed in Kherson on Saturday.",
])
def test_no_old_year(nlp, text):
    assert {f["old_year_near"] for f in _figure_features(nlp, text)} == {0.0}


@pytest.mark.parametrize("text", [
    "Roadside bombs killed 96 soldiers over a three-year period, the report said.",
    "Between March 2010 and June 2012, drone strikes killed 400 people.",
    "From January to May, floods killed 120 people in the district.",
    "Landmines killed 31 farmers within a six-month period.",
])
def test_period_phrases(nlp, text):
    doc = nlp(text)
    assert [s.label_ for s in doc.spans[PERIODS]][:1] == ["period"]
    assert {f["period_governs"] for f in _figure_features(nlp, text)} == {1.0}


@pytest.mark.parametrize("text", [
    "The 1998 bombing of the market in Lviv killed 31 people. The blast, set off "
    "by a timer, killed 31 shoppers and wounded dozens.",
    "In 2004 an explosion at the mine in Kharkiv killed 12 workers. Rescuers said "
    "12 miners died underground.",
    "A fire in Kherson in May 2011 killed 17 residents. Neighbours said 17 people "
    "were killed in the blaze.",
])
def test_restated_old_figure(nlp, text):
    killed = [f for f in _figure_features(nlp, text) if f["log_value"] > 0.25]
    assert [f["restates_old"] for f in killed] == [0.0, 1.0]


@pytest.mark.parametrize(("text", "expected"), [
    ("At least 300 people have been killed in the fighting.", 1.0),
    ("Some 40 civilians have died in the province.", 1.0),
    ("Two soldiers were killed in Lviv on Sunday.", 0.0),
])
def test_present_perfect(nlp, text, expected):
    assert {f["present_perfect"] for f in _figure_features(nlp, text)} == {expected}


@pytest.mark.parametrize(("text", "expected"), [
    ("A rocket hit a depot in Lviv on Sunday. No one was hurt, the mayor said.", 1.0),
    ("Shells landed near the station in Kharkiv but caused no casualties.", 1.0),
    ("A drone struck a warehouse in Kherson overnight; nobody was injured.", 1.0),
    ("A missile hit an apartment block in Lviv on Sunday.", 0.0),
])
def test_no_casualties(nlp, text, expected):
    doc = nlp(text)
    _, rows = decisions(doc, Article("t", text, DAY), mentions_in(text))
    reports = [dict(zip(FIGURE_FEATURES, r.features, strict=True)) for r in rows
               if r.figure is None]
    assert [f["no_casualties"] for f in reports] == [expected]


@pytest.mark.parametrize("text", [
    "A police car was hit by a roadside device in Lviv on Monday.",
    "Violent clashes broke out in the centre of Kharkiv on Saturday.",
    "A convoy was struck by an explosive device outside Kherson.",
])
def test_reports_without_figures(nlp, text):
    doc = nlp(text)
    _, rows = decisions(doc, Article("t", text, DAY), mentions_in(text))
    assert [r.figure for r in rows] == [None]


@pytest.mark.parametrize(("text", "place"), [
    ("A gunman killed four people in Lviv, hours after another attacker killed "
     "seven people at a market in Kherson.", "Kherson"),
    ("Shelling wounded two people in Kharkiv on Monday, a day after a drone "
     "killed five people in Lviv.", "Lviv"),
    ("Rockets hit Kherson overnight, and later a missile killed nine people near "
     "a school in Kharkiv.", "Kharkiv"),
])
def test_second_clause_figure_is_nearest_its_own_place(nlp, text, place):
    doc = nlp(text)
    _, rows = decisions(doc, Article("t", text, DAY), mentions_in(text))
    last = [r for r in rows if r.figure is not None][-1]
    near = PLACE_FEATURES.index("nearest_in_sentence")
    clause = PLACE_FEATURES.index("in_clause")
    chosen = [c.mention.text for c, x in zip(last.candidates, last.place_matrix,
                                              strict=True) if x[near] and x[clause]]
    assert chosen == [place]


@pytest.mark.parametrize(("text", "name"), [
    ("Missiles hit the Black Sea port on Saturday, wounding nine people.", "Black Sea"),
    ("Shelling of the Donbas town wounded four people on Monday.", "Donbas"),
    ("A drone struck the Crimea port overnight, killing two sailors.", "Crimea"),
])
def test_a_sea_or_region_describing_a_town(nlp, text, name):
    places = {"Black Sea": Place(630673, "Black Sea", 43.0, 35.0, "", None, "natural"),
              "Donbas": Place(-20, "Donbas", 48.0, 38.0, "UA", None, "region"),
              "Crimea": Place(-21, "Crimea", 45.0, 34.0, "UA", None, "region")}
    doc = nlp(text)
    ctx = article_context(doc, Article("t", text, DAY), mentions_in(text, places))
    (cand,) = [c for c in ctx.candidates if c.mention.text == name]
    row = place_features(ctx, doc[0], [cand])[0]
    assert row[PLACE_FEATURES.index("describes_place")] == 1.0


@pytest.mark.parametrize(("text", "name", "expected"), [
    ("A bomb exploded at St. Kharkiv's Church on Sunday, killing 11.", "Kharkiv", 1.0),
    ("Gunmen attacked Lviv's Cathedral during mass, wounding six.", "Lviv", 1.0),
    ("A fire broke out at Saint Kherson's Hospital, killing two patients.",
     "Kherson", 1.0),
    ("A bomb exploded at the Kharkiv Arena on Sunday, killing 11.", "Kharkiv", 0.0),
])
def test_named_building(nlp, text, name, expected):
    assert _place_feature(nlp, text, name, "named_building") == expected
