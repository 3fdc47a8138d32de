"""This workstation's device id: the value a sign-in's token is bound to on the hub.

The id is a random UUID (version 4) kept in ``<data_dir>/device-id`` (mode 0600), made the first
time it is asked for and read back afterwards, so every sign-in from this account on this machine
names the same device.

A device id is **not a secret**. It is sent in the clear (inside TLS) with every request and the
hub stores it beside each session. Binding a token to it means a token copied on its own (from a
log, a screenshot, a shoulder) is refused on another machine and that session is ended; it does
not stop someone who copies the whole home directory (the id file and a cached token together).
The 0600 mode only keeps other local accounts from borrowing this account's device name.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from ehub_tui.errors import ConfigError

FILE_NAME = "device-id"


def device_id(data_dir: Path) -> str:
    """This device's id, creating ``data_dir/device-id`` (0600) with a fresh uuid4 if absent.

    Raises ConfigError (naming the file) when the file cannot be read or written or does not
    hold a UUID.
    """
    path = data_dir / FILE_NAME
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    new = str(uuid.uuid4())
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        # O_EXCL: when two processes start at once, exactly one writes the id and the other
        # reads that one back, so both sign in as the same device.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    except OSError as e:
        raise ConfigError(f"{path}: cannot create this device's id file ({e.strerror}).") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(new + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        with contextlib.suppress(OSError):
            path.unlink()
        raise ConfigError(f"{path}: cannot write this device's id ({e.strerror}).") from None
    return new


def _read(path: Path) -> str:
    """The UUID in ``path`` (FileNotFoundError passes through; anything else is a ConfigError)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as e:
        why = e.strerror if isinstance(e, OSError) else "not plain text"
        raise ConfigError(f"{path}: cannot read this device's id ({why}).") from None
    if not text:
        # a crash between create and write leaves an empty file: another process may be
        # writing it right now, so say so rather than overwrite it
        raise ConfigError(
            f"{path}: this device's id file is empty; delete it and start again to make a new one."
        )
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ConfigError(
            f"{path}: this device's id file does not hold a UUID; delete it to make a new one "
            "(you will need to sign in again)."
        ) from None
