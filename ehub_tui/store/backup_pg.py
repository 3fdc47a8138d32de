"""Backups of a PostgreSQL hub: ``pg_dump --format=custom``, verified by a restore.

The dump is PostgreSQL's own consistent snapshot (pg_dump reads in one REPEATABLE READ
transaction; the hub keeps running). It is written beside its final name, mode 0600, and renamed
into place. A dump is *verified* by restoring it into a scratch database on the same server
(``ehub_verify_<stamp>_<random>``, created and dropped again: the hub's role needs CREATEDB, or
name an empty database to use with ``--scratch``), then running the same checks as a SQLite
copy (schema revision, counts, ``audit verify``) on the restored database.

The tools are the PostgreSQL client programs ``pg_dump`` and ``pg_restore``: from PATH, else the
newest ``/usr/lib/postgresql/<version>/bin`` (Debian's layout). The password comes from the URL,
else the OS keyring (``ehub-tui login``), else libpq's own PGPASSFILE; it is handed to the tools
in their environment, never on the command line.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ehub_tui.errors import StoreError
from ehub_tui.store import backup
from ehub_tui.store import verify as hub_verify
from ehub_tui.store.engine import create_hub_engine, read_tx

_DEBIAN_BINS = Path("/usr/lib/postgresql")


def tool(name: str) -> str:
    """The path of a PostgreSQL client program (a plain sentence when there is none)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        (p for p in _DEBIAN_BINS.glob("*/bin") if (p / name).exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return str(versions[-1] / name)
    raise StoreError(
        f"{name} is not installed on this machine: install the PostgreSQL client programs "
        "(Debian/Ubuntu: postgresql-client, the same major version as the server or newer)"
    )


def _url(url: str) -> URL:
    sa = make_url(url)
    if sa.get_backend_name() != "postgresql":
        raise StoreError(f"{sa.render_as_string(hide_password=True)} is not a PostgreSQL URL")
    return sa


def shown(url: str) -> str:
    """A URL as it may be printed (no password)."""
    return _url(url).render_as_string(hide_password=True)


def _password(sa: URL, url: str) -> str | None:
    if sa.password:
        return str(sa.password)
    from ehub_tui.secrets import fetch_password

    return fetch_password(url)


def _query(sa: URL, key: str) -> str | None:
    value = sa.query.get(key)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return str(value) if value else None


def _host(sa: URL) -> str | None:
    """The host, or the socket folder of ``postgresql://user@/db?host=/run/postgresql``."""
    return str(sa.host) if sa.host else _query(sa, "host")


def _port(sa: URL) -> str | None:
    return str(sa.port) if sa.port else _query(sa, "port")


def _libpq(url: str, database: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump / pg_restore and their environment (the password)."""
    sa = _url(url)
    args = []
    host = _host(sa)
    if host:
        args.append(f"--host={host}")
    port = _port(sa)
    if port:
        args.append(f"--port={port}")
    if sa.username:
        args.append(f"--username={sa.username}")
    args.append(f"--dbname={database or sa.database}")
    env = dict(os.environ)
    password = _password(sa, url)
    if password is not None:
        env["PGPASSWORD"] = password  # the environment, never argv (which `ps` shows)
    return args, env


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise StoreError(f"{what}: {argv[0]} could not be run ({exc.strerror or exc})") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or "").splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit status {done.returncode}"
        raise StoreError(f"{what} failed: {why}")


def backup_pg(url: str, folder: Path, at: datetime) -> Path:
    """``pg_dump --format=custom`` of the hub at ``url`` into ``folder`` as
    ``hub-<UTC stamp>.pgdump`` (0600)."""
    args, env = _libpq(url)
    folder = backup.private_dir(folder)
    final = folder / f"hub-{backup.stamp(at)}.pgdump"
    if final.exists():
        raise StoreError(f"{final} already exists: a backup never overwrites a file")
    partial = folder / f".{final.name}.partial"
    partial.unlink(missing_ok=True)
    backup.fresh_file(partial)  # 0600 before pg_dump writes a byte into it
    try:
        _run(
            [tool("pg_dump"), "--format=custom", f"--file={partial}", *args],
            env,
            "pg_dump",
        )
        backup.fsync_path(partial)
        os.replace(partial, final)
        backup.fsync_path(folder, directory=True)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


def _connect(url: str, database: str | None = None):  # type: ignore[no-untyped-def]
    import psycopg

    sa = _url(url)
    try:
        return psycopg.connect(
            host=_host(sa),
            port=_port(sa),
            user=sa.username or None,
            password=_password(sa, url),
            dbname=database or sa.database,
            autocommit=True,
            connect_timeout=10,
        )
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot connect to PostgreSQL: {first}") from None


def is_empty_pg(url: str) -> bool:
    """True when the database at ``url`` holds no tables of its own."""
    with _connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return row is not None and int(row[0]) == 0


def restore_pg(dump: Path, url: str, *, force: bool) -> None:
    """``pg_restore`` the dump into the database at ``url`` (empty, or replaced with ``force``),
    in one transaction: a failed restore leaves the database as it was."""
    if not force and not is_empty_pg(url):
        raise StoreError(
            f"{_url(url).render_as_string(hide_password=True)} already holds tables: restore "
            "only into a new, empty database, or add --force to replace them (stop the hub first)"
        )
    args, env = _libpq(url)
    clean = ["--clean", "--if-exists"] if force else []
    _run(
        [
            tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *clean,
            *args,
            str(dump),
        ],
        env,
        "pg_restore",
    )


def check_db(url: str, report: backup.BackupReport, trust: hub_verify.Trust) -> None:
    """Revision, counts and ``audit verify`` of the hub database at ``url``, into ``report``."""
    sa = _url(url)
    engine = create_hub_engine(
        sa.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
        password=_password(sa, url),
    )
    try:
        with read_tx(engine, snapshot=True) as conn:
            backup.check_hub(conn, report, trust)
    finally:
        engine.dispose()


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``server_url``, dropped again afterwards."""
    from psycopg import sql

    name = f"ehub_verify_{secrets.token_hex(6)}"
    with _connect(server_url, "postgres") as conn:
        try:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                    sql.Identifier(name)
                )
            )
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"cannot make a scratch database to verify the dump in ({first}): give the "
                "hub's role CREATEDB, or name an empty database with --scratch"
            ) from None
    try:
        yield _url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _connect(server_url, "postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _identity(url: str, what: str) -> tuple[int, str]:
    """The cluster's system identifier and the database's name: the same pair from two URLs is
    the same database, however the URLs spell the host (localhost, 127.0.0.1, a socket)."""
    try:
        with _connect(url) as conn:
            row = conn.execute(
                "SELECT (SELECT system_identifier FROM pg_control_system()), current_database()"
            ).fetchone()
    except StoreError as exc:
        raise StoreError(f"{what}: {exc}") from None
    except Exception as exc:  # e.g. pg_control_system() not granted: refuse, never guess
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"{what}: cannot tell which database {shown(url)} is ({first})") from None
    assert row is not None
    return int(row[0]), str(row[1])


