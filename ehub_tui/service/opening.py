"""Opening a hub: connect, bring the schema up to date (or check it is a hub, when nothing may be
created), attach the audit signer, and turn every failure into one plain sentence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from ehub_tui.config import Settings
from ehub_tui.errors import HubMissing, StoreError
from ehub_tui.service.audit import anchor_path
from ehub_tui.service.context import first_line
from ehub_tui.store import audit, checkpoints
from ehub_tui.store.engine import Timeouts, create_hub_engine, read_tx
from ehub_tui.store.migrate import upgrade


def open_engine(
    settings: Settings,
    *,
    hub_clock: Callable[[], datetime] | None = None,
    migrate: bool = True,
    create: bool = True,
    pool_size: int | None = None,
) -> Engine:
    """The engine of the hub named by the settings, its schema brought up to date.

    ``create=False`` opens only a hub that exists (``audit verify`` of a mistyped backup path
    must fail, not verify a new empty hub) and never changes its schema. ``hub_clock`` is a
    SQLite hub's own clock, which judges leases (tests inject one; PostgreSQL always uses its
    own). ``pool_size``: the hub server's ``hub_pool_size`` — at most that many PostgreSQL
    connections, no overflow; None (workstations, the CLI) keeps the engine's default.
    """
    if not create:
        _must_exist(settings)
        migrate = False
    engine = create_hub_engine(
        settings.database_url,
        timeouts=Timeouts.from_settings(settings),
        hub_clock=hub_clock,
        pool_size=pool_size,
    )
    try:
        if migrate:
            _upgrade(engine)
        if create:
            _attach_signer(engine, settings)
        else:
            _must_be_hub(engine, settings)
    except HubMissing:
        engine.dispose()
        raise
    except Exception as exc:  # connection refused, bad password, unreadable file…
        engine.dispose()
        why = str(exc) if isinstance(exc, StoreError) else first_line(exc)
        hint = ""
        if "password" in why.lower() and not settings.is_embedded:
            hint = " — store the hub password with `ehub-tui login`"
        raise StoreError(
            f"cannot open the hub at {safe_url(settings.database_url)}: {why}{hint}"
        ) from exc
    return engine


def safe_url(url: str) -> str:
    """A hub URL fit to print (no password)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<hub url>"


def _must_exist(settings: Settings) -> None:
    """A SQLite hub named by the settings must already be a file (nothing is created)."""
    if not settings.is_embedded:
        return
    name = make_url(settings.database_url).database or ""
    if not Path(name).is_file():
        raise HubMissing(f"there is no hub at {name}: check the path (nothing was created)")


def _must_be_hub(engine: Engine, settings: Settings) -> None:
    from ehub_tui.store.migrate import HEAD, current_revision

    with read_tx(engine) as conn:
        rev = current_revision(conn)
    if rev is None:
        raise HubMissing(f"{safe_url(settings.database_url)} is not an ehub-tui hub (no schema)")
    if rev != HEAD:
        raise StoreError(
            f"the hub at {safe_url(settings.database_url)} is at schema {rev}; this ehub-tui "
            f"reads {HEAD}: open it once with this version (that upgrades it), then verify"
        )


def _attach_signer(engine: Engine, settings: Settings) -> None:
    """Sign audit checkpoints from this process when it holds the hub's private key.

    A one-host (SQLite) hub makes its key the first time, while it has no checkpoints yet; a
    shared hub's key is made on the hub machine with ``audit key --create``.
    """
    path = settings.audit_key_path
    anchor = anchor_path(settings)
    signer = checkpoints.load_signer(path, settings.audit_checkpoint_every, anchor)
    if signer is None and settings.is_embedded:
        with read_tx(engine) as conn:
            fresh = checkpoints.latest(conn) is None
        if fresh:
            signer = checkpoints.create_key(path, settings.audit_checkpoint_every, anchor)
    audit.attach_signer(engine, signer)


def _upgrade(engine: Engine) -> None:
    """Bring the schema up to date. On PostgreSQL through an engine of its own without the
    server's statement timeout: a migration may rightly run for minutes on a large hub (the
    client still notices a server that stops answering)."""
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    url = engine.url.render_as_string(hide_password=False)
    migrator = create_hub_engine(url, timeouts=Timeouts(statement_seconds=None))
    try:
        upgrade(migrator)
    finally:
        migrator.dispose()
