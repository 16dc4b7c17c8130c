"""The evaluation harness: geoparsing and incident extraction on gold corpora.

Formats and metric conventions are those of ``../shared/data/geoparse/README.md``
and ``../shared/data/incidents/README.md``. The same pipeline the CLI runs is
measured, and the baselines run through the same matching code, so the figures
are like for like.
"""

from __future__ import annotations

import json
import logging
import math
import re
import statistics
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from geomap.errors import InputError, MissingDependencyError, install_hint
from geomap.geo import haversine_km
from geomap.ingest import parse_date
from geomap.models import Article, Incident
from geomap.scoring import place_distance

__all__ = [
    "MISS_KM",
    "default_data_dir",
    "format_report",
    "geoparse_metrics",
    "incident_metrics",
    "run",
]

log = logging.getLogger(__name__)

MISS_KM = 20038.0
ACC_KM = 161.0
#: A predicted place farther than this from every gold place of its article
#: is a "far miss" (a wrong country or continent, not a near confusion).
FAR_KM = 1000.0

# (start, end, lat, lon) of a predicted place span
Pred = tuple[int, int, float, float]


#: The checkout this module was loaded from (an editable install or a clone).
REPOSITORY = Path(__file__).resolve().parents[1]


def default_data_dir(repository: Path = REPOSITORY, cwd: Path | None = None) -> Path:
    """The gold data: ``shared/data`` beside the repository, else beside the cwd.

    Raises
    ------
    InputError
        Neither exists; the message names the places looked at and the
        options to pass instead.
    """
    tried = []
    for base in (repository, cwd if cwd is not None else Path.cwd()):
        cand = base.resolve().parent / "shared" / "data"
        if cand.is_dir():
            return cand
        if cand not in tried:
            tried.append(cand)
    raise InputError(
        "no gold data found (looked for " + " and ".join(str(t) for t in tried)
        + "); pass the files: --incidents FILE (incident gold JSONL) and/or "
        "--places FILE (geoparse gold JSONL)")


