"""A real PostgreSQL for the tests: the one TEST_DATABASE_URL names (as .ci/run starts), else one started here.

Debian's ``postgresql`` package puts ``initdb`` and ``pg_ctl`` in /usr/lib/postgresql/<version>/bin; a server is
created in a temporary folder, listens on 127.0.0.1 only, and is stopped when the tests end. Each test gets a
database of its own.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import asyncpg

_names = itertools.count(1)


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: install PostgreSQL (apt-get install postgresql) or set "
            "TEST_DATABASE_URL to a server the tests may create databases on"
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A PostgreSQL server only the tests use."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="imagine-pg-"))
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            # PostgreSQL refuses to run as root: its folder belongs to the postgres user.
            shutil.chown(self.folder, "postgres")
        self._run(_binary("initdb"), "-D", str(self.folder / "data"), "-U", "postgres", "-A", "trust", "--no-sync")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F -c max_connections=300"
        self._run(_binary("pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-o", options,
                  "-w", "start")  # fmt: skip
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *command], check=True, capture_output=True)

    def stop(self) -> None:
        self._run(_binary("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


async def new_database(admin_url: str) -> str:
    """A new, empty database on the server at ``admin_url``; returns its URL."""
    name = f"imagine_test_{os.getpid()}_{next(_names)}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name}")
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def drop_database(admin_url: str, url: str) -> None:
    """Remove a database ``new_database`` made, closing whatever is still connected to it."""
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await connection.close()
