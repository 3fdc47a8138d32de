"""A published SOP that cannot be used here, and what guidance does while it is missing.

Only approved SOP versions guide anyone, so a version whose text no longer matches its checksum,
or that does not parse or validate here, is never used (sop/library.py). When an earlier approved
version of that SOP loads it stands in (``Unloaded.using``) and navigators are told which; when
none does, the SOP is *missing*: its routes are not offered, and another SOP's catch-all rule
would quietly take its requests (trial 15d: an admin medicine question suggested "GP routine"
instead of the clinical pharmacist). So while a SOP is missing, :class:`IncompleteEngine`

- adds a caution to every decision saying which SOP is missing (the triage screen shows it), and
- holds back a suggestion that came from a catch-all rule (a route marked ``default``): the route
  is not offered for ⏎ alone; the navigator reads the request and chooses it with the override
  (``o``, with a reason), which the outcome records. The caution names the route the catch-all
  would have given, so nothing is hidden. Routes from rules that matched the request's own facts,
  and routes a red flag sets, are left as they are.

The words here carry the SOP's id, title, versions and the loader's place (file:line:col and
message): never anything from a consultation, so they may go to logs and the audit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ehub_tui.sop.decision import Caution, Decision
from ehub_tui.sop.engine import Engine

if TYPE_CHECKING:
    from ehub_tui.sop.loader import SopSet


class Version(Protocol):
    """A published version as the library holds it (sop.library.Version; named by shape:
    the library imports this module)."""

    @property
    def sop_id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def text(self) -> bytes: ...
    @property
    def sha256(self) -> str: ...
    @property
    def row_id(self) -> int: ...


MISSING_CAUTION = "guidance_incomplete"  # the caution every decision carries while a SOP is missing
HELD_CAUTION = "catch_all_held"  # the caution of a catch-all suggestion held back
SHIPPED = "shipped"  # the version name of the red-flag SOP shipped inside the package
CHECKSUM = "its text no longer matches its checksum"  # the reason for a text changed behind
# the hub's back (the same words from the loader and the hub's look at each fetch)

_TITLE = re.compile(r"(?m)^  title:[ \t]*(\S.*?)[ \t]*$")


@dataclass(frozen=True)
class Unloaded:
    """A SOP whose newest published version is not in use here, why, and what stands in."""

    sop_id: str
    version: str  # the newest published version that could not be used
    title: str  # the SOP's title (its id when no approved text of it loads)
    reason: str  # plain words and the loader's place; no patient data
    using: str | None = None  # the earlier approved version in use instead (None: missing)

    @property
    def missing(self) -> bool:
        """No version of this SOP is in use: its routes are not offered."""
        return self.using is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the audit event's body)."""
        return {
            "sop": self.sop_id,
            "version": self.version,
            "title": self.title,
            "reason": self.reason,
            "using": self.using,
        }


def unloaded_of(
    failed: Sequence[tuple[Version, str]],
    used: Sequence[Version],
    sop_set: SopSet,
    key: Callable[[str], Any],
) -> list[Unloaded]:
    """Each SOP a version in ``failed`` is newer than the one in ``used`` (or has none in use),
    named by its newest such version, in SOP id order."""
    in_use = {v.sop_id: v for v in used}
    titles = {s.id: s.meta.title for s in sop_set.sops}
    lowest: Any = (-1, 0, 0, 0, ())

    def order(v: Version) -> tuple[Any, int]:
        return key(v.version) or lowest, v.row_id

    newest: dict[str, tuple[Version, str]] = {}
    for v, reason in failed:
        now = in_use.get(v.sop_id)
        if now is not None and order(v) <= order(now):
            continue  # an earlier version than the one in use: it would not be used anyway
        seen = newest.get(v.sop_id)
        if seen is None or order(v) > order(seen[0]):
            newest[v.sop_id] = (v, reason)
    out = []
    for sop_id in sorted(newest):
        v, reason = newest[sop_id]
        now = in_use.get(sop_id)
        title = titles.get(sop_id) or title_of(v) or sop_id
        out.append(Unloaded(sop_id, v.version, title, reason, now.version if now else None))
    return out


def title_of(v: Version) -> str | None:
    """The title written in an approved text (never in one changed behind the hub's back)."""
    if v.sha256 and hashlib.sha256(v.text).hexdigest() != v.sha256:
        return None
    m = _TITLE.search(v.text.decode("utf-8", "replace"))
    return m.group(1).strip("\"'") if m else None


def missing_words(u: Unloaded) -> str:
    """What a navigator is told of a missing SOP."""
    return (
        f"Guidance incomplete — the {u.title} SOP could not be loaded; its routes are not "
        "offered. Tell your SOP author."
    )


def stand_in_words(u: Unloaded) -> str:
    """What a navigator is told when an earlier version of a SOP stands in."""
    using = "the copy shipped with ehub-tui" if u.using == SHIPPED else f"version {u.using}"
    return (
        f"Guidance: the {u.title} SOP is using {using}; version {u.version} could not be "
        "loaded. Tell your SOP author."
    )


def warning_words(unloaded: Sequence[Unloaded]) -> str:
    """Every sentence a navigator is told about ``unloaded`` (missing SOPs first; "" if none)."""
    ordered = sorted(unloaded, key=lambda u: not u.missing)
    return " ".join(missing_words(u) if u.missing else stand_in_words(u) for u in ordered)


def held_words(destination: str) -> str:
    """The caution on a catch-all suggestion held back while a SOP is missing."""
    return (
        f"Check this: guidance incomplete — only a catch-all rule matched ({destination}). "
        "It is not offered for enter alone: read the request and choose the route with o "
        "(override, with a reason)."
    )


def mark(decision: Decision, missing: Sequence[Unloaded]) -> Decision:
    """``decision`` told that the ``missing`` SOPs are not in use (see the module's docstring).
    The caution is recorded with the outcome, so the record shows guidance was incomplete."""
    if not missing:
        return decision
    cautions = [Caution(MISSING_CAUTION, "none", warning_words(missing), "")]
    route = decision.route
    if route is not None and route.default and route.governed_by is None:
        cautions.append(Caution(HELD_CAUTION, "none", held_words(route.destination), ""))
        decision.route = None
    decision.cautions = [*decision.cautions, *cautions]
    return decision


class IncompleteEngine(Engine):
    """An engine over a set some published SOP is missing from: each decision says so, and a
    catch-all suggestion is held back (``mark``)."""

    def __init__(self, sop_set: SopSet, missing: Sequence[Unloaded]) -> None:
        super().__init__(sop_set)
        self.missing: tuple[Unloaded, ...] = tuple(missing)

    def evaluate(self, *args: Any, **kwargs: Any) -> Decision:
        """``Engine.evaluate``, marked."""
        return mark(super().evaluate(*args, **kwargs), self.missing)
