"""SOP guidance and authoring on the workstation, from the texts the hub has published.

Guidance runs locally: a ``SopLibrary`` over :class:`HubSopSource` (its cheap stamp and its
versions are the hub's ``sop_stamp`` and ``published_sops``) decides items, lists routes and
templates, and takes a newly published version at the app's next check — no round trip per key
press. As on the hub, the red-flag SOP shipped inside the package is the last resort, so red flags
are never absent.

Authoring reads the author's own folder: the overview checks it against the hub's published
versions; submitting and publishing send the file and its tests file (:class:`SopUpload`), and the
hub checks them again itself before it stores anything. After publishing, the author's file is
rewritten to the published text (``status: active``, ``approved_by:``) as on the hub machine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

from ehub_tui.client.protocol import HubClient, SopUpload, Submitted
from ehub_tui.config import Settings
from ehub_tui.domain.models import Consultation, SopPublished, UserInfo
from ehub_tui.errors import HubUnreachable, PublishRefused

# GuidanceState is the type the app already reads; the shipped red flags are the hub's own
# last resort (one definition, so the workstation and the hub can never differ on it)
from ehub_tui.service.guidance import GuidanceState
from ehub_tui.service.guidance import _shipped_red_flags as shipped_red_flags

if TYPE_CHECKING:
    from ehub_tui.client.local import LocalStore
    from ehub_tui.sop.authoring import SopStatus
    from ehub_tui.sop.engine import Decision
    from ehub_tui.sop.library import PublishedText, ReloadResult, SopLibrary
    from ehub_tui.sop.models import Route

P = ParamSpec("P")
T = TypeVar("T")


class SopVersions(Protocol):
    """The two calls a library's source makes (a HubClient has both)."""

    def sop_stamp(self) -> tuple[int, int]: ...
    def published_sops(self) -> list[PublishedText]: ...


class HubSopSource:
    """A SopLibrary's source (sop.library.SopSource) over a hub client: its published versions."""

    def __init__(self, client: SopVersions) -> None:
        self._client = client

    def stamp(self) -> Hashable:
        """(highest sop_version id, rows) on the hub: changes whenever a version is published."""
        return self._client.sop_stamp()

    def versions(self) -> Sequence[PublishedText]:
        """Every published version (the library picks the newest that loads)."""
        return self._client.published_sops()


class ClientSopMethods:
    """ClientService's SOP guidance and authoring (same names and types as HubService's)."""

    client: HubClient
    settings: Settings
    _library: SopLibrary | None
    _library_lock: threading.Lock

    # provided by ClientService
    def today(self) -> date:
        raise NotImplementedError

    def may(self, permission: str) -> bool:
        raise NotImplementedError

    def _call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        raise NotImplementedError

    # -- guidance (local) --------------------------------------------------------------------------

    @property
    def sops(self) -> SopLibrary:
        """The SOP library guiding this workstation: the hub's newest published version of each
        SOP that loads here (loaded on first use; the first asker loads, others wait)."""
        lib = self._library
        if lib is not None:
            return lib
        with self._library_lock:
            lib = self._library
            if lib is None:
                from ehub_tui.sop.library import SopLibrary

                lib = SopLibrary(
                    HubSopSource(_Calls(self)), today=self.today, last_resort=shipped_red_flags
                )
                lib.reload()
                self._library = lib
        return lib

    def use_sop_library(self, library: SopLibrary | None) -> None:
        """Be guided by ``library`` (a test's or tool's, already loaded); None: the hub's."""
        self._library = library

    def guidance_state(self) -> GuidanceState:
        """Whether SOP guidance is available (loads the SOPs the first time: from a worker)."""
        library = self.sops
        return GuidanceState(
            library.engine is not None,
            library.last_problem,
            library.engine,
            tuple(library.unloaded),
        )

    def guidance_changes(self) -> ReloadResult | None:
        """Take a newly published SOP version (None: nothing changed); an app polls this."""
        return self.sops.check_for_changes()

    def routes(self) -> list[Route]:
        """Every route of every SOP in use: what an override may choose."""
        engine = self.sops.engine
        return [] if engine is None else [r.spec for s in engine.sops for r in s.routes]

    def message_template(self, name: str) -> str | None:
        """A patient-message template from the SOPs in use."""
        engine = self.sops.engine
        if engine is None:
            return None
        return next((s.messages[name] for s in engine.sops if name in s.messages), None)

    def decide(
        self,
        item: Consultation,
        answers: Mapping[str, Any],
        *,
        dismissed: Collection[str] = (),
        pathway: str | None = None,
    ) -> Decision | None:
        """The SOP decision for an item with the navigator's answers so far (None: no SOPs)."""
        engine = self.sops.engine
        if engine is None:
            return None
        # the engine reads an item's facts by column name (conditions name them)
        return engine.evaluate(
            item.model_dump(), answers, self.today(), dismissed=dismissed, pathway=pathway
        )

    # -- published versions and authoring --------------------------------------------------------

    def published_sops(self) -> list[PublishedText]:
        """Every published SOP version, in publishing order."""
        return self._call(self.client.published_sops)

    def sop_approvers(self) -> list[UserInfo]:
        """The active clinical approvers (who may publish a SOP)."""
        return self._call(self.client.sop_approvers)

    def sops_folder(self) -> Path:
        """The authoring folder on this workstation (``sops_dir``, else the shipped SOPs)."""
        from ehub_tui.sop.library import default_sops_dir

        return default_sops_dir(self.settings.sops_dir)

    def sop_submissions(self) -> dict[str, str]:
        """sha256 of each submitted SOP file → its submitter (authors and clinical approvers)."""
        return self._call(self.client.sop_submissions)

    def sop_overview(self) -> list[SopStatus]:
        """Every SOP file of the authoring folder, checked, against what the hub has published
        (authors and clinical approvers)."""
        # asked first: the hub checks the role (a refusal is audited there, as on the hub
        # machine) and names who submitted each version awaiting approval
        submitted = self.sop_submissions()
        from ehub_tui.sop.authoring import overview

        rows = overview(self.sops_folder(), self.today(), self.published_sops())
        for row in rows:
            row.submitted_by = submitted.get(row.sha256)
        return rows

    def submit_sop(self, path: Path | str) -> Submitted:
        """Ask for a new SOP version to be approved (SOP authors): the file and its tests file
        are sent; the hub checks them as publishing would, and audits."""
        return self._call(self.client.submit_sop, read_upload(Path(path)))

    def publish_sop(self, path: Path | str) -> SopPublished:
        """Publish a new version of a SOP (clinical approvers): the hub checks the file and its
        tests again, stores and audits it; the author's file is then rewritten to the published
        text (``note`` says why not, when it could not be)."""
        path = Path(path)
        upload = read_upload(path)
        result = self._call(self.client.publish_sop, upload)
        return dataclasses.replace(result, file=path, note=self._write_back(path, upload, result))

    def _write_back(self, path: Path, upload: SopUpload, result: SopPublished) -> str | None:
        """Make the author's file the text the hub published (only if it is still as sent)."""
        from ehub_tui.sop.authoring import write_back
        from ehub_tui.sop.standing import Prepared

        try:
            published = next((v for v in self.published_sops() if v.sha256 == result.sha256), None)
        except Exception as exc:  # published already: only the rewrite of the file is missed
            return f"{path.name} was not updated: the published text could not be read ({exc})."
        if published is None:
            return f"{path.name} was not updated: the hub does not list the published text."
        prepared = Prepared(
            result.sop_id,
            result.version,
            result.sha256,
            published.text,
            upload.tests,
            upload.text,
            path,
            None,
        )
        return write_back(prepared)