def _read_jsonl(path: Path, limit: int | None) -> list[dict[str, Any]]:
    try:
        fh = open(path, encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read '{path}': {err.strerror or err}") from None
    out = []
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{path}:{n}: not valid JSON ({err.msg})") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise InputError(f"{path}:{n}: record has no 'text'")
            out.append(rec)
            if limit and len(out) >= limit:
                break
    return out


# -- geoparsing -----------------------------------------------------------------

def geoparse_metrics(
    docs: Sequence[dict[str, Any]], predictions: dict[str, list[Pred]],
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Score predicted place spans against gold toponyms (README convention).

    Each gold toponym is matched to the overlapping predicted span with the
    largest overlap; a gold toponym with no prediction is a miss at 20,038 km.
    ``far_misses`` counts predicted places more than 1,000 km from every gold
    place of their article (articles with gold toponyms only).

    >>> doc = {"id": "d", "toponyms": [{"start": 0, "end": 4, "lat": 50.45,
    ...        "lon": 30.52, "name": "Kyiv"}]}
    >>> m = geoparse_metrics([doc], {"d": [(0, 4, 50.45, 30.52)]})
    >>> m["acc161"], m["misses"], m["recall"], m["far_misses"]
    (1.0, 0, 1.0, 0)
    """
    errs: list[float] = []
    resolved: list[float] = []
    n_gold = n_pred = n_pred_match = n_gold_found = far = 0
    for doc in docs:
        preds = predictions.get(doc["id"], [])
        n_pred += len(preds)
        gold = doc["toponyms"]
        if gold:
            far += sum(min(haversine_km(g["lat"], g["lon"], p[2], p[3]) for g in gold)
                       > FAR_KM for p in preds)
        for s, e, _, _ in preds:
            if any(min(e, g["end"]) > max(s, g["start"]) for g in gold):
                n_pred_match += 1
        for g in gold:
            n_gold += 1
            best, best_ov = None, 0
            for p in preds:
                ov = min(p[1], g["end"]) - max(p[0], g["start"])
                if ov > best_ov:
                    best, best_ov = p, ov
            if best is None:
                errs.append(MISS_KM)
                if errors is not None:
                    errors.append({"id": doc["id"], "name": g["name"], "kind": "miss"})
                continue
            n_gold_found += 1
            km = haversine_km(g["lat"], g["lon"], best[2], best[3])
            errs.append(km)
            resolved.append(km)
            if errors is not None and km > ACC_KM:
                errors.append({"id": doc["id"], "name": g["name"], "kind": "wrong",
                               "km": round(km), "pred": [best[2], best[3]],
                               "gold": [g["lat"], g["lon"]]})
    n = len(errs) or 1
    p = n_pred_match / n_pred if n_pred else 0.0
    r = n_gold_found / n_gold if n_gold else 0.0
    auc = (sum(math.log1p(x) for x in sorted(errs)) / (math.log(20039) * n)
           if errs else 0.0)
    return {
        "toponyms": n_gold,
        "acc161": round(sum(x <= ACC_KM for x in errs) / n, 4),
        "mean_km": round(statistics.fmean(errs), 1) if errs else 0.0,
        "median_km": round(statistics.median(errs), 1) if errs else 0.0,
        "auc": round(auc, 4),
        "misses": n_gold - n_gold_found,
        "far_misses": far,
        "resolved": {
            "n": len(resolved),
            "acc161": round(sum(x <= ACC_KM for x in resolved) / len(resolved), 4)
            if resolved else 0.0,
            "mean_km": round(statistics.fmean(resolved), 1) if resolved else 0.0,
            "median_km": round(statistics.median(resolved), 1) if resolved else 0.0,
        },
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
    }


def _run(articles: Iterable[Article], pipeline: Any) -> Iterator[Any]:
    """Results of the corpus runner the CLI uses (in this process)."""
    from geomap.executors import LocalExecutor
    from geomap.runner import run

    return run(articles, LocalExecutor(pipeline)).results()


def _geomap_predictions(docs: Sequence[dict[str, Any]],
                        pipeline: Any) -> dict[str, list[Pred]]:
    articles = (Article(id=d["id"], text=d["text"]) for d in docs)
    out: dict[str, list[Pred]] = {}
    for res in _run(articles, pipeline):
        out[res.article.id] = [(m.start, m.end, m.place.lat, m.place.lon)
                               for m in res.mentions if m.place is not None]
    return out


def _by_population(gz: Any) -> Callable[[str], tuple[float, float] | None]:
    cache: dict[str, tuple[float, float] | None] = {}

    def lookup(name: str) -> tuple[float, float] | None:
        if name not in cache:
            cands = gz.candidates(name, fuzzy=False, limit=50)
            best = max(cands, key=lambda c: c.place.population, default=None)
            cache[name] = (best.place.lat, best.place.lon) if best else None
        return cache[name]

    return lookup


def _spacy_baseline(docs: Sequence[dict[str, Any]], gz: Any) -> dict[str, list[Pred]]:
    from geomap.nlp import load_nlp

    nlp = load_nlp(toponyms=False)
    lookup = _by_population(gz)
    out: dict[str, list[Pred]] = {}
    for d, doc in zip(docs, nlp.pipe(d["text"] for d in docs), strict=True):
        preds = []
        for ent in doc.ents:
            if ent.label_ in ("GPE", "LOC"):
                pt = lookup(ent.text)
                if pt:
                    preds.append((ent.start_char, ent.end_char, *pt))
        out[d["id"]] = preds
    return out


def _require_geotext() -> None:
    """Fail early, in one line, when the geotext baseline cannot run."""
    try:
        import geotext  # noqa: F401
    except ImportError as err:
        raise MissingDependencyError(
            "--baselines needs the geotext package, which comes with geomap's "
            f"'eval' extra: {install_hint('eval')}") from err


def _geotext_baseline(docs: Sequence[dict[str, Any]], gz: Any) -> dict[str, list[Pred]]:
    from geotext import GeoText

    lookup = _by_population(gz)
    out: dict[str, list[Pred]] = {}
    for d in docs:
        text = d["text"]
        found = GeoText(text)
        names = set(found.cities) | set(found.countries)
        preds = []
        for name in names:
            pt = lookup(name)
            if not pt:
                continue
            for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text):
                preds.append((m.start(), m.end(), *pt))
        out[d["id"]] = preds
    return out


# -- incidents ------------------------------------------------------------------

def _match_incidents(
    preds: Sequence[Incident], golds: Sequence[dict[str, Any]],
) -> list[tuple[Incident, dict[str, Any]]]:
    pairs = []
    for i, p in enumerate(preds):
        if p.place is None:
            continue
        for j, g in enumerate(golds):
            dist = place_distance(p.place, g)
            if dist is None:
                continue
            same_id = dist == 0.0
            km = dist
            gdate = g.get("date")
            if p.date is not None and gdate and p.date.isoformat() != gdate:
                continue
            pairs.append((0.0 if same_id else km, i, j))
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for _, i, j in sorted(pairs):
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((preds[i], golds[j]))
    return out


def incident_metrics(
    docs: Sequence[dict[str, Any]], predictions: dict[str, Sequence[Incident]],
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Incident P/R/F1 and exact killed/wounded accuracy (incidents README)."""
    tp = n_pred = n_gold = 0
    same: Counter[str] = Counter()
    tag_gold: Counter[str] = Counter()
    tag_tp: Counter[str] = Counter()
    for doc in docs:
        preds = predictions.get(doc["id"], [])
        golds = doc.get("incidents") or []
        n_pred += len(preds)
        n_gold += len(golds)
        matched = _match_incidents(preds, golds)
        tp += len(matched)
        for tag in doc.get("tags", []):
            tag_gold[tag] += len(golds) or 1
            tag_tp[tag] += len(matched) if golds else int(not preds)
        for p, g in matched:
            same["killed"] += p.killed == g.get("killed")
            same["wounded"] += p.wounded == g.get("wounded")
            same["killed_qualifier"] += p.killed_qualifier == g.get("killed_qualifier")
            same["date"] += (p.date.isoformat() if p.date else None) == g.get("date")
            same["event_type"] += p.event_type == g.get("event_type")
            if errors is not None and (p.killed != g.get("killed")
                                       or p.wounded != g.get("wounded")):
                errors.append({"id": doc["id"], "kind": "figures",
                               "pred": [p.killed, p.wounded],
                               "gold": [g.get("killed"), g.get("wounded")],
                               "location": g["location"]})
        if errors is not None:
            mp = {id(p) for p, _ in matched}
            mg = {id(g) for _, g in matched}
            for p in preds:
                if id(p) not in mp:
                    errors.append({"id": doc["id"], "kind": "false_positive",
                                   "location": p.location,
                                   "place": p.place.name if p.place else None,
                                   "date": p.date.isoformat() if p.date else None,
                                   "killed": p.killed, "wounded": p.wounded})
            for g in golds:
                if id(g) not in mg:
                    errors.append({"id": doc["id"], "kind": "missed",
                                   "location": g["location"], "date": g.get("date")})
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    acc = {k: round(same[k] / tp, 4) if tp else 0.0 for k in
           ("killed", "wounded", "killed_qualifier", "date", "event_type")}
    return {
        "articles": len(docs), "gold": n_gold, "predicted": n_pred, "matched": tp,
        "precision": round(p, 4), "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "killed_exact": acc["killed"], "wounded_exact": acc["wounded"],
        "killed_qualifier_acc": acc["killed_qualifier"], "date_acc": acc["date"],
        "event_type_acc": acc["event_type"],
        "per_tag_recall": {t: round(tag_tp[t] / tag_gold[t], 3)
                           for t in sorted(tag_gold)},
    }


# -- driver ---------------------------------------------------------------------

def _commit() -> str | None:
    try:
        root = Path(__file__).resolve().parents[1]
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=5, cwd=root)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no",
                                "--", "geomap", "gazetteer"],
                               capture_output=True, text=True, timeout=5, cwd=root)
        commit = head.stdout.strip()
        # figures from uncommitted code must not be credited to the commit
        return (commit + "+dirty" if dirty.stdout.strip() else commit) or None
    except (OSError, subprocess.SubprocessError):
        return None


