"""Hostile files: empty, binary, huge, legacy encodings, BOMs, CRLF, NUL bytes,
invalid dates, absurd figures, impossible coordinates in gazetteer dumps."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazetteer import Gazetteer, GazetteerError, import_geonames
from geomap.cli import main
from geomap.errors import InputError
from geomap.ingest import read_articles
from geomap.numbers import MAX_COUNT
from geomap.pipeline import _chunks

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = [".txt", ".jsonl", ".csv", ".html"]

RU = "Ракетный удар по Харькову: погибли 12 человек, ещё 30 ранены, сообщили власти."
UK = "Обстріл Харкова: загинули 12 людей, поранено 30, повідомила поліція області."
FR = "Une frappe à Kharkiv a tué douze personnes; l'été, où, déjà, très élevé."
DE = "Bei dem Angriff auf Köln wurden fünf Menschen getötet, sagte die Polizei."
ES = "Un ataque en Mérida dejó cinco muertos y heridos, según la policía española."
EN = "Shelling hit Kharkiv on Tuesday, killing three people, officials said."


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def one_line_error(code, err, *needles):
    assert code == 1
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("geomap: error: ")
    for n in needles:
        assert n in err, err


def texts(path, **kw):
    return [a.text for a in read_articles([path], **kw)]


# -- empty and binary -------------------------------------------------------------

@pytest.mark.parametrize("suffix", SUFFIXES)
def test_empty_file_is_a_one_line_error(tmp_path, suffix):
    f = tmp_path / f"empty{suffix}"
    f.write_bytes(b"")
    if suffix == ".jsonl":  # zero records is a valid JSONL file
        assert list(read_articles([f])) == []
        one_line_error(*cli("extract", str(f), "-q")[::2], "no articles found")
    else:
        with pytest.raises(InputError, match=str(f)):
            list(read_articles([f]))
        one_line_error(*cli("extract", str(f), "-q")[::2], str(f))
    # skipped, nothing is left: still one line, and no model was needed
    one_line_error(*cli("extract", str(f), "-q", "--skip-bad")[::2],
                   "no articles found")


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("blob", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64 + b"\xff\xfe\xfd" * 100,
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(255, -1, -1)) * 3,
])
def test_binary_file_is_a_one_line_error(tmp_path, suffix, blob):
    f = tmp_path / f"blob{suffix}"
    f.write_bytes(blob)
    with pytest.raises(InputError) as err:
        list(read_articles([f]))
    assert str(f) in str(err.value)
    code, out, err = cli("places", str(f), "-q")
    one_line_error(code, err, str(f))
    assert out == ""


# -- encodings, BOMs, CRLF, NUL -----------------------------------------------------

@pytest.mark.parametrize("text,encoding", [
    (RU, "cp1251"), (UK, "cp1251"), (FR, "latin-1"), (DE, "latin-1"),
    (ES, "latin-1"), (FR, "cp1252"), (RU, "utf-16"), (FR, "utf-16-le"),
    (RU, "utf-16-be"), (RU, "utf-8-sig"), (EN, "utf-8"),
])
def test_txt_in_legacy_encodings(tmp_path, text, encoding):
    f = tmp_path / "a.txt"
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    elif encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    f.write_bytes(data)
    assert texts(f) == [text]


@pytest.mark.parametrize("encoding", ["cp1251", "utf-16", "utf-8-sig"])
def test_jsonl_and_csv_in_legacy_encodings_with_crlf(tmp_path, encoding):
    rows = [("r", RU), ("u", UK), *((f"n{i}", RU[: 20 + i]) for i in range(12))]
    jl = tmp_path / "a.jsonl"
    jl.write_bytes("\r\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False)
                               for i, t in rows).encode(encoding))
    cs = tmp_path / "b.csv"
    cs.write_bytes(("id,text\r\n" + "".join(f'{i},"{t}"\r\n' for i, t in rows)
                    ).encode(encoding))
    expected = [t for _, t in rows]
    # every line decodes alike: the encoding is detected once per file, and
    # short lines are not guessed on their own
    assert texts(jl) == expected
    assert texts(cs) == expected


def test_crlf_and_cr_line_ends_and_bom_in_txt_headers(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"\xef\xbb\xbfTitle: Strike\r\nDate: 2022-03-29\r\nSource: x\r\n\r\n"
                  b"First line.\r\nSecond line.\rThird line.\r\n")
    [a] = read_articles([f])
    assert (a.title, a.date, a.source) == ("Strike", dt.date(2022, 3, 29), "x")
    assert a.text == "First line.\nSecond line.\nThird line."
    g = tmp_path / "b.txt"
    g.write_bytes(b"\xef\xbb\xbfdate 2022-03-30\r\nBody.")
    assert [(a.date, a.text) for a in read_articles([g])] == [
        (dt.date(2022, 3, 30), "Body.")]


def test_nul_bytes(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"Shelling hit Kharkiv.\x00\x00 More text.")
    with pytest.raises(InputError, match="NUL"):
        list(read_articles([f]))
    jl = tmp_path / "b.jsonl"
    jl.write_text('{"id": "bad", "text": "Kyiv\\u0000 hit"}\n'
                  '{"id": "raw", "text": "Kyiv"}\x00\n'
                  '{"id": "ok", "text": "Kyiv"}\n')
    with pytest.raises(InputError, match=r"b\.jsonl:1: .*NUL"):
        list(read_articles([jl]))
    assert [a.id for a in read_articles([jl], skip_bad=True)] == ["ok"]
    one_line_error(*cli("extract", str(jl), "-q")[::2], "b.jsonl:1")


def test_lone_surrogates_from_json_escapes_become_replacement_chars(tmp_path):
    jl = tmp_path / "a.jsonl"
    jl.write_text('{"id": "s\\ud800", "title": "T\\udfff", "url": "http://x/\\ud800",'
                  ' "text": "Kyiv \\ud83d was hit."}\n')
    [a] = read_articles([jl])
    assert (a.id, a.title, a.source, a.text) == (
        "s\ufffd", "T\ufffd", "http://x/\ufffd", "Kyiv \ufffd was hit.")


# -- invalid dates -------------------------------------------------------------------
# An unparseable date no longer aborts the run (issue 14, item 8): the article
# is kept undated and a warning names the file and the value.

@pytest.mark.parametrize("name,content,where", [
    ("a.txt", "date 2022-02-30\nShelling hit Kharkiv.", "a.txt"),
    ("b.txt", "Date: 2022-13-01\n\nShelling hit Kharkiv.", "b.txt"),
    ("c.jsonl", '{"text": "Kyiv", "date": "2022-04-31"}\n', "c.jsonl:1"),
    ("d.jsonl", '{"text": "Kyiv", "date": 20220330}\n', "d.jsonl:1"),
    ("e.jsonl", '{"text": "Kyiv", "date": "yesterday"}\n', "e.jsonl:1"),
    ("f.csv", 'text,date\nKyiv,0000-00-00\n', "f.csv:2"),
])
def test_invalid_dates_keep_the_article_undated_with_a_warning(tmp_path, caplog,
                                                               name, content, where):
    f = tmp_path / name
    f.write_text(content)
    [a] = read_articles([f])
    assert a.date is None and a.text.startswith(("Kyiv", "Shelling"))
    [msg] = [r.getMessage() for r in caplog.records]
    assert f"{where}: bad date" in msg and msg.endswith("the article is kept undated")


def test_invalid_dates_are_not_skipped_with_skip_bad(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text('{"id": "1", "text": "Kyiv", "date": "2022-02-29"}\n'
                 '{"id": "2", "text": "Kyiv", "date": "2024-02-29"}\n')
    assert [(a.id, a.date) for a in read_articles([f], skip_bad=True)] == [
        ("1", None), ("2", dt.date(2024, 2, 29))]


# -- absurd figures -----------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "An airstrike on Kyiv killed 10^12 people on Tuesday.",
    "An airstrike on Kyiv killed 99999999999 people on Tuesday.",
    "Shelling in Kharkiv killed 1,000,000,000,000 people and wounded 3 on Monday.",
    "A blast in Odesa killed 1e12 people and 10 billion were wounded.",
    "A strike on Lviv killed -5 people and wounded 2.5 on Monday.",
    "Missiles hit Kyiv on Tuesday, killing 99999999999 civilians.",
])
def test_absurd_figures_are_not_counts(geomap_pipeline, sentence):
    r = geomap_pipeline.process(sentence, date="2022-03-30")
    for inc in r.incidents:
        assert inc.killed is None, inc
        assert inc.wounded in (None, 3), inc


def test_absurd_power_figure_with_coordination(geomap_pipeline):
    r = geomap_pipeline.process(
        "Missiles hit Kyiv on Tuesday, killing 10^12 people and 99999999999 "
        "civilians.", date="2022-03-30")
    assert [i.killed for i in r.incidents] == [None]


def test_figures_never_exceed_the_cap(geomap_pipeline):
    r = geomap_pipeline.process(
        f"Shelling in Kharkiv killed {MAX_COUNT + 1} people and wounded "
        f"{MAX_COUNT} on Monday.", date="2022-03-30")
    assert [(i.killed, i.wounded) for i in r.incidents] == [(None, MAX_COUNT)]


# -- long articles ------------------------------------------------------------------

@given(st.text(alphabet=st.sampled_from("ab .!?\n\t\"’"), max_size=300),
       st.integers(1, 40))
def test_chunks_partition_the_text_within_the_limit(text, limit):
    pieces = list(_chunks(text, limit))
    assert "".join(p for _, p in pieces) == text
    assert all(len(p) <= limit for _, p in pieces)
    assert all(off == sum(len(p) for _, p in pieces[:k])
               for k, (off, _) in enumerate(pieces))
    assert all(p for _, p in pieces[:-1])


def test_chunks_cut_at_paragraphs_then_sentences():
    para = "One sentence here. Another one follows! A third? Yes.\n\n"
    text = para * 50
    pieces = [p for _, p in _chunks(text, 500)]
    assert all(p.endswith("\n\n") for p in pieces[:-1])
    flat = text.replace("\n\n", " ")
    pieces = [p for _, p in _chunks(flat, 100)]
    assert all(p.rstrip().endswith((".", "!", "?")) for p in pieces)


PARA = ("Shelling hit Kharkiv on Tuesday, killing three people, officials in Odesa "
        "said. A drone struck a depot near Lviv, wounding two.\n\n")


def test_long_article_is_parsed_in_pieces_with_offsets_into_the_whole(
        geomap_pipeline):
    """Beyond spaCy's max_length, an article is parsed in pieces; every mention
    keeps its offset into the full text and matches a piece-free parse."""
    text = "".join(PARA.replace("three", n) for n in (
        "three", "four", "five", "six", "seven", "eight", "nine", "ten"))
    nlp, p = geomap_pipeline.nlp, geomap_pipeline
    saved = nlp.max_length, p.chunk_chars
    alone = [p.process(PARA.replace("three", n), date="2022-03-30") for n in (
        "three", "four", "five", "six", "seven", "eight", "nine", "ten")]
    try:
        nlp.max_length, p.chunk_chars = 2 * len(PARA), len(PARA) + 10
        with pytest.raises(ValueError, match="E088"):
            nlp(text)  # spaCy alone refuses it
        r = p.process(text, date="2022-03-30")
    finally:
        nlp.max_length, p.chunk_chars = saved
    assert r.article.text == text
    for m in r.mentions:
        assert text[m.start:m.end] == m.text
    expected, off = [], 0
    for a in alone:
        expected += [(m.start + off, m.end + off, m.place.geonameid)
                     for m in a.mentions]
        off += len(a.article.text)
    assert [(m.start, m.end, m.place.geonameid) for m in r.mentions] == expected
    key = [(i.location, i.killed, i.wounded, i.date) for i in r.incidents]
    assert key == [(i.location, i.killed, i.wounded, i.date)
                   for a in alone for i in a.incidents]
    assert {i.killed for i in r.incidents} >= {3, 4, 5, 6, 7, 8, 9, 10}


# Peak RSS from VmHWM: ru_maxrss survives fork + exec on Linux, so a child of a
# large pytest process would report the parent's size.
_RSS = """
import sys
sys.path.insert(0, {root!r})
from geomap.ingest import read_articles
def hwm():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:"))
n = chars = 0
base = None
for a in read_articles([{path!r}]):
    n += 1
    chars += len(a.text)
    if n == {probe}:
        base = hwm()
