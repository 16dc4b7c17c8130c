"""Where the per-article work runs: this process or local worker processes.

An executor turns a stream of articles into a stream of
:class:`~geomap.models.ArticleResult` in input order. The whole per-article
job (parsing, toponym recognition, resolution, incident extraction) runs where
the pipeline lives, so with worker processes only articles go out and only the
small results come back; spaCy ``Doc`` objects never cross a process boundary.
Every worker loads its pipeline once, from a :class:`PipelineSpec`.

The Dask executor (:class:`geomap.distributed.DaskExecutor`) has the same
interface; :func:`geomap.runner.run` drives any of them.
"""

from __future__ import annotations

import functools
import gc
import logging
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

from geomap.errors import GeomapError
from geomap.models import Article, ArticleResult

if TYPE_CHECKING:  # pragma: no cover
    from geomap.pipeline import Pipeline

__all__ = [
    "AUTO_PROCESSES_BYTES",
    "Executor",
    "LocalExecutor",
    "PipelineSpec",
    "balanced_chunks",
    "chunked",
    "default_processes",
    "process_partition",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

_LOCK = threading.Lock()  # one pipeline use at a time per process (Dask threads)


#: Input size from which the CLI runs one worker process per core by default.
#: Workers are forked from the process that loaded the pipeline, so a second
#: one costs a fork, not a second load: measured with
#: ``benchmarks/processes.py --first 25 50 100`` (2 cores), two processes
#: finished 25 LGL articles (67 KB) 1.49x sooner than one, 100 articles (213 KB)
#: 1.56x. Below a dozen articles or so there is too little to share out.
AUTO_PROCESSES_BYTES = 32 * 1024


def default_processes(input_bytes: int, *, cores: int | None = None) -> int:
    """Worker processes for an input of ``input_bytes``: all cores, or 1 if small.

    >>> default_processes(10_000, cores=8), default_processes(10_000_000, cores=8)
    (1, 8)
    >>> default_processes(10_000_000, cores=1)
    1
    """
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
    return max(1, cores) if input_bytes >= AUTO_PROCESSES_BYTES else 1


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items from any iterable (lazy).

    Examples
    --------
    >>> list(chunked(range(5), 2))
    [[0, 1], [2, 3], [4]]
    >>> list(chunked([], 3))
    []
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def balanced_chunks(items: Iterable[T], size: int, workers: int) -> Iterator[list[T]]:
    """Lists of ``size`` items, then a tail in shrinking pieces (lazy).

    Work is handed out a list at a time to whichever of ``workers`` is free. A
    list of ``size`` keeps the model's batches full, but lists that large at
    the end of the stream leave one worker running alone for up to a whole
    list. So the last ``size * workers`` items or so go out in pieces of a
    ``2 * workers``-th of what remains (guided self-scheduling), down to one
    item: the workers finish within a piece of each other.

    Examples
    --------
    >>> [len(c) for c in balanced_chunks(range(100), 10, 2)]
    [10, 10, 10, 10, 10, 10, 10, 10, 5, 4, 3, 2, 2, 1, 1, 1, 1]
    >>> [len(c) for c in balanced_chunks(range(5), 10, 1)]
    [5]
    >>> sum(balanced_chunks(range(7), 3, 2), []) == list(range(7))
    True
    """
    if size < 1 or workers < 1:
        raise ValueError("size and workers must be at least 1")
    if workers == 1:
        yield from chunked(items, size)
        return
    buffer: deque[T] = deque()
    window = size * (workers + 1)
    for item in items:
        buffer.append(item)
        if len(buffer) >= window:
            yield [buffer.popleft() for _ in range(size)]
    while buffer:
        piece = min(size, max(1, -(-len(buffer) // (2 * workers))))
        yield [buffer.popleft() for _ in range(piece)]


@dataclass(frozen=True, slots=True)
class PipelineSpec:
    """What a worker needs to build the same pipeline as the client (hashable).

    ``model`` ``None`` is the default model; the spec does not import spaCy,
    so a process that only hands out work stays light.

    Examples
    --------
    >>> PipelineSpec(country_focus=("UA",)).batch_size
    32
    """

    model: str | None = None
    gazetteer: str | None = None
    batch_size: int = 32
    country_focus: tuple[str, ...] = ()

    @classmethod
    def of(cls, pipeline: Pipeline) -> PipelineSpec:
        """The spec of an existing :class:`~geomap.pipeline.Pipeline`."""
        return cls(model=pipeline.model, gazetteer=pipeline.gazetteer_path,
                   batch_size=pipeline.batch_size,
                   country_focus=tuple(pipeline.country_focus))

    def build(self) -> Pipeline:
        """A pipeline with these settings (loaded on first use)."""
        from geomap.pipeline import Pipeline

        options = {"model": self.model} if self.model else {}
        return Pipeline(**options, gazetteer=self.gazetteer,
                        batch_size=self.batch_size,
                        country_focus=self.country_focus)


@functools.lru_cache(maxsize=2)
def _worker_pipeline(spec: PipelineSpec) -> Pipeline:
    """This worker process's pipeline for ``spec`` (loaded once per process)."""
    pipeline = spec.build()
    pipeline.nlp  # noqa: B018  (load model and gazetteer now, once)
    log.debug("process %d loaded the pipeline", os.getpid())
    return pipeline


def _after_fork(spec: PipelineSpec, parent: int) -> None:
    """Worker initialiser after ``fork``: the inherited pipeline, own connection,
    and an end with the parent."""
    _die_with_parent(parent)
    _worker_pipeline(spec).gazetteer.after_fork()


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """End this worker when process ``parent`` ends, however it ends.

    A worker waits on a queue whose other end it holds itself, so a parent
    killed outright (SIGKILL, the OOM killer) would leave it running forever,
    holding the parent's pipes open. Linux can send the child a signal when
    its parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere nothing is set.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)



def process_partition(articles: Sequence[Article],
                      spec: PipelineSpec) -> list[ArticleResult]:
    """Process one partition with this process's pipeline (a worker's task)."""
    with _LOCK:
        return list(_worker_pipeline(spec).process_many(articles))


class Executor(Protocol):
    """Articles -> results, in input order (see :class:`LocalExecutor`)."""

    def map(self, articles: Iterable[Article]) -> Iterator[ArticleResult]:
        """Stream one result per article, in input order."""
        ...  # pragma: no cover

    def close(self) -> None:
        """Release workers (a no-op where there are none)."""
        ...  # pragma: no cover


class LocalExecutor:
    """Run the pipeline in this process or in ``processes`` worker processes.

    Parameters
    ----------
    pipeline
        A :class:`~geomap.pipeline.Pipeline` (used as is in this process) or
        a :class:`PipelineSpec` (default: the default pipeline).
    processes
        1: everything in this process. More: that many worker processes, each
        running the whole per-article job; this process only reads articles
        and collects results. Where ``fork`` exists (Linux) the pipeline is
        loaded once here and the workers are forked from it, sharing the
        model copy-on-write (each opens its own gazetteer connection);
        elsewhere they are spawned and each loads its own.
    chunk_size
        Articles per task sent to a worker (default: the batch size, so
        that the model's batches stay full); the end of the stream goes out
        in smaller tasks (:func:`balanced_chunks`), so that the workers
        finish together.

    Examples
    --------
    >>> LocalExecutor(processes=2).processes
    2
    """

    def __init__(self, pipeline: Pipeline | PipelineSpec | None = None, *,
                 processes: int = 1, chunk_size: int | None = None) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        if chunk_size is not None and chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self._pipeline = None if isinstance(pipeline, PipelineSpec | None) else pipeline
        if isinstance(pipeline, PipelineSpec):
            self.spec = pipeline
        elif pipeline is None:
            self.spec = PipelineSpec()
        else:
            self.spec = PipelineSpec.of(pipeline)
        self.processes = processes
        self.chunk_size = chunk_size or self.spec.batch_size
        self._pool: ProcessPoolExecutor | None = None
        self._frozen = False

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None,
                 exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def pipeline(self) -> Pipeline:
        """The in-process pipeline (built from the spec on first use)."""
        if self._pipeline is None:
            self._pipeline = self.spec.build()
        return self._pipeline

    def map(self, articles: Iterable[Article]) -> Iterator[ArticleResult]:
        """Stream one result per article, in input order."""
        if self.processes == 1:
            return self.pipeline.process_many(articles)
        return self._map_workers(articles)

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Build the gazetteer here, once, rather than in every worker.
            from gazetteer import ensure_store

            ensure_store(self.spec.gazetteer)
            if "fork" in multiprocessing.get_all_start_methods():
                # Load once here; forked workers inherit the loaded pipeline
                # (the cache of _worker_pipeline) instead of each loading it.
                _worker_pipeline(self.spec)
                context, init = multiprocessing.get_context("fork"), _after_fork
                initargs: tuple[object, ...] = (self.spec, os.getpid())
            else:  # pragma: no cover - not Linux
                context, init = multiprocessing.get_context("spawn"), _worker_pipeline
                initargs = (self.spec,)
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=context,
                initializer=init, initargs=initargs)
            # While the workers live, everything loaded so far sits in the
            # collector's permanent generation: their collections (and this
            # process's) then never touch, and so never copy, the pages of the
            # model they share. close() hands the objects back to the collector.
            gc.freeze()
            self._frozen = True
            log.info("started %d worker processes", self.processes)
        return self._pool

    def _map_workers(self, articles: Iterable[Article]) -> Iterator[ArticleResult]:
        pool = self._start()
        ahead = 2 * self.processes  # tasks in flight: bounds this process's memory
        futures: deque[Future[list[ArticleResult]]] = deque()
        try:
            for part in balanced_chunks(articles, self.chunk_size, self.processes):
                futures.append(pool.submit(process_partition, part, self.spec))
                while len(futures) > ahead:
                    yield from _result(futures.popleft())
            while futures:
                yield from _result(futures.popleft())
        finally:
            for fut in futures:
                fut.cancel()

    def close(self) -> None:
        """Stop the worker processes (if any were started)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False


def _result(future: Future[list[ArticleResult]]) -> list[ArticleResult]:
    try:
        return future.result()
    except BrokenProcessPool as err:
        raise GeomapError("a worker process died or could not start (out of "
                          "memory, killed, or a script without an 'if __name__ "
                          "== \"__main__\":' guard); run again with fewer "
                          "--processes") from err