def _incident_gold(path: Path, limit: int | None
                   ) -> list[tuple[dict[str, Any], Article]]:
    """Gold records of an incident file with their articles."""
    docs = _read_jsonl(path, limit)
    out = []
    for n, d in enumerate(docs):
        d["id"] = str(d.get("id", f"{path.stem}:{n}"))
        out.append((d, Article(id=d["id"], text=d["text"],
                               date=parse_date(d.get("date"), f"{path}:{n + 1}"))))
    return out


def parse_for_training(articles: Sequence[Article], pipeline: Any
                       ) -> list[tuple[Any, Article, list[Any]]]:
    """``(doc, article, mentions)`` per article, parsed once, for fitting and CV."""
    from geomap.resolve import resolve_doc

    nlp, gz = pipeline.nlp, pipeline.gazetteer
    out = []
    texts = (pipeline.prepare(a.text) for a in articles)
    for doc, a in zip(nlp.pipe(texts, batch_size=16), articles, strict=True):
        out.append((doc, a, resolve_doc(doc, a.id, gz,
                                        country_focus=pipeline.country_focus)))
    return out


def _cross_validated_incidents(
    gold: Sequence[tuple[Path, list[tuple[dict[str, Any], Article]]]], pipeline: Any,
    k: int,
) -> dict[str, list[Incident]]:
    from geomap.incidents.extract import extract_incidents
    from geomap.incidents.training import cross_validate, examples, fit

    pairs = [pair for _, ps in gold for pair in ps]
    parsed = parse_for_training([a for _, a in pairs], pipeline)
    labelled = examples(parsed, [d.get("incidents") or [] for d, _ in pairs])
    preds: dict[str, list[Incident]] = defaultdict(list)

    def predict(test: list[int], weights: Any) -> None:
        for i in test:
            doc, article, mentions = parsed[i]
            preds[article.id].extend(extract_incidents(doc, article, mentions,
                                                       weights=weights)[0])

    cross_validate(len(parsed), k, lambda train: fit([labelled[i] for i in train]),
                   predict)
    return preds


