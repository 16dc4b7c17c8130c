"""The corpus runner: ``run(articles, executor, sink)``, the one way to run a corpus.

* the **executor** decides where the per-article work runs: this process or
  local worker processes (:class:`geomap.executors.LocalExecutor`), or a Dask
  cluster (:class:`geomap.distributed.DaskExecutor`);
* the **sink** decides where results go: memory without the article texts
  (:class:`MemorySink`), or a results store committed per batch, skipping
  articles it already holds (:class:`StoreSink`).

The CLI, the Python API (``geomap.run``) and ``geomap eval`` all go through
:func:`run`. Articles are read once, lazily: an HTML file is extracted once per
run. Nothing holds the corpus: the live set is one look-up chunk plus the tasks
in flight plus what the sink keeps.

A bad input record (or any error from the article source) ends the stream:
everything read before it is still processed and handed to the sink, then the
error is raised. A run stopped otherwise (an exception, Ctrl-C) still hands the
results already computed to the sink; with a store, a run killed outright
loses only the uncommitted batch, and the next run resumes where it ends.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from geomap.executors import Executor, LocalExecutor
from geomap.ingest import as_article
from geomap.models import Article, ArticleResult

if TYPE_CHECKING:  # pragma: no cover
    from geomap.results import Store

__all__ = ["MemorySink", "Run", "RunStats", "Sink", "StoreSink", "run"]

log = logging.getLogger(__name__)


@dataclass
class RunStats:
    """Counts of one corpus run (filled in while it runs)."""

    seen: int = 0
    skipped: int = 0
    processed: int = 0
    mentions: int = 0
    incidents: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Processed articles per second of wall time."""
        return self.processed / self.seconds if self.seconds else 0.0


class Sink(Protocol):
    """Where results go (see :class:`MemorySink` and :class:`StoreSink`)."""

    def done(self, articles: list[Article]) -> set[str]:
        """Ids of ``articles`` that need no processing (already stored)."""
        ...  # pragma: no cover

    def write(self, results: list[ArticleResult]) -> None:
        """Keep one batch of results."""
        ...  # pragma: no cover

    def results(self) -> Iterator[ArticleResult]:
        """Everything the sink holds, in order, without article texts."""
        ...  # pragma: no cover


def _textless(result: ArticleResult) -> ArticleResult:
    return dataclasses.replace(result,
                               article=dataclasses.replace(result.article, text=""))


class MemorySink:
    """Keep results in memory, each without its article text.

    Outputs need only the records, so memory follows the results (mentions
    and incidents, a few KB per article), not the texts; it still grows with
    the corpus. The default sink of :func:`run`, whose caller gets Python
    objects back; ``geomap map``/``extract`` instead spill to a
    :func:`geomap.results.temporary_store` through a :class:`StoreSink`
    (``keep_text=False``) and stream their outputs from it, so that their
    memory stays flat in the corpus. ``keep_text=True`` keeps the texts too.

    Examples
    --------
    >>> sink = MemorySink()
    >>> sink.write([ArticleResult(Article("a", "Some text."))])
    >>> [(r.article.id, r.article.text) for r in sink.results()]
    [('a', '')]
    """

    def __init__(self, *, keep_text: bool = False) -> None:
        self.keep_text = keep_text
        self._results: list[ArticleResult] = []

    def done(self, articles: list[Article]) -> set[str]:
        """Nothing is done before the run: every article is processed."""
        return set()

    def write(self, results: list[ArticleResult]) -> None:
        """Append a batch (texts dropped unless ``keep_text``)."""
        if not self.keep_text:
            results = [_textless(r) for r in results]
        self._results.extend(results)

    def results(self) -> Iterator[ArticleResult]:
        """The results written so far, in input order."""
        return iter(self._results)


class StoreSink:
    """Commit results to a results store, one batch per transaction; resume.

    Parameters
    ----------
    store
        An open store (:func:`geomap.results.open_store`); the caller closes it.
    resume
        Skip articles the store already has with the same text and date;
        ``False`` processes everything again (and replaces the old rows).
    keep_text
        Store the article texts (what a resumed run and the review need);
        ``False`` stores them empty, as :class:`MemorySink` keeps them, for a
        store that only holds a run's results until its outputs are written
        (:func:`geomap.results.temporary_store`).
    """

    def __init__(self, store: Store, *, resume: bool = True,
                 keep_text: bool = True) -> None:
        self.store = store
        self.resume = resume
        self.keep_text = keep_text

    def done(self, articles: list[Article]) -> set[str]:
        """Ids the store already holds with the same text and date."""
        return self.store.up_to_date(articles) if self.resume else set()

    def write(self, results: list[ArticleResult]) -> None:
        """Commit one batch."""
        if not self.keep_text:
            results = [_textless(r) for r in results]
        self.store.write(results)

    def results(self) -> Iterator[ArticleResult]:
        """Everything the store holds (earlier runs included), without texts."""
        return self.store.results(text=False)


