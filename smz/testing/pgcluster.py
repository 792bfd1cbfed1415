"""Throw-away PostgreSQL clusters for the read-replica test (issue 17 goal 6): a primary and a streaming
replica made with pg_basebackup, on free local ports, from the machine's PostgreSQL binaries. As root the
server runs as the `postgres` user (PostgreSQL refuses root); otherwise as the current user."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def pg_bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        return Path(
            subprocess.run(
                [found, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    if not dirs:
        raise FileNotFoundError(
            "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found"
        )
    return Path(dirs[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Cluster:
    """One PostgreSQL instance in its own directory; `url(db)` for Django."""

    def __init__(self, root: Path, name: str) -> None:
        self.bindir = pg_bindir()
        self.dir = root / name
        self.port = free_port()

    def run(self, tool: str, *args: str, server_user: bool = True) -> str:
        cmd = [str(self.bindir / tool), *args]
        done = subprocess.run(
            _as_server_user(cmd) if server_user else cmd,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip()[-500:]}")
        return done.stdout

    def _options(self) -> str:
        return (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} "
            "-c fsync=off -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on"
        )

    def init(self) -> Cluster:
        self.run(
            "initdb",
            "-D",
            str(self.dir),
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
        )
        return self

    def basebackup_of(self, primary: Cluster) -> Cluster:
        """This cluster becomes a streaming replica of `primary` (-R writes the standby settings)."""
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(self.dir), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        return self

    def start(self) -> Cluster:
        self.run(
            "pg_ctl",
            "-D",
            str(self.dir),
            "-o",
            self._options(),
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )
        return self

    def stop(self) -> None:
        if (self.dir / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.dir), "-m", "fast", "-w", "stop")

    def sql(self, statement: str, db: str = "postgres") -> str:
        return self.run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-Atqc", statement,
            server_user=False,
        ).strip()  # fmt: skip

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


def cluster_root() -> Path:
    """A directory the server user can own (pytest's tmp_path sits under a root-only directory)."""
    root = Path(tempfile.mkdtemp(prefix="smz-pg-", dir="/tmp"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    return root
