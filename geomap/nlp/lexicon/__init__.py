"""Lexicons as data: one JSONL file per concept, shared by every stage that needs it.

Each line of ``<concept>.jsonl`` is a JSON object with at least ``"text"`` (a
lower-case word or phrase; for lemma lexicons, the lemma) and optionally
``"kind"`` (a sub-class within the concept) and ``"note"``. A rule is changed
by editing the file, not the code. Recognition and incident extraction read
the same files where the concept is the same (locatives, place nouns, speech
verbs).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

__all__ = ["entries", "load"]


@cache
def entries(concept: str) -> tuple[dict, ...]:
    """Every record of the lexicon ``concept`` (the file ``<concept>.jsonl``).

    RETURNS (tuple[dict, ...]): the records in file order; blank lines and lines
    starting with ``//`` are skipped.
    """
    path = files(__package__).joinpath(f"{concept}.jsonl")
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            rows.append(json.loads(line))
    return tuple(rows)


def load(concept: str, kind: str | None = None) -> frozenset[str]:
    """The ``text`` values of lexicon ``concept`` (only those of ``kind`` if given).

    >>> "in" in load("locatives", kind="preposition")
    True
    """
    return frozenset(r["text"] for r in entries(concept)
                     if kind is None or r.get("kind") == kind)