def run(
    *, places: Iterable[str] | None = None,
    incidents: str | Sequence[str] | None = None,
    baselines: bool = False, limit: int | None = None, gazetteer: str | None = None,
    errors: str | None = None, folds: int | None = None, model: str | None = None,
) -> dict[str, Any]:
    """Run the evaluation; returns a JSON-able report.

    With neither ``places`` nor ``incidents`` given, both default corpora run.
    ``incidents`` is one file or several (``""`` or ``[]``: the default
    file); given alone, only the incident evaluation runs. With ``folds``, the
    fitted incident decisions are cross-validated: k folds by article over all
    the incident files together, each fold predicted with weights fitted on
    the others; figures are reported per file.
    """
    from geomap.pipeline import Pipeline

    if baselines:
        _require_geotext()
    if places is None and incidents is None:
        data = default_data_dir()
        place_files = sorted((data / "geoparse").glob("*.jsonl"))
        incident_files = [data / "incidents" / "dev.jsonl"]
    else:
        place_files = [Path(p) for p in places or []]
        if isinstance(incidents, str):
            incidents = [incidents] if incidents else []
        incident_files = [] if incidents is None else [
            Path(f) for f in incidents if f] or [
            default_data_dir() / "incidents" / "dev.jsonl"]
    if folds is not None and folds < 2:
        raise InputError("--folds needs at least 2 folds")
    if not place_files and not incident_files:
        raise InputError("no evaluation data given; pass --incidents FILE and/or "
                         "--places FILE")
    pipeline = Pipeline(gazetteer=gazetteer, **({"model": model} if model else {}))
    report: dict[str, Any] = {"commit": _commit(), "model": pipeline.model,
                              "places": {}, "incidents": []}
    err_rows: list[dict[str, Any]] | None = [] if errors else None
    for path in place_files:
        docs = _read_jsonl(path, limit)
        for d in docs:
            if not isinstance(d.get("toponyms"), list):
                raise InputError(f"{path}: record {d.get('id')!r} has no 'toponyms'")
            d.setdefault("id", str(id(d)))
        entry = {"file": path.name,
                 "geomap": geoparse_metrics(docs, _geomap_predictions(docs, pipeline),
                                            err_rows)}
        if baselines:
            entry["spacy_population"] = geoparse_metrics(
                docs, _spacy_baseline(docs, pipeline.gazetteer))
            entry["geotext"] = geoparse_metrics(
                docs, _geotext_baseline(docs, pipeline.gazetteer))
        report["places"][path.stem] = entry
    gold = [(path, _incident_gold(path, limit)) for path in incident_files]
    if folds:
        preds = _cross_validated_incidents(gold, pipeline, folds)
    else:
        preds = defaultdict(list)
        for res in _run((a for _, pairs in gold for _, a in pairs), pipeline):
            preds[res.article.id].extend(res.incidents)
    for path, pairs in gold:
        docs = [d for d, _ in pairs]
        report["incidents"].append({"file": path.name, "folds": folds,
                                    **incident_metrics(docs, preds, err_rows)})
    if errors and err_rows is not None:
        from geomap.outputs.atomic import atomic_write

        with atomic_write(errors) as fh:
            for row in err_rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return report


