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
import importlib
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
fr = importlib.import_module("tools.fit_resolver")
#: Resolver weights the data cannot estimate, kept as set in resolve_weights.json.
RESOLVER_FIXED = json.loads(
    (Path(__file__).resolve().parents[1] / "geomap" / "resolve_weights.json")
    .read_text(encoding="utf-8"))["fixed"]


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


#: Rare but decisive cues the data cannot weigh, hand-set (as in the resolver):
#: "the X region(s)" / "X Oblast" and a legislator's "D-X" name a place whatever
#: else the span looks like.
FIXED = {"region_context": 3.0, "party_letter": 2.0}


def fit(items, l2, drop=()):
    """(prior, weights) fitted on ``items``; features in ``drop`` fixed at 0,
    those of :data:`FIXED` at their hand-set weight."""
    fixed = {**FIXED, **dict.fromkeys(drop, 0.0)}
    zero_prior = dict.fromkeys(FEATURES, 0.0)
    X, y = _matrix(items, zero_prior, drop)
    keep = [FEATURES.index(f) for f in PRIOR]
    prior = fit_logistic(X[:, keep], y, PRIOR, l2=l2,
                         fixed={f: v for f, v in fixed.items() if f in PRIOR})
    X, y = _matrix(items, prior, drop)
    return prior, fit_logistic(X, y, FEATURES, l2=l2, fixed=fixed)


THRESHOLD = [0.0]
#: Feature groups dropped together in the ablation (one refit per group).
ABLATIONS = {
    "gazetteer": ["known", "importance", "importance_top"],
    "ner_labels": ["ner_gpe", "ner_loc", "ner_fac", "ner_person", "ner_org",
                   "ner_norp", "ner_other"],
    "sources": ["src_ner", "src_gaz", "src_maybe", "src_head", "src_demonym"],
    "rule_verdicts": ["evidence", "reject", "rule_accept"],
    "context_words": ["locative_before", "local_noun_after", "strong_context",
                      "possessive_after", "party_letter", "region_context"],
    "demonym": ["demonym_modifier", "demonym_plural"],
    "form": ["multi_token", "all_caps", "sent_start", "propn", "generic_word",
             "inside_entity", "person_word"],
    "metonymic": ["metonymic"],
    "document": ["same_form_best", "same_form_count", "same_form_evidence",
                 "coordinated_best"],
}


def predict(item, prior, weights):
    """Kept spans of one article under the given weights."""
    if not item.cands:
        return []
    s = score(document_features(item.cands, prior), weights)
    return select(item.cands, s, THRESHOLD[0])


def set_spans(item, prior, weights):
    """Write the kept spans of ``item`` under the given weights to its doc."""
    from spacy.tokens import Span

    doc = item.doc
    doc.spans[SPANS_KEY] = [
        Span(doc, s.start, s.end,
             label="region" if _region_context(doc, s) else "place")
        for s in predict(item, prior, weights)]


def fit_resolver(items, fitted, gz):
    """Resolver (prior, weights) fitted on ``items`` as recognised under ``fitted``
    (the steps of tools/fit_resolver.py: pass-one weights, then the full ones)."""
    from geomap.resolve import FEATURES as RF
    from geomap.resolve import PRIOR_FEATURES, load_weights

    for i, it in enumerate(items):
        set_spans(it, *fitted[i])
    golds, docs = [it.gold for it in items], [it.doc for it in items]
    fixed = set(RESOLVER_FIXED)
    free = np.array([f not in fixed for f in RF])
    pmask = np.array([f in PRIOR_FEATURES for f in RF])
    w0 = np.array([load_weights()[f] for f in RF])
    p0 = np.where(pmask, np.array([load_weights("prior")[f] for f in RF]), 0.0)
    ex = fr.build_examples(golds, docs, gz, dict(zip(RF, p0.tolist(), strict=True)))
    prior = fr.fit([(x * pmask, pos, k) for x, pos, k in ex], p0,
                   active=free & pmask, fixed=p0)
    pd = dict(zip(RF, prior.tolist(), strict=True))
    ex = fr.build_examples(golds, docs, gz, pd)
    w = fr.fit(ex, w0, active=free, fixed=w0)
    return pd, dict(zip(RF, w.tolist(), strict=True))


