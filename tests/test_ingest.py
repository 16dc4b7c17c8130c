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
    f.write_text("Title: Blast\nDate: 2021-05-01\nSource: https://x.org/a\n\nA blast hit Kabul.")
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
