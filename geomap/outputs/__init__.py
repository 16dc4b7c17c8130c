"""Writers: GeoJSON, HTML map, tables. Every writer writes atomically.

:func:`write_outputs` writes everything ``geomap map`` and ``geomap render``
produce; :func:`split_results` turns results into the two layers (incidents
merged across articles, resolved mentions) that every writer draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from geomap.models import ArticleResult, Incident, Mention

__all__ = ["split_results", "write_outputs"]


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


def write_outputs(
    directory: str | Path, results: Sequence[ArticleResult], *,
    offline: bool = False, formats: Sequence[str] = (), title: str | None = None,
) -> list[Path]:
    """Write incidents.geojson, places.geojson, extra layers and map.html.

    ``formats`` adds layers in those formats (see
    :func:`geomap.outputs.tables.write_layers`); the map is written last, so a
    failing layer leaves the previous map in place. Returns the paths written.
    """
    from geomap.outputs.html import write_map
    from geomap.outputs.tables import write_layers

    directory = Path(directory)
    incidents, mentions = split_results(results)
    reports = [i for r in results for i in r.incidents]  # before the merge (CSV)
    written = write_layers(directory, incidents, mentions, "geojson")
    for fmt in formats:
        if fmt != "geojson":
            written.extend(write_layers(directory, incidents, mentions, fmt,
                                        reports=reports))
    path = directory / "map.html"
    write_map(path, incidents, mentions, offline=offline, title=title,
              articles=[r.article for r in results])
    written.append(path)
    return written
