"""geomap: turn news reports into a map of incidents.

>>> import geomap
>>> pipeline = geomap.Pipeline()
>>> result = pipeline.process(
...     "Shelling killed four people in Kharkiv on Monday, officials said.",
...     date="2022-05-03")
>>> [(i.place.name, i.killed, i.date.isoformat()) for i in result.incidents]
[('Kharkiv', 4, '2022-05-02')]
>>> sorted({m.place.country_code for m in result.mentions})
['UA']

A corpus goes through :func:`geomap.run` (worker processes or Dask, memory or
a resumable results store)::

    done = geomap.run(geomap.read_articles(["corpus/"]),
                      geomap.LocalExecutor(processes=2))
    geomap.to_map(done.results()).save("map.html")

The public API loads heavy dependencies lazily, so ``import geomap`` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ArticleResult",
    "DaskExecutor",
    "GeomapError",
    "Incident",
    "InputError",
    "LocalExecutor",
    "MemorySink",
    "Mention",
    "Pipeline",
    "PipelineSpec",
    "Place",
    "StoreSink",
    "__version__",
    "open_store",
    "read_articles",
    "run",
    "temporary_store",
    "to_geodataframe",
    "to_geojson",
    "to_map",
    "write_outputs",
]

_LAZY = {
    "Article": "geomap.models",
    "ArticleResult": "geomap.models",
    "Incident": "geomap.models",
    "Mention": "geomap.models",
    "Place": "geomap.models",
    "GeomapError": "geomap.errors",
    "InputError": "geomap.errors",
    "Pipeline": "geomap.pipeline",
    "PipelineSpec": "geomap.executors",
    "LocalExecutor": "geomap.executors",
    "DaskExecutor": "geomap.distributed",
    "MemorySink": "geomap.runner",
    "StoreSink": "geomap.runner",
    "run": "geomap.runner",
    "open_store": "geomap.results",
    "temporary_store": "geomap.results",
    "write_outputs": "geomap.outputs",
    "read_articles": "geomap.ingest",
    "to_geodataframe": "geomap.api",
    "to_geojson": "geomap.api",
    "to_map": "geomap.api",
}

if TYPE_CHECKING:  # pragma: no cover
    from geomap.api import to_geodataframe, to_geojson, to_map
    from geomap.distributed import DaskExecutor
    from geomap.errors import GeomapError, InputError
    from geomap.executors import LocalExecutor, PipelineSpec
    from geomap.ingest import read_articles
    from geomap.models import Article, ArticleResult, Incident, Mention, Place
    from geomap.outputs import write_outputs
    from geomap.pipeline import Pipeline
    from geomap.results import open_store, temporary_store
    from geomap.runner import MemorySink, StoreSink, run


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'geomap' has no attribute {name!r}")
