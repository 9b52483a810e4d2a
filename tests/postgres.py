"""A throw-away PostgreSQL server for tests: ``initdb`` in a temporary folder, listening on a
free port of 127.0.0.1 only, stopped (and its folder removed) afterwards. Debian's
``postgresql`` package provides the programs (``.ci/run`` installs it when missing); as root,
the server runs as the ``postgres`` user, as PostgreSQL requires."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fakebotapi import free_port

PASSWORD = "s3cret-pg-password"


def postgres_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, or Debian's versioned folder."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a URL ``postgresql://verbatim:PASSWORD@127.0.0.1:PORT/verbatim``."""
    binaries = postgres_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="verbatim-pg-"))
    data = folder / "data"
    port = free_port()

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = ["runuser", "-u", "postgres", "--", *args] if as_root else list(args)
        return subprocess.run(
            command, check=check, capture_output=True, text=True, timeout=120, cwd=folder
        )

    try:
        if as_root:
            shutil.chown(folder, "postgres")
        (folder / "pw").write_text(PASSWORD, encoding="utf-8")
        if as_root:
            shutil.chown(folder / "pw", "postgres")
        run(
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "verbatim",
            "--auth=scram-sha-256",
            f"--pwfile={folder / 'pw'}",
            "-E",
            "UTF8",
        )
        run(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "log"),
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        )
        url = f"postgresql://verbatim:{PASSWORD}@127.0.0.1:{port}/postgres"
        _wait_for(url)
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE verbatim")
        yield url.rsplit("/", 1)[0] + "/verbatim"
    finally:
        run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(url: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
