"""Hub passwords live in the keyring, never in a file."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError
from typer.testing import CliRunner

from ehub_tui import secrets
from ehub_tui.cli import app
from ehub_tui.store.engine import create_hub_engine

URL = "postgresql+psycopg://nav1@hub.example:5432/ehub"


def test_login_stores_in_keyring_and_engine_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EHUB_TUI_HUB_URL", URL)
    result = CliRunner().invoke(app, ["login", "--password-stdin"], input="s3cret!\n")
    assert result.exit_code == 0, result.output
    assert secrets.fetch_password(URL) == "s3cret!"
    engine = create_hub_engine(URL)
    assert engine.url.password == "s3cret!"
    # nothing was written under the data dir or config
    home = tmp_path / "ehub-home"
    assert not home.exists() or all(
        "s3cret" not in p.read_text(errors="ignore") for p in home.rglob("*") if p.is_file()
    )
    result = CliRunner().invoke(app, ["login", "--forget"])
    assert result.exit_code == 0 and secrets.fetch_password(URL) is None


def test_login_on_embedded_hub_is_refused() -> None:
    result = CliRunner().invoke(app, ["login", "--password-stdin"], input="x\n")
    assert result.exit_code == 2 and "needs no password" in result.stderr


# -- only a real OS keyring: no file stores, and a clear word when there is none ---------------


class _FileKeyring(KeyringBackend):
    """Writes passwords to a file, as keyrings.alt's file keyrings do (one line per entry)."""

    priority = 0.5
    file_path = ""

    def set_password(self, service: str, username: str, password: str) -> None:
        with open(self.file_path, "a", encoding="utf-8") as fh:
            fh.write(f"{service}\t{username}\t{password}\n")

    def get_password(self, service: str, username: str) -> str | None:
        try:
            lines = Path(self.file_path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None
        found = [ln.split("\t")[2] for ln in lines if ln.split("\t")[:2] == [service, username]]
        return found[-1] if found else None

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError(username)


def _file_keyring(module: str, name: str, path: Path, priority: float = 0.5) -> KeyringBackend:
    """A file keyring presenting itself as ``module.name`` (keyrings.alt is not installed here;
    the check goes by what a backend is, which this reproduces)."""
    cls = type(name, (_FileKeyring,), {"priority": priority, "file_path": str(path)})
    cls.__module__ = module
    return cls()


class _OsKeyring(KeyringBackend):
    """Stands in for an OS keyring (Secret Service, macOS Keychain…): rated 5, in memory."""

    priority = 5

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if self.kept.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


_OsKeyring.__module__ = "acme_os_keyring"


def _chain(*members: KeyringBackend) -> ChainerBackend:
    """keyring's chainer over these backends, highest priority first (as it sorts them)."""
    ordered = sorted(members, key=lambda b: b.priority, reverse=True)
    cls = type("Chain", (ChainerBackend,), {"backends": ordered})
    return cls()


def _refused_login(capsys_text: str) -> None:
    assert "never keeps a hub password in a file" in capsys_text
    assert "PGPASSFILE" in capsys_text and "docs/operations.md" in capsys_text
    assert "install keyrings" not in capsys_text and "keyrings.alt for" not in capsys_text


@pytest.mark.parametrize(
    ("module", "name", "priority", "why"),
    [
        ("keyrings.alt.file", "PlaintextKeyring", 0.5, "keeps passwords in a file"),
        ("keyrings.alt.file", "EncryptedKeyring", 0.6, "keeps passwords in a file"),
        ("keyrings.alt.pyfs", "PlaintextKeyring", 2, "keeps passwords in a file"),
        ("acme_vault", "Keyring", 2.0, "keeps passwords in a file"),  # it names a file_path
    ],
)
def test_file_keyrings_are_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, name: str, priority: float,
    why: str,
) -> None:  # fmt: skip
    store = tmp_path / "keyring_pass.cfg"
    keyring.set_keyring(_file_keyring(module, name, store, priority))
    monkeypatch.setenv("EHUB_TUI_HUB_URL", URL)
    result = CliRunner().invoke(app, ["login", "--password-stdin"], input="s3cret!\n")
    assert result.exit_code == 2, result.output
    assert f"{module}.{name} {why}" in result.stderr
    _refused_login(" ".join(result.stderr.split()))
    assert "Traceback" not in result.output
    assert not store.exists()
    with pytest.raises(secrets.InsecureKeyring):
        secrets.store_password(URL, "s3cret!")
    assert not store.exists()


def test_a_password_already_in_a_file_keyring_is_never_used(tmp_path: Path) -> None:
    store = tmp_path / "keyring_pass.cfg"
    plain = _file_keyring("keyrings.alt.file", "PlaintextKeyring", store)
    plain.set_password(secrets.SERVICE, secrets.account_for(URL), "from-a-file")
    keyring.set_keyring(plain)
    assert secrets.fetch_password(URL) is None
    assert create_hub_engine(URL).url.password is None  # libpq may use PGPASSFILE instead
    assert secrets.forget_password(URL) is False
    assert "from-a-file" in store.read_text(encoding="utf-8")  # not ours to delete


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_keyring_at_all_is_said_plainly(
    backend: KeyringBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(backend)
    monkeypatch.setenv("EHUB_TUI_HUB_URL", URL)
    result = CliRunner().invoke(app, ["login", "--password-stdin"], input="s3cret!\n")
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "there is no OS keyring on this machine" in said
    assert "GNOME Keyring or KWallet" in said
    _refused_login(said)
    assert "keyrings.alt" not in said  # never suggested
    assert secrets.fetch_password(URL) is None


def test_a_low_rated_backend_is_refused() -> None:
    class Fallback(_OsKeyring):
        priority = 0.9

    Fallback.__module__ = "acme_fallback"
    keyring.set_keyring(Fallback())
    with pytest.raises(secrets.InsecureKeyring, match=r"not a recommended OS keyring .*0\.9"):
        secrets.store_password(URL, "x")

    class Broken(_OsKeyring):
        @properties.classproperty
        def priority(cls) -> float:
            raise RuntimeError("no D-Bus session")

    Broken.__module__ = "acme_broken"
    assert "unusable" in (secrets.refusal(Broken()) or "")


def test_a_chain_uses_only_its_os_keyring(tmp_path: Path) -> None:
    store = tmp_path / "keyring_pass.cfg"
    plain = _file_keyring("keyrings.alt.file", "PlaintextKeyring", store)
    plain.set_password(secrets.SERVICE, secrets.account_for(URL), "stale-from-a-file")
    os_keyring = _OsKeyring()
    keyring.set_keyring(_chain(plain, os_keyring))
    assert secrets.fetch_password(URL) is None  # the file's copy is not read
    secrets.store_password(URL, "s3cret!")
    assert os_keyring.kept == {(secrets.SERVICE, secrets.account_for(URL)): "s3cret!"}
    assert "s3cret!" not in store.read_text(encoding="utf-8")
    assert secrets.fetch_password(URL) == "s3cret!"
    assert secrets.forget_password(URL) is True and os_keyring.kept == {}
    # a chain of file stores only is refused
    keyring.set_keyring(_chain(plain))
    with pytest.raises(secrets.InsecureKeyring, match="PlaintextKeyring keeps passwords in a file"):
        secrets.store_password(URL, "x")


def test_the_test_backend_stays_allowed() -> None:
    assert secrets.refusal(secrets.MemoryKeyring()) is None
    assert isinstance(secrets.safe_backend(), secrets.MemoryKeyring)
