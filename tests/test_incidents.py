"""Casualty constructions, each in a sentence of our own, through the real parser."""

import datetime as dt
import re
from pathlib import Path

import pytest

from geomap.incidents import event_type_of, extract_incidents
from geomap.models import Article, Mention, Place

# Real GeoNames coordinates (lat, lon); regions carry a synthetic id like the store.
PLACES = {
    "Zaporizhzhia": Place(687700, "Zaporizhzhia", 47.82289, 35.19031, "UA",
                          "Zaporizhzhia Oblast", "city", 710052),
    "Kherson": Place(706448, "Kherson", 46.65581, 32.6178, "UA", "Kherson Oblast",
                     "city", 320477),
    "Kharkiv": Place(706483, "Kharkiv", 49.98081, 36.25272, "UA", "Kharkiv Oblast",
                     "city", 1430885),
    "Lviv": Place(702550, "Lviv", 49.83826, 24.02324, "UA", "Lviv Oblast", "city",
                  717803),
    "Kyiv": Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city",
                  2797553),
    "Mykolaiv": Place(700569, "Mykolaiv", 46.97625, 31.99296, "UA",
                      "Mykolaiv Oblast", "city", 510840),
    "Kramatorsk": Place(704508, "Kramatorsk", 48.72305, 37.56363, "UA",
                        "Donetsk Oblast", "city", 173700),
    "Donetsk region": Place(-4, "Donetsk Oblast", 48.0, 37.8, "UA", "Donetsk Oblast",
                            "admin1", 0),
    "Ukraine": Place(690791, "Ukraine", 49.0, 32.0, "UA", None, "country", 44622516),
    "Moscow": Place(524901, "Moscow", 55.75222, 37.61556, "RU", "Moscow", "city",
                    10381222),
    "Aleppo": Place(170063, "Aleppo", 36.20124, 37.16117, "SY", "Aleppo", "city",
                    1602264),
    "Istanbul": Place(745044, "Istanbul", 41.01384, 28.94966, "TR", "Istanbul",
                      "city", 14804116),
    "Chernigiv": Place(710735, "Chernihiv", 51.50551, 31.28487, "UA",
                       "Chernihiv Oblast", "city", 294727),
}
MONDAY = dt.date(2023, 3, 6)


def mentions_in(text, names=PLACES, metonymic=()):
    out = []
    for name in sorted(names, key=len, reverse=True):
        for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text,
                             flags=re.IGNORECASE):
            if any(m.start() < o.end and o.start < m.end() for o in out):
                continue
            role = "metonymic" if name in metonymic else "literal"
            out.append(Mention("t", m.start(), m.end(), m.group(0), names[name], 0.9,
                               role))
    return sorted(out, key=lambda m: m.start)


@pytest.fixture(scope="module")
def run(nlp):
    def _run(text, date=MONDAY, metonymic=(), source=None):
        article = Article("t", text, date, source=source)
        return extract_incidents(nlp(text), article, mentions_in(text,
                                                                 metonymic=metonymic))
    return _run


def one(run, text, **kw):
    incidents, _ = run(text, **kw)
    assert len(incidents) == 1, incidents
    return incidents[0]


def test_passive_voice_and_bare_wounded(run):
    inc = one(run, "Nine people were killed and 14 injured when rockets hit "
                   "Zaporizhzhia on Sunday.")
    assert (inc.killed, inc.killed_qualifier, inc.wounded) == (9, "exact", 14)
    assert inc.location == "Zaporizhzhia" and inc.precision == "point"
    assert inc.date == dt.date(2023, 3, 5) and inc.event_type == "missile"


def test_active_voice_with_number_words(run):
    inc = one(run, "Artillery shelling in Kherson on Monday killed three people and "
                   "wounded a dozen others.")
    assert (inc.killed, inc.wounded, inc.event_type) == (3, 12, "shelling")
    assert inc.date == MONDAY


def test_participle_with_qualifiers(run):
    inc = one(run, "A drone slammed into a dormitory in Kharkiv late on Saturday, "
                   "killing at least four students and wounding more than 20.")
    assert (inc.killed, inc.killed_qualifier) == (4, "at_least")
    assert (inc.wounded, inc.wounded_qualifier) == (20, "at_least")
    assert inc.event_type == "drone" and inc.date == dt.date(2023, 3, 4)


