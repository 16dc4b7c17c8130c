"""A throwaway PostgreSQL + PostGIS server for tests (a real one, not a mock).

``postgis_server()`` runs ``initdb`` into a temporary directory, starts
``postgres`` on a free loopback port (with its unix socket in the same
directory), creates a database with the ``postgis`` extension, yields its
SQLAlchemy URL and removes everything afterwards.

PostgreSQL refuses to run as root; under root the server runs as the
``postgres`` system user that the Debian packages create.

Needs the Debian packages ``postgresql`` and ``postgresql-15-postgis-3`` (the
``postgis`` package alone does not bring the extension when recommends are
off). When they are missing, ``find_bindir`` returns ``None`` and the tests
skip, or fail under ``GEOMAP_REQUIRE_SERVICES=1`` (CI; see services.py).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["find_bindir", "postgis_available", "postgis_server"]


def find_bindir() -> Path | None:
    """The directory holding ``initdb``/``pg_ctl``, or None."""
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                             text=True, check=False).stdout.strip()
        if out:
            candidates.append(out)
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).resolve().parent))
    for c in candidates:
        if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    return None


def _sharedir(bindir: Path) -> Path | None:
    pg_config = bindir / "pg_config"
    if pg_config.is_file():
        out = subprocess.run([str(pg_config), "--sharedir"], capture_output=True,
                             text=True, check=False).stdout.strip()
        if out:
            return Path(out)
    guess = bindir.parent.parent.parent / "share" / "postgresql" / bindir.parent.name
    return guess if guess.is_dir() else None


def postgis_available() -> str | None:
    """None when a PostGIS server can be started here, else the reason why not."""
    bindir = find_bindir()
    if bindir is None:
        return ("PostgreSQL server binaries (initdb, pg_ctl) not found; "
                "apt-get install postgresql postgresql-15-postgis-3")
    share = _sharedir(bindir)
    if share is not None and not (share / "extension" / "postgis.control").is_file():
        return (f"the postgis extension is not installed in {share}/extension; "
                "apt-get install postgresql-15-postgis-3")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server"
    return None


def require_postgis() -> None:
    """Skip (fail under ``GEOMAP_REQUIRE_SERVICES=1``) when PostGIS is missing."""
    from services import require

    require("postgis")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgis_server(dbname: str = "geomap_test") -> Iterator[str]:
    """Start a private PostGIS server; yields ``postgresql://...`` for ``dbname``."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(postgis_available() or "no PostgreSQL")
    root = os.geteuid() == 0
    user = "postgres" if root else pwd.getpwuid(os.geteuid()).pw_name
    base = Path(tempfile.mkdtemp(prefix="geomap-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if root:
        pw = pwd.getpwnam("postgres")
        for p in (base, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    run_as = {"user": "postgres"} if root else {}
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}

    def run(*cmd: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(bindir / cmd[0]), *cmd[1:]], check=True,
                              capture_output=True, text=True, env=env, cwd=base,
                              timeout=120, **run_as, **kw)  # type: ignore[arg-type]

    port = _free_port()
    started = False
    try:
        run("initdb", "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8",
            "--no-sync")
        opts = (f"-h 127.0.0.1 -p {port} -k {sock} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off")
        run("pg_ctl", "-D", str(data), "-l", str(base / "server.log"), "-o", opts,
            "-w", "-t", "60", "start")
        started = True
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", user, dbname)
        run("psql", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", dbname,
            "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE EXTENSION postgis")
        yield f"postgresql://{user}@127.0.0.1:{port}/{dbname}"
    except subprocess.CalledProcessError as err:
        log = base / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"{' '.join(err.cmd)} failed: {err.stderr}\n{tail}") from err
    finally:
        if started:
            with contextlib.suppress(subprocess.SubprocessError):
                run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
            time.sleep(0.1)
        shutil.rmtree(base, ignore_errors=True)
