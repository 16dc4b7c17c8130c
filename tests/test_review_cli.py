"""``geomap review`` end to end: a real server process, and its one-line errors."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from review_fixtures import RESULTS
from review_server import free_port

from geomap.cli import main
from geomap.results import open_store

ROOT = Path(__file__).resolve().parents[1]


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _store(path):
    with open_store(path) as s:
        s.write(RESULTS)
        s.reviewed()
        s.review_change(1, {"killed": 6})
        s.review_change(2, {"status": "rejected"})
        h = RESULTS[1]  # a re-extraction moves kharkiv-2's quote: #2 goes stale
        moved = h.article.text.index("Later, gunfire")
        s.write([dataclasses.replace(h, incidents=(dataclasses.replace(
            h.incidents[0], quote=h.article.text[moved:]),))])


def test_review_serves_the_store_until_interrupted(tmp_path):
    path = tmp_path / "s.sqlite"
    _store(path)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "geomap", "review", "--store", str(path), "--port",
         str(port), "--no-browser"], stderr=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=env, cwd=tmp_path)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any("open http://" in ln for ln in lines):
            assert time.monotonic() < deadline and proc.poll() is None, lines
            lines.append(proc.stderr.readline())
        assert lines[:-1] == ["geomap: WARNING: incident 2 (article 'kharkiv-2') has "
                              "corrections but is no longer in the store\n"]
        m = re.fullmatch(r"geomap: reviewing 4 incidents in sqlite:///(.+); open "
                         r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)\n", lines[-1])
        assert m is not None, lines[-1]
        assert (m.group(1), int(m.group(2))) == (str(path), port)
        token = m.group(3)
        assert len(token) >= 24
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # the line comes just before uvicorn binds
            try:
                r = httpx.get(base + "/api/incidents",
                              headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        rows = r.json()["incidents"]
        assert [(x["id"], x["review_status"], x["stale"]) for x in rows] == [
            (1, "edited", False), (2, "machine", True), (3, "machine", False),
            (4, "machine", False)]
        assert httpx.get(base + "/api/incidents").status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: uvicorn shuts down, then 130
        _, rest = proc.communicate(timeout=30)
    assert (proc.returncode, rest) == (130, "geomap: interrupted\n")


def test_review_errors_are_one_line(tmp_path):
    code, _, err = run("review", "--store", tmp_path / "none.sqlite", "--no-browser",
                       "--port", free_port())
    assert (code, err) == (1, f"geomap: error: no store at '{tmp_path}/none.sqlite'\n")
    path = tmp_path / "s.sqlite"
    _store(path)
    for argv, message in (
        (["--port", "0"], "--port must be between 1 and 65535"),
        (["--port", "70000"], "--port must be between 1 and 65535"),
        (["--token", "short"], "--token must be at least 8 characters"),
    ):
        code, _, err = run("review", "--store", path, "--no-browser", *argv)
        assert (code, err) == (1, f"geomap: error: {message}\n")
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        code, _, err = run("review", "--store", path, "--no-browser", "--port", port)
    assert code == 1
    assert err == (f"geomap: error: cannot listen on 127.0.0.1:{port}: "
                   "Address already in use\n")


def test_reextraction_through_the_cli_keeps_and_lists_corrections(tmp_path):
    import json
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "examples", corpus)
    store_path = tmp_path / "out" / "geomap.sqlite"
    code, _, err = run("map", corpus, "-o", tmp_path / "out", "--store", "-q")
    assert code == 0, err
    with open_store(store_path, create=False) as s:
        items = {x.item.article_id: x.item.id for x in s.reviewed()}
        s.review_change(items["ex-kharkiv-0412"], {"killed": 9})
        s.review_change(items["ex-odesa-0423"], {"status": "rejected"})
    # the same texts again (a better model would do this): both still apply
    code, _, err = run("map", corpus, "-o", tmp_path / "out", "--store",
                       "--no-resume", "-q")
    assert (code, err) == (0, "")
    feats = {f["properties"]["article_id"]: f["properties"] for f in json.loads(
        (tmp_path / "out" / "incidents.geojson").read_text())["features"]}
    assert (feats["ex-kharkiv-0412"]["killed"],
            feats["ex-kharkiv-0412"]["review_status"]) == (9, "edited")
    assert "ex-odesa-0423" not in feats
    # the Odesa article is rewritten: its quote moves, the rejection is listed
    lines = (corpus / "wire_digest.jsonl").read_text().splitlines()
    rows = [json.loads(x) for x in lines]
    for r in rows:
        if r["id"] == "ex-odesa-0423":
            r["text"] = "Updated. " + r["text"]
    (corpus / "wire_digest.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = run("map", corpus, "-o", tmp_path / "out", "--store")
    assert code == 0
    warnings = [x for x in err.splitlines() if "WARNING" in x]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        f"geomap: WARNING: review correction no longer applies: incident "
        f"{items['ex-odesa-0423']} of article 'ex-odesa-0423' (quote ")
    assert warnings[0].endswith("is gone after re-extraction; its 1 correction(s) "
                                "are kept in the store")
    feats = {f["properties"]["article_id"]: f["properties"] for f in json.loads(
        (tmp_path / "out" / "incidents.geojson").read_text())["features"]}
    assert feats["ex-odesa-0423"]["review_status"] == "machine"
    assert feats["ex-kharkiv-0412"]["killed"] == 9
