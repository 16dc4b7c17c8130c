"""The pipeline: articles -> docs -> mentions -> incidents, one article at a time.

``process_doc`` is the pure unit of work; ``Pipeline`` loads the model and the
gazetteer once and streams articles through ``nlp.pipe`` in batches.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from gazetteer import Gazetteer
from geomap.gazetteer_access import open_gazetteer
from geomap.incidents import extract_incidents
from geomap.ingest import article_id, parse_date
from geomap.models import Article, ArticleResult
from geomap.nlp import DEFAULT_MODEL, load_nlp
from geomap.resolve import resolve_doc

__all__ = ["Pipeline", "process_doc"]

log = logging.getLogger(__name__)


def process_doc(
    doc: Doc, article: Article, gazetteer: Gazetteer,
    *, country_focus: Sequence[str] = (),
) -> ArticleResult:
    """Resolve places and extract incidents from one parsed article (pure)."""
    mentions = resolve_doc(doc, article.id, gazetteer, country_focus=country_focus)
    incidents, tolls = extract_incidents(doc, article, mentions)
    return ArticleResult(article=article, mentions=tuple(mentions),
                         incidents=tuple(incidents), tolls=tuple(tolls))


class Pipeline:
    """Load the model and gazetteer once; process texts or article streams.

    Parameters
    ----------
    model
        Installed spaCy pipeline name.
    gazetteer
        Path to a gazetteer store (default: the user cache, built on first use).
    batch_size, n_process
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
        n_process: int = 1,
        country_focus: Sequence[str] = (),
    ) -> None:
        self.model = model
        self.gazetteer_path = str(gazetteer) if gazetteer else None
        self.batch_size = batch_size
        self.n_process = n_process
        self.country_focus = tuple(c.upper() for c in country_focus)
        self._nlp: Language | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        """The opened gazetteer (built on first use)."""
        return open_gazetteer(self.gazetteer_path)

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline with the toponym recogniser (loaded on first use)."""
        if self._nlp is None:
            self.gazetteer  # noqa: B018  (open/build before the component needs it)
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

    def process_many(self, articles: Iterable[Article]) -> Iterator[ArticleResult]:
        """Stream results for a stream of articles, batched through ``nlp.pipe``."""
        nlp, gz = self.nlp, self.gazetteer
        pairs = ((a.text, a) for a in articles)
        for doc, article in nlp.pipe(pairs, as_tuples=True,
                                     batch_size=self.batch_size,
                                     n_process=self.n_process):
            yield process_doc(doc, article, gz, country_focus=self.country_focus)
