"""Is a figure the article's own incident? A fitted logistic decision.

A casualty figure may report the article's news or a recent background event
(both incidents), or a cumulative or aggregate toll, an old event, a court
case (not incidents). Each figure, and each figure-less strike report, is
described by :data:`~geomap.incidents.features.FIGURE_FEATURES`; the fitted
weights (``tools/fit_incidents.py``) give the probability that it is an
incident.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from geomap.fitting import score
from geomap.incidents.features import FIGURE_FEATURES

__all__ = ["THRESHOLD", "incident_probability"]

#: Figures at or above this probability become incidents.
THRESHOLD = 0.35


def incident_probability(features: np.ndarray, weights: Mapping[str, float]) -> float:
    """Probability that the figure with this feature vector is an incident."""
    z = float(score(features[None, :], weights, FIGURE_FEATURES)[0])
    return 1.0 / (1.0 + np.exp(-z))