def test_bodies_of(run):
    inc = one(run, "Rescuers pulled the bodies of six people from a school in Lviv "
                   "after an air strike on Friday.")
    assert (inc.killed, inc.wounded, inc.event_type) == (6, None, "airstrike")
    assert inc.date == dt.date(2023, 3, 3)


def test_left_dead_and_hurt(run):
    inc = one(run, "A car bomb left five soldiers dead and 30 hurt outside a barracks "
                   "in Kherson yesterday.")
    assert (inc.killed, inc.wounded, inc.event_type) == (5, 30, "bombing")
    assert inc.date == dt.date(2023, 3, 5)


def test_subgroup_not_added(run):
    inc = one(run, "Eleven people, including four children, were killed by shelling "
                   "in Kharkiv.")
    assert inc.killed == 11


def test_coordinated_groups_are_summed(run):
    inc = one(run, "Gunmen attacked a checkpoint in Kherson, killing 15 soldiers and "
                   "three medics.")
    assert (inc.killed, inc.event_type) == (18, "shooting")


def test_vague_amounts(run):
    inc = one(run, "Dozens of people were killed and hundreds injured when an "
                   "earthquake flattened houses in Aleppo.")
    assert (inc.killed, inc.killed_qualifier) == (None, "approx")
    assert (inc.wounded, inc.wounded_qualifier) == (None, "approx")
    assert inc.event_type == "other"


def test_implicit_count(run):
    inc = one(run, "A paramedic was killed and a firefighter wounded when a second "
                   "missile struck Zaporizhzhia.")
    assert (inc.killed, inc.wounded) == (1, 1)


def test_cumulative_toll_is_not_an_incident(run):
    incidents, tolls = run("More than 2,000 civilians have been killed in Kharkiv "
                           "since the start of the war, the mayor said.")
    assert incidents == []
    assert [(t.killed, t.wounded) for t in tolls] == [(2000, None)]


def test_monthly_toll_is_not_an_incident(run):
    incidents, tolls = run("Landmines have killed 45 people in Kherson this month.")
    assert incidents == [] and [t.killed for t in tolls] == [45]


def test_war_duration_toll_is_not_an_incident(run):
    incidents, _ = run("The war, now in its third week, has left hundreds dead and "
                       "forced thousands of people in Kharkiv to flee.")
    assert incidents == []


def test_updated_toll_takes_the_latest(run):
    inc = one(run, "The death toll from Saturday's missile strike on Zaporizhzhia rose "
                   "to 17 from 11, officials said on Monday.")
    assert (inc.killed, inc.killed_qualifier) == (17, "exact")
    assert inc.date == dt.date(2023, 3, 4)


def test_revised_down_toll(run):
    inc = one(run, "Officials revised the number of people killed in the blast in "
                   "Lviv down to 9 from 12.")
    assert inc.killed == 9


def test_repeated_figures_merge_into_one_incident(run):
    text = ("At least 8 people were killed and 19 wounded on Sunday when a missile hit "
            "an office block in Mykolaiv. The strike brought down three floors. "
            "\"We have found the bodies of 8 people and 19 people were injured,\" "
            "the mayor said.")
    inc = one(run, text)
    assert (inc.killed, inc.killed_qualifier, inc.wounded) == (8, "at_least", 19)
    assert inc.quote.startswith("At least 8 people")
    assert inc.date == dt.date(2023, 3, 5)


def test_two_places_two_incidents(run):
    incidents, _ = run("Shelling killed four people in Kherson on Sunday. Hours later "
                       "a missile strike on Kharkiv killed two people and wounded 9.")
    got = sorted((i.location, i.killed, i.wounded) for i in incidents)
    assert got == [("Kharkiv", 2, 9), ("Kherson", 4, None)]


def test_strike_without_casualties(run):
    inc = one(run, "A Russian missile struck a power plant in Lviv overnight. "
                   "Nobody was hurt, the governor said.")
    assert (inc.killed, inc.wounded, inc.killed_qualifier) == (None, None, None)
    assert inc.location == "Lviv" and inc.event_type == "missile"
    assert inc.date == MONDAY


def test_metonymic_and_dateline_places_are_not_locations(run):
    text = ("KYIV (wire) -- Moscow denied the attack after shelling killed "
            "seven people in Kharkiv on Sunday.")
    inc = one(run, text, metonymic=("Moscow",))
    assert inc.location == "Kharkiv"


