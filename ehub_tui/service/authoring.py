"""SOP authoring on the hub: the authors' overview of their folder, submitting a new version for
approval, and a clinical approver publishing it (each audited)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from ehub_tui.domain.models import SopPublished, UserInfo
from ehub_tui.domain.types import Role
from ehub_tui.errors import PermissionDenied, PublishRefused
from ehub_tui.service.context import HubContext
from ehub_tui.service.guidance import Guidance
from ehub_tui.service.users import Users
from ehub_tui.store import audit
from ehub_tui.store import sops as store_sops
from ehub_tui.store.engine import read_tx, write_tx

if TYPE_CHECKING:  # the SOP tooling loads lazily
    from ehub_tui.sop.authoring import Prepared, SopStatus


class Authoring:
    """Writing, checking, submitting and publishing SOPs (authors and clinical approvers)."""

    def __init__(self, ctx: HubContext, users: Users, guidance: Guidance) -> None:
        self._ctx = ctx
        self._users = users
        self._guidance = guidance

    def folder(self) -> Path:
        """The authoring folder: ``sops_dir`` in the settings, else the SOPs shipped with
        ehub-tui (never a folder in the current directory). Apps are not guided by it."""
        from ehub_tui.sop.library import default_sops_dir

        return default_sops_dir(self._ctx.settings.sops_dir)

    def approvers(self) -> list[UserInfo]:
        """The active clinical approvers (who may publish a SOP)."""
        return [u for u in self._users.all() if u.role == Role.CLINICAL_APPROVER and u.active]

    def _submissions(self) -> dict[str, str]:
        """sha256 of a submitted file → who submitted it (the latest submission)."""
        E = audit.EVENT
        with read_tx(self._ctx.engine) as conn:
            rows = conn.execute(
                select(E.c.actor, E.c.body).where(E.c.action == "sop_submit").order_by(E.c.seq)
            ).all()
        return {str(r.body.get("sha256")): r.actor for r in rows if isinstance(r.body, dict)}

    def submissions(self) -> dict[str, str]:
        """sha256 of each file submitted for approval → who submitted it (authors and clinical
        approvers: a workstation's overview names the submitter of a version awaiting approval)."""
        self._ctx.require("author_sops")
        return self._submissions()

    def overview(self) -> list[SopStatus]:
        """Every SOP file of the authoring folder with its validation and test results, and
        where it stands against what the hub has published (authors and clinical approvers)."""
        self._ctx.require("author_sops")
        from ehub_tui.sop.authoring import overview

        rows = overview(self.folder(), self._ctx.today(), self._guidance.published())
        submitted = self._submissions()
        for row in rows:
            row.submitted_by = submitted.get(row.sha256)
        return rows

    def submit(self, path: Path | str) -> Prepared:
        """Ask for a new SOP version to be approved (SOP authors): checked as publishing would
        check it, then recorded (audited) so the approver sees who submitted it."""
        ctx = self._ctx
        ctx.require("submit_sops")
        from ehub_tui.sop.authoring import PLACEHOLDER_APPROVER, prepare

        path = Path(path)
        prepared = prepare(path, PLACEHOLDER_APPROVER, self._guidance.published(), ctx.today())
        body = {
            "sop": prepared.sop_id,
            "version": prepared.version,
            "sha256": prepared.original_sha256,
            "file": path.name,
        }
        ctx.record(audit.Event(ctx.actor, "sop_submit", None, body))
        return prepared

    def publish(self, path: Path | str) -> SopPublished:
        """Publish a new version of a SOP from the authoring folder (clinical approvers only):
        its version must be higher than every published version of that SOP, and the set as it
        would be once published must validate and pass its tests. Stored with the signed-in
        approver, audited (old and new version and sha256) in the same transaction; the file is
        then rewritten to the published text. Every app takes it at its next check.

        A refusal (PublishRefused: the message says why) is audited too."""
        ctx = self._ctx
        ctx.require("publish_sops")
        from ehub_tui.sop.authoring import PublishRefused, prepare, write_back
        from ehub_tui.sop.library import version_key

        path = Path(path)
        user = ctx.session.user
        if user is None:  # the system principal approves nothing
            ctx.session.deny("publish_sops")
            raise PermissionDenied(
                "publishing a SOP needs a signed-in clinical approver (the system principal "
                "approves nothing)"
            )
        try:
            prepared = prepare(
                path, user.display_name or user.username, self._guidance.published(), ctx.today()
            )
        except PublishRefused as exc:
            self._refused(path, str(exc))
            raise
        submitted_by = self._submissions().get(prepared.original_sha256)
        previous = prepared.previous
        now = ctx.now()
        raced: str | None = None
        with write_tx(ctx.engine) as conn:
            store_sops.lock(conn)
            newest = max(
                (r["version"] for r in store_sops.versions_of(conn, prepared.sop_id)),
                key=lambda v: version_key(v) or (-1, 0, 0, 0, ()),
                default=None,
            )
            if newest is not None and (previous is None or newest != previous.version):
                raced = newest  # published by someone else while this was being checked
            else:
                sop_row = store_sops.insert(
                    conn,
                    sop_id=prepared.sop_id,
                    version=prepared.version,
                    sha256=prepared.sha256,
                    file_name=path.name,
                    sop_text=prepared.data.decode("utf-8"),
                    tests_text=prepared.tests.decode("utf-8") if prepared.tests else None,
                    approved_by=user.username,
                    submitted_by=submitted_by,
                    published_by=user.username,
                    published_at=now,
                )
                body = {
                    "sop": prepared.sop_id,
                    "version": prepared.version,
                    "sha256": prepared.sha256,
                    "old_version": previous.version if previous else None,
                    "old_sha256": previous.sha256 if previous else None,
                    "file": path.name,
                    "approved_by": user.username,
                    "submitted_by": submitted_by,
                }
                rows = (("sop_version", "id", [sop_row]),)
                event = audit.Event(ctx.actor, "sop_publish", None, body, rows=rows)
                audit.append(conn, [event], now)
        if raced is not None:
            message = (
                f"{path.name} was not published: {prepared.sop_id} {raced} was published "
                "meanwhile; check it again."
            )
            self._refused(path, message)
            raise PublishRefused(message)
        return SopPublished(
            prepared.sop_id,
            prepared.version,
            prepared.sha256,
            previous.version if previous else None,
            previous.sha256 if previous else None,
            user.username,
            path,
            write_back(prepared),
        )

    # -- uploads: a SOP sent to the hub (over the API) rather than read from the author's folder --

    def submit_upload(self, file_name: str, text: bytes, tests: bytes | None = None) -> Prepared:
        """:meth:`submit` for a SOP file sent to the hub: checked by the hub itself, against
        what it has published, exactly as a file from the folder is."""
        self._ctx.require("submit_sops")  # before anything is written, even to a temp folder
        with _uploaded(file_name, text, tests) as path:
            return self.submit(path)

    def publish_upload(
        self, file_name: str, text: bytes, tests: bytes | None = None
    ) -> SopPublished:
        """:meth:`publish` for a SOP file sent to the hub. The published text is in the reply's
        SOP version (the author's own file is theirs to update): ``file`` is the name sent."""
        self._ctx.require("publish_sops")
        with _uploaded(file_name, text, tests) as path:
            published = self.publish(path)
        return SopPublished(
            published.sop_id,
            published.version,
            published.sha256,
            published.old_version,
            published.old_sha256,
            published.approved_by,
            Path(file_name),
            None,
        )

    def _refused(self, path: Path, reason: str) -> None:
        ctx = self._ctx
        body = {"file": path.name, "reason": reason[:1000]}
        ctx.record(audit.Event(ctx.actor, "sop_publish_refused", None, body))


@contextmanager
def _uploaded(file_name: str, text: bytes, tests: bytes | None) -> Iterator[Path]:
    """The uploaded SOP (and its tests file) in a private throw-away folder, for the checks that
    read files. The name must be a plain ``*.sop.yaml`` file name: it is also what the audit
    records and what a published version is listed as."""
    from ehub_tui.sop.loader import SOP_SUFFIX
    from ehub_tui.sop.testing import tests_file_for

    name = file_name.strip()
    if (
        not name.endswith(SOP_SUFFIX)
        or name != Path(name).name
        or name in (".", "..")
        or "\\" in name
        or len(name) > 255
    ):
        raise PublishRefused(
            f"{file_name!r} is not a SOP file name: send a plain file name ending {SOP_SUFFIX} "
            "(no folder)."
        )
    # mkdtemp makes the folder readable by this user only (0700)
    with tempfile.TemporaryDirectory(prefix="ehub-sop-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(text)
        if tests is not None:
            tests_file_for(path).write_bytes(tests)
        yield path