def _holds_a_hub(url: str) -> bool:
    """True when the database at ``url`` has an ``audit_event`` table with rows in it."""
    from psycopg import sql

    with _connect(url) as conn:
        found = conn.execute(
            "SELECT n.nspname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'audit_event' AND c.relkind IN ('r', 'p')"
        ).fetchall()
        for (schema,) in found:
            row = conn.execute(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {}.audit_event)").format(
                    sql.Identifier(schema)
                )
            ).fetchone()
            if row is not None and row[0]:
                return True
    return False


def check_scratch(scratch: str, protected: Mapping[str, str]) -> None:
    """Refuse a ``--scratch`` database that is one of ``protected`` (what it is called -> its URL:
    the hub, a restore's target) or that holds somebody's hub, before anything is restored into
    it: a verify overwrites it with ``pg_restore --clean``."""
    mine = _identity(scratch, "the --scratch database")
    for called, other in protected.items():
        if _identity(other, f"checking --scratch against {shown(other)}") == mine:
            raise StoreError(
                f"--scratch names {called} ({shown(other)}: the same database on the same "
                "server): name a separate, throwaway database (every verify overwrites it)"
            )
    try:
        holds = _holds_a_hub(scratch)
    except StoreError:
        raise
    except Exception as exc:  # e.g. no right to read its audit_event: not known to be safe
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(
            f"cannot tell whether --scratch {shown(scratch)} holds a hub ({first}): name an "
            "empty, throwaway database"
        ) from None
    if holds:
        raise StoreError(
            f"--scratch {shown(scratch)} holds a hub (its audit_event table has rows) and a "
            "verify would overwrite it: name an empty, throwaway database"
        )


