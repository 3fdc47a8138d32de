"""``audit verify --since-checkpoint``: from the newest signed checkpoint to the head.

The checkpoint is the trusted point: its signature must hold under a key from outside the
database, and the event it names must still have the hash that was signed. From there the walk
is the full verify's: every later event linked to the one before (the first to the signed hash),
its body and hash as stored, the chain ending where the head says. The replay covers only the
rows those events wrote: each against the last digest the chain recorded for it.

The trade-off, said wherever the command is: an event before the checkpoint that was changed is
not seen here (only the checkpoint's own event is held to the signed hash), nor is a row changed
or inserted behind the app's back that no event after the checkpoint wrote. A full
``audit verify`` finds those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from ehub_tui.errors import StoreError
from ehub_tui.store import audit, checkpoints, coverage, verify_events, verify_expected
from ehub_tui.store.verify import HubVerifyResult, Problem, _chain_problem, _check_head, judge


class NoCheckpoint(StoreError):
    """There is no signed checkpoint to start from."""


NO_CHECKPOINT = (
    "the hub has no signed audit checkpoint yet, so there is nothing to verify from: run "
    "`ehub-tui audit checkpoint` first, or a full `ehub-tui audit verify`"
)


def verify_since(
    conn: Connection,
    trusted: Sequence[Ed25519PublicKey] = (),
    anchor: dict[str, Any] | None = None,
    anchor_problem: str | None = None,
    progress: verify_events.Progress | None = None,
) -> HubVerifyResult:
    """Verify from the newest signed checkpoint to the head (raises ``NoCheckpoint``)."""
    cp = checkpoints.latest(conn)
    if cp is None:
        raise NoCheckpoint(NO_CHECKPOINT)
    result = HubVerifyResult(checkpoints=1, since_seq=int(cp.seq), since_at=cp.at)
    head = conn.execute(audit._HEAD_READ).first()
    if head is None:
        result.add(Problem("chain", "the audit head", "the audit head row is missing"))
        return result
    head_seq, seq = int(head.seq), int(cp.seq)
    _check_signed(conn, result, cp, head_seq, trusted)
    _check_anchor(conn, result, anchor, anchor_problem)
    # the walk starts AT the checkpoint's event, from the prev_hash it stores: its contents are
    # hashed again, so an edit to the signed event itself (its actor, say) is found, and the
    # rows it wrote are replayed; _check_signed holds its stored hash to the signed one
    start = conn.execute(
        select(audit.EVENT.c.prev_hash).where(audit.EVENT.c.seq == seq)
    ).scalar_one_or_none()
    if start is not None and seq <= head_seq:
        walked = verify_events.walk(
            conn, seq - 1, str(start), head_seq, _chain_problem(result), progress=progress
        )
        walked.events -= 1  # the events checked after the checkpoint, as the output says
    else:
        walked = verify_events.walk(
            conn, seq, str(cp.hash), head_seq, _chain_problem(result), progress=progress
        )
    result.events = walked.events
    if seq <= head_seq:
        _check_head(result, walked, head_seq, str(head.hash))
    _replay_touched(conn, result, walked.expected)
    return result


def _check_signed(
    conn: Connection,
    result: HubVerifyResult,
    cp: Any,
    head_seq: int,
    trusted: Sequence[Ed25519PublicKey],
) -> None:
    """The starting checkpoint: signed by a trusted key, and its event still the one signed."""
    seq = int(cp.seq)
    where = f"checkpoint at event {seq}"
    keys = {checkpoints.key_id(k): k for k in trusted}
    key = keys.get(cp.key_id)
    if not keys:
        # the checkpoint is the whole basis of this verify: unsigned trust is no trust
        result.add(
            Problem(
                "checkpoint",
                where,
                "there is no public key to check its signature with (pass --public-key FILE, "
                "exported on the hub machine by `ehub-tui audit key`)",
                seq,
            )
        )
    elif key is None:
        result.add(
            Problem(
                "checkpoint",
                where,
                f"signed by key {cp.key_id}, which this verify does not trust",
                seq,
            )
        )
    elif not checkpoints.verify_signature(key, cp):
        result.add(Problem("checkpoint", where, "its signature does not hold (forged)", seq))
    if seq > head_seq:
        result.add(
            Problem(
                "checkpoint",
                where,
                f"the hub signed event {seq} but the chain now ends at {head_seq}: events were "
                "cut off the end",
                head_seq + 1,
            )
        )
        return
    h = conn.execute(
        select(audit.EVENT.c.hash).where(audit.EVENT.c.seq == seq)
    ).scalar_one_or_none()
    if h is None:
        result.add(Problem("checkpoint", where, f"event {seq} is missing", seq))
    elif h != cp.hash:
        result.add(
            Problem(
                "checkpoint",
                where,
                f"event {seq}'s hash is not the one the hub signed: the chain was rewritten at "
                "or before it",
                seq,
            )
        )


def _check_anchor(
    conn: Connection,
    result: HubVerifyResult,
    anchor: dict[str, Any] | None,
    anchor_problem: str | None,
) -> None:
    """The checkpoint recorded outside the database must still be in it."""
    if anchor_problem:
        result.add(Problem("checkpoint", "the anchor file", anchor_problem))
    if anchor is None:
        return
    seq = int(anchor["seq"])
    cp = checkpoints.at_seq(conn, seq)
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


def _replay_touched(
    conn: Connection,
    result: HubVerifyResult,
    expected: verify_expected.Expected,
) -> None:
    """Each row an event after the checkpoint wrote, against the last digest recorded for it:
    read by key (in key order, 500 to a query), and only a row that differs judged."""
    for name in list(expected.tables):
        spec = coverage.TABLES.get(name)
        keys = expected.keys(name)
        now = verify_events.read_digests(conn, spec, keys) if spec is not None else {}
        result.rows += len(keys)
        for key, digest, want in expected.differing(name, now):
            judge(conn, result, name, key, digest, want)
