"""The ``geomap_casualties`` component: casualty, period and event-type spans.

Rules are data (``geomap/nlp/lexicon/``):

- ``casualty_patterns.jsonl``: DependencyMatcher patterns, each naming a
  ``trigger`` node (killed, died, injured, toll...) and a ``victim`` node
  (the counted noun or the number);
- ``periods.jsonl``: Matcher patterns for period and aggregate phrases
  ("since the invasion", "this year", "across the country");
- ``event_types.jsonl``: event-type vocabulary for a PhraseMatcher on lemmas.

The component writes, in parallel order, ``doc.spans["casualties"]`` (the
victim token; ``label_`` is killed | wounded | toll, ``kb_id_`` the pattern
id) and ``doc.spans["casualty_triggers"]`` (the trigger token), plus
``doc.spans["periods"]`` and ``doc.spans["event_types"]`` (``label_`` the
kind). Reading numbers off the spans is code: :mod:`geomap.incidents.figures`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib.resources import files
from typing import Any

import numpy as np
from spacy.attrs import LEMMA, LOWER
from spacy.language import Language
from spacy.matcher import DependencyMatcher, Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from geomap.nlp.lexicon import entries, load

__all__ = [
    "CASUALTIES",
    "EVENT_TYPES_KEY",
    "PERIODS",
    "TRIGGERS",
    "CasualtyMatcher",
    "load_patterns",
]

CASUALTIES = "casualties"
TRIGGERS = "casualty_triggers"
PERIODS = "periods"
EVENT_TYPES_KEY = "event_types"
#: Trigger kinds one of which every casualty pattern needs (the sentence gate).
_GATE_KINDS = frozenset({
    "kill_verb", "die_verb", "wound_verb", "kill_noun", "wound_noun", "kill_state",
    "wound_state", "toll_noun", "life_noun", "treat_verb", "harm_verb", "harm_noun",
    "hospital_noun", "vehicle_noun",
})


def _expand(value: Any) -> Any:
    """Replace ``"@concept:kind+kind"`` strings by the words of that lexicon."""
    if isinstance(value, str) and value.startswith("@"):
        concept, _, kinds = value[1:].partition(":")
        wanted = set(kinds.split("+")) if kinds else None
        return sorted({r["text"] for r in entries(concept)
                       if wanted is None or r.get("kind") in wanted})
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


def _trigger_words(pattern: list[dict[str, Any]]) -> set[str] | None:
    """The words one of which a pattern's ``trigger`` node must be (as lemma
    or lower-case form), or ``None`` if its node does not say."""
    for node in pattern:
        if node.get("RIGHT_ID") != "trigger":
            continue
        attrs = node.get("RIGHT_ATTRS", {})
        words: set[str] = set()
        for attr in ("LEMMA", "LOWER"):
            value = attrs.get(attr)
            if isinstance(value, str):
                words.add(value)
            elif isinstance(value, dict) and set(value) == {"IN"}:
                words.update(value["IN"])
        if words:
            return words
    return None


def load_patterns(name: str) -> list[dict[str, Any]]:
    """The records of ``lexicon/<name>.jsonl``, lexicon references expanded."""
    path = files("geomap.nlp.lexicon").joinpath(f"{name}.jsonl")
    text = path.read_text(encoding="utf-8")
    return [_expand(json.loads(line)) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("//")]


class CasualtyMatcher:
    """Doc -> Doc: casualty figures, period phrases and event-type words as spans."""

    def __init__(self, nlp: Language, name: str = "geomap_casualties") -> None:
        self.name = name
        # one matcher per pattern, run only on sentences that hold one of its
        # trigger words (a sentence holds few), in the patterns' file order
        self.dep: list[tuple[frozenset[int] | None, DependencyMatcher]] = []
        self.labels: dict[str, str] = {}
        self.nodes: dict[str, list[str]] = {}
        self.gate = frozenset(r["text"] for r in entries("casualty_triggers")
                              if r.get("kind") in _GATE_KINDS)
        # periods matter only where there is a figure or an event report
        self.period_gate = self.gate | load("event_nouns")
        self._gate_keys, self._period_keys = (
            np.array(sorted(nlp.vocab.strings.add(w) for w in words), dtype="uint64")
            for words in (self.gate, self.period_gate))
        self.kill_states = frozenset(r["text"] for r in entries("casualty_triggers")
                                     if r.get("kind") == "kill_state")
        for row in load_patterns("casualty_patterns"):
            matcher = DependencyMatcher(nlp.vocab)
            matcher.add(row["id"], [row["pattern"]])
            words = _trigger_words(row["pattern"])
            self.dep.append((None if words is None else frozenset(
                nlp.vocab.strings.add(w) for w in words), matcher))
            self.labels[row["id"]] = row["label"]
            self.nodes[row["id"]] = [node["RIGHT_ID"] for node in row["pattern"]]
        self.periods = Matcher(nlp.vocab)
        for n, row in enumerate(load_patterns("periods")):
            self.periods.add(f"{row['kind']}#{n}", [row["pattern"]])
        self.types = PhraseMatcher(nlp.vocab, attr="LEMMA")
        phrases = [(r["kind"], r["text"]) for r in entries("event_types")]
        lemmatised = self._lemmatise(nlp, [t for _, t in phrases])
        for (kind, _), doc in zip(phrases, lemmatised, strict=True):
            self.types.add(kind, [doc])

    @staticmethod
    def _lemmatise(nlp: Language, texts: Iterable[str]) -> list[Doc]:
        keep = [p for p in ("tok2vec", "tagger", "attribute_ruler", "lemmatizer")
                if p in nlp.pipe_names]
        with nlp.select_pipes(enable=keep):
            return list(nlp.pipe(texts))

    def __call__(self, doc: Doc) -> Doc:
        """Write the four span groups. RETURNS (Doc): the same doc."""
        forms = doc.to_array([LEMMA, LOWER])  # the gates read these columns
        found: dict[tuple[int, int, str], str] = {}
        for match_id, token_ids in self._dependency_matches(doc, forms):
            key = doc.vocab.strings[match_id]
            names = dict(zip(self.nodes[key], token_ids, strict=True))
            victim, trigger = names["victim"], names["trigger"]
            label = self.labels[key]
            if label == "same":
                label = ("killed" if doc[trigger].lower_ in self.kill_states
                         else "wounded")
            found.setdefault((victim, trigger, label), key)
        ordered = sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1]))
        doc.spans[CASUALTIES] = [Span(doc, v, v + 1, label=lab, kb_id=pid)
                                 for (v, _, lab), pid in ordered]
        doc.spans[TRIGGERS] = [Span(doc, t, t + 1, label=lab)
                               for (_, t, lab), _ in ordered]
        periods = [Span(doc, sent.start + s, sent.start + e,
                        label=doc.vocab.strings[m].split("#")[0])
                   for sent in self._gated(doc, forms, self._period_keys)
                   for m, s, e in self.periods(sent)]
        doc.spans[PERIODS] = periods
        doc.spans[EVENT_TYPES_KEY] = [Span(doc, s, e, label=m)
                                      for m, s, e in self.types(doc)]
        return doc

    def _dependency_matches(self, doc: Doc, forms: np.ndarray
                            ) -> list[tuple[int, list[int]]]:
        """Dependency matches in the sentences that hold a trigger word
        (``forms``: the doc's lemma and lower-case columns).

        Every pattern needs one of the trigger words, and most sentences of an
        article have none: matching only the others keeps the component cheap.
        """
        out = []
        for sent in self._gated(doc, forms, self._gate_keys):
            present = set(forms[sent.start:sent.end].ravel().tolist())
            parsed: Doc | None = None
            for words, matcher in self.dep:
                if words is not None and present.isdisjoint(words):
                    continue
                if parsed is None:
                    parsed = sent.as_doc()
                for match_id, ids in matcher(parsed):
                    out.append((match_id, [sent.start + i for i in ids]))
        return out

    @staticmethod
    def _gated(doc: Doc, forms: np.ndarray, keys: np.ndarray) -> list[Span]:
        """The sentences with a token whose lemma or lower-case form (``forms``)
        is one of ``keys`` (string hashes of the gate words)."""
        hit = np.isin(forms, keys).any(axis=1)
        return [sent for sent in doc.sents if hit[sent.start:sent.end].any()]

    # serialisation, as spaCy's rulers do: the patterns are package data, so
    # there is nothing to write; kept for the component protocol.
    def to_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> None:
        """Nothing to save: the patterns ship with the package."""

    def from_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> CasualtyMatcher:
        """Nothing to load: the patterns ship with the package. RETURNS: self."""
        return self


@Language.factory(
    "geomap_casualties",
    assigns=["doc.spans"],
    requires=["token.dep", "token.lemma", "token.pos"],
)
def make_casualty_matcher(nlp: Language, name: str) -> CasualtyMatcher:
    """Build the casualty matcher from the pattern files in ``geomap/nlp/lexicon``."""
    return CasualtyMatcher(nlp, name)
