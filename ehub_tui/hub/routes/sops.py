"""SOP versions: what the hub has published (the workstations run guidance on these texts), who
may approve, and submitting or publishing a new version (checked again on the hub)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response

from ehub_tui.domain.models import SopPublished, UserInfo
from ehub_tui.hub.routes import Svc, reply
from ehub_tui.hub.wire import (
    PUBLISHED,
    SOP_PUBLISHED,
    USERS,
    PublishedTextWire,
    SopStamp,
    SopUploadIn,
    SubmittedOut,
)

router = APIRouter(tags=["sops"])


@router.get("/sops/stamp", response_model=SopStamp)
def sop_stamp(svc: Svc) -> SopStamp:
    """Changes whenever a SOP version is published (cheap: the apps poll it)."""
    return SopStamp(stamp=svc.sop_stamp())


@router.get("/sops/published", response_model=list[PublishedTextWire])
def published_sops(svc: Svc) -> Response:
    """Every published SOP version (texts base64), in publishing order."""
    return reply(PUBLISHED, [PublishedTextWire.of(p) for p in svc.published_sops()])


@router.get("/sops/approvers", response_model=list[UserInfo])
def sop_approvers(svc: Svc) -> Response:
    """The active clinical approvers."""
    return reply(USERS, svc.sop_approvers())


@router.get("/sops/submissions", response_model=dict[str, str])
def sop_submissions(svc: Svc) -> dict[str, str]:
    """sha256 of each submitted SOP file → who submitted it (authors and clinical approvers)."""
    return svc.sop_submissions()


@router.post("/sops/submit", response_model=SubmittedOut)
def submit_sop(body: SopUploadIn, svc: Svc) -> SubmittedOut:
    """Ask for a new SOP version to be approved (SOP authors)."""
    prepared = svc.submit_upload(body.file_name, body.text, body.tests)
    return SubmittedOut(
        sop_id=prepared.sop_id, version=prepared.version, sha256=prepared.original_sha256
    )


@router.post("/sops/publish", response_model=SopPublished)
def publish_sop(body: SopUploadIn, svc: Svc) -> Response:
    """Publish a new SOP version (clinical approvers); 422 PublishRefused says why not."""
    published = svc.publish_upload(body.file_name, body.text, body.tests)
    return reply(SOP_PUBLISHED, sop_published_of(published))


def sop_published_of(p: SopPublished) -> SopPublished:
    """A SopPublished as the hub replies with it: ``file`` only the name the author sent (the
    hub's temp folder means nothing to the client)."""
    return SopPublished(
        p.sop_id,
        p.version,
        p.sha256,
        p.old_version,
        p.old_sha256,
        p.approved_by,
        Path(Path(p.file).name),
        p.note,
    )
