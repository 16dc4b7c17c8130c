"""Run the NLP stage on a Dask cluster (``geomap ... --dask [ADDRESS]``).

The unit of work is a partition of articles: each worker process loads the
pipeline (spaCy model + gazetteer) once, keeps it in a module-level cache and
maps :meth:`geomap.pipeline.Pipeline.process_many` over the partitions it is
given. Results come back to the client in input order, so everything after
the NLP stage (the store, cross-article merging with
:func:`geomap.merge.merge_incidents`, the writers) is the same code as a
single-process run, and the output is the same.

Pointing it at a cluster
------------------------
``geomap map corpus/ --dask``
    starts a ``LocalCluster`` on this machine: one single-threaded worker
    process per core (or ``--processes N`` workers).
``geomap map corpus/ --dask tcp://scheduler:8786``
    uses an existing scheduler, e.g. one started with ``dask scheduler`` and
    workers started on each machine with ``dask worker tcp://scheduler:8786
    --nthreads 1 --nworkers auto``. Every worker machine needs the same geomap
    version installed (``pip install 'geomap[dask]'``, which brings the spaCy
    model) and its gazetteer built once beforehand (``geomap gazetteer build``),
    or ``--gazetteer PATH`` naming a store that exists at that path on every
    worker (shared storage). Articles are sent from the client, so input files
    need only exist where ``geomap`` runs; results come back to the client,
    which writes the outputs and the ``--store``.

From Python, hand it to the corpus runner::

    with DaskExecutor(PipelineSpec(), address="tcp://scheduler:8786") as dask:
        done = geomap.run(geomap.read_articles(["corpus/"]), dask)

or map a ``dask.bag`` of articles with :func:`process_bag`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from geomap.errors import GeomapError, MissingDependencyError, install_hint
from geomap.executors import PipelineSpec, balanced_chunks, process_partition
from geomap.models import Article, ArticleResult

if TYPE_CHECKING:  # pragma: no cover
    import dask.bag

__all__ = ["DaskExecutor", "process_bag"]

log = logging.getLogger(__name__)


def process_bag(articles: dask.bag.Bag, spec: PipelineSpec) -> dask.bag.Bag:
    """Map the pipeline over a ``dask.bag`` of articles: a bag of results.

    Merge afterwards exactly as a single run does, e.g.
    ``merge_incidents(i for r in bag.compute() for i in r.incidents)``.
    """
    return articles.map_partitions(process_partition, spec)


#: Settings of the LocalCluster geomap starts (a remote cluster keeps its own).
#: Its workers run one long task after another, so Dask's per-worker sampling
#: profiler (a stack trace every 10 ms) and its 100-500 ms monitors cost CPU
#: that the model needs; and where ``fork`` exists, worker processes are forked
#: rather than spawned, so they do not each start an interpreter and import
#: Dask again. Measured on 500 LGL articles, 2 workers: 22.9 s -> 17.5 s.
_LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    **({"distributed.worker.multiprocessing-method": "fork"}
       if "fork" in multiprocessing.get_all_start_methods() else {}),
}


def _check_reachable(address: str) -> None:
    """Fail fast (one line) when a tcp:// scheduler refuses connections."""
    import socket
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return
    parts = urlsplit(address)
    try:
        port = parts.port or 8786
    except ValueError as err:
        raise GeomapError(f"not a scheduler address: {address}") from err
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port),
                                      timeout=10):
            pass
    except OSError as err:
        raise GeomapError(f"cannot reach the Dask scheduler at {address}: "
                          f"{err.strerror or err}") from err


class DaskExecutor:
    """Articles -> results through a Dask cluster, in input order, streamed.

    Parameters
    ----------
    spec
        The pipeline settings every worker uses.
    address
        Scheduler address (``tcp://host:8786``); ``None`` starts a LocalCluster.
    n_workers
        Worker processes of the LocalCluster (default: one per core).
    partition_size
        Articles per task.
    in_flight
        Partitions submitted ahead of the one being collected (default: two
        per worker thread), which bounds client memory.
    """

    def __init__(self, spec: PipelineSpec, *, address: str | None = None,
                 n_workers: int | None = None, partition_size: int = 64,
                 in_flight: int | None = None) -> None:
        if partition_size < 1:
            raise ValueError("partition_size must be at least 1")
        self.spec = spec
        self.address = address
        self.n_workers = n_workers or os.cpu_count() or 1
        self.partition_size = partition_size
        self.in_flight = in_flight
        self.client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None,
                 exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Connect to the scheduler, or start the LocalCluster."""
        if self.client is not None:
            return
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as err:
            raise MissingDependencyError("--dask needs dask.distributed: "
                                         f"{install_hint('dask')}") from err
        # Dask's INFO chatter (scheduler/worker/nanny start and stop) is not
        # for geomap's users; it shows only at debug level (-vv).
        dask_log = logging.getLogger("distributed")
        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
            dask_log.setLevel(max(dask_log.getEffectiveLevel(), logging.WARNING))
        if self.address:
            _check_reachable(self.address)
            try:
                self.client = Client(self.address, timeout="10s")
            except OSError as err:
                raise GeomapError(f"cannot reach the Dask scheduler at "
                                  f"{self.address}: {err}") from err
            log.info("using Dask scheduler %s", self.address)
            return
        # Build the gazetteer here first, so that the workers do not all build
        # it at once on a fresh machine.
        from gazetteer import ensure_store

        ensure_store(self.spec.gazetteer)
        import dask

        with dask.config.set(_LOCAL_CLUSTER_CONFIG):
            self._cluster = LocalCluster(
                n_workers=self.n_workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR)
        self.client = Client(self._cluster)
        # Workers are fresh interpreters: let them import geomap from where
        # this process does, even when it is not pip-installed.
        root = str(Path(__file__).resolve().parents[1])
        self.client.run(sys.path.insert, 0, root)
        log.info("started a Dask LocalCluster with %d workers", self.n_workers)

    def close(self) -> None:
        """Disconnect (and stop the LocalCluster if this executor started it)."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            # A worker slow to exit on a busy machine is killed by its nanny
            # with a warning; stopping our own cluster is not the user's news
            # (it shows at debug level, -vv).
            dask_log = logging.getLogger("distributed")
            level = dask_log.level
            if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
                dask_log.setLevel(logging.ERROR)
            try:
                self._cluster.close()
            finally:
                dask_log.setLevel(level)
                self._cluster = None

    def map(self, articles: Iterable[Article]) -> Iterator[ArticleResult]:
        """Stream results for ``articles`` (input order), partition by partition."""
        self.start()
        client = self.client
        workers = max(1, sum(client.nthreads().values()))  # worker threads
        ahead = self.in_flight or 2 * workers
        futures: deque[Any] = deque()
        try:
            for part in balanced_chunks(articles, self.partition_size, workers):
                futures.append(client.submit(process_partition, part, self.spec,
                                             pure=False))
                while len(futures) > ahead:
                    yield from self._collect(futures.popleft())
            while futures:
                yield from self._collect(futures.popleft())
        finally:
            for fut in futures:
                fut.cancel()

    @staticmethod
    def _collect(future: Any) -> list[ArticleResult]:
        try:
            return future.result()
        finally:
            future.release()
