"""Convenience writers for notebook and library users.

Each accepts either ``ArticleResult`` objects (as yielded by
:meth:`geomap.Pipeline.process_many`) or bare ``Incident`` records, so that::

    import geomap
    results = list(geomap.Pipeline().process_many(geomap.read_articles("examples")))
    geomap.to_map(results).save("map.html")

works without unpacking. Incidents from several articles are merged across
articles (same place within 25 km, same date) as the CLI does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from geomap.models import ArticleResult, Incident, Mention

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas as gpd

__all__ = ["split_results", "to_geodataframe", "to_geojson", "to_map"]


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


def _layer(
    items: Iterable[ArticleResult | Incident], layer: str,
    incidents_fn: Callable[[list[Incident]], Any],
    places_fn: Callable[[list[Mention]], Any],
) -> Any:
    if layer not in ("incidents", "places"):
        raise ValueError("layer must be 'incidents' or 'places'")
    incidents, mentions = split_results(items)
    return places_fn(mentions) if layer == "places" else incidents_fn(incidents)


def to_geojson(
    items: Iterable[ArticleResult | Incident], *, layer: str = "incidents",
) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of the incidents (or ``layer="places"``).

    Properties are the fields of ``geomap extract`` (or ``geomap places``).

    >>> from geomap.models import Incident, Place
    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> fc = to_geojson([Incident("a1", kyiv, "Kyiv", "point", "missile", None,
    ...                           3, None, "exact", None, "q")])
    >>> fc["features"][0]["geometry"]
    {'type': 'Point', 'coordinates': [30.5238, 50.45466]}
    """
    from geomap.outputs.geojson import incidents_geojson, places_geojson

    return _layer(items, layer, incidents_geojson, places_geojson)


def to_geodataframe(
    items: Iterable[ArticleResult | Incident], *, layer: str = "incidents",
) -> gpd.GeoDataFrame:
    """A GeoDataFrame (EPSG:4326) with the same columns as the CLI output.

    >>> to_geodataframe([]).columns.tolist()[:3]
    ['article_id', 'location', 'place_name']
    """
    from geomap.outputs.tables import places_geodataframe
    from geomap.outputs.tables import to_geodataframe as incidents_frame

    return _layer(items, layer, incidents_frame, places_geodataframe)


def to_map(
    items: Iterable[ArticleResult | Incident], *, offline: bool = False,
    title: str | None = None,
) -> folium.Map:
    """A ``folium.Map`` of incidents and mentioned places, to style further.

    >>> m = to_map([], title="Empty")
    >>> type(m).__name__
    'Map'
    """
    from geomap.outputs.html import to_map as build_map

    items = list(items)
    incidents, mentions = split_results(items)
    articles = [i.article for i in items if isinstance(i, ArticleResult)]
    return build_map(incidents, mentions, offline=offline, title=title,
                     articles=articles)
