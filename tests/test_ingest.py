import datetime as dt
import json

import pytest

from geomap.errors import InputError
from geomap.ingest import decode_bytes, read_articles


def test_txt_date_header_line(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("date 2022-03-30\nShells hit Kharkiv on Tuesday.\n")
    [a] = read_articles([f])
    assert a.date == dt.date(2022, 3, 30)
    assert a.text == "Shells hit Kharkiv on Tuesday."
    assert a.id == "a.txt"  # the path relative to the input root
    assert a.origin == str(f)


def test_txt_date_header_same_line(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(" date 2022-03-30 Shells hit Kharkiv.")
    [a] = read_articles([f])
    assert (a.date, a.text) == (dt.date(2022, 3, 30), "Shells hit Kharkiv.")


def test_txt_header_block(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Title: Blast\nDate: 2021-05-01\nSource: https://x.org/a\n\n"
                 "A blast hit Kabul.")
    [a] = read_articles([f])
    assert (a.title, a.date, a.source, a.text) == (
        "Blast", dt.date(2021, 5, 1), "https://x.org/a", "A blast hit Kabul.")


def test_txt_without_header_keeps_text(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Dated material: none here.\nSecond line.")
    [a] = read_articles([f])
    assert a.date is None
    assert a.text.startswith("Dated material")


def test_jsonl_fields_and_stable_ids(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text(json.dumps({"id": "x1", "text": "In Kyiv.", "date": "2022-01-02",
                             "title": "T", "url": "https://e.org", "extra": 1}) + "\n\n"
                 + json.dumps({"text": "In Lviv."}) + "\n")
    a, b = read_articles([f])
    assert (a.id, a.date, a.title, a.source) == ("x1", dt.date(2022, 1, 2), "T",
                                                 "https://e.org")
    assert b.id == "c.jsonl#3" and b.date is None
    assert a.origin == f"{f}:1" and b.origin == f"{f}:3"


def test_csv(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text('id,text,date,source\n7,"Blast in Aden, Yemen.",2020-12-30,wire\n')
    [a] = read_articles([f])
    assert (a.id, a.text, a.date, a.source) == ("7", "Blast in Aden, Yemen.",
                                                dt.date(2020, 12, 30), "wire")


def test_csv_without_text_column(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("id,body\n1,hello\n")
    with pytest.raises(InputError, match=r"c\.csv:1: CSV has no 'text' column"):
        list(read_articles([f]))


def test_html_main_text_extracted(tmp_path):
    f = tmp_path / "p.html"
    para = ("Rockets struck the centre of Dnipro on Saturday, killing five people, "
            "regional officials said. ") * 3
    f.write_text(f"<html><head><title>Dnipro strike</title></head><body>"
                 f"<nav>Home | World | Sport</nav><article><h1>Dnipro strike</h1>"
                 f"<p>{para}</p></article><footer>Contact us</footer></body></html>")
    [a] = read_articles([f])
    assert "Rockets struck the centre of Dnipro" in a.text
    assert "Contact us" not in a.text
    assert a.title == "Dnipro strike"


def test_directory_recursion_sorted_and_hidden_skipped(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("B text")
    (tmp_path / "a.txt").write_text("A text")
    (tmp_path / ".hidden.txt").write_text("hidden")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    assert [a.text for a in read_articles([tmp_path])] == ["A text", "B text"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"text": "ok"}\n{not json}\n', r"bad\.jsonl:2: not valid JSON"),
        ("notext.jsonl", '{"title": "x"}\n', r"notext\.jsonl:1: record has no 'text'"),
        ("arr.jsonl", "[1, 2]\n", r"arr\.jsonl:1: expected a JSON object"),
        ("empty.txt", "   \n", r"empty\.txt: empty article"),
    ],
)
def test_bad_input_names_file_and_line(tmp_path, name, content, message):
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(InputError, match=message):
        list(read_articles([f]))


def test_skip_bad_keeps_good_records(tmp_path, caplog):
    f = tmp_path / "mixed.jsonl"
    f.write_text('{"text": "one"}\nnot json\n{"text": ""}\n{"text": "two"}\n')
    got = [a.text for a in read_articles([f], skip_bad=True)]
    assert got == ["one", "two"]
    assert sum("skipped" in r.message for r in caplog.records) == 2


def test_missing_path_and_unknown_type(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        list(read_articles([tmp_path / "nope.txt"]))
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError, match="unknown file type"):
        list(read_articles([f]))


def test_binary_file_rejected(tmp_path):
    f = tmp_path / "bin.txt"
    f.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"bin\.txt: .*(binary|not a text)"):
        list(read_articles([f]))


_UK = ("Ракета влучила в будівлю обласної адміністрації в Миколаєві у вівторок, "
       "загинули щонайменше 12 людей.")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_UK.encode("cp1251"), _UK),
        ("Zaporizhzhia — Kyiv".encode("utf-16"), "Zaporizhzhia — Kyiv"),
        (b"\xef\xbb\xbfKyiv\r\nLviv\r", "Kyiv\nLviv\n"),
        ("Café in Besançon".encode("latin-1"), "Café in Besançon"),
    ],
)
def test_decode_encodings(data, expected):
    assert decode_bytes(data, "x") == expected


# -- issue 14: a newcomer's inputs ------------------------------------------------

@pytest.mark.issue(14)
@pytest.mark.parametrize(("content", "line", "reason"), [
    ('id,text\n1,"unterminated\n', 2,
     "a quoted field opened on this line is never closed"),
    ('id,text\n1,ok\n2,"runs on\n3,and on\n4,to the end\n', 3,
     "a quoted field opened on this line is never closed"),
    ('id,text\n1,"opens here\n2,x\n3,"closed"late\n', 2,
     "a quoted field opened on this line runs on to line 4: ',' expected after '\"'"),
    ('id,text\n1,"a"b\n', 2, "',' expected after '\"'"),
])
def test_csv_unterminated_quote_names_file_and_line(tmp_path, content, line, reason):
    f = tmp_path / "c.csv"
    f.write_text(content)
    with pytest.raises(InputError) as info:
        list(read_articles([f]))
    assert str(info.value) == f"{f}:{line}: bad CSV: {reason}"


@pytest.mark.issue(14)
def test_csv_skip_bad_skips_the_broken_row_and_keeps_the_rest(tmp_path, caplog):
    f = tmp_path / "c.csv"
    f.write_text('id,text\n1,Blast in Aden.\n2,"never closed\n3,Strike on Sumy.\n'
                 '4,"Quoted, fine."\n')
    got = [(a.id, a.text) for a in read_articles([f], skip_bad=True)]
    assert got == [("1", "Blast in Aden."), ("3", "Strike on Sumy."),
                   ("4", "Quoted, fine.")]
    [msg] = [r.getMessage() for r in caplog.records]
    assert msg == (f"skipped: {f}:3: bad CSV: a quoted field opened on this line "
                   "runs on to line 5: ',' expected after '\"'")
    f.write_text('id,text\n1,Blast in Aden.\n2,"never closed\n3,Strike on Sumy.\n')
    caplog.clear()
    got = [(a.id, a.text) for a in read_articles([f], skip_bad=True)]
    assert got == [("1", "Blast in Aden."), ("3", "Strike on Sumy.")]
    [msg] = [r.getMessage() for r in caplog.records]
    assert msg == (f"skipped: {f}:3: bad CSV: a quoted field opened on this line "
                   "is never closed")


@pytest.mark.issue(14)
def test_ids_come_from_the_path_relative_to_the_input_root(tmp_path):
    (tmp_path / "news" / "ua").mkdir(parents=True)
    (tmp_path / "news" / "ua" / "kyiv.txt").write_text("Blast in Kyiv.")
    (tmp_path / "news" / "top.txt").write_text("Id: given-7\n\nBlast in Lviv.")
    (tmp_path / "news" / "wire.jsonl").write_text(
        '{"text": "One."}\n\n{"text": "Two.", "id": 5}\n{"text": "Three."}\n')
    (tmp_path / "news" / "rows.csv").write_text('text\n"Row, one."\nRow two.\n')
    by_root = [a.id for a in read_articles([tmp_path / "news"])]
    assert by_root == ["rows.csv#1", "rows.csv#2", "given-7", "ua/kyiv.txt",
                       "wire.jsonl#1", "5", "wire.jsonl#4"]
    # the same file named directly keeps the id it has under its directory
    [a] = read_articles([tmp_path / "news" / "top.txt"])
    assert a.id == "given-7"
    [b] = read_articles([tmp_path / "news" / "ua"])
    assert b.id == "kyiv.txt"


@pytest.mark.issue(14)
def test_same_relative_path_under_two_roots_is_an_error(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.txt").write_text(f"Blast in {d}.")
    with pytest.raises(InputError, match=r"b/x\.txt: id 'x\.txt' is also the id of "
                                         r".*a/x\.txt"):
        list(read_articles([tmp_path / "a", tmp_path / "b"]))
    assert [a.text for a in read_articles([tmp_path / "a", tmp_path / "b"],
                                          skip_bad=True)] == ["Blast in a."]


@pytest.mark.issue(14)
@pytest.mark.parametrize(("header", "expected"), [
    ("Date: July 6, 2023", dt.date(2023, 7, 6)),
    ("Date: 6 July 2023", dt.date(2023, 7, 6)),
    ("Date: 06/07/2023", dt.date(2023, 7, 6)),       # day first
    ("Date: 6.7.2023", dt.date(2023, 7, 6)),
    ("Date: 13/07/2023", dt.date(2023, 7, 13)),      # unambiguous
    ("Date: 2023/07/06", dt.date(2023, 7, 6)),       # year first: Y-M-D
    ("Date: Thu, 06 Jul 2023 10:00:00 GMT", dt.date(2023, 7, 6)),
])
def test_txt_header_dates_in_common_formats(tmp_path, header, expected):
    f = tmp_path / "a.txt"
    f.write_text(f"{header}\n\nShelling hit Kharkiv.")
    [a] = read_articles([f])
    assert a.date == expected


@pytest.mark.issue(14)
@pytest.mark.parametrize(("value", "day_first", "month_first"), [
    ("06/07/2023", dt.date(2023, 7, 6), dt.date(2023, 6, 7)),
    ("01/02/2022", dt.date(2022, 2, 1), dt.date(2022, 1, 2)),
    ("12.11.2021", dt.date(2021, 11, 12), dt.date(2021, 12, 11)),
    ("25/12/2020", dt.date(2020, 12, 25), dt.date(2020, 12, 25)),
    ("March 3, 2022", dt.date(2022, 3, 3), dt.date(2022, 3, 3)),
])
def test_csv_numeric_dates_day_first_unless_month_first(tmp_path, value, day_first,
                                                        month_first):
    f = tmp_path / "c.csv"
    f.write_text(f'text,date\nBlast in Aden.,"{value}"\n')
    [a] = read_articles([f])
    [b] = read_articles([f], month_first=True)
    assert (a.date, b.date) == (day_first, month_first)


@pytest.mark.issue(14)
@pytest.mark.parametrize("value", ["July 2023", "sometime last week", "2023-02-30",
                                   "32/13/2023"])
def test_unparseable_header_date_keeps_the_article_undated(tmp_path, caplog, value):
    f = tmp_path / "a.txt"
    f.write_text(f"Date: {value}\n\nShelling hit Kharkiv.")
    [a] = read_articles([f])
    assert (a.date, a.text) == (None, "Shelling hit Kharkiv.")
    [msg] = [r.getMessage() for r in caplog.records]
    assert msg.startswith(f"{f}: bad date {value!r}")


@pytest.mark.issue(14)
@pytest.mark.parametrize(("url", "kept"), [
    ("https://example.org/a", "https://example.org/a"),
    ("http://example.org/b?x=1", "http://example.org/b?x=1"),
    ("Reuters", "Reuters"),
    ("AP: Kyiv bureau", "AP: Kyiv bureau"),
    ("javascript:alert(1)", None),
    ("JavaScript:alert(document.cookie) //", None),
    (" java\tscript:alert(1)", None),
    ("data:text/html;base64,PHNjcmlwdD4=", None),
    ("vbscript:msgbox(1)", None),
    ("file:///etc/passwd", None),
    ("ftp://example.org/x", None),
])
def test_only_http_sources_survive_ingest(tmp_path, url, kept):
    f = tmp_path / "c.jsonl"
    f.write_text(json.dumps({"id": "1", "text": "Blast in Aden.", "url": url}) + "\n")
    [a] = read_articles([f])
    assert a.source == kept


@pytest.mark.issue(14)
def test_txt_source_is_the_relative_path_and_title_from_header(tmp_path):
    (tmp_path / "in" / "ua").mkdir(parents=True)
    (tmp_path / "in" / "ua" / "strike.txt").write_text(
        "Title: Strike on Sumy\nDate: 2023-07-06\n\nA strike hit Sumy.")
    (tmp_path / "in" / "plain.txt").write_text("A strike hit Lviv.")
    (tmp_path / "in" / "linked.txt").write_text(
        "Source: https://example.org/s\n\nA strike hit Rivne.")
    (tmp_path / "in" / "bad.txt").write_text(
        "Source: javascript:alert(1)\n\nA strike hit Lutsk.")
    got = {a.id: (a.source, a.title) for a in read_articles([tmp_path / "in"])}
    assert got == {
        "ua/strike.txt": ("ua/strike.txt", "Strike on Sumy"),
        "plain.txt": ("plain.txt", None),
        "linked.txt": ("https://example.org/s", None),
        "bad.txt": ("bad.txt", None),
    }


_SHORT = [
    ("Удар по Харкову", "cp1251"),
    ("Вибух у Полтаві", "cp1251"),
    ("Kraków, Łódź i Gdańsk", "cp1250"),
]


@pytest.mark.issue(14)
@pytest.mark.parametrize(("text", "encoding"), _SHORT)
def test_low_confidence_encoding_guess_warns_and_encoding_forces(tmp_path, caplog,
                                                                 text, encoding):
    f = tmp_path / "a.txt"
    f.write_bytes(text.encode(encoding))
    [_guessed] = read_articles([f])
    [msg] = [r.getMessage() for r in caplog.records]
    assert msg.startswith(f"{f}: encoding guessed as ")
    assert "low confidence" in msg and msg.endswith(
        "pass --encoding ENC if the text looks wrong")
    caplog.clear()
    [forced] = read_articles([f], encoding=encoding)
    assert forced.text == text and caplog.records == []
    # also for line-streamed formats
    j = tmp_path / "b.jsonl"
    j.write_bytes(json.dumps({"text": text}, ensure_ascii=False).encode(encoding))
    [line] = read_articles([j], encoding=encoding)
    assert line.text == text


@pytest.mark.issue(14)
def test_confident_guess_does_not_warn(tmp_path, caplog):
    text = ("Ракета влучила в будівлю обласної адміністрації в Миколаєві у "
            "вівторок, загинули щонайменше 12 людей.")
    f = tmp_path / "a.txt"
    f.write_bytes(text.encode("cp1251"))
    [a] = read_articles([f])
    assert a.text == text and caplog.records == []


@pytest.mark.issue(14)
def test_forced_encoding_that_does_not_fit_is_an_input_error(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes("Удар по Харкову".encode("cp1251"))
    with pytest.raises(InputError, match=r"a\.txt: cannot decode as utf-8"):
        list(read_articles([f], encoding="utf-8"))
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        list(read_articles([f], encoding="klingon"))
