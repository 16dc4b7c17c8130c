"""The pipeline: articles -> docs -> mentions -> incidents, one article at a time.

``process_doc`` is the pure unit of work; ``Pipeline`` loads the model and the
gazetteer once and streams articles through ``nlp.pipe`` in batches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from spacy.language import Language
from spacy.tokens import Doc

from gazetteer import Gazetteer, ensure_store
from geomap.incidents import extract_incidents
from geomap.ingest import article_id, as_article, parse_date
from geomap.models import Article, ArticleResult
from geomap.nlp import DEFAULT_MODEL, load_nlp
from geomap.nlp.truecase import NameTest, gazetteer_names, truecase
from geomap.resolve import resolve_doc

__all__ = ["BATCH_CHARS", "CHUNK_CHARS", "Pipeline", "process_doc"]

log = logging.getLogger(__name__)

CHUNK_CHARS = 20_000
"""Longer articles are parsed in pieces of at most this many characters.

Well above a news article (2-10k characters); it bounds the memory of one
``Doc`` and the cost of per-document steps that grow faster than linearly."""

BATCH_CHARS = 100_000
"""At most this many characters go through ``nlp.pipe`` at once (and at least
one text): the model's working memory grows with the characters of a batch
(about 3 KB per character with the small model), not with its count, so
32 pieces of a long article must not be parsed together. Measured in
``benchmarks/scale.py --article-mb``."""

_T = TypeVar("_T")
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _chunks(text: str, limit: int) -> Iterator[tuple[int, str]]:
    r"""Split ``text`` into consecutive pieces of at most ``limit`` characters.

    Cuts fall after a blank line if the second half of the window has one,
    else after a sentence end, else after whitespace, else hard at ``limit``.
    Yields ``(offset, piece)``; the pieces concatenate to ``text`` (an empty
    text is one empty piece).

    >>> list(_chunks("One. Two. Three.", 10))
    [(0, 'One. Two. '), (10, 'Three.')]
    >>> [p for _, p in _chunks("aa bb\n\ncc dd", 10)]
    ['aa bb\n\n', 'cc dd']
    >>> [p for _, p in _chunks("abcdefgh", 3)]
    ['abc', 'def', 'gh']
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    start, n = 0, len(text)
    while n - start > limit:
        lo, hi = start + max(limit // 2, 1), start + limit
        cut = text.rfind("\n\n", lo, hi)
        if cut >= 0:
            cut += 2
        else:
            for m in _SENTENCE_END.finditer(text, lo, hi):
                cut = m.end()
            if cut < 0:
                cut = max(text.rfind(c, lo, hi) for c in " \n\t") + 1 or hi
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def _batches(items: Iterable[tuple[str, _T]], size: int, chars: int,
             ) -> Iterator[list[tuple[str, _T]]]:
    """Consecutive groups of at most ``size`` items and ``chars`` characters
    (a longer single item is a group of its own).

    >>> [len(b) for b in _batches([("ab", 0), ("cd", 1), ("e", 2)], 8, 4)]
    [2, 1]
    """
    batch: list[tuple[str, _T]] = []
    n = 0
    for item in items:
        if batch and (len(batch) >= size or n + len(item[0]) > chars):
            yield batch
            batch, n = [], 0
        batch.append(item)
        n += len(item[0])
    if batch:
        yield batch


def _parseable(text: str) -> str:
    r"""Lone surrogates (from JSON ``"\ud800"`` escapes) become U+FFFD, keeping
    offsets; spaCy cannot encode them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _original_case(result: ArticleResult, parsed: str) -> ArticleResult:
    """Mention texts and quotes as the article wrote them.

    ``parsed`` is the text the model read: the article's own, or, for
    upper-case copy, the same text in ordinary case (:mod:`geomap.nlp.truecase`),
    character for character at the same offsets.
    """
    text = _parseable(result.article.text)
    if parsed == text or len(parsed) != len(text):
        return result

    def original(snippet: str) -> str:
        at = parsed.find(snippet)
        return snippet if at < 0 else text[at: at + len(snippet)]

    mentions = tuple(dataclasses.replace(m, text=text[m.start:m.end])
                     for m in result.mentions)
    incidents = tuple(dataclasses.replace(i, quote=original(i.quote),
                                          location=original(i.location))
                      for i in result.incidents)
    tolls = tuple(dataclasses.replace(t, quote=original(t.quote)) for t in result.tolls)
    return dataclasses.replace(result, mentions=mentions, incidents=incidents,
                               tolls=tolls)


def process_doc(
    doc: Doc, article: Article, gazetteer: Gazetteer,
    *, country_focus: Sequence[str] = (), parsed: str | None = None,
) -> ArticleResult:
    """Resolve places and extract incidents from one parsed article (pure).

    ``doc`` is the parse of ``article.text`` or of its case-normalised form
    (:meth:`Pipeline.prepare`), ``parsed`` that text if the caller has it;
    mention texts and quotes come from the article.
    """
    parsed = doc.text if parsed is None else parsed
    mentions = resolve_doc(doc, article.id, gazetteer, country_focus=country_focus)
    incidents, tolls = extract_incidents(doc, article, mentions, text=parsed)
    result = ArticleResult(article=article, mentions=tuple(mentions),
                           incidents=tuple(incidents), tolls=tuple(tolls))
    return _original_case(result, parsed)


class Pipeline:
    """Load the model and gazetteer once; process texts or article streams.

    Parameters
    ----------
    model
        Installed spaCy pipeline name.
    gazetteer
        Path to a gazetteer store (default: the user cache, built on first use).
    batch_size
        Passed to ``nlp.pipe``.
    country_focus
        ISO-2 codes the corpus is about (joins every document's country profile).
    """

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        gazetteer: str | Path | None = None,
        batch_size: int = 32,
        country_focus: Sequence[str] = (),
    ) -> None:
        self.model = model
        self.gazetteer_path = str(gazetteer) if gazetteer else None
        self.batch_size = batch_size
        self.country_focus = tuple(c.upper() for c in country_focus)
        self._nlp: Language | None = None
        self._names: NameTest | None = None
        self.chunk_chars = CHUNK_CHARS
        self.batch_chars = BATCH_CHARS
        self._warned = False

    def prepare(self, text: str) -> str:
        """The text the model reads: encodable, upper-case copy in ordinary case.

        Same length as ``text``, so offsets carry over (:mod:`geomap.nlp.truecase`).
        """
        if self._names is None:
            self._names = gazetteer_names(self.gazetteer)
        return truecase(_parseable(text), self._names)

    @property
    def gazetteer(self) -> Gazetteer:
        """The gazetteer the toponym component holds (loads the pipeline)."""
        return self.nlp.get_pipe("geomap_toponyms").gazetteer

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline with the toponym recogniser (loaded on first use).

        The gazetteer store is built first if it is missing; the component
        receives its handle through the config (``geomap.gazetteer.v1``).
        """
        if self._nlp is None:
            ensure_store(self.gazetteer_path)
            self._nlp = load_nlp(self.model, gazetteer_path=self.gazetteer_path)
        return self._nlp

    def process(
        self, text: str | Article, *, date: str | dt.date | None = None,
        id: str | None = None,
    ) -> ArticleResult:
        """Process one text (or ``Article``) and return its mentions and incidents."""
        if isinstance(text, Article):
            article = text
        else:
            article = Article(id=id or article_id(text), text=text,
                              date=parse_date(date, "date"))
        return next(self.process_many([article]))

    def process_many(
        self, articles: Iterable[Article | str],
    ) -> Iterator[ArticleResult]:
        """Stream results for a stream of articles (or plain texts), in order.

        This is the in-process engine that executors call (see
        :mod:`geomap.executors`); to run a corpus, with worker processes, Dask
        or a results store, use :func:`geomap.run`. Articles go through
        ``nlp.pipe`` in batches of ``batch_size`` texts and at most
        ``batch_chars`` characters.

        An article longer than ``chunk_chars`` is parsed in pieces cut at
        paragraph or sentence ends (:func:`_chunks`); its mentions keep offsets
        into the full text and its incidents are those of all pieces.
        """
        gz = self.gazetteer
        focus = self.country_focus
        parts: list[ArticleResult] = []
        for doc, (article, offset, last, parsed) in self._parse(
                self._pieces(map(as_article, articles))):
            if offset == 0 and last:
                yield process_doc(doc, article, gz, country_focus=focus, parsed=parsed)
                continue
            piece = dataclasses.replace(
                article, text=article.text[offset: offset + len(parsed)])
            part = process_doc(doc, piece, gz, country_focus=focus, parsed=parsed)
            mentions = tuple(dataclasses.replace(m, start=m.start + offset,
                                                 end=m.end + offset)
                             for m in part.mentions)
            parts.append(dataclasses.replace(part, mentions=mentions))
            if last:
                yield ArticleResult(
                    article=article,
                    mentions=tuple(m for r in parts for m in r.mentions),
                    incidents=tuple(i for r in parts for i in r.incidents),
                    tolls=tuple(t for r in parts for t in r.tolls))
                parts = []

    def _parse(self, pieces: Iterable[tuple[str, tuple[Article, int, bool, str]]]
               ) -> Iterator[tuple[Doc, tuple[Article, int, bool, str]]]:
        """``nlp.pipe`` over ``(text, context)`` in character-bounded batches."""
        for batch in _batches(pieces, self.batch_size, self.batch_chars):
            yield from self.nlp.pipe(batch, as_tuples=True, batch_size=len(batch))

    def _pieces(self, articles: Iterable[Article]
                ) -> Iterator[tuple[str, tuple[Article, int, bool, str]]]:
        """``(text, (article, offset, is_last_piece, text))`` for ``nlp.pipe``."""
        for article in articles:
            text = self.prepare(article.text)
            if len(text) <= self.chunk_chars:
                yield text, (article, 0, True, text)
                continue
            # Once per pipeline (worker): a corpus of long articles is one warning.
            (log.info if self._warned else log.warning)(
                "article %s: %d characters, parsed in pieces of at most %d",
                article.id, len(text), self.chunk_chars)
            self._warned = True
            prev: tuple[int, str] | None = None
            for piece in _chunks(text, self.chunk_chars):
                if prev is not None:
                    yield prev[1], (article, prev[0], False, prev[1])
                prev = piece
            assert prev is not None
            yield prev[1], (article, prev[0], True, prev[1])
