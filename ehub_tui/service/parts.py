"""The parts a HubService is made of, built once from one HubContext."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ehub_tui.service.audit import AuditLog
from ehub_tui.service.authoring import Authoring
from ehub_tui.service.board import Supervision
from ehub_tui.service.context import HubContext
from ehub_tui.service.guidance import Guidance
from ehub_tui.service.intake import Intake
from ehub_tui.service.outbox import Outbox
from ehub_tui.service.queue import Queue
from ehub_tui.service.returns import Returns
from ehub_tui.service.session import Session
from ehub_tui.service.users import Users

if TYPE_CHECKING:
    from ehub_tui.sop.library import SopLibrary


@dataclass(frozen=True)
class Parts:
    """One part per noun (the hub server of issue 13 calls these directly)."""

    session: Session
    users: Users
    intake: Intake
    queue: Queue
    board: Supervision
    guidance: Guidance
    authoring: Authoring
    returns: Returns
    audit: AuditLog
    outbox: Outbox  # issue 16: completed outcomes for the FHIR outbox


def build_parts(
    ctx: HubContext, sops: SopLibrary | None = None, shared: Guidance | None = None
) -> Parts:
    """Every part over ``ctx``; ``sops``: a SOP library to be guided by (None: the hub's,
    loaded on first use); ``shared``: the hub server's guidance whose library to share."""
    users = Users(ctx)
    audit_log = AuditLog(ctx)
    guidance = Guidance(ctx, sops, shared)
    return Parts(
        session=ctx.session,
        users=users,
        intake=Intake(ctx),
        queue=Queue(ctx, users),
        board=Supervision(ctx, audit_log),
        guidance=guidance,
        authoring=Authoring(ctx, users, guidance),
        returns=Returns(ctx),
        audit=audit_log,
        outbox=Outbox(ctx),
    )
