"""Small hand-written articles and their machine output for the review tests.

The sentences are our own; places are the real GeoNames rows of ``common``.
"""

from __future__ import annotations

import datetime as dt

from common import IMG, KHARKIV, KYIV, ODESA, SCRIPT

from geomap.models import Article, ArticleResult, Incident, Mention

PAYLOAD = SCRIPT + IMG

T1 = ("A missile struck a depot in Kyiv on Monday, killing 4 people and "
      "wounding 9, the mayor said. Separately, a drone fell in a field.")
T2 = ("Shelling hit a market in Kharkiv on Tuesday. Three civilians died, "
      "regional officials said. Later, gunfire near the station wounded two guards.")
T3 = (f"An explosion in Odesa {PAYLOAD} killed 2 people on Wednesday, police "
      "said.")


def _inc(aid, place, etype, date, killed, wounded, quote, source):
    return Incident(aid, place, place.name if place else "", "point" if place
                    else None, etype, date, killed, wounded,
                    "exact" if killed is not None else None,
                    "exact" if wounded is not None else None, quote, (source,))


Q1 = "A missile struck a depot in Kyiv on Monday, killing 4 people and wounding 9"
Q2 = "Three civilians died, regional officials said."
Q3 = f"An explosion in Odesa {PAYLOAD} killed 2 people on Wednesday"

RESULTS = [
    ArticleResult(
        Article("kyiv-1", T1, dt.date(2022, 3, 1), "Depot hit", "https://example.org/k1"),
        (Mention("kyiv-1", T1.index("Kyiv"), T1.index("Kyiv") + 4, "Kyiv", KYIV, 0.9),),
        (_inc("kyiv-1", KYIV, "missile", dt.date(2022, 2, 28), 4, 9, Q1,
              "https://example.org/k1"),)),
    ArticleResult(
        Article("kharkiv-2", T2, dt.date(2022, 3, 2), "Market shelled", "Agency"),
        (Mention("kharkiv-2", T2.index("Kharkiv"), T2.index("Kharkiv") + 7, "Kharkiv",
                 KHARKIV, 0.9),),
        (_inc("kharkiv-2", KHARKIV, "shelling", dt.date(2022, 3, 1), 3, None, Q2,
              "Agency"),)),
    ArticleResult(
        Article("odesa-3", T3, dt.date(2022, 3, 3), PAYLOAD, "https://example.org/o3"),
        (Mention("odesa-3", T3.index("Odesa"), T3.index("Odesa") + 5, "Odesa", ODESA,
                 0.9),),
        (_inc("odesa-3", ODESA, "explosion", dt.date(2022, 3, 2), 2, None, Q3,
              "https://example.org/o3"),)),
]
