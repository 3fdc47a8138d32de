"""Throwaway PostgreSQL servers for tests and benchmarks.

Each :class:`PostgresServer` owns a fresh data directory in a temporary
directory and a free TCP port on 127.0.0.1, so several servers can run side
by side in one process. When we run as root (CI containers), every server
command runs as the ``postgres`` OS user via ``runuser``; otherwise it runs as
the current user.

Typical use::

    with PostgresServer() as pg:
        engine = create_engine(pg.url)
        other_url = pg.create_database("scratch")
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

__all__ = ["PostgresServer", "find_pg_bin"]

_REQUIRED = ("initdb", "pg_ctl")
_LOG_TAIL_LINES = 40
_START_ATTEMPTS = 3
_PG_CTL_TIMEOUT_S = 60


def _has_tools(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in _REQUIRED)


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin -> numeric key, e.g. "15" -> (15,), "9.6" -> (9, 6)
    parts = re.findall(r"\d+", bin_dir.parent.name)
    return tuple(int(p) for p in parts) if parts else (-1,)


def find_pg_bin() -> Path | None:
    """Return the directory holding ``initdb`` and ``pg_ctl``, or None.

    Looks on PATH first (resolving symlinks, since ``pg_ctl`` locates the
    ``postgres`` binary next to its real path), then in Debian's
    ``/usr/lib/postgresql/<version>/bin``, newest version first.
    """
    initdb = shutil.which("initdb")
    if initdb is not None:
        for candidate in (Path(initdb).resolve().parent, Path(initdb).parent):
            if _has_tools(candidate):
                return candidate
    debian_dirs = [d for d in Path("/usr/lib/postgresql").glob("*/bin") if _has_tools(d)]
    if debian_dirs:
        return max(debian_dirs, key=_version_key)
    return None


# Ports handed out in this process and not yet released, so two servers
# started back to back never pick the same port even before either binds it.
_ports_lock = threading.Lock()
_ports_in_use: set[int] = set()

# Servers still running, stopped at interpreter exit.
_live_servers: set[PostgresServer] = set()
_live_lock = threading.Lock()


def _reserve_free_port() -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        with _ports_lock:
            if port not in _ports_in_use:
                _ports_in_use.add(port)
                return port
    raise RuntimeError("could not find a free TCP port on 127.0.0.1")


def _release_port(port: int | None) -> None:
    if port is not None:
        with _ports_lock:
            _ports_in_use.discard(port)


def _is_zombie(pid: int) -> bool:
    # An orphaned postmaster may linger as a zombie until init reaps it.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


@atexit.register
def _stop_all_servers() -> None:
    with _live_lock:
        servers = list(_live_servers)
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


class PostgresServer:
    """A disposable PostgreSQL cluster listening on 127.0.0.1:<free port>.

    ``durable=False`` (the default, for tests) turns off fsync,
    synchronous_commit and full_page_writes; benchmarks should pass
    ``durable=True`` to measure realistic commit costs.
    """

    def __init__(
        self,
        database: str = "ehub",
        *,
        durable: bool = False,
        bin_dir: Path | str | None = None,
        max_connections: int = 100,
    ) -> None:
        self.database = database
        self.durable = durable
        self.max_connections = max_connections
        self._bin_dir = Path(bin_dir) if bin_dir is not None else None
        self._port: int | None = None
        self._tmpdir: Path | None = None
        self._started = False
        self._run_as: pwd.struct_passwd | None = None

    # ------------------------------------------------------------------ info

    @property
    def port(self) -> int:
        if self._port is None or not self._started:
            raise RuntimeError("PostgresServer is not running")
        return self._port

    @property
    def tmpdir(self) -> Path:
        """Temporary directory holding ``data/``, the log and the unix socket."""
        if self._tmpdir is None:
            raise RuntimeError("PostgresServer has not been started")
        return self._tmpdir

    @property
    def data_dir(self) -> Path:
        return self.tmpdir / "data"

    @property
    def log_file(self) -> Path:
        return self.tmpdir / "server.log"

    @property
    def running(self) -> bool:
        return self._started

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default database."""
        return self.url_for(self.database)

    @property
    def dsn(self) -> str:
        """libpq/psycopg connection string of the default database."""
        return self.dsn_for(self.database)

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn_for(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    # ------------------------------------------------------------- databases

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        with psycopg.connect(self.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                    sql.Identifier(name)
                )
            )
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting any remaining sessions."""
        with psycopg.connect(self.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    # -------------------------------------------------------------- lifecycle

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> PostgresServer:
        if self._started:
            return self
        bin_dir = self._bin_dir or find_pg_bin()
        if bin_dir is None:
            raise RuntimeError(
                "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH "
                "or in /usr/lib/postgresql/*/bin"
            )
        self._bin_dir = bin_dir
        self._run_as = self._postgres_user() if os.geteuid() == 0 else None

        try:
            self._make_tmpdir()
            self._initdb()
            self._start_postmaster()
            with _live_lock:
                _live_servers.add(self)
            self._create_default_database()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and delete its files. Safe to call repeatedly."""
        with _live_lock:
            _live_servers.discard(self)
        if self._tmpdir is not None and (self.data_dir / "postmaster.pid").exists():
            self._shutdown_postmaster()
        self._started = False
        _release_port(self._port)
        self._port = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # -------------------------------------------------------------- internals

    @staticmethod
    def _postgres_user() -> pwd.struct_passwd:
        try:
            return pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "running as root, but there is no 'postgres' OS user to run the server as"
            ) from None

    def _make_tmpdir(self) -> None:
        # As root the directory must be usable by the postgres user, so put it
        # in /tmp (world-traversable) rather than wherever TMPDIR points.
        parent = "/tmp" if self._run_as is not None else None
        self._tmpdir = Path(tempfile.mkdtemp(prefix="ehub-pg-", dir=parent))
        if self._run_as is not None:
            os.chown(self._tmpdir, self._run_as.pw_uid, self._run_as.pw_gid)

    def _command(self, args: list[str]) -> list[str]:
        if self._run_as is None:
            return args
        return ["runuser", "-u", self._run_as.pw_name, "--", *args]

    def _env(self) -> dict[str, str]:
        # Stray PGDATA/PGPORT/PGHOST etc. must not leak into initdb/pg_ctl.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        if self._run_as is not None:
            env["HOME"] = self._run_as.pw_dir
        return env

    def _run(self, args: list[str], what: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                self._command(args),
                cwd=self.tmpdir,  # the postgres user may not be able to read our cwd
                env=self._env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=True,
                timeout=_PG_CTL_TIMEOUT_S + 30,
            )
        except subprocess.CalledProcessError as e:
            raise RuntimeError(
                f"{what} failed (exit {e.returncode}):\n{e.stdout}{e.stderr}{self._log_tail()}"
            ) from None
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(f"{what} timed out after {e.timeout}s{self._log_tail()}") from None

    def _tool(self, name: str) -> str:
        assert self._bin_dir is not None
        return str(self._bin_dir / name)

    def _initdb(self) -> None:
        self._run(
            [
                self._tool("initdb"),
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ],
            "initdb",
        )

    def _server_options(self, port: int) -> str:
        flag = "on" if self.durable else "off"
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(self.tmpdir),
            "max_connections": str(self.max_connections),
            "fsync": flag,
            "synchronous_commit": flag,
            "full_page_writes": flag,
        }
        # pg_ctl hands -o to a shell, so quote each value.
        return " ".join(f"-c {k}={shlex.quote(v)}" for k, v in settings.items())

    def _start_postmaster(self) -> None:
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = _reserve_free_port()
            self._port = port
            try:
                self._run(
                    [
                        self._tool("pg_ctl"),
                        "start",
                        "-D",
                        str(self.data_dir),
                        "-l",
                        str(self.log_file),
                        "-w",
                        "-t",
                        str(_PG_CTL_TIMEOUT_S),
                        "-o",
                        self._server_options(port),
                    ],
                    "pg_ctl start",
                )
            except RuntimeError as e:
                _release_port(port)
                self._port = None
                # Lost a race for the port with another process: try another one.
                if attempt < _START_ATTEMPTS and "already in use" in str(e):
                    continue
                raise
            self._started = True
            return

    def _create_default_database(self) -> None:
        try:
            self.create_database(self.database)
        except psycopg.Error as e:
            raise RuntimeError(
                f"could not create database {self.database!r}: {e}{self._log_tail()}"
            ) from e

    def _shutdown_postmaster(self) -> None:
        try:
            self._run(
                [self._tool("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"],
                "pg_ctl stop",
            )
        except RuntimeError:
            # pg_ctl could not stop it (or it is half-started): kill the
            # postmaster we started, by the pid it recorded.
            self._kill_postmaster()

    def _kill_postmaster(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not _is_zombie(pid):
                os.kill(pid, 0)
                time.sleep(0.05)

    def _log_tail(self) -> str:
        if self._tmpdir is None:
            return ""
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        tail = "\n".join(lines[-_LOG_TAIL_LINES:])
        return f"\n--- tail of {self.log_file} ---\n{tail}"
