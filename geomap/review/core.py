"""The pure core of the review loop: keys, corrections and how they fold.

An analyst never overwrites machine output. Each change is a
:class:`Correction` (item, field, before, after, when, reviewer) appended to
the store's audit table; the reviewed incident is the machine incident with its
corrections folded over it in order (:func:`fold`).

A machine incident is known to the review by its *key*: the article id and the
span of its quote in the article text, plus an ordinal for two incidents
quoting the same span (:func:`machine_keys`). Re-running extraction keeps every
correction whose key still names an incident; the others are *stale* and are
listed, never applied to another incident.

No I/O here: :mod:`geomap.results` keeps the tables, :mod:`geomap.review.app`
serves them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from geomap.errors import GeomapError, InputError
from geomap.models import EVENT_TYPES, Incident, Place, precision_of

__all__ = [
    "EDIT_FIELDS",
    "REVIEW_STATUSES",
    "STATUS_VALUES",
    "Correction",
    "NotFoundError",
    "ReviewConflict",
    "ReviewItem",
    "Reviewed",
    "fold",
    "incident_from_json",
    "incident_to_json",
    "machine_keys",
    "parse_changes",
    "place_from_json",
    "place_to_json",
    "quote_span",
]

#: Fields an analyst may change (``place`` is set through ``geonameid``).
EDIT_FIELDS: tuple[str, ...] = (
    "killed", "wounded", "killed_qualifier", "wounded_qualifier", "date",
    "event_type", "place",
)
#: Values of the ``status`` field: ``machine`` undoes an accept or a reject.
STATUS_VALUES: tuple[str, ...] = ("machine", "accepted", "rejected")
#: What ``review_status`` can say in the API; ``merged`` items went into another.
REVIEW_STATUSES: tuple[str, ...] = (
    "machine", "accepted", "edited", "rejected", "added", "merged",
)
QUALIFIERS: tuple[str, ...] = ("exact", "at_least", "approx")
#: Largest figure accepted for killed/wounded (a typo guard, not a limit on war).
MAX_FIGURE = 10_000_000


class ReviewConflict(GeomapError):
    """The item changed since the client read it (HTTP 409).

    ``version`` is the item's current version, for the client to re-read.
    """

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


class NotFoundError(GeomapError, LookupError):
    """No such incident or article (HTTP 404)."""


@dataclass(frozen=True, slots=True)
class Correction:
    """One row of the audit table: ``field`` of item ``item_id`` went from
    ``before`` to ``after`` (JSON values) at ``at``, by ``reviewer``.

    Special fields: ``status`` (accept/reject), ``created`` (an added or split
    incident: ``after`` is the whole incident), ``merged_into`` (this item went
    into another), ``merged_from`` (another item went into this one; ``after``
    holds its id and sources) and ``split_to`` (a part was split off).
    """

    seq: int
    item_id: int
    field: str
    before: Any
    after: Any
    at: dt.datetime
    reviewer: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A reviewable incident: machine (keyed by quote span) or added by hand.

    ``start``/``end`` are code-point offsets of ``quote`` in the article text;
    ``n`` tells apart machine incidents quoting the same span.
    """

    id: int
    article_id: str
    start: int
    end: int
    n: int
    quote: str
    origin: str  # "machine" | "added"


@dataclass(frozen=True, slots=True)
class Reviewed:
    """An item's current state: the incident after its corrections.

    ``version`` counts the item's corrections (the API's ETag);
    ``machine`` is the machine incident (None for added ones or stale keys).
    """

    item: ReviewItem
    incident: Incident | None
    status: str
    version: int
    machine: Incident | None
    corrections: tuple[Correction, ...] = ()

    @property
    def stale(self) -> bool:
        """Corrected, but its incident is no longer in the store."""
        return self.incident is None and bool(self.corrections)


def quote_span(text: str, quote: str, start: int = 0) -> tuple[int, int]:
    """Offsets (start, end) of ``quote`` in ``text`` from ``start``; (-1, -1) if absent.

    >>> quote_span("Shelling hit Kharkiv. Two died.", "Two died.")
    (22, 31)
    >>> quote_span("abc", "x"), quote_span("abc", "")
    ((-1, -1), (-1, -1))
    """
    if not quote:
        return (-1, -1)
    at = text.find(quote, start)
    if at < 0:
        return (-1, -1)
    return (at, at + len(quote))


