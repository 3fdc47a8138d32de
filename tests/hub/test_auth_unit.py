"""The hub's sign-in authority (hub.auth) on real SQLite and PostgreSQL hubs, by the hub's frozen
clock: passwords and their policy, lock-out with back-off, tokens (expiry, device binding,
revocation, tampering, guessing), role changes seen on the next request, and an audit that
records every outcome without ever holding a password, a hash or a token.

The hasher is argon2's cheapest profile (the real one costs 64 MiB and ~50 ms a hash); one test
checks the real defaults.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher, Type
from argon2.profiles import CHEAPEST
from sqlalchemy import text

from ehub_tui.config import Settings
from ehub_tui.domain.clock import as_clock
from ehub_tui.errors import AccountLocked, NotFound, NotSignedIn, SessionEnded, StoreError
from ehub_tui.hub import tokens
from ehub_tui.hub.auth import WRONG, Auth, lock_seconds
from ehub_tui.hub.passwords import PolicyError, check_password_policy, default_hasher
from ehub_tui.hub.principal import SignedIn
from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx, write_tx
from tests.conftest import FrozenClock

PASSWORD = "correct horse battery"
OTHER = "a different long one"
DEVICE = "device-a"

CHEAP = PasswordHasher.from_parameters(CHEAPEST)


@pytest.fixture
def auth(seeded: HubService, clock: FrozenClock) -> Auth:
    """Sign-in on a seeded hub (demo users), nav1 and admin1 with passwords."""
    a = Auth(seeded.engine, seeded.settings, as_clock(clock), hasher=CHEAP)
    a.set_password("nav1", PASSWORD, by="system")
    a.set_password("admin1", PASSWORD, by="system")
    return a


def scalar(auth: Auth, sql: str, **params: Any) -> Any:
    with read_tx(auth.engine) as conn:
        return conn.execute(text(sql), params).scalar()


def audit_rows(auth: Auth, action: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    with read_tx(auth.engine) as conn:
        rows = conn.execute(text("SELECT actor, action, body FROM audit_event ORDER BY seq"))
        out = []
        for actor, act, body in rows:
            body = json.loads(body) if isinstance(body, str) else body
            if action is None or act == action:
                out.append((actor, act, body))
    return out


def refused(auth: Auth, token: str, device: str = DEVICE) -> str:
    with pytest.raises(SessionEnded) as info:
        auth.authenticate(token, device)
    return info.value.code


# -- passwords -------------------------------------------------------------------------------------


def test_right_password_signs_in_and_the_token_authenticates(
    auth: Auth, clock: FrozenClock
) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE, client="tui 1.0")
    assert isinstance(signed, SignedIn)
    assert tokens.looks_like_token(signed.token)
    assert signed.user.username == "nav1" and signed.user.role == "navigator"
    assert signed.expires_at == clock() + timedelta(hours=12)
    assert signed.idle_minutes == 60 and signed.hub_time == clock()
    assert not signed.must_change_password
    # only the digest is kept
    assert scalar(auth, "SELECT token_digest FROM hub_session") == tokens.token_digest(signed.token)
    assert (
        scalar(auth, "SELECT count(*) FROM hub_session WHERE token_digest = :t", t=signed.token)
        == 0
    )
    me = auth.authenticate(signed.token, DEVICE)
    assert (me.username, me.role, me.device_id) == ("nav1", "navigator", DEVICE)
    actor, _, body = audit_rows(auth, "sign_in")[-1]
    assert actor == "nav1" and body["device"] == DEVICE and body["client"] == "tui 1.0"


def test_wrong_password_and_unknown_user_get_the_same_answer(auth: Auth) -> None:
    with pytest.raises(NotSignedIn) as wrong:
        auth.sign_in("nav1", "not the password", DEVICE)
    with pytest.raises(NotSignedIn) as nobody:
        auth.sign_in("nobody-here", PASSWORD, DEVICE)
    with pytest.raises(NotSignedIn) as no_password:
        auth.sign_in("nav2", PASSWORD, DEVICE)  # a user with no password yet
    assert str(wrong.value) == str(nobody.value) == str(no_password.value) == WRONG
    assert type(wrong.value) is type(nobody.value) is type(no_password.value) is NotSignedIn
    failed = audit_rows(auth, "sign_in_failed")
    assert [(a, b["reason"]) for a, _, b in failed] == [
        ("nav1", "wrong_password"),
        ("unknown", "unknown_user"),  # the name tried is not kept
        ("nav2", "no_password"),
    ]
    assert "nobody-here" not in json.dumps(audit_rows(auth))


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short one", "too short: use at least 12 characters (it has 9)"),
        ("x" * 60 + "y" * 69, "too long: use at most 128 characters (it has 129)"),
        ("my name is NAV1 ok!", "must not contain the username"),
        ("Password1234", "one of the first an attacker would try"),
        ("qwerty 123456", "one of the first an attacker would try"),
        ("aaaaaaaaaaaaaaaa", "one of the first an attacker would try"),
    ],
)
def test_policy_refuses_and_says_why(auth: Auth, password: str, says: str) -> None:
    with pytest.raises(PolicyError) as info:
        auth.set_password("nav1", password, by="admin1")
    assert says in str(info.value)
    assert isinstance(info.value, StoreError)
    auth.sign_in("nav1", PASSWORD, DEVICE)  # the old password still works


def test_policy_follows_the_minimum_length_setting() -> None:
    check_password_policy("twelve chars", "nav1", 12)
    with pytest.raises(PolicyError, match="at least 16"):
        check_password_policy("twelve chars", "nav1", 16)


def test_set_password_of_an_unknown_user_is_not_found(auth: Auth) -> None:
    with pytest.raises(NotFound, match="'ghost' is not a hub user"):
        auth.set_password("ghost", PASSWORD, by="admin1")


def test_set_password_is_audited_first_as_set_then_as_reset(auth: Auth) -> None:
    auth.set_password("nav1", OTHER, by="admin1", must_change=True)
    events = [
        (actor, action, body["username"], body["must_change"])
        for actor, action, body in audit_rows(auth)
        if action.startswith("password")
    ]
    assert events == [
        ("system", "password_set", "nav1", False),
        ("system", "password_set", "admin1", False),
        ("admin1", "password_reset", "nav1", True),
    ]
    signed = auth.sign_in("nav1", OTHER, DEVICE)
    assert signed.must_change_password


def test_change_password_needs_the_old_one_and_ends_other_sessions(auth: Auth) -> None:
    here = auth.sign_in("nav1", PASSWORD, DEVICE)
    there = auth.sign_in("nav1", PASSWORD, "device-b")
    me = auth.authenticate(here.token, DEVICE)
    with pytest.raises(NotSignedIn, match="your current password is wrong"):
        auth.change_password(me, "not it at all", OTHER)
    with pytest.raises(PolicyError, match="too short"):
        auth.change_password(me, PASSWORD, "short")
    with pytest.raises(PolicyError, match="differ from the current one"):
        auth.change_password(me, PASSWORD, PASSWORD)
    auth.change_password(me, PASSWORD, OTHER)
    auth.authenticate(here.token, DEVICE)  # this sign-in goes on
    assert refused(auth, there.token, "device-b") == "revoked"
    with pytest.raises(NotSignedIn):
        auth.sign_in("nav1", PASSWORD, DEVICE)
    auth.sign_in("nav1", OTHER, DEVICE)
    actor, _, body = audit_rows(auth, "password_set")[-1]
    assert actor == "nav1" and body["own"] is True and body["sessions_ended"] == 1


def test_a_hash_from_older_parameters_is_upgraded_at_sign_in(
    auth: Auth, seeded: HubService, clock: FrozenClock
) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1, hash_len=16, salt_len=8)
    newer = Auth(seeded.engine, seeded.settings, as_clock(clock), hasher=stronger)
    uid = scalar(newer, "SELECT id FROM hub_user WHERE username = 'nav1'")
    before = scalar(newer, "SELECT password_hash FROM hub_credential WHERE user_id = :u", u=uid)
    newer.sign_in("nav1", PASSWORD, DEVICE)
    after = scalar(newer, "SELECT password_hash FROM hub_credential WHERE user_id = :u", u=uid)
    assert after != before and not newer.passwords.needs_rehash(after)
    assert audit_rows(auth, "sign_in")[-1][2]["rehashed"] is True
    newer.sign_in("nav1", PASSWORD, DEVICE)
    assert seeded.verify_audit().ok, seeded.verify_audit().problems


def test_default_hasher_is_argon2id_with_at_least_64_mib() -> None:
    hasher = default_hasher()
    assert hasher.type is Type.ID
    assert hasher.memory_cost >= 64 * 1024  # KiB
    assert hasher.time_cost >= 3 and hasher.parallelism >= 1
    made = hasher.hash("hashed once with the real parameters")  # ~64 MiB, once
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


# -- lock-out ----------------------------------------------------------------------------------


def test_lockout_backs_off_then_locks_and_the_right_password_waits(
    auth: Auth, clock: FrozenClock
) -> None:
    waits: list[int | None] = []
    for _ in range(12):
        try:
            auth.sign_in("nav1", "wrong password!", DEVICE)
        except AccountLocked as exc:
            waits.append(exc.retry_after)
            assert str(exc).startswith(WRONG)
            # while locked, even the right password is refused, and nothing is counted
            with pytest.raises(AccountLocked) as locked:
                auth.sign_in("nav1", PASSWORD, DEVICE)
            assert locked.value.retry_after == exc.retry_after
            clock.advance(seconds=exc.retry_after)
        except NotSignedIn:
            waits.append(None)
    assert waits == [None, None, None, None, 1, 2, 4, 8, 16, 900, 1800, 3600]
    assert (
        scalar(
            auth,
            "SELECT failed_count FROM hub_credential c JOIN hub_user u "
            "ON u.id = c.user_id WHERE u.username = 'nav1'",
        )
        == 12
    )
    lock_events = audit_rows(auth, "locked")
    assert [b["seconds"] for _, _, b in lock_events] == [1, 2, 4, 8, 16, 900, 1800, 3600]
    auth.sign_in("nav1", PASSWORD, DEVICE)  # after the last wait, the right password works


def test_a_lock_part_way_through_reports_the_time_left(auth: Auth, clock: FrozenClock) -> None:
    for _ in range(9):
        try:
            auth.sign_in("nav1", "wrong password!", DEVICE)
        except AccountLocked as exc:
            clock.advance(seconds=exc.retry_after)
        except NotSignedIn:
            pass
    with pytest.raises(AccountLocked) as tenth:
        auth.sign_in("nav1", "wrong password!", DEVICE)
    assert tenth.value.retry_after == 15 * 60
    clock.advance(minutes=10)
    with pytest.raises(AccountLocked, match="wait 5 minutes") as later:
        auth.sign_in("nav1", PASSWORD, DEVICE)
    assert later.value.retry_after == 5 * 60


def test_lock_doubles_up_to_a_day() -> None:
    assert [lock_seconds(n, 10) for n in range(1, 10)] == [0, 0, 0, 0, 1, 2, 4, 8, 16]
    assert [lock_seconds(n, 10) for n in (10, 11, 12, 16, 17, 40)] == [
        900,
        1800,
        3600,
        57600,
        86400,
        86400,
    ]
    assert lock_seconds(3, 3) == 900  # a lower lockout_after setting locks sooner


def test_success_resets_the_count(auth: Auth) -> None:
    for _ in range(4):
        with pytest.raises(NotSignedIn):
            auth.sign_in("nav1", "wrong password!", DEVICE)
    auth.sign_in("nav1", PASSWORD, DEVICE)
    for _ in range(4):
        with pytest.raises(NotSignedIn) as info:
            auth.sign_in("nav1", "wrong password!", DEVICE)
        assert not isinstance(info.value, AccountLocked)


def test_admin_reset_clears_a_lock(auth: Auth) -> None:
    for _ in range(5):
        with pytest.raises(NotSignedIn):
            auth.sign_in("nav1", "wrong password!", DEVICE)
    with pytest.raises(AccountLocked):
        auth.sign_in("nav1", PASSWORD, DEVICE)
    auth.set_password("nav1", OTHER, by="admin1")
    auth.sign_in("nav1", OTHER, DEVICE)


def test_unknown_usernames_back_off_the_same_way_with_nothing_stored(
    auth: Auth, clock: FrozenClock
) -> None:
    def attempts(name: str) -> list[tuple[str, int | None]]:
        seen: list[tuple[str, int | None]] = []
        for _ in range(7):
            try:
                auth.sign_in(name, "wrong password!", DEVICE)
            except AccountLocked as exc:
                seen.append((str(exc), exc.retry_after))
                clock.advance(seconds=exc.retry_after)
            except NotSignedIn as exc:
                seen.append((str(exc), None))
        return seen

    rows_before = scalar(auth, "SELECT count(*) FROM hub_credential")
    assert attempts("no-such-user") == attempts("nav1")
    assert scalar(auth, "SELECT count(*) FROM hub_credential") == rows_before


# -- tokens ------------------------------------------------------------------------------------


def test_idle_expiry_by_the_hub_clock(auth: Auth, clock: FrozenClock) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)
    clock.advance(minutes=59)
    auth.authenticate(signed.token, DEVICE)  # used: the idle time starts again
    clock.advance(minutes=59)
    auth.authenticate(signed.token, DEVICE)
    clock.advance(minutes=60)
    assert refused(auth, signed.token) == "expired"
    assert refused(auth, signed.token) == "expired"  # and it stays ended
    refusals = audit_rows(auth, "token_refused")
    assert len(refusals) == 1 and refusals[0][0] == "nav1"
    assert refusals[0][2]["code"] == "expired" and refusals[0][2]["device"] == DEVICE


def test_last_used_is_written_at_most_every_30_seconds(auth: Auth, clock: FrozenClock) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)

    def last_used() -> Any:
        return scalar(auth, "SELECT last_used_at FROM hub_session")

    at_sign_in = last_used()
    clock.advance(seconds=29)
    auth.authenticate(signed.token, DEVICE)
    assert last_used() == at_sign_in
    clock.advance(seconds=1)
    auth.authenticate(signed.token, DEVICE)
    assert last_used() != at_sign_in


def test_absolute_expiry_ends_a_busy_sign_in(auth: Auth, clock: FrozenClock) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)
    for _ in range(23):
        clock.advance(minutes=30)
        auth.authenticate(signed.token, DEVICE)
    clock.advance(minutes=29, seconds=59)
    auth.authenticate(signed.token, DEVICE)  # 11:59:59 after signing in
    clock.advance(seconds=1)
    assert refused(auth, signed.token) == "expired"


def test_signed_out_token_is_revoked(auth: Auth) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)
    me = auth.authenticate(signed.token, DEVICE)
    auth.sign_out(me)
    assert refused(auth, signed.token) == "revoked"
    auth.sign_out(me)  # twice is harmless
    assert len(audit_rows(auth, "sign_out")) == 1


def test_token_from_another_device_is_refused_and_its_session_ended(auth: Auth) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)
    assert refused(auth, signed.token, "device-thief") == "wrong_device"
    # presumed stolen: the session is over for its own device too
    assert refused(auth, signed.token, DEVICE) == "wrong_device"
    ((actor, _, body),) = audit_rows(auth, "token_refused")
    assert actor == "nav1" and body["code"] == "wrong_device"
    assert body["device"] == "device-thief" and body["bound_to"] == DEVICE
    assert scalar(auth, "SELECT revoke_reason FROM hub_session") == "wrong_device"


def test_tampered_guessed_and_garbled_tokens_are_refused(auth: Auth) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)
    last = signed.token[-1]
    tampered = signed.token[:-1] + ("A" if last != "A" else "B")
    middle = len(signed.token) // 2
    tampered_mid = (
        signed.token[:middle]
        + ("x" if signed.token[middle] != "x" else "y")
        + signed.token[middle + 1 :]
    )
    for token in (tampered, tampered_mid, tokens.new_token(), "", "ehub1_", "Bearer x", "é" * 49):
        assert refused(auth, token) == "invalid_token"
    auth.authenticate(signed.token, DEVICE)  # the real one was not harmed
    assert audit_rows(auth, "token_refused") == []


def test_disabled_user_is_refused_on_the_next_request_and_at_sign_in(
    auth: Auth, make_service: Callable[..., HubService]
) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)
    admin = make_service("admin1")
    admin.set_active("nav1", False)
    assert refused(auth, signed.token) == "disabled"
    with pytest.raises(NotSignedIn, match="disabled") as info:
        auth.sign_in("nav1", PASSWORD, DEVICE)
    assert not isinstance(info.value, AccountLocked)
    with pytest.raises(NotSignedIn) as wrong:
        auth.sign_in("nav1", "wrong password!", DEVICE)
    assert str(wrong.value) == WRONG  # without the password, nothing is said about the account
    admin.set_active("nav1", True)
    assert refused(auth, signed.token) == "revoked"  # the old sign-in stays ended
    auth.authenticate(auth.sign_in("nav1", PASSWORD, DEVICE).token, DEVICE)


def test_role_change_is_seen_by_the_next_authenticate(
    auth: Auth, make_service: Callable[..., HubService]
) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)
    assert auth.authenticate(signed.token, DEVICE).role == "navigator"
    make_service("admin1").set_role("nav1", "supervisor")
    assert auth.authenticate(signed.token, DEVICE).role == "supervisor"


def test_revoke_all_counts_the_sessions_it_ended(auth: Auth) -> None:
    signed = [auth.sign_in("nav1", PASSWORD, f"device-{i}") for i in range(3)]
    other = auth.sign_in("admin1", PASSWORD, DEVICE)
    me = auth.authenticate(signed[0].token, "device-0")
    auth.sign_out(me)
    assert auth.revoke_all("nav1", by="admin1") == 2
    assert auth.revoke_all("nav1", by="admin1") == 0
    for i, s in enumerate(signed):
        assert refused(auth, s.token, f"device-{i}") == "revoked"
    auth.authenticate(other.token, DEVICE)  # another user's sign-in is untouched
    counts = [(a, b["username"], b["count"]) for a, _, b in audit_rows(auth, "sessions_revoked")]
    assert counts == [("admin1", "nav1", 2), ("admin1", "nav1", 0)]
    with pytest.raises(NotFound):
        auth.revoke_all("ghost", by="admin1")


# -- the audit ---------------------------------------------------------------------------------


def test_passwords_hashes_and_tokens_never_reach_the_audit_or_the_log(
    auth: Auth, seeded: HubService, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_old, secret_new = "first secret phrase", "second secret phrase"
    auth.set_password("nav3", secret_old, by="admin1", must_change=True)
    signed = auth.sign_in("nav3", secret_old, DEVICE)
    me = auth.authenticate(signed.token, DEVICE)
    with pytest.raises(NotSignedIn):
        auth.change_password(me, "not my old one", secret_new)
    auth.change_password(me, secret_old, secret_new)
    for _ in range(6):
        try:
            auth.sign_in("nav3", "guessing wrongly", DEVICE)
        except AccountLocked as exc:
            clock.advance(seconds=exc.retry_after)
        except NotSignedIn:
            pass
    with pytest.raises(NotSignedIn):
        auth.sign_in(secret_new, secret_new, DEVICE)  # a password typed as the username
    refused(auth, signed.token, "device-thief")
    auth.revoke_all("nav3", by="admin1")
    with read_tx(auth.engine) as conn:
        hashes = [r[0] for r in conn.execute(text("SELECT password_hash FROM hub_credential"))]
        digests = [r[0] for r in conn.execute(text("SELECT token_digest FROM hub_session"))]
        audit_text = json.dumps(
            [list(r) for r in conn.execute(text("SELECT actor, action, body FROM audit_event"))],
            default=str,
        )
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in [secret_old, secret_new, signed.token, *hashes, *digests]:
        assert secret not in audit_text
        assert secret not in logged
    assert seeded.verify_audit().ok, seeded.verify_audit().problems


def test_audit_verify_is_clean_after_sign_ins_and_finds_a_planted_hash(
    auth: Auth, seeded: HubService, clock: FrozenClock
) -> None:
    signed = auth.sign_in("nav1", PASSWORD, DEVICE)
    clock.advance(minutes=5)
    auth.authenticate(signed.token, DEVICE)  # moves last_used_at: outside the digest
    with pytest.raises(NotSignedIn):
        auth.sign_in("nav1", "wrong password!", DEVICE)  # moves the counters: outside it too
    auth.sign_out(auth.authenticate(signed.token, DEVICE))
    assert seeded.verify_audit().ok, seeded.verify_audit().problems
    # someone with write access to the database sets a password they know for admin1
    planted = CHEAP.hash("the attacker's own password")
    with write_tx(auth.engine) as conn:
        conn.execute(
            text(
                "UPDATE hub_credential SET password_hash = :h WHERE user_id = "
                "(SELECT id FROM hub_user WHERE username = 'admin1')"
            ),
            {"h": planted},
        )
        # and revives the signed-out session
        conn.execute(text("UPDATE hub_session SET revoked_at = NULL, revoke_reason = NULL"))
    result = seeded.verify_audit()
    where = {p.where.split(" ")[0] for p in result.problems}
    assert where == {"hub_credential", "hub_session"}, result.problems


def test_bad_device_id_is_refused_before_any_work(auth: Auth) -> None:
    with pytest.raises(NotSignedIn, match="device id"):
        auth.sign_in("nav1", PASSWORD, "")
    with pytest.raises(NotSignedIn, match="device id"):
        auth.sign_in("nav1", PASSWORD, "d" * 65)
    assert audit_rows(auth, "sign_in_failed") == []


def test_settings_set_the_expiry(
    seeded: HubService, clock: FrozenClock, hub_url: str, tmp_path: Any
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", hub_url=hub_url, token_idle_minutes=5, token_absolute_hours=1
    )
    a = Auth(seeded.engine, settings, as_clock(clock), hasher=CHEAP)
    a.set_password("nav2", PASSWORD, by="system")
    signed = a.sign_in("nav2", PASSWORD, DEVICE)
    assert signed.expires_at == clock() + timedelta(hours=1) and signed.idle_minutes == 5
    clock.advance(minutes=5)
    assert refused(a, signed.token) == "expired"


class CountingHasher(PasswordHasher):
    """The cheapest hasher, counting the argon2 verifications it does."""

    def __init__(self) -> None:
        super().__init__(
            **{
                k: getattr(CHEAP, k)
                for k in ("time_cost", "memory_cost", "parallelism", "hash_len", "salt_len")
            }
        )
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


def test_an_unknown_user_costs_the_same_argon2_work_as_a_wrong_password(
    seeded: HubService, clock: FrozenClock
) -> None:
    hasher = CountingHasher()
    a = Auth(seeded.engine, seeded.settings, as_clock(clock), hasher=hasher)
    a.set_password("nav1", PASSWORD, by="system")
    work = []
    for name in ("nav1", "nobody-here", "nav2"):  # wrong password, no such user, no password
        before = hasher.verified
        with pytest.raises(NotSignedIn):
            a.sign_in(name, "wrong password!", DEVICE)
        work.append(hasher.verified - before)
    assert work == [1, 1, 1]


def test_failures_landing_while_the_right_password_is_checked_lock_it_out(
    seeded: HubService, clock: FrozenClock
) -> None:
    """Parallel guessing cannot slip a success past a lock: guesses that lock the account while
    the right password is being checked (outside any transaction) win."""
    guesser = Auth(seeded.engine, seeded.settings, as_clock(clock), hasher=CHEAP)

    class Racing(CountingHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            if password == PASSWORD and self.verified == 0:
                for _ in range(5):  # five wrong guesses finish meanwhile
                    with pytest.raises(NotSignedIn):
                        guesser.sign_in("nav1", "wrong password!", DEVICE)
            return super().verify(hash, password)

    a = Auth(seeded.engine, seeded.settings, as_clock(clock), hasher=Racing())
    a.set_password("nav1", PASSWORD, by="system")
    with pytest.raises(AccountLocked) as info:
        a.sign_in("nav1", PASSWORD, DEVICE)
    assert info.value.retry_after == 1
    assert scalar(a, "SELECT count(*) FROM hub_session") == 0


def test_a_damaged_hash_refuses_the_sign_in_without_a_traceback(
    auth: Auth, caplog: pytest.LogCaptureFixture
) -> None:
    with write_tx(auth.engine) as conn:
        conn.execute(text("UPDATE hub_credential SET password_hash = 'not an argon2 hash'"))
    with pytest.raises(NotSignedIn) as info:
        auth.sign_in("nav1", PASSWORD, DEVICE)
    assert str(info.value) == WRONG
    assert "cannot be read" in caplog.text and "not an argon2 hash" not in caplog.text
