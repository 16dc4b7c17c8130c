"""Incidents of one parsed article: figures -> decisions -> drafts -> incidents.

1. :func:`~geomap.incidents.figures.read_figures` reads the casualty spans;
   sentences with an attack verb but no figure give figure-less reports.
2. Each becomes a :class:`Decision` with its features
   (:mod:`geomap.incidents.features`): the fitted logistic
   (:mod:`geomap.incidents.decide`) keeps incidents and sets cumulative or old
   figures aside as :class:`~geomap.models.Toll` records; the fitted choice
   (:mod:`geomap.incidents.locate`) picks each one's place.
3. :mod:`geomap.incidents.assemble` merges the drafts of one event.

The same :func:`decisions` feed the fitting tool, so training and use see
identical features.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np
from spacy.tokens import Doc, Token

from geomap.fitting import load_weights
from geomap.incidents.assemble import Draft, assemble
from geomap.incidents.context import ArticleContext, Candidate, article_context
from geomap.incidents.decide import THRESHOLD, incident_probability
from geomap.incidents.events import event_anchor, event_type_in, event_type_of
from geomap.incidents.features import (
    FIGURE_FEATURES,
    figure_features,
    place_features,
    tree_distance,
)
from geomap.incidents.figures import Figure, read_figures
from geomap.incidents.locate import candidates_for, choose_place
from geomap.models import Article, Incident, Mention, Toll

__all__ = ["Decision", "Weights", "decisions", "default_weights", "extract_incidents"]


_PERIOD = FIGURE_FEATURES.index("period_in_sentence")


@dataclass(frozen=True, slots=True)
class Weights:
    """The two fitted weight tables: is-incident (``figure``), location (``place``)."""

    figure: Mapping[str, float]
    place: Mapping[str, float]


@cache
def default_weights() -> Weights:
    """The weights shipped with the package (``geomap/incidents/*_weights.json``)."""
    here = files(__package__)
    return Weights(load_weights(here.joinpath("figure_weights.json")),
                   load_weights(here.joinpath("place_weights.json")))


@dataclass(frozen=True, slots=True)
class Decision:
    """A figure (or figure-less report) with the features of its two decisions."""

    anchor: Token
    figure: Figure | None
    features: np.ndarray           # FIGURE_FEATURES
    candidates: tuple[Candidate, ...]
    place_matrix: np.ndarray       # (candidates, PLACE_FEATURES)


def decisions(doc: Doc, article: Article, mentions: Sequence[Mention],
              *, text: str | None = None) -> tuple[ArticleContext, list[Decision]]:
    """Every figure and figure-less report of the article, with features
    (``text``: ``doc.text`` if the caller has it)."""
    ctx = article_context(doc, article, mentions, text=text)
    figures = read_figures(doc)
    anchors: list[tuple[Token, Figure | None]] = [(f.trigger, f) for f in figures]
    with_figures = {ctx.sent_index(f.trigger) for f in figures}
    for si, sent in enumerate(ctx.sents):
        if si in with_figures:
            continue
        verb = event_anchor(sent)
        if verb is not None:
            anchors.append((verb, None))
    out = []
    for anchor, fig in anchors:
        cands = tuple(candidates_for(ctx, anchor))
        out.append(Decision(
            anchor, fig, figure_features(ctx, anchor, fig, figures), cands,
            place_features(ctx, anchor, list(cands)) if cands else np.zeros((0, 0))))
    return ctx, out


def _date_of(ctx: ArticleContext, anchor: Token, triggers: Sequence[Token]
             ) -> tuple[dt.date | None, bool]:
    """(date, found in its own sentence) of the event at ``anchor``."""
    si = ctx.sent_index(anchor)
    marks = ctx.dates[si]
    if marks:
        def owner(tok: Token) -> int:
            return min(triggers,
                       key=lambda t: (tree_distance(tok, t), abs(tok.i - t.i))).i
        own = [m for m in marks if owner(m.root) == anchor.i
               or tree_distance(m.root, anchor) <= 2]
        # the date nearest the figure in the parse ("..., May 23, the day after
        # the attack that killed 22 on Monday night": Monday night)
        near = min(own, key=lambda m: (tree_distance(m.root, anchor),
                                       abs(m.root.i - anchor.i)), default=None)
        return (near.date if near else None), True
    para = ctx.paragraph_of[si]
    for sj in sorted(range(len(ctx.sents)), key=lambda s: (ctx.paragraph_of[s] != para,
                                                           abs(s - si), s)):
        if sj != si and ctx.dates[sj]:
            return ctx.dates[sj][0].date, False
    return None, False


def extract_incidents(doc: Doc, article: Article, mentions: Sequence[Mention],
                      *, weights: Weights | None = None, text: str | None = None
                      ) -> tuple[list[Incident], list[Toll]]:
    """Incidents (place, date, type, killed, wounded, quote) and set-aside tolls.

    Parameters
    ----------
    doc
        The parse of ``article.text`` with the ``geomap_casualties`` spans.
    article
        The article; its date anchors relative dates.
    mentions
        Its resolved place mentions (only literal ones can be locations).
    weights
        Fitted weights (default: the package's).
    text
        ``doc.text``, if the caller has it (saves joining the tokens again).

    Returns
    -------
    (list of Incident, list of Toll)
        One incident per event; rejected figures counted over a period are tolls.
    """
    w = weights or default_weights()
    ctx, rows = decisions(doc, article, mentions, text=text)
    triggers = [r.anchor for r in rows]
    drafts: list[Draft] = []
    tolls: list[Toll] = []
    for r in rows:
        p = incident_probability(r.features, w.figure)
        if p < THRESHOLD:
            if r.figure is not None and r.features[_PERIOD]:
                killed = r.figure.value if r.figure.kind == "killed" else None
                wounded = r.figure.value if r.figure.kind == "wounded" else None
                tolls.append(Toll(article.id, killed, wounded,
                                  r.figure.sent.text.strip()))
            continue
        place, _ = choose_place(ctx, r.anchor, w.place, list(r.candidates))
        if place is None:
            continue
        date, own = _date_of(ctx, r.anchor, triggers)
        si = ctx.sent_index(r.anchor)
        sent = ctx.sents[si]
        drafts.append(Draft(si, sent.text.strip(), place, date, event_type_in(sent),
                            [r.figure] if r.figure is not None else [], own))
    # the article's own event type, the fallback of its incidents (if any)
    article_type = event_type_of(ctx.text[ctx.dateline_end:]) if drafts else None
    return assemble(drafts, article, article_type), tolls