def _dump_relations(dump: Path) -> list[tuple[str, str, str]]:
    """(kind, schema, name) of every table, view and sequence in the dump's table of contents."""
    try:
        done = subprocess.run(
            [tool("pg_restore"), "--list", str(dump)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return []
    found = (_TOC_LINE.match(line) for line in done.stdout.splitlines())
    return [(m[1], m[2], m[3]) for m in found if m]


_TOC_LINE = re.compile(r"^\d+; \d+ \d+ (TABLE|VIEW|SEQUENCE) (\S+) (\S+) ")


def _empty_scratch(dump: Path, scratch: str) -> str | None:
    """Drop what the dump put into a named scratch database: no copy of the hub (patients'
    details) is left lying in it, and the next verify finds no hub there to refuse. Returns a
    note when that failed."""
    from psycopg import sql

    order = {"VIEW": 0, "TABLE": 1, "SEQUENCE": 2}  # a table's CASCADE takes its views along
    try:
        with _connect(scratch) as conn:
            for kind, schema, name in sorted(_dump_relations(dump), key=lambda r: order[r[0]]):
                conn.execute(
                    sql.SQL("DROP {} IF EXISTS {} CASCADE").format(
                        sql.SQL(kind), sql.Identifier(schema, name)
                    )
                )
    except Exception as exc:  # never hides the verdict (or the error) of the verify itself
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"the copy restored into {shown(scratch)} could not be dropped again ({first})"
    return None


def list_dump(dump: Path) -> None:
    """``pg_restore --list``: the archive's table of contents reads whole (else a StoreError)."""
    _run([tool("pg_restore"), "--list", str(dump)], dict(os.environ), "pg_restore --list")


def verify_dump(
    dump: Path,
    server_url: str,
    trust: hub_verify.Trust,
    scratch: str | None = None,
    protected: Mapping[str, str] | None = None,
) -> backup.BackupReport:
    """Verify a custom-format dump: list it, restore it into a scratch database and check that.

    The scratch is ``scratch`` (a throwaway database: refused when it is one of ``protected`` —
    the hub, a restore's target — or holds a hub, before anything is restored; what the dump put
    there is dropped again afterwards), else one made and dropped on ``server_url``'s server.
    """
    report = backup.BackupReport(str(dump), "postgresql", bytes=dump.stat().st_size)
    try:
        list_dump(dump)
    except StoreError as exc:
        report.problems.append(str(exc))
        return report
    report.integrity = "ok"  # the archive's table of contents reads whole
    if scratch is not None:
        check_scratch(scratch, protected or {})
        try:
            restore_pg(dump, scratch, force=True)  # --clean: whatever a past verify left
            check_db(scratch, report, trust)
        finally:
            left = _empty_scratch(dump, scratch)
        if left:  # the verdict stands; the leftover copy is the operator's to drop
            report.audit.setdefault("warnings", []).append(left)
        return report
    with scratch_database(server_url) as url:
        restore_pg(dump, url, force=False)
        check_db(url, report, trust)
    return report
