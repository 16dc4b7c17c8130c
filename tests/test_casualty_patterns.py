"""The casualty patterns (geomap/nlp/lexicon/casualty_patterns.jsonl) on our own
sentences, three or more paraphrases per construction, through the real parser."""

import pytest

from geomap.incidents.figures import read_figures
from geomap.nlp.casualties import EVENT_TYPES_KEY, PERIODS


def figures(nlp, text):
    return sorted((f.kind, f.value) for f in read_figures(nlp(text)))


CONSTRUCTIONS = {
    "passive": [
        ("Eleven villagers were killed in the raid.", [("killed", 11)]),
        ("At least 23 people were wounded by the blast.", [("wounded", 23)]),
        ("Six soldiers were injured when their convoy was ambushed.", [("wounded", 6)]),
    ],
    "active": [
        ("The explosion killed 14 workers at the plant.", [("killed", 14)]),
        ("Artillery fire injured nine children near the school.", [("wounded", 9)]),
        ("A car bomb killing eight people shook the market.", [("killed", 8)]),
    ],
    "intransitive": [
        ("Four miners died after the tunnel collapsed.", [("killed", 4)]),
        ("Thirty passengers perished when the ferry capsized.", [("killed", 30)]),
        ("Two firefighters died fighting the blaze.", [("killed", 2)]),
    ],
    "participle": [
        ("Police counted 17 people killed in the stampede.", [("killed", 17)]),
        ("There were 40 people injured in the collision.", [("wounded", 40)]),
        ("Rescuers reported 12 people hurt in the quake.", [("wounded", 12)]),
    ],
    "number noun": [
        ("The flood caused 25 deaths in the valley.", [("killed", 25)]),
        ("Doctors treated 60 injuries after the crush.", [("wounded", 60)]),
        ("Officials recorded 19 fatalities on the road.", [("killed", 19)]),
    ],
    "bodies of": [
        ("Divers recovered the bodies of seven fishermen.", [("killed", 7)]),
        ("Searchers found the bodies of 13 migrants in the desert.", [("killed", 13)]),
        ("The bodies of five hikers were pulled from the snow.", [("killed", 5)]),
    ],
    "left dead": [
        ("The landslide left 22 people dead.", [("killed", 22)]),
        ("The ambush left three soldiers dead and five wounded.",
         [("killed", 3), ("wounded", 5)]),
        ("The storm left 15 residents injured.", [("wounded", 15)]),
    ],
    "shot dead": [
        ("Gunmen shot dead 16 worshippers at the shrine.", [("killed", 16)]),
        ("Soldiers shot dead four protesters at the checkpoint.", [("killed", 4)]),
        ("Militants shot dead nine travellers on the highway.", [("killed", 9)]),
    ],
    "headline without articles": [
        ("Basement fire kills man in small town", [("killed", 1)]),
        ("Stray bullet kills girl in her bedroom", [("killed", 1)]),
        ("Explosion injures worker at factory", [("wounded", 1)]),
    ],
    "a lone number the tagger calls a date": [
        ("A missile hit the town hall in Arequipa on Monday morning, killing at least "
         "10 people and wounding 35, officials said.",
         [("killed", 10), ("wounded", 35)]),
        ("Shelling hit a market on Friday evening, killing four people and "
         "wounding 28, the mayor said.", [("killed", 4), ("wounded", 28)]),
        ("A drone struck a depot on Sunday night, killing two and injuring 17, "
         "the governor said.", [("killed", 2), ("wounded", 17)]),
    ],
    "a year is not a count": [
        ("The 1998 bombing of the market killed 31 people.", [("killed", 31)]),
        ("Rescuers said the 2011 earthquake killed 85 people.", [("killed", 85)]),
        ("A 2004 explosion at the mine killed 12 workers.", [("killed", 12)]),
    ],
    "taken to hospital": [
        ("Five people were taken to hospital after the fire.", [("wounded", 5)]),
        ("A teenager was airlifted to a hospital in the city.", [("wounded", 1)]),
        ("Two people were killed and three were taken to hospital.",
         [("killed", 2), ("wounded", 3)]),
    ],
    "hit by a vehicle": [
        ("Two women were hit by a car while crossing the road.", [("wounded", 2)]),
        ("A cyclist was struck by a lorry on the bypass.", [("wounded", 1)]),
        ("Three pedestrians were mown down by a van near the station.",
         [("wounded", 3)]),
        ("The bus was hit by a train at the crossing.", []),
    ],
    "who died": [
        ("Relatives mourned the 14 miners who died in the blast.", [("killed", 14)]),
        ("Police named the three hikers who died on the mountain.", [("killed", 3)]),
        ("The 22 passengers who perished in the crash were identified.",
         [("killed", 22)]),
    ],
    "fatally harmed": [
        ("Police fatally shot two men at a roadblock on Friday.", [("killed", 2)]),
        ("Three guards were fatally stabbed during the riot.", [("killed", 3)]),
        ("A sniper mortally wounded four villagers.", [("killed", 4)]),
        ("Two officers were mortally wounded in the ambush.", [("killed", 2)]),
    ],
    "shot and killed": [
        ("A man shot and killed three neighbours on Sunday.", [("killed", 3)]),
        ("The attacker stabbed and killed two guards.", [("killed", 2)]),
        ("Robbers shot and killed a shopkeeper.", [("killed", 1)]),
    ],
    "claimed lives": [
        ("The fire claimed 31 lives.", [("killed", 31)]),
        ("The epidemic of violence took 12 lives in the town.", [("killed", 12)]),
        ("The collapse cost 44 lives.", [("killed", 44)]),
    ],
    "toll rose to": [
        ("The death toll from the flood rose to 57 on Friday.", [("killed", 57)]),
        ("The death toll climbed to 210 overnight.", [("killed", 210)]),
        ("The toll from the blast has reached 35.", [("killed", 35)]),
    ],
    "number of people killed": [
        ("The number of people killed in the fire rose to 48.", [("killed", 48)]),
        ("The number of people killed when a rocket hit the depot has climbed to "
         "at least 40, the governor said.", [("killed", 40)]),
        ("Officials lowered the number of people killed in the blasts to 70 from 95.",
         [("killed", 70)]),
    ],
    "treated": [
        ("Eight people were treated for smoke inhalation.", [("wounded", 8)]),
        ("Twelve pupils were hospitalised after the gas leak.", [("wounded", 12)]),
        ("Three officers were treated for minor injuries.", [("wounded", 3)]),
    ],
    "suffered injuries": [
        ("Two passengers suffered serious injuries.", [("wounded", 2)]),
        ("The driver sustained head injuries in the crash.", [("wounded", 1)]),
        ("Five climbers suffered burns in the blaze.", [("wounded", 5)]),
    ],
    "one person": [
        ("A teenager was killed in the shooting.", [("killed", 1)]),
        ("The victim died at the scene.", [("killed", 1)]),
        ("He was killed instantly, the police said.", [("killed", 1)]),
    ],
    "a couple": [
        ("A couple were killed when their car was hit.", [("killed", 2)]),
        ("Both men died in hospital.", [("killed", 2)]),
        ("The couple were injured by falling debris.", [("wounded", 2)]),
    ],
    "shot is a wound": [
        ("A woman was shot in the leg outside the bar.", [("wounded", 1)]),
        ("Two teenagers were shot near the park.", [("wounded", 2)]),
        ("A guard was stabbed during the robbery.", [("wounded", 1)]),
    ],
    "coordinated groups are summed": [
        ("The strike killed 19 children and two teachers.", [("killed", 21)]),
        ("Four police officers and three bystanders were wounded.", [("wounded", 7)]),
        ("The blast killed six soldiers and four civilians.", [("killed", 10)]),
    ],
}


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(t, e, id=f"{name}-{n}") for name, cases in CONSTRUCTIONS.items()
    for n, (t, e) in enumerate(cases)])
