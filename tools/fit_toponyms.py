"""Fit the toponym recogniser's weights (geomap/nlp/toponym_weights.json).

Logistic regression over the named features of every candidate span; a
candidate is positive when it overlaps a gold toponym. First the pass-one
("prior") weights on the features that need no other candidate, then the
full weights with the one-sense-per-document features computed from them.

Reports, per corpus and never pooled: k-fold cross-validated recognition
P/R/F1 and end-to-end acc@161 (all / detected) and far misses, cross-corpus
figures (fit on one corpus, test on the other), and per-feature ablations
(cross-validated F1 change without each feature).

    python tools/fit_toponyms.py --train ../shared/data/geoparse/geowebnews.jsonl \\
        --train ../shared/data/geoparse/lgl.jsonl --cache DIR [--folds 5] \\
        [--ablate] [--write]

Development data only; never the held-out corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geomap.evaluate import geoparse_metrics
from geomap.fitting import fit_logistic, folds
from geomap.nlp.toponyms import (
    DOC_FEATURES,
    FEATURES,
    candidate_table,
    document_features,
    score,
    select,
)
from geomap.recognise import SPANS_KEY, _region_context

PRIOR = [f for f in FEATURES if f not in DOC_FEATURES]


def load_corpus(path: Path, nlp, cache: Path | None, model: str):
    """Gold records and parsed docs (without toponyms), cached as a DocBin."""
    from spacy.tokens import DocBin

    gold = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    cached = cache / f"{path.stem}.{model}.spacy" if cache else None
    if cached is not None and cached.exists():
        docs = list(DocBin().from_disk(cached).get_docs(nlp.vocab))
    else:
        with nlp.select_pipes(disable=["geomap_toponyms"]):
            docs = list(nlp.pipe((d["text"] for d in gold), batch_size=16))
        if cached is not None:
            db = DocBin(store_user_data=False)
            for doc in docs:
                db.add(doc)
            db.to_disk(cached)
    return gold, docs


class Item:
    """One article: its candidates, their labels, gold and doc."""

    def __init__(self, corpus, gold, doc, rec):
        self.corpus, self.gold, self.doc = corpus, gold, doc
        self.cands = candidate_table(rec, doc)
        self.y = np.array([any(min(c.span.end_char, t["end"]) >
                               max(c.span.start_char, t["start"])
                               for t in gold["toponyms"]) for c in self.cands], float)


def _matrix(items, prior, drop=()):
    xs = [document_features(it.cands, prior) for it in items if it.cands]
    X = np.vstack(xs) if xs else np.zeros((0, len(FEATURES)))
    for f in drop:
        X[:, FEATURES.index(f)] = 0.0
    y = np.concatenate([it.y for it in items if it.cands])
    return X, y


def fit(items, l2, drop=()):
    """(prior, weights) fitted on ``items``; features in ``drop`` fixed at 0."""
    fixed = dict.fromkeys(drop, 0.0)
    zero_prior = dict.fromkeys(FEATURES, 0.0)
    X, y = _matrix(items, zero_prior, drop)
    keep = [FEATURES.index(f) for f in PRIOR]
    prior = fit_logistic(X[:, keep], y, PRIOR, l2=l2,
                         fixed={f: 0.0 for f in drop if f in PRIOR})
    X, y = _matrix(items, prior, drop)
    return prior, fit_logistic(X, y, FEATURES, l2=l2, fixed=fixed)


THRESHOLD = [0.0]


def predict(item, prior, weights):
    """Kept spans of one article under the given weights."""
    if not item.cands:
        return []
    s = score(document_features(item.cands, prior), weights)
    return select(item.cands, s, THRESHOLD[0])


def end_to_end(items, fitted, gz):
    """Per-corpus metrics; ``fitted[i]`` = (prior, weights) for item i."""
    from spacy.tokens import Span

    from geomap.resolve import resolve_doc

    out = {}
    for corpus in sorted({it.corpus for it in items}):
        sub = [(i, it) for i, it in enumerate(items) if it.corpus == corpus]
        preds = {}
        for i, it in sub:
            kept = predict(it, *fitted[i])
            it.doc.spans[SPANS_KEY] = [
                Span(it.doc, s.start, s.end,
                     label="region" if _region_context(it.doc, s) else "place")
                for s in kept]
            ms = resolve_doc(it.doc, it.gold["id"], gz)
            preds[it.gold["id"]] = [(m.start, m.end, m.place.lat, m.place.lon)
                                    for m in ms if m.place is not None]
        m = geoparse_metrics([it.gold for _, it in sub], preds)
        out[corpus] = {"P": m["precision"], "R": m["recall"], "F1": m["f1"],
                       "acc161": m["acc161"], "detected": m["resolved"]["acc161"],
                       "far": m["far_misses"]}
    return out


def recognition_f1(items, fitted):
    """Recognition F1 per corpus (span overlap), without resolving."""
    out = {}
    for corpus in sorted({it.corpus for it in items}):
        tp_p = n_p = tp_g = n_g = 0
        for i, it in enumerate(items):
            if it.corpus != corpus:
                continue
            kept = predict(it, *fitted[i])
            top = it.gold["toponyms"]
            n_p += len(kept)
            n_g += len(top)
            tp_p += sum(any(min(s.end_char, t["end"]) > max(s.start_char, t["start"])
                            for t in top) for s in kept)
            tp_g += sum(any(min(s.end_char, t["end"]) > max(s.start_char, t["start"])
                            for s in kept) for t in top)
        p = tp_p / n_p if n_p else 0.0
        r = tp_g / n_g if n_g else 0.0
        out[corpus] = round(2 * p * r / (p + r), 4) if p + r else 0.0
    return out


def cross_validated(items, k, l2, drop=()):
    """(prior, weights) per item, each fitted on the folds without it."""
    fitted = [None] * len(items)
    for test in folds(len(items), k, seed=0):
        ts = set(test)
        w = fit([it for i, it in enumerate(items) if i not in ts], l2, drop)
        for i in test:
            fitted[i] = w
    return fitted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="append", required=True, type=Path)
    ap.add_argument("--cache", type=Path, default=None, help="DocBin cache dir")
    ap.add_argument("--model", default=None, help="spaCy pipeline (default: geomap's)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--ablate", action="store_true")
    ap.add_argument("--threshold", type=float, nargs="+", default=[0.0],
                    help="log-odds thresholds to report (the first is written)")
    ap.add_argument("--write", action="store_true", help="write toponym_weights.json")
    args = ap.parse_args()

    from geomap.gazetteer_access import open_gazetteer
    from geomap.nlp import DEFAULT_MODEL, load_nlp

    model = args.model or DEFAULT_MODEL
    gz = open_gazetteer(None)
    nlp = load_nlp(model)
    rec = nlp.get_pipe("geomap_toponyms")
    items = []
    for path in args.train:
        gold, docs = load_corpus(path, nlp, args.cache, model)
        items += [Item(path.stem, g, d, rec)
                  for g, d in zip(gold, docs, strict=True)]
    cv = cross_validated(items, args.folds, args.l2)
    for t in args.threshold[::-1]:
        THRESHOLD[0] = t
        print(f"{args.folds}-fold CV, threshold {t}:",
              json.dumps(end_to_end(items, cv, gz)), flush=True)
    corpora = sorted({it.corpus for it in items})
    if len(corpora) == 2:
        for a, b in (corpora, corpora[::-1]):
            w = fit([it for it in items if it.corpus == a], args.l2)
            test = [it for it in items if it.corpus == b]
            print(f"fit {a} -> test {b}:",
                  json.dumps(end_to_end(test, [w] * len(test), gz)[b]), flush=True)
    if args.ablate:
        base = recognition_f1(items, cv)
        print("ablation (CV recognition F1 change without each feature):")
        for f in FEATURES:
            cv_f = cross_validated(items, args.folds, args.l2, [f])
            got = recognition_f1(items, cv_f)
            print(f"  {f:18s} " + "  ".join(f"{c} {got[c] - base[c]:+.4f}"
                                             for c in corpora), flush=True)
    if args.write:
        prior, weights = fit(items, args.l2)
        out = (Path(__file__).resolve().parents[1] / "geomap" / "nlp"
               / "toponym_weights.json")
        about = ("Weights of geomap.nlp.toponyms' logistic span filter (feature "
                 "-> weight; log-odds that a candidate is a toponym), fitted by "
                 f"tools/fit_toponyms.py on {', '.join(corpora)} with {model}; "
                 "'prior' is pass one (no document features); a span is kept "
                 "when its score exceeds 'threshold'.")
        doc = {"about": about,
               "threshold": args.threshold[0],
               "prior": {f: round(v, 4) for f, v in prior.items()},
               "weights": {f: round(v, 4) for f, v in weights.items()}}
        out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
        for f, v in sorted(weights.items(), key=lambda kv: -abs(kv[1])):
            print(f"  {f:18s} {v:+.3f}")


if __name__ == "__main__":
    main()
