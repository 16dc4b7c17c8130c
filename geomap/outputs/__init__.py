"""Writers: GeoJSON, HTML map, tables. Every writer writes atomically.

:func:`write_outputs` writes everything ``geomap map`` and ``geomap render``
produce; :func:`split_results` turns results into the two layers (incidents
merged across articles, resolved mentions) that every writer draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from geomap.models import ArticleResult, Incident, Mention

__all__ = ["Results", "split_results", "write_outputs"]

Results = Iterable[ArticleResult] | Callable[[], Iterable[ArticleResult]]
"""Results to write: a collection, or a function giving them afresh per call
(e.g. ``Store.results``), so that the writers stream them instead of holding
them."""


def split_results(
    items: Iterable[ArticleResult | Incident], *, merge: bool = True,
) -> tuple[list[Incident], list[Mention]]:
    """Incidents (merged across articles) and resolved mentions of ``items``.

    A people's name ("Syrian", role ``demonym``) is no place of its own and is
    left out of the mentions.

    >>> from geomap.models import Article, ArticleResult
    >>> split_results([ArticleResult(Article("a", "No places here."))])
    ([], [])
    """
    from geomap.merge import merge_incidents

    incidents: list[Incident] = []
    mentions: list[Mention] = []
    for item in items:
        if isinstance(item, ArticleResult):
            incidents.extend(item.incidents)
            mentions.extend(m for m in item.mentions
                            if m.place is not None and m.role != "demonym")
        elif isinstance(item, Incident):
            incidents.append(item)
        else:
            raise TypeError("expected ArticleResult or Incident, got "
                            f"{type(item).__name__}")
    if merge:
        incidents = merge_incidents(incidents)
    return incidents, mentions


def _passes(results: Results) -> Callable[[], Iterable[ArticleResult]]:
    """A function that gives ``results`` once more per call.

    A one-shot iterator is held in a list (the only way to read it twice).
    """
    if callable(results):
        return results
    if iter(results) is results:
        results = list(results)
    return lambda: results


def _places(results: Iterable[ArticleResult]) -> Iterator[Mention]:
    """The mentions the places layers draw (see :func:`split_results`)."""
    return (m for r in results for m in r.mentions
            if m.place is not None and m.role != "demonym")


def write_outputs(
    directory: str | Path, results: Results, *,
    offline: bool = False, formats: Sequence[str] = (), title: str | None = None,
) -> list[Path]:
    """Write incidents.geojson, places.geojson, extra layers and map.html.

    ``formats`` adds layers in those formats (see
    :func:`geomap.outputs.tables.write_layers`); the map is written last, so a
    failing layer leaves the previous map in place. Returns the paths written.

    ``results`` are read a few times (incidents first, then mentions for each
    layer that draws them). Given as a function returning them afresh (a
    store's ``results``), only the incidents are held: the places GeoJSON and
    the map stream the mentions. The extra formats build their tables, places
    included, in memory.
    """
    from geomap.merge import merge_incidents
    from geomap.outputs.html import write_map
    from geomap.outputs.tables import write_layers

    directory = Path(directory)
    again = _passes(results)
    reports = [i for r in again() for i in r.incidents]  # before the merge (CSV)
    incidents = merge_incidents(reports)
    written = write_layers(directory, incidents, _places(again()), "geojson")
    extra = [fmt for fmt in formats if fmt != "geojson"]
    if extra:
        mentions = list(_places(again()))
        for fmt in extra:
            written.extend(write_layers(directory, incidents, mentions, fmt,
                                        reports=reports))
    path = directory / "map.html"
    write_map(path, incidents, _places(again()), offline=offline, title=title,
              articles=(r.article for r in again()))
    written.append(path)
    return written
