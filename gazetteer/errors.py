"""The gazetteer's exception; ``geomap.errors`` re-exports it."""

from __future__ import annotations

__all__ = ["GazetteerError"]


class GazetteerError(Exception):
    """The gazetteer store is missing, stale beyond repair or malformed.

    The message is one line and says what to do next, e.g. run
    ``geomap gazetteer build``.
    """