def end_to_end(items, fitted, gz, resolvers=None):
    """Per-corpus metrics; ``fitted[i]`` = (prior, weights) of the recogniser for
    item i, ``resolvers[i]`` those of the resolver (default: the weight file)."""
    from geomap.resolve import resolve_doc

    out = {}
    for corpus in sorted({it.corpus for it in items}):
        sub = [(i, it) for i, it in enumerate(items) if it.corpus == corpus]
        preds = {}
        for i, it in sub:
            set_spans(it, *fitted[i])
            rp, rw = resolvers[i] if resolvers else (None, None)
            ms = resolve_doc(it.doc, it.gold["id"], gz, weights=rw, prior_weights=rp)
            preds[it.gold["id"]] = [(m.start, m.end, m.place.lat, m.place.lon)
                                    for m in ms if m.place is not None]
        m = geoparse_metrics([it.gold for _, it in sub], preds)
        out[corpus] = {"P": m["precision"], "R": m["recall"], "F1": m["f1"],
                       "acc161": m["acc161"], "detected": m["resolved"]["acc161"],
                       "far": m["far_misses"]}
    return out


def recognition_f1(items, fitted):
    """Recognition (F1, recall) per corpus (span overlap), without resolving."""
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
        out[corpus] = (round(2 * p * r / (p + r), 4) if p + r else 0.0, round(r, 4))
    return out


def cross_validated(items, k, l2, drop=(), gz=None):
    """(prior, weights) per item, each fitted on the folds without it; with
    ``gz``, also the resolver's, fitted on the same training folds."""
    fitted = [None] * len(items)
    resolvers = [None] * len(items)
    for test in folds(len(items), k, seed=0):
        ts = set(test)
        train = [it for i, it in enumerate(items) if i not in ts]
        w = fit(train, l2, drop)
        if gz is not None:
            r = fit_resolver(train, [w] * len(train), gz)
        for i in test:
            fitted[i] = w
            if gz is not None:
                resolvers[i] = r
    return (fitted, resolvers) if gz is not None else fitted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="append", required=True, type=Path)
    ap.add_argument("--cache", type=Path, default=None, help="DocBin cache dir")
    ap.add_argument("--model", default=None, help="spaCy pipeline (default: geomap's)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--ablate", action="store_true")
    ap.add_argument("--no-cv", action="store_true",
                    help="skip the end-to-end k-fold and cross-corpus figures")
    ap.add_argument("--threshold", type=float, nargs="+", default=[0.0],
                    help="log-odds thresholds to report (the first is written)")
    ap.add_argument("--write", action="store_true", help="write toponym_weights.json")
    args = ap.parse_args()

    from gazetteer import open_gazetteer
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
    for t in [] if args.no_cv else args.threshold[::-1]:
        THRESHOLD[0] = t
        cv, cvr = cross_validated(items, args.folds, args.l2, gz=gz)
        print(f"{args.folds}-fold CV (recogniser and resolver), threshold {t}:",
              json.dumps(end_to_end(items, cv, gz, cvr)), flush=True)
    corpora = sorted({it.corpus for it in items})
    if len(corpora) == 2 and not args.no_cv:
        for a, b in (corpora, corpora[::-1]):
            train = [it for it in items if it.corpus == a]
            w = fit(train, args.l2)
            r = fit_resolver(train, [w] * len(train), gz)
            test = [it for it in items if it.corpus == b]
            got = end_to_end(test, [w] * len(test), gz, [r] * len(test))[b]
            print(f"fit {a} -> test {b}:", json.dumps(got), flush=True)
    THRESHOLD[0] = args.threshold[0]
    if args.ablate:
        cv = cross_validated(items, args.folds, args.l2)
        base = recognition_f1(items, cv)
        print("ablation (CV recognition F1 / recall change without each group):")
        print("  base " + "  ".join(f"{c} F1 {base[c][0]:.4f} R {base[c][1]:.4f}"
                                    for c in corpora))
        for f, drop in ABLATIONS.items():
            cv_f = cross_validated(items, args.folds, args.l2, drop)
            got = recognition_f1(items, cv_f)
            print(f"  {f:18s} " + "  ".join(
                f"{c} {got[c][0] - base[c][0]:+.4f} / {got[c][1] - base[c][1]:+.4f}"
                for c in corpora), flush=True)
    if args.write:
        prior, weights = fit(items, args.l2)
        out = (Path(__file__).resolve().parents[1] / "geomap" / "nlp"
               / "toponym_weights.json")
        about = ("Weights of geomap.nlp.toponyms' logistic span filter (feature "
                 "-> weight; log-odds that a candidate is a toponym), fitted by "
                 f"tools/fit_toponyms.py on {', '.join(corpora)} with {model}; "
                 "'prior' is pass one (no document features); a span is kept "
                 "when its score exceeds 'threshold'; 'fixed' ones are hand-set.")
        doc = {"about": about,
               "threshold": args.threshold[0],
               "fixed": FIXED,
               "prior": {f: round(v, 4) for f, v in prior.items()},
               "weights": {f: round(v, 4) for f, v in weights.items()}}
        out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
        for f, v in sorted(weights.items(), key=lambda kv: -abs(kv[1])):
            print(f"  {f:18s} {v:+.3f}")


if __name__ == "__main__":
    main()