@dataclass
class Run:
    """What :func:`run` returns: the counts and the sink holding the results."""

    stats: RunStats
    sink: Sink = field(repr=False)

    def results(self) -> Iterator[ArticleResult]:
        """The results, as the sink holds them (see :meth:`Sink.results`)."""
        return self.sink.results()


class _Source:
    """Look-up chunks of the input; a failing source ends the stream cleanly.

    The error is kept and raised by :func:`run` once everything read before it
    is processed and handed to the sink.
    """

    def __init__(self, articles: Iterable[Article | str], size: int) -> None:
        self.it = iter(articles)
        self.size = size
        self.error: Exception | None = None

    def __iter__(self) -> Iterator[list[Article]]:
        while True:
            chunk: list[Article] = []
            try:
                for a in self.it:
                    chunk.append(as_article(a))
                    if len(chunk) >= self.size:
                        break
            except Exception as err:  # raised again by run(), after the flush
                self.error = err
                if chunk:
                    yield chunk
                return
            if not chunk:
                return
            yield chunk


def run(
    articles: Iterable[Article | str],
    executor: Executor | None = None,
    sink: Sink | None = None,
    *,
    batch_size: int = 32,
    lookup_size: int = 256,
    progress: Callable[[int], object] | None = None,
) -> Run:
    """Process a corpus: every article through ``executor`` into ``sink``.

    Parameters
    ----------
    articles
        Articles (or plain texts), read lazily and once.
    executor
        Where the work runs (default: this process, the default pipeline).
    sink
        Where results go (default: :class:`MemorySink`, which holds every
        result; for a corpus too large for that, a :class:`StoreSink` on a
        store, e.g. :func:`geomap.results.temporary_store`, whose
        ``results`` streams them back).
    batch_size
        Results handed to the sink at a time (one store transaction).
    lookup_size
        Articles checked against the sink (the store) per query.
    progress
        Called with the number of articles settled (written or skipped)
        since the last call, e.g. a progress bar's ``update``.

    Returns
    -------
    Run
        ``stats`` (counts and time) and ``results()`` from the sink.

    Examples
    --------
    >>> class Echo:  # an executor that finds nothing (stands in for a pipeline)
    ...     def map(self, arts):
    ...         return (ArticleResult(a) for a in arts)
    >>> done = run(["One text.", "Another text."], Echo(), batch_size=1)
    >>> done.stats.processed, done.stats.batches, len(list(done.results()))
    (2, 2, 2)
    """
    if batch_size < 1 or lookup_size < 1:
        raise ValueError("batch_size and lookup_size must be at least 1")
    executor = executor if executor is not None else LocalExecutor()
    sink = sink if sink is not None else MemorySink()
    stats = RunStats()
    t0 = time.perf_counter()
    source = _Source(articles, lookup_size)
    skipped: list[int] = [0]  # skipped since the last progress report

    def todo() -> Iterator[Article]:
        for chunk in source:
            stats.seen += len(chunk)
            done = sink.done(chunk)
            stats.skipped += len(done)
            skipped[0] += len(done)
            yield from (a for a in chunk if a.id not in done)

    def report(n: int) -> None:
        if progress is not None and n + skipped[0]:
            progress(n + skipped[0])
        skipped[0] = 0

    def commit(batch: list[ArticleResult]) -> None:
        sink.write(batch)
        stats.batches += 1
        stats.processed += len(batch)
        stats.mentions += sum(len(r.mentions) for r in batch)
        stats.incidents += sum(len(r.incidents) for r in batch)
        report(len(batch))

    pending: list[ArticleResult] = []
    stream = executor.map(todo())
    try:
        for result in stream:
            pending.append(result)
            if len(pending) >= batch_size:
                batch, pending = pending, []
                commit(batch)
        if pending:
            batch, pending = pending, []
            commit(batch)
        report(0)
        if source.error is not None:
            raise source.error
    finally:
        # Keep what is already computed, whatever stopped the run.
        if pending:
            try:
                commit(pending)
            except Exception:  # the original error matters more
                log.exception("could not keep the last %d results", len(pending))
        close = getattr(stream, "close", None)
        if close is not None:
            close()
        stats.seconds = time.perf_counter() - t0
        log.info("%d articles: %d processed, %d already stored (%.1f articles/s)",
                 stats.seen, stats.processed, stats.skipped, stats.rate)
    return Run(stats=stats, sink=sink)
