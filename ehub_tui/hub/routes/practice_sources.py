"""Practices from their national sources (issue 16): an ODS file's practices and a month's list
sizes, imported by an admin (the service checks the role and audits the import)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ehub_tui.domain.practice_sources import ListSizeResult, OdsImportResult
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire_practices import (
    LIST_SIZE_RESULT,
    ODS_IMPORT_RESULT,
    ListSizesIn,
    OdsImportIn,
)

router = APIRouter(tags=["practices"])


@router.post("/practices/ods", response_model=OdsImportResult)
def import_ods(body: OdsImportIn, svc: Svc) -> Response:
    """Add, rename or make inactive practices from ODS rows (admins; audited)."""
    result = svc.import_ods_practices(body.practices, body.pcn_code, body.dry_run)
    return reply(ODS_IMPORT_RESULT, result)


@router.post("/practices/list-sizes", response_model=ListSizeResult)
def import_list_sizes(body: ListSizesIn, svc: Svc) -> Response:
    """Keep a month's list sizes (admins; audited); unknown practices skipped and counted."""
    return reply(LIST_SIZE_RESULT, svc.import_list_sizes(body.month, body.sizes, body.dry_run))
