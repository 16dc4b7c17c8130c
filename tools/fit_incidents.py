"""Fit the incident decisions (geomap/incidents/{figure,place}_weights.json).

Parses the gold incident files once, labels every figure and candidate place
(geomap.incidents.training), then reports, on the files pooled:

- k-fold cross-validated figures per file (folds by article);
- cross-corpus figures (each file predicted with weights fitted on the others);
- ablations: pooled CV F1 with each feature's weight held at zero;

and with --write stores the weights fitted on everything.

    python tools/fit_incidents.py ../shared/data/incidents/dev.jsonl \\
        ../shared/data/incidents/real-dev-*.jsonl [--folds 5] [--ablate] [--write]

Development data only; never a held-out set.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geomap.evaluate import (
    _incident_gold,
    incident_metrics,
    parse_for_training,
)
from geomap.fitting import save_weights
from geomap.incidents.extract import extract_incidents
from geomap.incidents.features import FIGURE_FEATURES, PLACE_FEATURES
from geomap.incidents.training import examples, fit
from geomap.pipeline import Pipeline

HERE = Path(__file__).resolve().parents[1] / "geomap" / "incidents"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--ablate", action="store_true")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--l2-figure", type=float, default=1.0)
    ap.add_argument("--l2-place", type=float, default=3.0)
    args = ap.parse_args()

    gold = [(p, _incident_gold(p, None)) for p in args.files]
    pairs = [(n, d, a) for n, (_, ps) in enumerate(gold) for d, a in ps]
    pipeline = Pipeline()
    parsed = parse_for_training([a for _, _, a in pairs], pipeline)
    labelled = examples(parsed, [d.get("incidents") or [] for _, d, _ in pairs])
    l2 = {"l2_figure": args.l2_figure, "l2_place": args.l2_place}

    def evaluate(train_of, tests, drop=()):
        preds = defaultdict(list)
        for test in tests:
            w = fit([labelled[i] for i in train_of(test)], drop=drop, **l2)
            for i in test:
                doc, art, ments = parsed[i]
                preds[art.id].extend(extract_incidents(doc, art, ments, weights=w)[0])
        out = {}
        for path, ps in gold:
            out[path.name] = incident_metrics([d for d, _ in ps], preds)
        allm = incident_metrics([d for _, d, _ in pairs], preds)
        return out, allm

    def kfold(drop=()):
        from geomap.fitting import folds
        parts = folds(len(parsed), args.folds)
        def train_of(test):
            t = set(test)
            return [i for i in range(len(parsed)) if i not in t]
        return evaluate(train_of, parts, drop)

    def show(title, per, allm):
        print(title)
        for name, m in per.items():
            print(f"  {name:<28} P {m['precision']:.3f} R {m['recall']:.3f} "
                  f"F1 {m['f1']:.3f} killed {m['killed_exact']:.3f} "
                  f"wounded {m['wounded_exact']:.3f} "
                  f"({m['gold']} gold, {m['predicted']} pred)")
        print(f"  {'pooled':<28} F1 {allm['f1']:.3f} killed {allm['killed_exact']:.3f}")

    per, allm = kfold()
    show(f"{args.folds}-fold cross-validated:", per, allm)
    base = allm["f1"]
    if len(gold) > 1:
        def train_other(test):
            f = pairs[test[0]][0]
            return [i for i, (n, _, _) in enumerate(pairs) if n != f]
        tests = [[i for i, (n, _, _) in enumerate(pairs) if n == f]
                 for f in range(len(gold))]
        per, allm = evaluate(train_other, tests)
        show("cross-corpus (each file predicted by the others):", per, allm)
    w = fit(labelled, **l2)
    if args.ablate:
        print("ablation (pooled CV F1 with the feature's weight at zero):")
        for name in FIGURE_FEATURES + PLACE_FEATURES:
            _, m = kfold(drop=(name,))
            print(f"  {name:<24} {m['f1']:.3f} ({m['f1'] - base:+.3f})")
    print("figure weights:", {k: round(v, 2) for k, v in w.figure.items()})
    print("place weights:", {k: round(v, 2) for k, v in w.place.items()})
    if args.write:
        names = [p.name for p in args.files]
        save_weights(HERE / "figure_weights.json", w.figure, fitted_on=names,
                     about="Is a casualty figure (or a figure-less strike report) an "
                           "incident? Logistic weights over geomap.incidents.features."
                           "FIGURE_FEATURES, fitted by tools/fit_incidents.py.")
        save_weights(HERE / "place_weights.json", w.place, fitted_on=names,
                     about="Which place mention is an incident's location? "
                           "Conditional-logit weights over geomap.incidents.features."
                           "PLACE_FEATURES, fitted by tools/fit_incidents.py.")
        print("wrote", HERE / "figure_weights.json", HERE / "place_weights.json")


if __name__ == "__main__":
    main()
