"""Fit the resolver's weights (geomap/resolve_weights.json) on gold corpora.

A conditional logit over the candidates of each recognised surface form: the
candidates within 161 km of the gold point are the positives. First the
pass-one ("prior") weights are fitted on the context-free features, then the
full weights on all features computed with them. Weights listed under
"fixed" in the file (rare but decisive cues such as "X region" or "X, State")
keep their hand-set values. Reports accuracy per corpus, a cross-corpus check
and per-feature ablations.

    python tools/fit_resolver.py --train ../shared/data/geoparse/lgl.jsonl \
        --train ../shared/data/geoparse/geowebnews.jsonl [--write] [--ablate]

Development data only; never the held-out corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geomap.geo import haversine_km
from geomap.resolve import (
    FEATURES,
    PRIOR_FEATURES,
    candidate_features,
    load_weights,
)

ACC_KM = 161.0


def load_corpus(path: Path, nlp, cache: Path | None):
    from spacy.tokens import DocBin

    docs = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    cached = cache / f"{path.stem}.spacy" if cache else None
    if cached is not None and cached.exists():
        bare = list(DocBin().from_disk(cached).get_docs(nlp.vocab))
    else:
        with nlp.select_pipes(disable=["geomap_toponyms"]):
            bare = list(nlp.pipe((d["text"] for d in docs), batch_size=32))
        if cached is not None:
            db = DocBin(store_user_data=False)
            for doc in bare:
                db.add(doc)
            db.to_disk(cached)
    comp = nlp.get_pipe("geomap_toponyms")
    return docs, [comp(doc) for doc in bare]


def build_examples(docs, sdocs, gz, prior):
    """[(X, positives mask)] per group with at least one positive; and all groups."""
    out = []
    for d, doc in zip(docs, sdocs, strict=True):
        gold = d["toponyms"]
        for g in candidate_features(doc, gz, prior_weights=prior):
            if not g.candidates:
                continue
            pts = []
            for occ in g.occurrences:
                s, e = occ.span.start_char, occ.span.end_char
                for t in gold:
                    if min(e, t["end"]) > max(s, t["start"]):
                        pts.append((t["lat"], t["lon"]))
            if not pts:
                continue
            pos = np.array([[haversine_km(la, lo, c.place.lat, c.place.lon) <= ACC_KM
                             for la, lo in pts] for c in g.candidates])
            out.append((g.features.copy(), pos.mean(axis=1), len(pts)))
    return out


def accuracy(examples, w):
    ok = n = 0
    for x, pos, k in examples:
        ok += pos[int(np.argmax(x @ w))] * k
        n += k
    return ok / n if n else 0.0


def fit(examples, w0, l2=0.001, active=None, fixed=None):
    act = np.ones(len(FEATURES), bool) if active is None else active
    keep = np.zeros(len(FEATURES)) if fixed is None else np.where(act, 0.0, fixed)

    def loss(v):
        w = np.where(act, v, keep)
        total, grad = 0.0, np.zeros_like(w)
        for x, pos, k in examples:
            if pos.max() <= 0:
                continue
            s = x @ w
            m = s.max()
            p = np.exp(s - m)
            z = p.sum()
            q = p * pos
            zq = q.sum()
            total -= k * (np.log(zq) - np.log(z))
            grad -= k * (x.T @ (q / zq) - x.T @ (p / z))
        n = sum(k for *_, k in examples)
        total = total / n + l2 * float((w * act) @ (w * act))
        grad = grad / n + 2 * l2 * w * act
        return total, np.where(act, grad, 0.0)

    res = minimize(loss, np.where(act, w0, keep), jac=True, method="L-BFGS-B")
    return np.where(act, res.x, keep)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="append", required=True, type=Path)
    ap.add_argument("--cache", type=Path, default=None, help="DocBin cache dir")
    ap.add_argument("--l2", type=float, default=0.001)
    ap.add_argument("--write", action="store_true", help="write resolve_weights.json")
    ap.add_argument("--ablate", action="store_true",
                    help="accuracy without each feature")
    args = ap.parse_args()

    from gazetteer import open_gazetteer
    from geomap.nlp import load_nlp

    gz = open_gazetteer(None)
    nlp = load_nlp()
    corpora = {p.stem: load_corpus(p, nlp, args.cache) for p in args.train}
    path = Path(__file__).resolve().parents[1] / "geomap" / "resolve_weights.json"
    fixed = set(json.loads(path.read_text(encoding="utf-8")).get("fixed", []))
    free = np.array([f not in fixed for f in FEATURES])
    prior_free = free & np.array([f in PRIOR_FEATURES for f in FEATURES])
    w0 = np.array([load_weights()[f] for f in FEATURES])
    p0 = np.array([load_weights("prior")[f] for f in FEATURES])
    p0 = np.where(np.array([f in PRIOR_FEATURES for f in FEATURES]), p0, 0.0)
    # Pass one: prior weights on the context-free features (context zeroed).
    ex = {n: build_examples(*c, gz, dict(zip(FEATURES, p0.tolist(), strict=True)))
          for n, c in corpora.items()}
    mask = np.array([f in PRIOR_FEATURES for f in FEATURES], dtype=float)
    prior_ex = [(x * mask, pos, k) for v in ex.values() for x, pos, k in v]
    prior = fit(prior_ex, p0, l2=args.l2, active=prior_free, fixed=p0)
    print("prior: " + "  ".join(
        f"{n} {accuracy([(x * mask, p, k) for x, p, k in v], prior):.4f}"
        for n, v in ex.items()), flush=True)
    pd = dict(zip(FEATURES, prior.tolist(), strict=True))
    ex = {n: build_examples(*c, gz, pd) for n, c in corpora.items()}
    everything = [e for v in ex.values() for e in v]
    w = fit(everything, w0, l2=args.l2, active=free, fixed=w0)
    print("full:  " + "  ".join(f"{n} {accuracy(v, w):.4f}" for n, v in ex.items()),
          flush=True)
    # Cross-corpus check: fit on one, test on the other.
    if len(ex) == 2:
        (a, ea), (b, eb) = ex.items()
        wa = fit(ea, w, l2=args.l2, active=free, fixed=w)
        wb = fit(eb, w, l2=args.l2, active=free, fixed=w)
        print(f"fit {a} -> {b} {accuracy(eb, wa):.4f}; fit {b} -> {a} "
              f"{accuracy(ea, wb):.4f}")
    for f, v in zip(FEATURES, w, strict=True):
        print(f"  {f:22s} {v:+.3f}")
    if args.ablate:
        base = {n: accuracy(v, w) for n, v in ex.items()}
        for i, f in enumerate(FEATURES):
            act = free.copy()
            act[i] = False
            wa = fit(everything, w, l2=args.l2, active=act,
                     fixed=np.where(np.arange(len(FEATURES)) == i, 0.0, w))
            print(f"  without {f:22s} " + "  ".join(
                f"{n} {accuracy(v, wa) - base[n]:+.4f}" for n, v in ex.items()))
    if args.write:
        out = Path(__file__).resolve().parents[1] / "geomap" / "resolve_weights.json"
        doc = {"about": "Weights of geomap.resolve's linear candidate score (feature "
                        "-> weight), fitted by tools/fit_resolver.py on "
                        + ", ".join(sorted(corpora)) + "; 'fixed' ones are hand-set.",
               "fixed": sorted(fixed),
               "prior": {f: round(float(v), 4) for f, v in zip(FEATURES, prior,
                                                               strict=True)
                         if f in PRIOR_FEATURES},
               "weights": {f: round(float(v), 4) for f, v in zip(FEATURES, w,
                                                                 strict=True)}}
        out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
