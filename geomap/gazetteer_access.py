"""The gazetteer as the spaCy pipeline receives it: a registered function.

The ``geomap_toponyms`` component gets its gazetteer through its config,
``{"gazetteer": {"@misc": "geomap.gazetteer.v1", "path": null}}``, resolved by
spaCy's registry when the pipeline is built; the component keeps that handle
(``.gazetteer``) and :class:`geomap.pipeline.Pipeline` resolves with the same
one. No module-level cache: every pipeline owns its handle.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from spacy.util import registry

from gazetteer import Gazetteer

__all__ = ["gazetteer_at", "name_lookups"]


@registry.misc("geomap.gazetteer.v1")
def gazetteer_at(path: str | None = None) -> Gazetteer:
    """Open the existing gazetteer store at ``path`` (default store), read-only.

    Callers build a missing store first (:func:`gazetteer.ensure_store`).
    """
    return Gazetteer.open(path)


def name_lookups(
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