peak = hwm()
print(n, chars, base, peak)
"""


def _read_in_subprocess(path: Path, probe: int) -> tuple[int, int, int, int]:
    code = _RSS.format(root=str(ROOT), path=str(path), probe=probe)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=600, check=True).stdout.split()
    return tuple(int(x) if x != "None" else 0 for x in out)  # type: ignore[return-value]


@pytest.mark.large_file
def test_million_line_jsonl_streams_in_flat_memory(tmp_path):
    f = tmp_path / "big.jsonl"
    line = '{{"id": "a{}", "date": "2022-03-30", "text": "Shelling hit Kharkiv, ' \
           'killing {} people, officials said."}}\n'
    with open(f, "w") as fh:
        for i in range(1_000_000):
            fh.write(line.format(i, i % 50))
    n, _chars, base_kb, peak_kb = _read_in_subprocess(f, 10_000)
    assert n == 1_000_000
    growth_mb = (peak_kb - base_kb) / 1024
    print(f"1M-line JSONL ({f.stat().st_size / 1e6:.0f} MB): peak RSS "
          f"{peak_kb / 1024:.0f} MB, growth after 10k lines {growth_mb:.1f} MB")
    assert growth_mb < 20


@pytest.mark.large_file
def test_fifty_megabyte_article_reads_and_chunks(tmp_path):
    f = tmp_path / "huge.txt"
    para = PARA.encode()
    with open(f, "wb") as fh:
        fh.write(b"Title: A very long report\nDate: 2022-03-30\n\n")
        fh.write(para * (50_000_000 // len(para) + 1))
    assert f.stat().st_size > 50_000_000
    n, chars, _, peak_kb = _read_in_subprocess(f, 1)
    assert n == 1 and chars > 49_000_000
    print(f"50 MB article: peak RSS while reading {peak_kb / 1024:.0f} MB")
    assert peak_kb / 1024 < 600  # bytes + str + the stripped copy
    text = f.read_text()
    pieces = list(_chunks(text, 20_000))
    assert "".join(p for _, p in pieces) == text
    assert all(p.endswith("\n\n") for _, p in pieces[:-1])


# -- gazetteer dumps with impossible coordinates ---------------------------------------

def _geonames_row(gid, name, lat, lon, fclass="P", fcode="PPL", cc="UA", pop="1000"):
    cols = [str(gid), name, name, "", lat, lon, fclass, fcode, cc, "", "07", "", "",
            "", pop, "", "100", "Europe/Kyiv", "2023-01-01"]
    return "\t".join(cols)


@pytest.mark.parametrize("lat,lon", [
    ("91", "30"), ("-90.0001", "30"), ("45", "180.5"), ("45", "-181"), ("nan", "30"),
    ("45", "inf"), ("-inf", "1"), ("1e999", "1"), ("", "30"), ("45,5", "30"),
    ("0x10", "30"), ("45", "NaN"), ("９０.５", "30"),
])
def test_import_skips_impossible_coordinates(tmp_path, lat, lon):
    src = tmp_path / "UA.txt"
    src.write_text("\n".join([
        _geonames_row(1001, "Goodtown", "49.5", "36.1"),
        _geonames_row(1002, "Badtown", lat, lon),
    ]) + "\n")
    codes = tmp_path / "admin1.txt"
    codes.write_text("UA.07\tKharkiv\tKharkiv\t706482\n")
    out = import_geonames(src, codes, tmp_path / "g.sqlite")
    with Gazetteer.open(out) as gz:
        assert gz.get(1001) is not None and gz.get(1002) is None
        assert gz.candidates("Badtown", fuzzy=False) == []
        assert gz.info()["counts"]["city"] == 1


@given(st.lists(st.tuples(
    st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
              st.text(max_size=6)),
    st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
              st.text(max_size=6))), min_size=1, max_size=6))
def test_import_never_stores_out_of_range_coordinates(coords):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        src = tmp / "UA.txt"
        rows = [_geonames_row(2000 + i, f"Town{i}", la.replace("\t", " ").replace(
            "\n", " "), lo.replace("\t", " ").replace("\n", " "))
            for i, (la, lo) in enumerate(coords)]
        src.write_text("\n".join(rows) + "\n", encoding="utf-8",
                       errors="surrogatepass")
        codes = tmp / "admin1.txt"
        codes.write_text("UA.07\tKharkiv\tKharkiv\t706482\n")
        try:
            out = import_geonames(src, codes, tmp / "g.sqlite")
        except GazetteerError as err:
            assert "no valid row" in str(err)
            return
        with Gazetteer.open(out) as gz:
            for i in range(len(coords)):
                p = gz.get(2000 + i)
                if p is not None:
                    assert -90 <= p.lat <= 90 and -180 <= p.lon <= 180


def test_cli_import_of_a_bad_dump_is_one_line(tmp_path):
    src = tmp_path / "UA.txt"
    src.write_text(_geonames_row(1, "X", "95", "200") + "\n")
    codes = tmp_path / "admin1.txt"
    codes.write_text("UA.07\tKharkiv\tKharkiv\t706482\n")
    code, _out, err = cli("gazetteer", "import", str(src), str(codes), "--gazetteer",
                         str(tmp_path / "g.sqlite"), "-q")
    one_line_error(code, err, "not a GeoNames dump")
    assert not (tmp_path / "g.sqlite").exists()


def test_date_lookup_is_linear_in_sentences(geomap_pipeline, monkeypatch):
    import geomap.incidents.context as context

    calls = []
    original = context.find_date_expressions
    monkeypatch.setattr(context, "find_date_expressions",
                        lambda text: calls.append(1) or original(text))
    n = 200
    text = " ".join(f"Shelling killed {i % 9 + 2} people in Kharkiv." for i in range(n))
    geomap_pipeline.process(text, date="2022-03-30")
    assert len(calls) <= 3 * n


def test_empty_path_is_not_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("Shelling hit Kharkiv.")
    with pytest.raises(InputError, match="empty path"):
        list(read_articles([""]))
    one_line_error(*cli("extract", "", "-q")[::2], "empty path")


def test_nul_in_store_path_is_a_one_line_error(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Shelling hit Kharkiv.")
    one_line_error(*cli("extract", str(f), "-q", "--store", "bad\x00.sqlite")[::2],
                   "store")


def test_nul_in_gazetteer_path_is_a_one_line_error():
    one_line_error(*cli("geocode", "Kyiv", "-q", "--gazetteer", "bad\x00.sqlite")[::2],
                   "gazetteer")


@pytest.mark.parametrize("name", ["x" * 5000 + ".txt", "a\x00b.txt", "é" * 300])
def test_impossible_paths_are_one_line_errors(name):
    with pytest.raises(InputError, match="cannot read"):
        list(read_articles([name]))
    one_line_error(*cli("places", name, "-q")[::2], "cannot read")


@pytest.mark.issue(16)
def test_long_articles_in_small_batches_warn_once_and_match(geomap_pipeline, caplog):
    """Pieces go through the model a few characters' worth at a time; the
    results are those of one batch, and only the first long article warns."""
    from geomap.models import Article

    p = geomap_pipeline
    long_text = PARA.replace("three", "five") * 3
    articles = [Article("short", PARA), Article("long-1", long_text),
                Article("long-2", long_text.replace("five", "six"))]
    saved = p.chunk_chars, p.batch_chars, p.batch_size, p._warned
    try:
        p.chunk_chars, p._warned = len(PARA) + 10, False
        whole = list(p.process_many(articles))
        p.batch_chars, p.batch_size, p._warned = 2 * len(PARA), 32, False
        caplog.clear()
        with caplog.at_level("INFO", logger="geomap.pipeline"):
            batched = list(p.process_many(articles))
    finally:
        p.chunk_chars, p.batch_chars, p.batch_size, p._warned = saved
    assert batched == whole
    assert [m.text for m in batched[1].mentions] == ["Kharkiv", "Odesa", "Lviv"] * 3
    para = long_text[:len(long_text) // 3]
    assert batched[1].mentions[3].start == len(para) + para.index("Kharkiv")
    assert [i.killed for i in batched[2].incidents if i.killed] == [6, 6, 6]
    pieces = [r for r in caplog.records if "parsed in pieces" in r.getMessage()]
    assert [(r.levelname, r.getMessage().split(":")[0]) for r in pieces] == [
        ("WARNING", "article long-1"), ("INFO", "article long-2")]
