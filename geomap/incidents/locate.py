"""Which place mention is an incident's location: a fitted choice over candidates.

The candidates of a figure are the literal resolved mentions of its sentence,
of the sentences before it in its paragraph, of the article's lead and of the
dateline; each is described by
:data:`~geomap.incidents.features.PLACE_FEATURES` and the highest score under
the fitted weights wins (a conditional logit, fitted by
``tools/fit_incidents.py``). The article's most-named place is a feature, not
an extra candidate: added to every figure's candidates it drew figures from
other events into the main one (killed exact 0.835 -> 0.814, pooled F1 +0.003,
5 seeds x 5 folds).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from spacy.tokens import Token

from geomap.fitting import score
from geomap.incidents.context import ArticleContext, Candidate
from geomap.incidents.features import PLACE_FEATURES, place_features

__all__ = ["candidates_for", "choose_place"]

#: How many sentences back (within the paragraph) a location may come from.
LOOKBACK = 3


def candidates_for(ctx: ArticleContext, anchor: Token) -> list[Candidate]:
    """Candidate locations of the figure or report at ``anchor``."""
    si = ctx.sent_index(anchor)
    para = ctx.paragraph_of[si]
    out = []
    for c in ctx.candidates:
        if c.in_dateline or c.sent_index == si:
            out.append(c)
        elif c.paragraph == para and si - LOOKBACK <= c.sent_index < si:
            out.append(c)
        elif c.sent_index <= 1 or (c.sent_index == si + 1 and c.paragraph == para):
            out.append(c)
    return out


def choose_place(ctx: ArticleContext, anchor: Token, weights: Mapping[str, float],
                 cands: list[Candidate] | None = None
                 ) -> tuple[Candidate | None, float]:
    """The best-scoring candidate location and its softmax probability.

    RETURNS: ``(candidate, p)``, or ``(None, 0.0)`` when there is no candidate.
    """
    cands = candidates_for(ctx, anchor) if cands is None else cands
    if not cands:
        return None, 0.0
    s = score(place_features(ctx, anchor, cands), weights, PLACE_FEATURES)
    p = np.exp(s - s.max())
    p /= p.sum()
    k = int(np.argmax(s))
    return cands[k], float(p[k])
