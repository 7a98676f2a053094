"""Private servers for the chaos soak: a PostgreSQL cluster and a redis-server that this run
starts, restarts (PostgreSQL restart, Redis FLUSHALL + restart) and removes. Never the
machine's shared ones. No Django here: the database must exist before Django is set up."""
import os
import shutil
import subprocess
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: the cluster belongs to the postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PrivatePostgres:
    def __init__(self, root: Path, port: int):
        self.root, self.port, self.data = root, port, root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/chaos"

    def _ctl(self, *args: str) -> None:
        subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]), check=True,
                       capture_output=True, timeout=120)

    def init(self) -> None:
        self.root.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        subprocess.run(as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                    "--no-sync", "-E", "UTF8"]), check=True, capture_output=True, timeout=120)
        self.start()
        subprocess.run(as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                                    "postgres", "chaos"]), check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c max_connections=200", "-l", str(self.root / "server.log"), "-w", "start")

    def restart(self) -> None:
        """Stop (fast: every session ends) and start again. Not `pg_ctl restart`: that one
        forgets -l, and the server would then hold our output pipe open."""
        self._ctl("-m", "fast", "-w", "stop")
        self.start()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", "immediate", "-w", "stop")


class PrivateRedis:
    def __init__(self, root: Path, port: int):
        self.root, self.port = root, port
        root.mkdir(parents=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args], capture_output=True,
                              timeout=30, check=False)

    def start(self) -> None:
        subprocess.run(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.root),
                        "--pidfile", str(self.root / "redis.pid"), "--logfile", str(self.root / "redis.log")],
                       check=True, timeout=30)
        deadline = time.monotonic() + 20
        while self._cli("ping").stdout.strip() != b"PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("private redis did not start")
            time.sleep(0.1)

    def flushall_and_restart(self, down_for: float) -> None:
        self._cli("FLUSHALL")
        self._cli("shutdown", "nosave")
        time.sleep(down_for)
        self.start()

    def stop(self) -> None:
        self._cli("shutdown", "nosave")
