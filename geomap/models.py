"""The core records: Article, Place, Mention, Incident, ArticleResult.

All frozen. Coordinates are (lat, lon) everywhere; only ``outputs/geojson.py``
flips them to (lon, lat). The CLI's jsonl/GeoJSON/CSV are projections of these
records, written in one place (``geomap.outputs.records``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, get_args

from gazetteer.records import Feature, Place

__all__ = [
    "EVENT_TYPES",
    "EVENT_TYPE_PRIORITY",
    "EVENT_TYPE_SPECIFICITY",
    "FEATURES",
    "FEATURE_RANK",
    "GEO_PRECISION",
    "PRECISIONS",
    "PRECISION_OF",
    "PRECISION_RANK",
    "QUALIFIERS",
    "Article",
    "ArticleResult",
    "EventType",
    "Feature",
    "Incident",
    "Mention",
    "Place",
    "Precision",
    "Qualifier",
    "Role",
    "Toll",
    "geo_precision_of",
    "precision_of",
]

Precision = Literal["point", "admin2", "admin1", "region", "country", "continent"]
Qualifier = Literal["exact", "at_least", "approx"]
Role = Literal["literal", "metonymic", "demonym"]
EventType = Literal[
    "airstrike", "missile", "shelling", "drone", "explosion",
    "shooting", "clash", "bombing", "other",
]
#: Every event type, in the order of the Literal.
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
#: When two event-type words sit on the same token, or a sentence names several
#: kinds, the more specific kind wins in this order (a suicide bombing that
#: also "exploded" is a bombing; a missile "strike" is a missile).
EVENT_TYPE_PRIORITY: tuple[EventType, ...] = (
    "bombing", "airstrike", "drone", "missile", "shelling", "shooting", "clash",
    "explosion", "other",
)
#: When reports of one event name different kinds, the merged event takes the
#: most specific one in this order (a "missile" says more than "explosion").
EVENT_TYPE_SPECIFICITY: tuple[EventType, ...] = (
    "missile", "airstrike", "drone", "shelling", "bombing", "shooting", "clash",
    "explosion", "other",
)
#: Figures qualified "exact" say more than "at least", which says more than
#: "about": the order in which reports' figures are preferred.
QUALIFIERS: tuple[Qualifier, ...] = get_args(Qualifier)

# -- the vocabulary of kinds of place (the one place for it) ------------------

#: Every ``Place.feature`` value, finest first (the Literal is declared in
#: ``gazetteer.records``, which cannot import this package).
FEATURES: tuple[Feature, ...] = get_args(Feature)
#: Every precision value, finest first.
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
#: Size order of features: a smaller rank is a finer place.  Rivers, seas and
#: mountain ranges rank with macro-regions: they cover a region, not a point.
FEATURE_RANK: dict[Feature, int] = {
    "city": 0, "admin2": 1, "admin1": 2, "region": 3, "natural": 3,
    "country": 4, "continent": 5,
}
#: Precision of a place of each feature.
PRECISION_OF: dict[Feature, Precision] = {
    "city": "point", "admin2": "admin2", "admin1": "admin1", "region": "region",
    "natural": "region", "country": "country", "continent": "continent",
}
#: Order of precisions (finest first), for picking the most precise record.
PRECISION_RANK: dict[Precision, int] = {p: i for i, p in enumerate(PRECISIONS)}
#: ACLED's ``geo_precision`` for a place of each feature: 1 a named town,
#: 2 near a town or part of a region (a district), 3 a region or larger (a
#: sea, river or mountain range named alone gives no town either).  The CSV
#: writer (``geomap.outputs.tables``) reads this table.
GEO_PRECISION: dict[Feature, int] = {
    "city": 1, "admin2": 2, "admin1": 3, "region": 3, "natural": 3,
    "country": 3, "continent": 3,
}
def precision_of(place: Place | None) -> Precision | None:
    """Geographic precision implied by a place's feature (``city`` -> ``point``).

    >>> precision_of(Place(1, "Crimea", 45.3, 34.4, "UA", None, "region"))
    'region'
    >>> precision_of(None) is None
    True
    """
    return None if place is None else PRECISION_OF[place.feature]


def geo_precision_of(place: Place | None) -> int | None:
    """ACLED ``geo_precision`` of a place (1 town, 2 district, 3 region or larger).

    >>> raion = Place(1, "Pokrovsk Raion", 48.2, 37.3, "UA", None, "admin2")
    >>> geo_precision_of(raion)
    2
    >>> geo_precision_of(None) is None
    True
    """
    return None if place is None else GEO_PRECISION[place.feature]


@dataclass(frozen=True, slots=True)
class Article:
    """One news article. ``origin`` is ``file`` or ``file:line`` for messages."""

    id: str
    text: str
    date: dt.date | None = None
    title: str | None = None
    source: str | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    """A place named in an article: character span, resolved place, confidence.

    ``start``/``end`` are code-point offsets into ``Article.text`` (end exclusive).
    ``role`` separates a literal place from a metonymic one ("Moscow said")
    and from a people's name that stands for its country ("Syrian troops":
    ``demonym``, resolved to the country but not listed as a place).
    """

    article_id: str
    start: int
    end: int
    text: str
    place: Place | None
    score: float
    role: Role = "literal"

    @property
    def precision(self) -> Precision | None:
        """The precision (``PRECISIONS``) of the resolved place, from its feature."""
        return precision_of(self.place)


@dataclass(frozen=True, slots=True)
class Incident:
    """An event with casualty figures, as an analyst would code it.

    ``killed``/``wounded`` are counts of people (None when the text gives no
    number); qualifiers say whether the figure is exact, a lower bound or an
    approximation. ``date`` is the event date, never after the article date.
    """

    article_id: str
    place: Place | None
    location: str
    precision: Precision | None
    event_type: EventType
    date: dt.date | None
    killed: int | None
    wounded: int | None
    killed_qualifier: Qualifier | None
    wounded_qualifier: Qualifier | None
    quote: str
    sources: tuple[str, ...] = ()
    #: ``machine`` | ``accepted`` | ``edited`` | ``added`` after analyst review
    #: (see :mod:`geomap.review`); rejected incidents never reach the outputs.
    review_status: str = "machine"


@dataclass(frozen=True, slots=True)
class Toll:
    """A cumulative or periodic toll ("thousands dead since...").

    Kept out of incidents."""

    article_id: str
    killed: int | None
    wounded: int | None
    quote: str


@dataclass(frozen=True, slots=True)
class ArticleResult:
    """Everything extracted from one article."""

    article: Article
    mentions: tuple[Mention, ...] = ()
    incidents: tuple[Incident, ...] = ()
    tolls: tuple[Toll, ...] = field(default=())
