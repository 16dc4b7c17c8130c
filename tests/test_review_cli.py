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
from geomap.store import open_store

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
