"""Fitting named-feature decisions: logistic models, k-fold splits, weight files.

Every learned decision in geomap (is this span a place, which candidate place,
is this figure a new incident, which mention is its location) is a linear
score over *named* features. This module fits those weights and reads/writes
them as readable JSON, so a reader sees ``{"feature": weight}`` next to the
feature list. Pure: numpy arrays in, dicts out; file I/O only in
:func:`save_weights` / :func:`load_weights`, called by tools and loaders.

Two models:

- :func:`fit_logistic`: binary logistic regression with an L2 penalty (one
  row per example, label 0/1).
- :func:`fit_choice`: conditional logit (softmax within each group: one group
  per decision, one row per alternative, one or more rows marked correct).

Examples
--------
>>> import numpy as np
>>> X = np.array([[1.0], [2.0], [-1.0], [-2.0]])
>>> w = fit_logistic(X, np.array([1, 1, 0, 0]), ["f"], l2=0.1)
>>> w["f"] > 0
True
>>> sorted(folds(5, 2, seed=0)[0] + folds(5, 2, seed=0)[1])
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "BIAS",
    "fit_choice",
    "fit_logistic",
    "folds",
    "load_weights",
    "save_weights",
    "score",
]

#: The name of the intercept in a weight file.
BIAS = "bias"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    *,
    l2: float = 0.01,
    sample_weight: np.ndarray | None = None,
    fixed: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Fit an L2-penalised logistic regression; weights by feature name.

    ``X`` is (n, len(names)); ``y`` holds 0/1. The intercept is returned
    under :data:`BIAS` and is not penalised. Features in ``fixed`` keep the
    given weight (a decisive but rare cue the data cannot estimate).
    RETURNS: ``{name: weight, "bias": b}``.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = X.shape
    if d != len(names):
        raise ValueError(f"X has {d} columns for {len(names)} feature names")
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    fixed = dict(fixed or {})
    free = np.array([nm not in fixed for nm in names])
    base = np.array([fixed.get(nm, 0.0) for nm in names])

    def loss(v: np.ndarray) -> tuple[float, np.ndarray]:
        w = base.copy()
        w[free] = v[:-1]
        z = X @ w + v[-1]
        p = _sigmoid(z)
        eps = 1e-12
        ll = -np.sum(sw * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
        g = X.T @ (sw * (p - y))
        grad = np.concatenate([g[free] + 2 * l2 * v[:-1], [np.sum(sw * (p - y))]])
        return ll + l2 * np.sum(v[:-1] ** 2), grad

    v0 = np.zeros(int(free.sum()) + 1)
    from scipy.optimize import minimize  # fitting only: not on the run path

    res = minimize(loss, v0, jac=True, method="L-BFGS-B")
    w = base.copy()
    w[free] = res.x[:-1]
    out = {nm: float(w[i]) for i, nm in enumerate(names)}
    out[BIAS] = float(res.x[-1])
    return out


def fit_choice(
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
    names: Sequence[str],
    *,
    l2: float = 0.01,
    fixed: Mapping[str, float] | None = None,
    prior: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Fit a conditional logit: in each group, the correct rows should score highest.

    ``groups`` holds ``(X, correct)`` pairs: X is (alternatives, features),
    ``correct`` a boolean mask with at least one True. The likelihood of a
    group is the softmax mass on its correct rows. No intercept (it cancels).
    The L2 penalty pulls each weight toward its ``prior`` (default 0): a cue
    the conventions say how to read, too rare in the data to estimate alone.
    RETURNS: ``{name: weight}``.
    """
    fixed = dict(fixed or {})
    free = np.array([nm not in fixed for nm in names])
    base = np.array([fixed.get(nm, 0.0) for nm in names])
    mean = np.array([(prior or {}).get(nm, 0.0) for nm in names])[free]
    usable = [(np.asarray(X, float), np.asarray(c, bool)) for X, c in groups
              if len(X) > 1 and np.any(c) and not np.all(c)]

    def loss(v: np.ndarray) -> tuple[float, np.ndarray]:
        w = base.copy()
        w[free] = v
        total = 0.0
        grad = np.zeros(len(names))
        for X, c in usable:
            z = X @ w
            z = z - z.max()
            e = np.exp(z)
            p = e / e.sum()
            pc = p[c].sum()
            total -= np.log(pc + 1e-12)
            # d/dw -log(sum_c p) = E_p[x] - E_{p|c}[x]
            grad += p @ X - (p[c] @ X[c]) / max(pc, 1e-12)
        total += l2 * np.sum((v - mean) ** 2)
        return total, grad[free] + 2 * l2 * (v - mean)

    from scipy.optimize import minimize

    res = minimize(loss, mean.copy(), jac=True, method="L-BFGS-B")
    w = base.copy()
    w[free] = res.x
    return {nm: float(w[i]) for i, nm in enumerate(names)}


def score(X: np.ndarray, weights: Mapping[str, float],
          names: Sequence[str]) -> np.ndarray:
    """Linear score of each row of ``X`` under ``weights`` (bias if present)."""
    w = np.array([weights.get(nm, 0.0) for nm in names])
    return np.asarray(X, float) @ w + weights.get(BIAS, 0.0)


def folds(n: int, k: int, *, seed: int = 0) -> list[list[int]]:
    """Split ``range(n)`` into ``k`` shuffled folds of near-equal size.

    Split by article (pass the number of articles), never by example, so that
    no article's figures sit in both the training and the test part.
    """
    if k < 2:
        raise ValueError("k-fold cross-validation needs k >= 2")
    order = np.random.default_rng(seed).permutation(n)
    return [sorted(int(i) for i in order[j::k]) for j in range(k)]


def save_weights(path: Path, weights: Mapping[str, float], *,
                 about: str = "", fitted_on: Sequence[str] = (),
                 extra: Mapping[str, object] | None = None) -> None:
    """Write weights as readable JSON (sorted by |weight|, with provenance)."""
    ordered = dict(sorted(weights.items(), key=lambda kv: -abs(kv[1])))
    doc: dict[str, object] = {"about": about, "fitted_on": list(fitted_on),
                              "weights": {k: round(v, 4) for k, v in ordered.items()}}
    doc.update(extra or {})
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def load_weights(path: Path) -> dict[str, float]:
    """Read the ``weights`` table of a weight file written by :func:`save_weights`."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in doc["weights"].items()}
