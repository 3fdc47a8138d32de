"""Where a return is written: a file replaced atomically (never half written), or standard
output (UTF-8 whatever its encoding; on a terminal, hub text shown, never obeyed)."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from ehub_tui.cli.output import CliError
from ehub_tui.textsafe import visible


def _cannot_write(path: Path, exc: OSError) -> Exception:
    return CliError(f"{path}: cannot write the return there ({exc.strerror or exc})")


def write_atomically(path: Path, write: Callable[[IO[str]], int]) -> int:
    """Write through a temporary file beside ``path`` and rename it, so no half file is left.

    A new file gets the usual permissions (umask); a replaced one keeps its own.
    """
    return _replace(path, write, binary=False)


def write_bytes_atomically(path: Path, data: bytes) -> int:
    """``write_atomically`` for a file that is bytes (an xlsx workbook); returns its size."""

    def write(fh: IO[bytes]) -> int:
        return fh.write(data)

    return _replace(path, write, binary=True)


def _replace(path: Path, write: Callable[[Any], int], binary: bool) -> int:
    """Write through a temporary file beside ``path`` (text as UTF-8, or bytes) and rename it."""
    folder = path.parent
    if not folder.is_dir():
        raise CliError(f"{folder}: no such folder to write the return in")
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        opened = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with opened as fh:
            n = int(write(fh))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class _Visible(io.TextIOBase):
    """A text stream that shows what it is given through ``textsafe.visible`` (for a return
    written to a terminal: a practice name's escape sequence is shown, never obeyed)."""

    def __init__(self, inner: IO[str]) -> None:
        super().__init__()
        self.inner = inner

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.inner.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()


def to_stdout(write: Callable[[IO[str]], int]) -> None:
    """Write to standard output as UTF-8 whatever its encoding; a closed pipe ends quietly.

    Piped or redirected, the return is written exactly; on a terminal its hub text (practice
    names) is shown through ``visible`` so no control character reaches the screen."""
    buffer = getattr(sys.stdout, "buffer", None)
    stream: IO[str] = (
        io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
        if buffer is not None
        else sys.stdout
    )
    target = cast(IO[str], _Visible(stream)) if sys.stdout.isatty() else stream
    try:
        sys.stdout.flush()
        write(target)
        target.flush()
    except BrokenPipeError:  # e.g. `| head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        if stream is not sys.stdout:
            cast(io.TextIOWrapper, stream).detach()
