"""``audit verify``: the chain holds, every signed checkpoint holds, and replaying the chain gives
exactly the rows in the tables.

Three checks, each naming what it found:
1. **The chain**: every event's hash follows from the one before and its own contents.
2. **Checkpoints**: every checkpoint the hub signed still matches the event it names, its
   signature holds under a key the verifier trusts (never one read from the database), and the
   newest checkpoint recorded outside the database (the anchor) is still in it. This finds a chain
   edited with every later hash recomputed, cut back with the head fixed up, or wiped.
3. **Replay**: the last digest the chain recorded for each covered row must be the row's digest
   now; a row with no event is one inserted behind the app's back, an event's row that is gone was
   deleted, and a forged event whose rows do not match the tables is named too.

Events are read in byte-bounded pages and each checked with one hash of its stored text
(``verify_events``); ``verify_since`` does the same from the newest signed checkpoint only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from ehub_tui.store import audit, checkpoints, coverage, verify_events, verify_expected

MAX_PROBLEMS = 200  # named one by one; beyond that, counted
REPLAY_STEP = 10_000  # rows between progress reports in the replay


@dataclass
class Problem:
    """One thing that does not hold: which check, which event or row, and what."""

    check: str  # chain | checkpoint | replay
    where: str  # "event 12" or "outcome 5"
    what: str
    seq: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"check": self.check, "where": self.where, "what": self.what, "seq": self.seq}

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class HubVerifyResult:
    """Everything ``audit verify`` found."""

    events: int = 0
    checkpoints: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    warnings: list[str] = field(default_factory=list)
    # set by ``verify_since``: the signed checkpoint it started from (seq, hub time)
    since_seq: int | None = None
    since_at: datetime | None = None

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        """The lowest event a chain or checkpoint problem names (a replay problem is a row's,
        not an event's)."""
        seqs = [p.seq for p in self.problems if p.seq is not None and p.check != "replay"]
        return min(seqs) if seqs else None

    @property
    def checked(self) -> int:
        """Events walked (the old result's name for it)."""
        return self.events

    @property
    def reason(self) -> str:
        """The first problem, in words."""
        return str(self.problems[0]) if self.problems else ""

    def add(self, problem: Problem) -> None:
        """Keep a problem (the first MAX_PROBLEMS by name, the rest counted)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "events": self.events,
            "checked": self.events,
            "checkpoints": self.checkpoints,
            "rows": self.rows,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "problems": [p.as_dict() for p in self.problems],
            "more_problems": self.more_problems,
            "warnings": list(self.warnings),
            "since_checkpoint": (
                None
                if self.since_seq is None
                else {
                    "seq": self.since_seq,
                    "at": self.since_at.isoformat() if self.since_at else None,
                }
            ),
        }


def verify_hub(
    conn: Connection,
    trusted: Sequence[Ed25519PublicKey] = (),
    anchor: dict[str, Any] | None = None,
    anchor_problem: str | None = None,
    progress: verify_events.Progress | None = None,
) -> HubVerifyResult:
    """Run the three checks on one consistent read of the hub."""
    result = HubVerifyResult()
    head = conn.execute(audit._HEAD_READ).first()
    if head is None:
        result.add(Problem("chain", "the audit head", "the audit head row is missing"))
        return result
    head_seq = int(head.seq)
    cps = {int(r.seq): r for r in checkpoints.all_rows(conn)}
    result.checkpoints = len(cps)
    walked = verify_events.walk(
        conn, 0, audit.GENESIS, head_seq, _chain_problem(result), frozenset(cps), progress
    )
    result.events = walked.events
    _check_head(result, walked, head_seq, str(head.hash))
    _check_checkpoints(result, cps, walked.hashes_at, head_seq, trusted, anchor, anchor_problem)
    _replay(conn, result, walked.expected, progress)
    return result


def _chain_problem(result: HubVerifyResult) -> Callable[[str, int, str], None]:
    def problem(where: str, seq: int, what: str) -> None:
        result.add(Problem("chain", where, what, seq))

    return problem


def _check_head(result: HubVerifyResult, walked: verify_events.Walk, head_seq: int, h: str) -> None:
    """The chain must end where the head says, with the head's hash."""
    last_seen = walked.last_seq
    if last_seen != head_seq or h != walked.last_hash:
        result.add(
            Problem(
                "chain",
                "the audit head",
                f"the chain ends at event {last_seen} but the head says {head_seq} "
                "(events were removed or the head was changed)",
                last_seen + 1,
            )
        )


def _check_checkpoints(
    result: HubVerifyResult,
    cps: dict[int, Any],
    hashes_at: dict[int, str],
    head_seq: int,
    trusted: Sequence[Ed25519PublicKey],
    anchor: dict[str, Any] | None,
    anchor_problem: str | None,
) -> None:
    keys = {checkpoints.key_id(k): k for k in trusted}
    if not keys:
        result.warnings.append(
            "no public key to check the hub's signatures with: checkpoints were matched against "
            "the chain but their signatures were not checked (pass --public-key FILE, exported "
            "on the hub machine by `ehub-tui audit key`)"
        )
    for seq, cp in sorted(cps.items()):
        where = f"checkpoint at event {seq}"
        if seq > head_seq:
            result.add(
                Problem(
                    "checkpoint",
                    where,
                    f"the hub signed event {seq} but the chain now ends at {head_seq}: events "
                    "were cut off the end",
                    head_seq + 1,
                )
            )
        elif seq not in hashes_at:
            result.add(Problem("checkpoint", where, f"event {seq} is missing", seq))
        elif hashes_at[seq] != cp.hash:
            result.add(
                Problem(
                    "checkpoint",
                    where,
                    f"event {seq}'s hash is not the one the hub signed: the chain was rewritten "
                    "at or before it",
                    seq,
                )
            )
        if keys:
            key = keys.get(cp.key_id)
            if key is None:
                result.add(
                    Problem(
                        "checkpoint",
                        where,
                        f"signed by key {cp.key_id}, which this verify does not trust",
                        seq,
                    )
                )
            elif not checkpoints.verify_signature(key, cp):
                result.add(
                    Problem("checkpoint", where, "its signature does not hold (forged)", seq)
                )
    if anchor_problem:
        result.add(Problem("checkpoint", "the anchor file", anchor_problem))
    if anchor is not None:
        seq = int(anchor["seq"])
        cp = cps.get(seq)
        if cp is None or cp.hash != anchor.get("hash"):
            result.add(
                Problem(
                    "checkpoint",
                    f"checkpoint at event {seq}",
                    f"the hub signed event {seq} (recorded outside the database, at "
                    f"{anchor.get('at', '?')}) but the database no longer holds that checkpoint: "
                    "the audit was cut back or wiped",
                    seq,
                )
            )


def _replay(
    conn: Connection,
    result: HubVerifyResult,
    expected: verify_expected.Expected,
    progress: verify_events.Progress | None = None,
) -> None:
    total = verify_events.count_rows(conn) if progress is not None else None
    for name, spec in coverage.TABLES.items():
        for key, now in verify_events.scan_digests(conn, spec):
            result.rows += 1
            if progress is not None and result.rows % REPLAY_STEP == 0:
                progress("checking rows", result.rows, total)
            judge(conn, result, name, key, now, expected.pop(name, key))
    for name, key, want in expected.left():
        judge(conn, result, name, key, None, want)


def judge(
    conn: Connection,
    result: HubVerifyResult,
    name: str,
    key: Any,
    now: str | None,
    want: verify_expected.Want | None,
) -> None:
    """One row's digest now (None: not in the table) against the last digest the chain
    recorded for it (``want`` None: no event wrote it)."""
    label = f"{name} {key}"
    if want is None:
        if now is not None:
            result.add(
                Problem(
                    "replay",
                    label,
                    "is in the table but no audit event wrote it (inserted behind the app's back)",
                )
            )
        return
    digest, seq = want
    if now is None:
        if digest is not None:
            result.add(
                Problem(
                    "replay",
                    label,
                    f"event {seq} wrote it, but it is not in the table (deleted)",
                    seq,
                )
            )
    elif digest is None:
        result.add(
            Problem(
                "replay", label, f"event {seq} recorded it deleted, but it is in the table", seq
            )
        )
    elif now != digest:
        result.add(
            Problem(
                "replay",
                label,
                f"differs from what event {seq} recorded (changed behind the app's "
                f"back{_which(conn, name, key, seq)})",
                seq,
            )
        )


def _which(conn: Connection, table: str, key: Any, seq: int) -> str:
    """Which shown columns differ from the values event ``seq`` kept, as ``: role, active``."""
    row = conn.execute(
        select(audit.EVENT.c.body).where(audit.EVENT.c.seq == seq)
    ).scalar_one_or_none()
    if not isinstance(row, dict):
        return ""
    spec = coverage.TABLES[table]
    current = coverage.read(conn, spec, spec.key, [key])
    if not current:
        return ""
    now = coverage.row_state(spec, current[0])
    for entry in row.get("shows") or ():
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == [table, key]:
            kept = entry[2]
            cols = [c for c in spec.shown if kept.get(c) != now.get(c)]
            return f": {', '.join(cols)}" if cols else ""
    return ""


@dataclass(frozen=True)
class Trust:
    """What a verifier trusts, all from outside the database: public keys and the anchor."""

    keys: tuple[Ed25519PublicKey, ...] = ()
    anchor: dict[str, Any] | None = None
    anchor_problem: str | None = None


def trust_from(
    key_path: Path, public_keys: Sequence[Path] = (), anchor: Path | None = None
) -> Trust:
    """The public keys from ``public_keys`` (exported by ``audit key``; an old key and a new one
    after a key was replaced) or else from the hub's own private key file, and the hub's anchor
    file (``anchor``; None: no anchor check, e.g. for a backup copy)."""
    keys: list[Ed25519PublicKey] = [checkpoints.load_public(p) for p in public_keys]
    if not keys and key_path.exists():
        keys.append(checkpoints.load_public(key_path))
    found = None
    problem = None
    if anchor is not None and anchor.exists():
        found = checkpoints.read_anchor(anchor)
        if found is None:
            problem = f"{anchor} cannot be read as a checkpoint (damaged or replaced)"
    return Trust(tuple(keys), found, problem)
