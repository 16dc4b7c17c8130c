"""The core records: Article, Place, Mention, Incident, ArticleResult.

All frozen. Coordinates are (lat, lon) everywhere; only ``outputs/geojson.py``
flips them to (lon, lat). The CLI's jsonl/GeoJSON/CSV are projections of these
records, written in one place (``geomap.outputs.records``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from gazetteer.records import Feature, Place

__all__ = [
    "Article",
    "ArticleResult",
    "EventType",
    "Incident",
    "Mention",
    "Place",
    "Precision",
    "Qualifier",
    "Role",
    "Toll",
    "EVENT_TYPES",
]

Precision = Literal["point", "admin1", "country"]
Qualifier = Literal["exact", "at_least", "approx"]
Role = Literal["literal", "metonymic"]
EventType = Literal[
    "airstrike", "missile", "shelling", "drone", "explosion",
    "shooting", "clash", "bombing", "other",
]
EVENT_TYPES: tuple[str, ...] = (
    "airstrike", "missile", "shelling", "drone", "explosion",
    "shooting", "clash", "bombing", "other",
)

_PRECISION: dict[Feature, Precision] = {
    "city": "point", "admin1": "admin1", "country": "country",
}


def precision_of(place: Place | None) -> Precision | None:
    """Geographic precision implied by a place's feature (``city`` -> ``point``)."""
    return None if place is None else _PRECISION[place.feature]


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
    ``role`` separates a literal place from a metonymic one ("Moscow said").
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
        """``point`` | ``admin1`` | ``country`` from the resolved place."""
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
    event_type: str
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
    """A cumulative or periodic toll ("thousands dead since...") kept out of incidents."""

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
