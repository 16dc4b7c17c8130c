"""The shared fitting tool: a prior mean pulls rare weights, data moves them."""

import numpy as np

from geomap.fitting import fit_choice


def _groups(n, good_col):
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        X = rng.integers(0, 2, size=(3, 2)).astype(float)
        X[0, good_col] = 1.0
        X[1:, good_col] = 0.0
        out.append((X, np.array([True, False, False])))
    return out


def test_without_data_the_weights_are_the_prior():
    w = fit_choice([], ["a", "b"], l2=1.0, prior={"a": -1.0})
    assert (round(w["a"], 6), round(w["b"], 6)) == (-1.0, 0.0)


def test_data_pulls_a_weight_away_from_its_prior():
    groups = _groups(200, good_col=0)
    w = fit_choice(groups, ["a", "b"], l2=1.0, prior={"a": -1.0})
    assert w["a"] > 1.0


def test_the_prior_shifts_a_weakly_supported_weight():
    groups = _groups(3, good_col=0)
    plain = fit_choice(groups, ["a", "b"], l2=3.0)
    pulled = fit_choice(groups, ["a", "b"], l2=3.0, prior={"a": -1.0})
    assert pulled["a"] < plain["a"]
