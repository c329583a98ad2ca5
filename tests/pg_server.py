"""A throwaway team for tests and benches: a PostgreSQL cluster (Debian's initdb/pg_ctl, run as a non-root user)
and a `chroma run` server, on 127.0.0.1; and the settings of a node of it."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings, get_settings
from tests.helpers import free_port, start_chroma_server

PG_USER = "shiftbrief-pg"  # the system user the cluster runs as when the tests run as root


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL bin directory (Debian puts it off PATH), or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    for d in reversed(dirs):
        if (Path(d) / "initdb").exists():
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _run_as() -> pwd.struct_passwd | None:
    """Who runs the cluster: ourselves, or (PostgreSQL refuses root) a system user made for it."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(PG_USER)


class PgServer:
    """One cluster in a temporary directory; `url` connects as its trusted superuser `shiftbrief`."""

    def __init__(self, port: int) -> None:
        bindir = pg_bin()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL is not installed (initdb not found); run `make install-postgres`")
        self.bin, self.port, self.user = bindir, port, _run_as()
        # Not under pytest's tmp_path: that is private to root, and the cluster's user must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="shiftbrief-pg-"))
        self.data = self.root / "data"
        if self.user:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._pg("initdb", "-D", str(self.data), "-U", "shiftbrief", "--auth=trust", "-E", "UTF8", "--locale=C")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://shiftbrief@127.0.0.1:{self.port}/{dbname}"

    def _pg(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []} if self.user else {}
        return subprocess.run([str(self.bin / tool), *args], check=True, capture_output=True, text=True,
                              cwd=self.root, timeout=120, **kwargs)

    def start(self) -> None:
        # No fsync (a test cluster survives a server crash, not an OS crash). No Unix socket: TCP on 127.0.0.1 only.
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                "-c fsync=off -c full_page_writes=off")
        self._pg("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster; mode 'immediate' is a crash (no checkpoint), as an outage would be."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Team:
    pg: PgServer
    url: str
    chroma_port: int
    chroma_path: Path
    chroma: subprocess.Popen

    def restart_chroma(self) -> None:
        self.chroma = start_chroma_server(self.chroma_path, self.chroma_port)


def start_team(root: Path) -> Team:
    """A PostgreSQL cluster with a database `shiftbrief`, and `chroma run` with its data under root."""
    pg = PgServer(free_port())
    pg.start()
    port = free_port()
    return Team(pg, pg.create_database("shiftbrief"), port, root / "chroma", start_chroma_server(root / "chroma", port))


def stop_team(team: Team) -> None:
    """Kill the Chroma server and remove the cluster (a crash: nothing of either is kept)."""
    team.chroma.kill()
    team.chroma.wait()
    team.pg.remove()


def node(team: Team, data_dir: Path, library: str) -> Settings:
    """The settings of a node of the team: its own data directory (caches), the team's library."""
    return get_settings(data_dir=data_dir, database_url=team.url, chroma_host="127.0.0.1",
                        chroma_port=team.chroma_port, library=library)


def node_env(team: Team, data_dir: Path, library: str) -> dict[str, str]:
    return {**os.environ, "SHIFTBRIEF_DATA_DIR": str(data_dir), "SHIFTBRIEF_DATABASE_URL": team.url,
            "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(team.chroma_port), "SHIFTBRIEF_LIBRARY": library}


def run_node(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