def test_dateline_is_the_last_resort(run):
    inc = one(run, "KHARKIV, Ukraine (wire) -- Two people were killed by shelling "
                   "on Sunday, the governor said.")
    assert (inc.location, inc.killed) == ("KHARKIV", 2)


def test_region_precision_and_city_preferred(run):
    inc = one(run, "Shelling across the Donetsk region killed six civilians on Sunday.")
    assert (inc.location, inc.precision, inc.killed) == ("Donetsk region", "admin1", 6)
    inc = one(run, "A missile hit the station in Kramatorsk in the Donetsk region, "
                   "killing 12.")
    assert inc.location == "Kramatorsk"


def test_no_casualty_figures_no_incident(run):
    incidents, tolls = run("The president visited Kyiv on Monday and promised new "
                           "air defence systems.")
    assert incidents == [] and tolls == []


def test_sources_and_article_id(run):
    inc = one(run, "Shelling killed four people in Kherson.", source="Wire")
    assert inc.sources == ("Wire",) and inc.article_id == "t"


@pytest.mark.parametrize(("text", "expected"), [
    ("an air strike on a market", "airstrike"),
    ("a suicide bomber blew himself up", "bombing"),
    ("heavy artillery fire", "shelling"),
    ("a gunman opened fire", "shooting"),
    ("clashes between rival militias", "clash"),
    ("a gas explosion", "explosion"),
    ("floods swept away homes", "other"),
])
def test_event_type(text, expected):
    assert event_type_of(text) == expected


SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / \
    "000_6a85c2b3ec20f1f3.txt"


@pytest.mark.skipif(not SEED.exists(), reason="reference article ../shared/seed absent")
def test_reference_article(nlp):
    raw = SEED.read_text(encoding="utf-8")
    header = re.match(r"\s*date (\d{4}-\d{2}-\d{2})\s*", raw)
    date, text = dt.date.fromisoformat(header.group(1)), raw[header.end():]
    article = Article("seed", text, date)
    mentions = mentions_in(text, metonymic=("Moscow",))
    incidents, tolls = extract_incidents(nlp(text), article, mentions)
    assert [(i.location, i.date, i.killed, i.killed_qualifier, i.wounded,
             i.event_type) for i in incidents] == [
        ("Mykolaiv", dt.date(2022, 3, 29), 12, "at_least", 33, "missile")]
    assert [t.killed for t in tolls] == [None]


@pytest.mark.parametrize("text", [
    "Police first put the death toll from the strike on Kharkiv at 16, but it "
    "later rose to 19.",
    "The death toll in Kharkiv was first given as 12; by evening it had climbed "
    "to 19.",
    "Officials reported a toll of 15 after the blast in Kharkiv, which later "
    "rose to 19.",
])
def test_toll_revised_through_a_pronoun_takes_the_last(run, text):
    inc = one(run, text)
    assert (inc.location, inc.killed) == ("Kharkiv", 19)


@pytest.mark.parametrize(("text", "killed"), [
    ("A car bomb killed at least two dozen people in Kherson on Sunday.", 24),
    ("Two dozen people died when shells hit a market in Kherson.", 24),
    ("Nearly three dozen soldiers were killed in the attack on Kherson.", 36),
])
def test_dozens_multiply(run, text, killed):
    assert one(run, text).killed == killed


@pytest.mark.parametrize("text", [
    "The rocket strike on Lviv wounded 34 people in the biggest attack on the "
    "city since the start of the war.",
    "A drone attack on Lviv killed five people, the deadliest in the city since "
    "January.",
    "Shelling killed seven people in Lviv on Sunday, the worst attack there "
    "since the invasion began.",
])
def test_since_in_a_superlative_is_not_a_period(run, text):
    incidents, _ = run(text)
    assert [i.location for i in incidents] == ["Lviv"]


@pytest.mark.parametrize("text", [
    "The UN says at least 9,000 civilians have been killed and 16,000 injured "
    "in Ukraine since the invasion, officials in Lviv said.",
    "More than 500 people have been killed and 2,000 wounded in the region "
    "since the offensive began, officials in Kharkiv said.",
    "Officials in Kherson said 40 civilians were killed and 70 injured since "
    "the truce collapsed in March.",
])
def test_coordinated_cumulative_tolls_are_not_incidents(run, text):
    incidents, _ = run(text)
    assert incidents == []