def machine_keys(text: str, incidents: Sequence[Incident]
                 ) -> list[tuple[int, int, int]]:
    """The key (start, end, n) of each incident of one article, in order.

    ``n`` counts earlier incidents with the same span, so that two incidents
    from one sentence keep apart.

    >>> from geomap.models import Incident
    >>> inc = lambda q: Incident("a", None, "", None, "other", None, 1, None,
    ...                          "exact", None, q)
    >>> machine_keys("One died. Two died.", [inc("Two died."), inc("Two died."),
    ...                                      inc("gone")])
    [(10, 19, 0), (10, 19, 1), (-1, -1, 0)]
    """
    seen: dict[tuple[int, int], int] = {}
    keys = []
    for inc in incidents:
        span = quote_span(text, inc.quote)
        n = seen.get(span, 0)
        seen[span] = n + 1
        keys.append((span[0], span[1], n))
    return keys


# -- JSON forms ------------------------------------------------------------------

def place_to_json(place: Place | None) -> dict[str, Any] | None:
    """A place as a JSON object (every gazetteer field), or None."""
    if place is None:
        return None
    return {"geonameid": place.geonameid, "name": place.name, "lat": place.lat,
            "lon": place.lon, "country_code": place.country_code,
            "admin1": place.admin1, "feature": place.feature,
            "population": place.population}


def place_from_json(value: dict[str, Any] | None) -> Place | None:
    """The inverse of :func:`place_to_json`.

    >>> p = Place(703448, "Kyiv", 50.45, 30.52, "UA", "Kyiv City", "city", 9)
    >>> place_from_json(place_to_json(p)) == p, place_from_json(None)
    (True, None)
    """
    if value is None:
        return None
    return Place(geonameid=int(value["geonameid"]), name=value["name"],
                 lat=float(value["lat"]), lon=float(value["lon"]),
                 country_code=value["country_code"], admin1=value.get("admin1"),
                 feature=value["feature"], population=int(value.get("population") or 0))


def incident_to_json(inc: Incident) -> dict[str, Any]:
    """An incident as a JSON object (the ``created`` correction of an added one)."""
    return {"article_id": inc.article_id, "place": place_to_json(inc.place),
            "location": inc.location, "event_type": inc.event_type,
            "date": inc.date.isoformat() if inc.date else None,
            "killed": inc.killed, "wounded": inc.wounded,
            "killed_qualifier": inc.killed_qualifier,
            "wounded_qualifier": inc.wounded_qualifier, "quote": inc.quote,
            "sources": list(inc.sources)}


def incident_from_json(value: dict[str, Any]) -> Incident:
    """The inverse of :func:`incident_to_json` (precision from the place)."""
    place = place_from_json(value.get("place"))
    return Incident(
        article_id=value["article_id"], place=place,
        location=value.get("location") or (place.name if place else ""),
        precision=_precision(place), event_type=value.get("event_type") or "other",
        date=_date(value.get("date")), killed=value.get("killed"),
        wounded=value.get("wounded"), killed_qualifier=value.get("killed_qualifier"),
        wounded_qualifier=value.get("wounded_qualifier"), quote=value["quote"],
        sources=tuple(value.get("sources") or ()))


def _precision(place: Place | None) -> Any:
    try:
        return precision_of(place)
    except KeyError:  # a feature kind newer than this precision table
        return None


def _date(value: Any) -> dt.date | None:
    return None if value in (None, "") else dt.date.fromisoformat(str(value))


def field_value(inc: Incident | None, field: str) -> Any:
    """The JSON value of ``field`` in ``inc`` (the ``before`` of a correction)."""
    if inc is None:
        return None
    if field == "place":
        return place_to_json(inc.place)
    if field == "date":
        return inc.date.isoformat() if inc.date else None
    return getattr(inc, field)


# -- validation --------------------------------------------------------------------