def read_upload(path: Path) -> SopUpload:
    """A SOP file and its tests file (if there is one) as sent to the hub; an unreadable file is
    refused in plain English, as publishing on the hub machine refuses it."""
    from ehub_tui.sop.testing import tests_file_for

    try:
        text = path.read_bytes()
    except OSError as exc:
        raise PublishRefused(f"Cannot read {path.name}: {exc.strerror or exc}.") from None
    tests_path = tests_file_for(path)
    try:
        tests: bytes | None = tests_path.read_bytes()
    except FileNotFoundError:
        tests = None
    except OSError as exc:
        raise PublishRefused(f"Cannot read {tests_path.name}: {exc.strerror or exc}.") from None
    return SopUpload(path.name, text, tests)


class _Calls:
    """The two SOP-version calls a library makes, through ClientService's watch on the sign-in
    (a token that ended while the app polls for SOPs is reported like any other call's).

    With the hub away, the versions kept in the local store's SOP cache (the sender fills it
    when a pull shows a new stamp; each fetch here refreshes it too) stand in, so guidance
    starts offline from the last versions this workstation saw."""

    def __init__(self, owner: ClientSopMethods) -> None:
        self._owner = owner
        self._stamp: tuple[int, int] | None = None

    def _cache(self) -> LocalStore | None:
        try:
            return getattr(self._owner, "local", None)
        except Exception:  # no local store here: the hub's answer is all there is
            return None

    def _ask(self) -> Any:
        """The owner's ``_ask`` (at once HubUnreachable with the hub known away, so guidance
        starts from the cached SOP versions without waiting on a hung hub), else ``_call``."""
        return getattr(self._owner, "_ask", None) or self._owner._call

    def sop_stamp(self) -> tuple[int, int]:
        try:
            self._stamp = self._ask()(self._owner.client.sop_stamp)
        except HubUnreachable:
            cache = self._cache()
            kept = cache.sop_stamp() if cache is not None else None
            if kept is None:
                raise
            self._stamp = kept
        return self._stamp

    def published_sops(self) -> list[PublishedText]:
        try:
            versions: list[PublishedText] = self._ask()(self._owner.client.published_sops)
        except HubUnreachable:
            cache = self._cache()
            kept = cache.cached_sops() if cache is not None else []
            if not kept:
                raise
            return kept
        cache = self._cache()
        if cache is not None and self._stamp is not None:
            with contextlib.suppress(Exception):  # a cache that cannot be written: next time
                cache.cache_sops(versions, self._stamp)
        return versions
