"""One shared, cached handle on the gazetteer for the pipeline's components."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from gazetteer import Gazetteer

__all__ = ["open_gazetteer", "recogniser_hooks"]


@functools.lru_cache(maxsize=4)
def open_gazetteer(path: str | None = None) -> Gazetteer:
    """Open (building on first use) the gazetteer store at ``path`` or the default."""
    return Gazetteer.open(path)


def recogniser_hooks(
    gz: Gazetteer,
) -> tuple[Callable[[str], bool], Callable[[str], bool], Callable[[str], float]]:
    """The three lookups the recogniser needs: name known, demonym, importance.

    Importance is the population of the largest exact candidate, or infinity
    for country and first-level region names.
    """

    @functools.lru_cache(maxsize=200_000)
    def importance(name: str) -> float:
        best = 0.0
        for cand in gz.candidates(name, fuzzy=False, limit=10):
            if cand.place.feature != "city" and cand.match != "variant":
                return math.inf
            best = max(best, float(cand.place.population))
        return best

    def is_demonym(word: str) -> bool:
        return gz.country_of_demonym(word) is not None

    return gz.contains, is_demonym, importance