def test_construction(nlp, text, expected):
    assert figures(nlp, text) == expected


@pytest.mark.parametrize("text", [
    "Nobody was hurt in the fire.",
    "No one was killed when the shell landed in a field.",
    "There were no injuries, the fire brigade said.",
])
def test_negated_figures_are_not_counts(nlp, text):
    assert figures(nlp, text) == []


@pytest.mark.parametrize("text", [
    "The attack killed 12 people, including three children.",
    "Nine workers died, among them two engineers.",
    "Police said 15 people were killed, including four officers.",
])
def test_subcounts_are_not_added(nlp, text):
    got = figures(nlp, text)
    assert len(got) == 1 and got[0][1] in (12, 9, 15)


@pytest.mark.parametrize("text", [
    "Two gunmen were killed by the police.",
    "The attacker was shot dead by guards.",
    "Three militants died in the clash.",
])
def test_attackers_are_not_victims(nlp, text):
    assert figures(nlp, text) == []


@pytest.mark.parametrize(("text", "kind"), [
    ("The flooding has killed 300 people since the monsoon began.", "since"),
    ("Violence this year has killed 1,200 people.", "period"),
    ("Clashes across the country killed 40 people.", "area"),
])
def test_period_phrases_are_marked(nlp, text, kind):
    doc = nlp(text)
    assert kind in {p.label_ for p in doc.spans[PERIODS]}


@pytest.mark.parametrize(("text", "kind"), [
    ("A drone struck the refinery.", "drone"),
    ("Air strikes hit the camp overnight.", "airstrike"),
    ("The car bomb went off near the checkpoint.", "bombing"),
    ("Shelling damaged two schools.", "shelling"),
    ("A gunman opened fire in the mall.", "shooting"),
    ("The earthquake flattened the village.", "other"),
])
def test_event_type_spans(nlp, text, kind):
    doc = nlp(text)
    assert kind in {s.label_ for s in doc.spans[EVENT_TYPES_KEY]}


@pytest.mark.parametrize(("text", "second"), [
    ('Rescuers worked through the night, the mayor said."We have lost friends," '
     "she added.", '"We have lost friends," she added.'),
    ("A shell hit the depot.Two guards were wounded.", "Two guards were wounded."),
    ("Shelling resumed at dawn\nFive people were hurt in the old town.",
     "Five people were hurt in the old town."),
])
def test_glued_paragraphs_and_line_breaks_split_sentences(nlp, text, second):
    doc = nlp(text)
    assert [s.text.strip() for s in doc.sents][1] == second
