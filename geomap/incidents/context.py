"""The article around a figure: sentences, paragraphs, dateline, places and dates.

Built once per article (:func:`article_context`) and read by the feature
functions, the location choice and the assembly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from geomap.dates import (
    find_date_expressions,
    is_reporting_context,
    resolve_relative_date,
)
from geomap.models import Article, Mention

__all__ = ["ArticleContext", "Candidate", "DateMark", "article_context", "span_root"]

_DATELINE = re.compile(r"^\s*(?P<head>.{0,100}?)\s(?:--|\u2014|\u2013|-)\s")
_BLANK_LINE = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A resolved literal place mention that could be an incident's location."""

    mention: Mention
    root: Token
    sent_index: int
    paragraph: int
    in_dateline: bool


@dataclass(frozen=True, slots=True)
class DateMark:
    """A date phrase of a sentence, resolved against the article date."""

    root: Token
    date: dt.date


@dataclass(frozen=True, slots=True)
class ArticleContext:
    """Everything about an article that the incident decisions look at."""

    doc: Doc
    article: Article
    text: str                               # doc.text (joined once)
    sents: tuple[Span, ...]
    paragraph_of: tuple[int, ...]           # per sentence
    dateline_end: int                       # character offset, 0 without dateline
    candidates: tuple[Candidate, ...]       # every literal resolved mention
    dates: tuple[tuple[DateMark, ...], ...]  # per sentence

    def sent_index(self, tok: Token) -> int:
        """Index of the sentence holding ``tok``."""
        lo, hi = 0, len(self.sents) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.sents[mid].start <= tok.i:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def in_sentence(self, si: int) -> list[Candidate]:
        """Candidates of sentence ``si`` outside the dateline."""
        return [c for c in self.candidates if c.sent_index == si and not c.in_dateline]


def span_root(doc: Doc, start: int, end: int) -> Token | None:
    """Root token of the character span [start, end), or None."""
    span = doc.char_span(start, end, alignment_mode="expand")
    return None if span is None or len(span) == 0 else span.root


def _dateline_end(text: str) -> int:
    m = _DATELINE.match(text)
    if not m:
        return 0
    head = m.group("head")
    if "(" in head or re.search(r"\b[A-Z][A-Z'\-]{2,}\b", head):
        return m.end()
    return 0


def _paragraph_starts(text: str) -> list[int]:
    """Character offsets where paragraphs start.

    Blank lines separate paragraphs where the text has them; otherwise single
    line breaks do, unless the text is one sentence per line (short lines), in
    which case the article is one paragraph.
    """
    if _BLANK_LINE.search(text):
        return [0] + [m.end() for m in _BLANK_LINE.finditer(text)]
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if len(lines) > 1 and sum(map(len, lines)) / len(lines) > 250:
        starts, pos = [0], 0
        for ln in text.split("\n")[:-1]:
            pos += len(ln) + 1
            starts.append(pos)
        return starts
    return [0]


def _dates(sent: Span, article_date: dt.date | None, text: str
           ) -> tuple[DateMark, ...]:
    """The resolved date phrases of a sentence (``text``: its text)."""
    out = []
    for expr in find_date_expressions(text):
        if is_reporting_context(text, expr):
            continue
        resolved = resolve_relative_date(expr.text, article_date)
        if resolved is None:
            continue
        root = span_root(sent.doc, sent.start_char + expr.start,
                         sent.start_char + expr.end)
        if root is not None:
            out.append(DateMark(root, resolved))
    return tuple(out)


def article_context(doc: Doc, article: Article, mentions: Sequence[Mention],
                    *, text: str | None = None) -> ArticleContext:
    """Index an article's sentences, paragraphs, dateline, places and dates
    (``text``: ``doc.text`` if the caller has it)."""
    sents = tuple(doc.sents)
    text = doc.text if text is None else text
    starts = _paragraph_starts(text)
    para: list[int] = []
    k = 0
    for s in sents:
        while k + 1 < len(starts) and starts[k + 1] <= s.start_char:
            k += 1
        para.append(k)
    dateline_end = _dateline_end(text)
    ctx = ArticleContext(doc, article, text, sents, tuple(para), dateline_end, (),
                         tuple(_dates(s, article.date, text[s.start_char:s.end_char])
                               for s in sents))
    cands = []
    for m in mentions:
        if m.place is None or m.role != "literal" or m.place.feature == "continent":
            continue
        root = span_root(doc, m.start, m.end)
        if root is None:
            continue
        si = ctx.sent_index(root)
        cands.append(Candidate(m, root, si, para[si], m.start < dateline_end))
    return ArticleContext(doc, article, text, sents, tuple(para), dateline_end,
                          tuple(cands), ctx.dates)
