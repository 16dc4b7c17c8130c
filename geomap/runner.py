"""The corpus driver: stream articles through the NLP stage into a store.

Articles are read lazily, checked against the store in chunks (already stored
with the same text and date -> skipped), the rest flow through one
``process`` stream (``Pipeline.process_many`` or the Dask equivalent) and are
committed to the store one batch per transaction. Nothing holds the corpus in
memory: the live set is one look-up chunk plus the batches in flight.

A bad input record (or any error from the article source) ends the stream:
everything read before it is still processed and committed, then the error is
raised. A run stopped otherwise (an exception, Ctrl-C, a closed generator)
commits the results it has already computed; a run killed outright loses only
the uncommitted batch. Either way the next run resumes where the store ends.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Generic, TypeVar

from geomap.models import Article, ArticleResult
from geomap.store import Store

__all__ = ["CorpusRun", "RunStats", "Sized", "chunked"]

log = logging.getLogger(__name__)

T = TypeVar("T")

Process = Callable[[Iterable[Article]], Iterator[ArticleResult]]


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


class Sized(Generic[T]):
    """An iterator that knows its length, so progress bars can show an ETA.

    Examples
    --------
    >>> s = Sized(iter("abc"), 3)
    >>> len(s), list(s)
    (3, ['a', 'b', 'c'])
    """

    def __init__(self, it: Iterable[T], total: int) -> None:
        self._it = iter(it)
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[T]:
        return self._it


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
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    @property
    def rate(self) -> float:
        """Processed articles per second of wall time."""
        return self.processed / self.seconds if self.seconds else 0.0


class CorpusRun:
    """Process a stream of articles into a store, resumably.

    Iterating yields the id of every input article once it is settled
    (committed or skipped), so a progress bar can wrap the run; ``stats``
    holds the counts afterwards.

    Parameters
    ----------
    articles
        Any iterable of articles (read lazily).
    store
        Where results go (see :func:`geomap.store.open_store`).
    process
        Articles -> results stream, e.g. ``Pipeline(...).process_many`` or
        :func:`geomap.distributed.dask_processor`.
    batch_size
        Results per store transaction.
    resume
        Skip articles the store already has with the same text and date;
        ``False`` processes everything again (and replaces the old rows).
    lookup_size
        Articles checked against the store per query.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from geomap.store import open_store
    >>> def fake(arts):  # stands in for Pipeline.process_many
    ...     for a in arts:
    ...         yield ArticleResult(article=a)
    >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
    >>> arts = [Article(id=str(i), text=f"text {i}") for i in range(5)]
    >>> run = CorpusRun(arts, store, fake, batch_size=2)
    >>> list(run), run.stats.processed, run.stats.batches
    (['0', '1', '2', '3', '4'], 5, 3)
    >>> run = CorpusRun(arts + [Article(id="5", text="new")], store, fake)
    >>> list(run)[-1], run.stats.skipped, run.stats.processed
    ('5', 5, 1)
    >>> store.close()
    """

    def __init__(self, articles: Iterable[Article], store: Store, process: Process,
                 *, batch_size: int = 32, resume: bool = True,
                 lookup_size: int = 256) -> None:
        if batch_size < 1 or lookup_size < 1:
            raise ValueError("batch_size and lookup_size must be at least 1")
        self.articles = articles
        self.store = store
        self.process = process
        self.batch_size = batch_size
        self.resume = resume
        self.lookup_size = lookup_size
        self.stats = RunStats()
        self._error: Exception | None = None

    def _read(self) -> Iterator[list[Article]]:
        """Look-up chunks of the input; a failing source ends the stream cleanly.

        The error is kept and raised by ``__iter__`` once everything read
        before it is processed and committed (raising it inside ``nlp.pipe``
        would throw away the batch being assembled there).
        """
        it = iter(self.articles)
        while True:
            chunk: list[Article] = []
            try:
                for a in it:
                    chunk.append(a)
                    if len(chunk) >= self.lookup_size:
                        break
            except Exception as err:
                self._error = err
                if chunk:
                    yield chunk
                return
            if not chunk:
                return
            yield chunk

    def _todo(self, skipped: deque[str]) -> Iterator[Article]:
        for chunk in self._read():
            self.stats.seen += len(chunk)
            done = self.store.up_to_date(chunk) if self.resume else set()
            for a in chunk:
                if a.id in done:
                    self.stats.skipped += 1
                    skipped.append(a.id)
                else:
                    yield a

    def __iter__(self) -> Iterator[str]:
        stats = self.stats
        stats._t0 = time.perf_counter()
        skipped: deque[str] = deque()
        pending: list[ArticleResult] = []
        stream = self.process(self._todo(skipped))
        try:
            for result in stream:
                while skipped:
                    yield skipped.popleft()
                pending.append(result)
                if len(pending) >= self.batch_size:
                    ids = self._commit(pending)
                    pending = []
                    yield from ids
            while skipped:
                yield skipped.popleft()
            if pending:
                ids = self._commit(pending)
                pending = []
                yield from ids
            if self._error is not None:
                raise self._error
        finally:
            # Keep what is already computed, whatever stopped the run.
            if pending:
                try:
                    self._commit(pending)
                except Exception:  # the original error matters more
                    log.exception("could not store the last %d results", len(pending))
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            stats.seconds = time.perf_counter() - stats._t0
            log.info("%d articles: %d processed, %d already stored (%.1f articles/s)",
                     stats.seen, stats.processed, stats.skipped, stats.rate)

    def _commit(self, batch: list[ArticleResult]) -> list[str]:
        self.store.write(batch)
        self.stats.batches += 1
        self.stats.processed += len(batch)
        self.stats.mentions += sum(len(r.mentions) for r in batch)
        self.stats.incidents += sum(len(r.incidents) for r in batch)
        return [r.article.id for r in batch]

    def run(self) -> RunStats:
        """Run to the end without a progress bar; returns the counts."""
        for _ in self:
            pass
        return self.stats
