"""Look-up tables give the annotation of the model's attribute ruler and lemmatizer."""

from __future__ import annotations

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc

from geomap.nlp import DEFAULT_MODEL
from geomap.nlp.attribute_table import AttributeTable, compile_rules, replace_ruler

TEXTS = [
    "Rockets struck a fuel depot outside the port town late on Friday, "
    "the regional governor said, and two firefighters were hurt.",
    "\"We're gonna rebuild,\" said the mayor, who hadn't slept. Y'all know it.\n\n"
    "There were 14 people in the building; none of them was injured.",
    "THE BRIDGE WAS DESTROYED.  Officials did not say what it had cost, "
    "but it's thought that they'd known for weeks.",
    "Let's go — it was I who called them, and it was you whom they called.",
    "Gotta say: nothin' happened here, ol' friend; c'mon, 'nuff of this!",
]


@pytest.fixture(scope="module")
def model():
    return spacy.load(DEFAULT_MODEL)


def _annotation(doc: Doc) -> list[tuple]:
    return [(t.pos_, str(t.morph), t.lemma_, t.tag_, t.dep_) for t in doc]


def _both(model, text: str) -> tuple[Doc, Doc]:
    """``text`` through the model's tagger and parser, then the ruler or the table."""
    with model.select_pipes(disable=["attribute_ruler", "lemmatizer", "ner"]):
        parsed = model(text)
    ruler = model.get_pipe("attribute_ruler")
    table = AttributeTable(model.vocab)
    table.add_patterns(ruler.patterns)
    a = ruler(Doc(model.vocab).from_bytes(parsed.to_bytes()))
    b = table(Doc(model.vocab).from_bytes(parsed.to_bytes()))
    return a, b


@pytest.mark.parametrize("text", TEXTS)
def test_table_annotates_as_the_ruler(model, text):
    ruler_doc, table_doc = _both(model, text)
    assert _annotation(table_doc) == _annotation(ruler_doc)
    assert any(t.pos_ for t in table_doc)  # the table did write


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(
    ["the", "it", "you", "gon", "na", "got", "ta", "'s", "let", "there", "is",
     "was", "Did", "have", "had", "that", "which", "  ", "\n", ",", ".", "y'", "all",
     "village", "burned", "Monday", "wo", "n't", "sha"]), min_size=1, max_size=25))
def test_table_equals_ruler_on_any_word_sequence(model, words):
    ruler_doc, table_doc = _both(model, " ".join(words))
    assert _annotation(table_doc) == _annotation(ruler_doc)


def test_later_rule_wins_and_index_picks_the_token():
    nlp = spacy.blank("en")
    table = AttributeTable(nlp.vocab)
    table.add_patterns([
        {"patterns": [[{"LOWER": "river"}]], "attrs": {"LEMMA": "first"}},
        {"patterns": [[{"LOWER": {"IN": ["river", "lake"]}}]],
         "attrs": {"LEMMA": "second"}},
        {"patterns": [[{"LOWER": "the"}, {"LOWER": "lake"}]],
         "attrs": {"LEMMA": "third"}, "index": -1},
        {"patterns": [[{"LOWER": {"REGEX": "^bro+k$"}}]], "attrs": {"LEMMA": "brook"}},
    ])
    doc = table(nlp("a river by the lake and a brooook"))
    assert [t.lemma_ for t in doc] == ["", "second", "", "", "third", "", "", "brook"]


def test_a_rule_beyond_the_table_keeps_spacys_ruler(model):
    assert compile_rules(model.vocab, [
        {"patterns": [[{"LOWER": "a", "OP": "+"}]], "attrs": {"LEMMA": "x"}}]) is None
    assert compile_rules(model.vocab, [
        {"patterns": [[{"POS": "NOUN"}]], "attrs": {"LEMMA": "x"}}]) is None
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LENGTH": {">": 3}}]], {"LEMMA": "long"})
    assert replace_ruler(nlp) is False
    assert type(nlp.get_pipe("attribute_ruler")).__name__ == "AttributeRuler"
    ruler.add([[{"LOWER": "x"}]], {"LEMMA": "ex"})
    nlp2 = spacy.blank("en")
    nlp2.add_pipe("attribute_ruler").add([[{"LOWER": "x"}]], {"LEMMA": "ex"})
    assert replace_ruler(nlp2) is True
    assert isinstance(nlp2.get_pipe("attribute_ruler"), AttributeTable)
    assert [t.lemma_ for t in nlp2("x y")] == ["ex", ""]


def test_geomap_pipeline_uses_the_table_and_the_bare_model_its_ruler(geomap_pipeline):
    from geomap.nlp import load_nlp

    assert type(load_nlp(toponyms=False).get_pipe("attribute_ruler")).__name__ \
        == "AttributeRuler"
    assert isinstance(geomap_pipeline.nlp.get_pipe("attribute_ruler"), AttributeTable)


# -- the lemma table -------------------------------------------------------------

LEMMA_TEXTS = [
    "The buildings were flattened and their owners have fled; lemmas differ.",
    "She'd been running the clinics, which were shelled twice as heavily.",
    "Officials said the geese, mice and oxen had gone. Were they counted?",
]


@pytest.mark.parametrize("text", LEMMA_TEXTS)
def test_lemma_table_gives_the_lemmatizers_lemmas(model, text):
    from geomap.nlp.lemma_table import LemmaTable

    with model.select_pipes(disable=["lemmatizer", "ner"]):
        parsed = model(text)
    lemmatizer = model.get_pipe("lemmatizer")
    plain = lemmatizer(Doc(model.vocab).from_bytes(parsed.to_bytes()))
    table = LemmaTable(lemmatizer)
    for _ in range(2):  # a cold and a warm table
        doc = table(Doc(model.vocab).from_bytes(parsed.to_bytes()))
        assert [t.lemma_ for t in doc] == [t.lemma_ for t in plain]
    assert any(t.lemma_ != t.lower_ for t in plain)  # the text has real lemmas


def test_lemma_table_keeps_a_lemma_already_set(model):
    from geomap.nlp.lemma_table import LemmaTable

    with model.select_pipes(disable=["lemmatizer", "ner"]):
        doc = model("The towers were burning.")
    doc[1].lemma_ = "kept"
    LemmaTable(model.get_pipe("lemmatizer"))(doc)
    assert [t.lemma_ for t in doc][1:4] == ["kept", "be", "burn"]


def test_an_overwriting_lemmatizer_is_left_alone():
    from geomap.nlp.lemma_table import replace_lemmatizer

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup", "overwrite": True})
    assert replace_lemmatizer(nlp) is False
    assert replace_lemmatizer(spacy.blank("en")) is False


def test_replaced_lemmatizer_equals_a_stock_model_on_inflected_words(model):
    from geomap.nlp.lemma_table import replace_lemmatizer

    ours = spacy.load(DEFAULT_MODEL)
    assert replace_lemmatizer(ours)
    text = ("The oxen were herded past shelled villages; geese flew while mice "
            "scurried. Strafed convoys, burnt-out lorries and the wounded "
            "were ferried across flooded fields by the likeliest volunteers.")
    stock = [t.lemma_ for t in model(text)]
    assert [t.lemma_ for t in ours(text)] == stock
    assert {"herd", "shell", "mouse", "ferry"} <= set(stock)  # rules exercised