def format_report(report: dict[str, Any]) -> str:
    """Human-readable tables of a report from :func:`run`."""
    lines = [f"geomap eval (commit {report.get('commit') or 'unknown'}, model "
             f"{report.get('model') or 'default'})"]
    for corpus, entry in report["places"].items():
        lines.append(f"\nplaces: {entry['file']}")
        lines.append(f"  {'system':<18}{'acc@161':>8}{'mean km':>10}{'median km':>11}"
                     f"{'misses':>8}{'P':>7}{'R':>7}{'F1':>7}{'acc@161 det':>13}"
                     f"{'far':>6}")
        for system in ("geomap", "spacy_population", "geotext"):
            m = entry.get(system)
            if not m:
                continue
            lines.append(
                f"  {system:<18}{m['acc161']:>8.3f}{m['mean_km']:>10.1f}"
                f"{m['median_km']:>11.1f}{m['misses']:>8}{m['precision']:>7.3f}"
                f"{m['recall']:>7.3f}{m['f1']:>7.3f}{m['resolved']['acc161']:>13.3f}"
                f"{m.get('far_misses', 0):>6}")
        del corpus
    for inc in report.get("incidents") or []:
        cv = f", {inc['folds']}-fold cross-validated" if inc.get("folds") else ""
        lines.append(f"\nincidents: {inc['file']} ({inc['articles']} articles, "
                     f"{inc['gold']} gold, {inc['predicted']} predicted{cv})")
        lines.append(f"  precision {inc['precision']:.3f}  recall {inc['recall']:.3f}"
                     f"  F1 {inc['f1']:.3f}")
        lines.append(f"  killed exact {inc['killed_exact']:.3f}  wounded exact "
                     f"{inc['wounded_exact']:.3f}  qualifier "
                     f"{inc['killed_qualifier_acc']:.3f}  date {inc['date_acc']:.3f}"
                     f"  event type {inc['event_type_acc']:.3f}")
    return "\n".join(lines) + "\n"
