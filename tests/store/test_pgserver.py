"""The throwaway PostgreSQL server used by the store tests and benchmarks."""

from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import create_engine, text

from tests.support.pgserver import PostgresServer, find_pg_bin

if find_pg_bin() is None:
    if os.environ.get("CI"):
        pytest.fail(
            "PostgreSQL binaries (initdb, pg_ctl) not found, and CI is set: no silent skips in CI",
            pytrace=False,
        )
    pytest.skip(
        "PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin",
        allow_module_level=True,
    )


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def test_server_lifecycle() -> None:
    server = PostgresServer()
    with server:
        port = server.port
        tmpdir = server.tmpdir
        assert server.url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/ehub"
        assert server.dsn == f"host=127.0.0.1 port={port} user=postgres dbname=ehub"
        assert _port_open(port)

        assert _scalar(server.url, "select 1") == 1
        assert _scalar(server.url, "select current_database()") == "ehub"
        assert _scalar(server.url, "show fsync") == "off"

        other = server.create_database("second")
        engine = create_engine(other)
        try:
            with engine.begin() as conn:
                conn.execute(text("create table t (x int)"))
                conn.execute(text("insert into t values (41), (1)"))
            with engine.connect() as conn:
                assert conn.execute(text("select current_database()")).scalar_one() == "second"
                assert conn.execute(text("select sum(x) from t")).scalar_one() == 42
        finally:
            engine.dispose()

    assert not server.running
    assert not tmpdir.exists()
    assert not _port_open(port)
    server.stop()  # idempotent


def test_two_servers_do_not_clash() -> None:
    with PostgresServer() as a, PostgresServer(durable=True) as b:
        assert a.port != b.port
        assert a.tmpdir != b.tmpdir
        assert _scalar(a.url, "show fsync") == "off"
        assert _scalar(b.url, "show fsync") == "on"
        assert _scalar(b.url, "show synchronous_commit") == "on"
        dirs = (a.tmpdir, b.tmpdir)
    assert not any(d.exists() for d in dirs)
