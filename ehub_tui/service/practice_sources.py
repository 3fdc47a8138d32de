"""Practices from their national sources, as HubService offers them (issue 16): an ODS
``epraccur`` file's practices and NHS Digital's monthly list sizes, each imported by an admin in
one audited transaction. The files are read where the person is (``ehub_tui.practices_ods`` and
``practices_sizes``): the hub is sent only the rows it wants.
"""

from __future__ import annotations

from collections.abc import Sequence

from ehub_tui.domain.practice_sources import (
    ListSize,
    ListSizeResult,
    OdsImportResult,
    OdsPractice,
    check_month,
)
from ehub_tui.domain.types import Role
from ehub_tui.errors import PermissionDenied, StoreError
from ehub_tui.service.context import HubContext
from ehub_tui.store import practice_sizes as store
from ehub_tui.store.engine import read_tx, write_tx

# who may replace the hub's practices from a national file: admins (supervisors may still edit
# the practices file by hand: manage_practices)
IMPORT_PRACTICE_FILES = "import_practice_files"
IMPORTERS = frozenset({Role.ADMIN})
MAX_ROWS = 20_000  # more than the country's practices: a request beyond it is not a hub's


def _require_admin(ctx: HubContext, what: str) -> None:
    """Refuse (audited, naming the permission) unless an admin or the system principal."""
    user = ctx.session.user
    if user is None or user.role in IMPORTERS:
        return
    ctx.session.deny(IMPORT_PRACTICE_FILES)
    raise PermissionDenied(f"{user.username} ({user.role}) may not {what}: only an admin may")


def _check_count(n: int, what: str) -> None:
    if n > MAX_ROWS:
        raise StoreError(f"{n:,} {what} in one import: at most {MAX_ROWS:,} (choose the hub's)")


class PracticeSourceMethods:
    """Imports of national practice files, as HubService offers them."""

    _ctx: HubContext

    def import_ods_practices(
        self, practices: Sequence[OdsPractice], pcn_code: str | None = None, dry_run: bool = False
    ) -> OdsImportResult:
        """Add, rename or make inactive the hub's practices from ODS rows (admins). New ones
        join ``pcn_code``'s PCN (else the hub's one PCN); closed ones are never made active.
        ``dry_run``: what it would do, nothing written."""
        ctx = self._ctx
        _require_admin(ctx, "import practices from an ODS file")
        _check_count(len(practices), "practices")
        if dry_run:
            with read_tx(ctx.engine) as conn:
                pcn = store.hub_pcn(conn, pcn_code)
                return store.apply_ods(conn, practices, pcn, ctx.actor, ctx.now(), dry_run=True)
        with write_tx(ctx.engine) as conn:
            pcn = store.hub_pcn(conn, pcn_code)
            return store.apply_ods(conn, practices, pcn, ctx.actor, ctx.now())

    def import_list_sizes(
        self, month: str, sizes: Sequence[ListSize], dry_run: bool = False
    ) -> ListSizeResult:
        """Keep the practices' list sizes for ``month`` (YYYY-MM) (admins); practices the hub
        does not have are skipped and counted. ``dry_run``: what it would do, nothing written."""
        ctx = self._ctx
        _require_admin(ctx, "import list sizes")
        try:
            month = check_month(month)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        _check_count(len(sizes), "list sizes")
        bad = next((s for s in sizes if s.list_size < 0), None)
        if bad is not None:
            raise StoreError(f"{bad.ods_code}: a list size is a whole number, 0 or more")
        if dry_run:
            with read_tx(ctx.engine) as conn:
                return store.store_sizes(conn, month, sizes, ctx.actor, ctx.now(), dry_run=True)
        with write_tx(ctx.engine) as conn:
            return store.store_sizes(conn, month, sizes, ctx.actor, ctx.now())