def parse_changes(body: Any) -> dict[str, Any]:
    """Validated changes from a PATCH body (JSON values; ``geonameid`` kept as is).

    Unknown keys and bad values raise ``InputError`` with a one-line reason.

    >>> parse_changes({"killed": 4, "status": "accepted", "date": "2022-03-01"})
    {'killed': 4, 'status': 'accepted', 'date': '2022-03-01'}
    >>> parse_changes({"killed": -1})
    Traceback (most recent call last):
    ...
    geomap.errors.InputError: killed must be a whole number from 0 to 10000000 or null
    """
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object")
    allowed = {"killed", "wounded", "killed_qualifier", "wounded_qualifier", "date",
               "event_type", "geonameid", "status"}
    unknown = sorted(set(body) - allowed - {"version", "reviewer"})
    if unknown:
        raise InputError(f"unknown field(s): {', '.join(unknown)}; allowed: "
                         f"{', '.join(sorted(allowed))}")
    out: dict[str, Any] = {}
    for key in [k for k in body if k in allowed]:
        value = body[key]
        if key in ("killed", "wounded"):
            if value is not None and (not isinstance(value, int) or isinstance(
                    value, bool) or not 0 <= value <= MAX_FIGURE):
                raise InputError(f"{key} must be a whole number from 0 to "
                                 f"{MAX_FIGURE} or null")
        elif key in ("killed_qualifier", "wounded_qualifier"):
            if value is not None and value not in QUALIFIERS:
                raise InputError(f"{key} must be one of {', '.join(QUALIFIERS)} "
                                 "or null")
        elif key == "date":
            if value is not None:
                try:
                    value = dt.date.fromisoformat(str(value)).isoformat()
                except ValueError:
                    raise InputError("date must be YYYY-MM-DD or null") from None
        elif key == "event_type":
            if value not in EVENT_TYPES:
                raise InputError(f"event_type must be one of {', '.join(EVENT_TYPES)}")
        elif key == "geonameid":
            if value is not None and (not isinstance(value, int)
                                      or isinstance(value, bool)):
                raise InputError("geonameid must be a gazetteer id (integer) or null")
        elif key == "status" and value not in STATUS_VALUES:
            raise InputError(f"status must be one of {', '.join(STATUS_VALUES)}")
        out[key] = value
    return out


# -- folding -------------------------------------------------------------------------

def _set(inc: Incident, field: str, value: Any) -> Incident:
    if field == "place":
        place = place_from_json(value)
        return dataclasses.replace(inc, place=place, precision=_precision(place),
                                   location=place.name if place else inc.location)
    if field == "date":
        return dataclasses.replace(inc, date=_date(value))
    return dataclasses.replace(inc, **{field: value})


def fold(machine: Incident | None, corrections: Iterable[Correction]
         ) -> tuple[Incident | None, str]:
    """The incident after ``corrections`` (in order) and its review status.

    Status: ``added`` for hand-made incidents; else ``merged`` or ``rejected``
    when so marked last; else ``edited`` if any field changed, ``accepted`` if
    accepted, ``machine`` otherwise. The incident carries the status in
    ``review_status``; None when there is nothing to fold onto.

    >>> from geomap.models import Incident
    >>> m = Incident("a", None, "X", None, "other", None, 3, None, "exact", None, "q")
    >>> c = lambda f, v: Correction(0, 1, f, None, v, dt.datetime(2026, 1, 1))
    >>> inc, status = fold(m, [c("killed", 4), c("status", "accepted")])
    >>> inc.killed, status, inc.review_status
    (4, 'edited', 'edited')
    >>> fold(m, [c("status", "rejected"), c("status", "machine")])[1]
    'machine'
    """
    inc = machine
    added = False
    edited = False
    status = "machine"
    merged = False
    extra_sources: list[str] = []
    for c in corrections:
        if c.field == "created":
            inc = incident_from_json(c.after)
            added = True
        elif inc is None:
            continue
        elif c.field in EDIT_FIELDS:
            inc = _set(inc, c.field, c.after)
            edited = True
        elif c.field == "status":
            status = c.after
        elif c.field == "merged_into":
            merged = c.after is not None
        elif c.field == "merged_from":
            extra_sources.extend(c.after.get("sources") or ())
            edited = True
        elif c.field == "split_to":  # a part now stands on its own
            edited = True
    if inc is None:
        return None, "machine"
    if extra_sources:
        own = list(inc.sources or (inc.article_id,))
        sources = tuple(dict.fromkeys(own + extra_sources))
        inc = dataclasses.replace(inc, sources=sources)
    if merged:
        final = "merged"
    elif status == "rejected":
        final = "rejected"
    elif added:
        final = "added"
    elif edited:
        final = "edited"
    else:
        final = status
    return dataclasses.replace(inc, review_status=final), final
