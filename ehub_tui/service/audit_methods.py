"""The audit chain as HubService offers it: recent events, the change cursor, verification and
the signed checkpoints (``AuditMethods``, split out of service/hub.py to keep it short)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ehub_tui.domain.models import AuditEvent, Checkpoint
from ehub_tui.store import checkpoints
from ehub_tui.store import verify as hub_verify

if TYPE_CHECKING:
    from ehub_tui.service.parts import Parts


class AuditMethods:
    """Reading and checking the audit chain."""

    parts: Parts

    def audit_log(self, consultation_id: int | None = None, limit: int = 100) -> list[AuditEvent]:
        """Recent audit events, newest first (optionally for one item)."""
        return self.parts.audit.events(consultation_id, limit)

    def change_cursor(self) -> int:
        """A number that grows whenever anything changes (the audit chain's head)."""
        return self.parts.audit.change_cursor()

    def verify_audit(
        self,
        public_keys: Sequence[Path] = (),
        *,
        use_anchor: bool = True,
        since_checkpoint: bool = False,
        progress: Callable[[str, int, int | None], None] | None = None,
    ) -> hub_verify.HubVerifyResult:
        """Check the chain, the signed checkpoints and every covered row against the chain
        (``since_checkpoint``: from the newest signed checkpoint on; see ``AuditLog.verify``)."""
        return self.parts.audit.verify(
            public_keys, use_anchor=use_anchor, since_checkpoint=since_checkpoint, progress=progress
        )

    def audit_key(self, create: bool = False) -> checkpoints.Signer:
        """The hub's audit signing key (made when ``create`` and there is none yet)."""
        return self.parts.audit.key(create)

    def audit_checkpoint(self) -> Checkpoint:
        """Sign the chain head now (for a daily timer on the hub machine)."""
        return self.parts.audit.checkpoint()
