"""Logging for every ehub-tui process, set up once by :func:`configure_logging`.

Where lines go depends on the kind of process:

- ``cli``: human lines on standard error (default level WARNING: a command's own output is
  its report; ``--log-level info`` shows what it did step by step).
- ``app``: a rotating file, ``app.log`` (the terminal belongs to the Textual screen).
- ``watch``: a rotating file, ``watch.log`` (``ingest --watch`` prints its events itself); with
  ``fmt="json"`` also JSON lines on standard error, for a watcher run as a service.
- ``service``: JSON lines on standard error (one object a line, for journald).

Files live in :func:`log_dir` (``$EHUB_TUI_HOME/logs`` when that is set, so tests and demos stay
in their folder; else the per-user log dir), owner-only, rotated at 5 MB with five kept.

Log lines name ids, counts, file names and states; never a patient's name, NHS number, date of
birth, free text or answers. As a second line of defence every line passes :class:`Redact`:
an NHS-number-shaped run of 10 digits becomes ``[redacted]`` and control characters (escape
sequences, bidi overrides, NULs, line breaks that could forge a line) are removed.

Modules log through ``logging.getLogger(__name__)`` under the ``ehub_tui`` logger; nothing here
imports the rest of the package.
"""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import os
import re
import sys
import time
import unicodedata
from pathlib import Path
from typing import IO, Any, Literal

Kind = Literal["cli", "app", "watch", "service"]
Format = Literal["text", "json"]
KINDS: tuple[Kind, ...] = ("cli", "app", "watch", "service")
FORMATS: tuple[Format, ...] = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")

ROOT = "ehub_tui"  # the package's logger: the level and handlers are set here
APP_NAME = "ehub-tui"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
REDACTED = "[redacted]"

_DEFAULT_LEVEL: dict[Kind, int] = {
    "cli": logging.WARNING,
    "app": logging.INFO,
    "watch": logging.INFO,
    "service": logging.INFO,
}
_FILES: dict[Kind, str] = {"app": "app.log", "watch": "watch.log"}

# Ten digits, alone or grouped 3-3-4 by spaces or dashes, not inside a longer run of digits
# (an 11-digit phone number stays; an id that happens to have ten digits is redacted too).
_NHS_SHAPED = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
# terminal escape sequences, removed whole (CSI, OSC up to BEL or ST, and two-character ones),
# so none leaves half of itself behind or splits a number that should be found
# a hub sign-in token (hub/tokens.py): a bearer secret that must never reach a log
_TOKEN_SHAPED = re.compile(r"ehub1_[A-Za-z0-9_-]{8,}")
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[0-~]")
# attributes every LogRecord has: anything else came in through ``extra=``
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def scrub(text: object, *, multiline: bool = False) -> str:
    """``text`` without escape sequences, control or format characters (line breaks and tabs
    become a space, or stay when ``multiline``), NHS-number-shaped digit runs and sign-in
    tokens redacted."""
    s = text if isinstance(text, str) else str(text)
    s = _ESCAPES.sub("", s)
    kept = []
    for ch in s:
        if ch in "\n\t" and multiline:
            kept.append(ch)
        elif ch in "\n\r\t\x0b\x0c\u2028\u2029":
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            continue  # ESC, NUL, C1, bidi overrides, zero-width marks, lone surrogates
        else:
            kept.append(ch)
    # after the controls are gone, so that digits split by a NUL or an escape are found too
    return _NHS_SHAPED.sub(REDACTED, _TOKEN_SHAPED.sub(REDACTED, "".join(kept)))


class Redact(logging.Filter):
    """Scrubs every record a handler writes (see :func:`scrub`): the message with its
    arguments, the traceback and stack text, and any ``extra=`` text values."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub ``record`` in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string still leaves a line, without its arguments
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, multiline=True)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, multiline=True)
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, scrub(value))
        return True


def _iso(record: logging.LogRecord) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """``2026-11-23T08:01:02.123Z INFO ehub_tui.ingest.watch [4242]: message`` (UTC)."""

    def __init__(self, *, terminal: bool = False) -> None:
        super().__init__()
        self.terminal = terminal

    def format(self, record: logging.LogRecord) -> str:
        """One line (a traceback, already scrubbed, follows on its own lines)."""
        message = record.getMessage()
        if self.terminal:  # a person reads it beside the command's own output
            line = f"{APP_NAME}: {record.levelname.lower()}: {message}"
        else:
            line = f"{_iso(record)} {record.levelname} {record.name} [{record.process}]: {message}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, pid, message, any ``extra=`` fields, and
    the traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single-line JSON object."""
        data: dict[str, Any] = {
            "time": _iso(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in data:
                data[key] = value if isinstance(value, int | float | bool | None) else scrub(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        # ensure_ascii: nothing a terminal or journald could take for a control, ever
        return json.dumps(data, ensure_ascii=True, default=str)


class _Stderr(logging.StreamHandler[IO[str]]):
    """Writes to whatever ``sys.stderr`` is at the time (a test runner swaps it per command)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass  # always the current sys.stderr


class _OwnerOnlyFile(logging.handlers.RotatingFileHandler):
    """A rotating file created 0600: log lines name files and ids of a patient-data system."""

    def _open(self) -> io.TextIOWrapper:
        # the handler owns the stream and closes it; RotatingFileHandler always appends
        return open(
            self.baseFilename,
            "a",
            encoding=self.encoding,
            errors=self.errors,
            opener=lambda path, flags: os.open(path, flags, 0o600),
        )


def log_dir() -> Path:
    """``$EHUB_TUI_HOME/logs`` when EHUB_TUI_HOME is set, else the per-user log dir."""
    home = os.environ.get("EHUB_TUI_HOME")
    if home:
        return Path(home).expanduser() / "logs"
    from platformdirs import user_log_path

    return user_log_path(APP_NAME, appauthor=False)


def parse_level(level: str | int | None, kind: Kind) -> int:
    """A level name (any case) or number; None is the kind's default. ValueError if unknown."""
    if level is None:
        return _DEFAULT_LEVEL[kind]
    if isinstance(level, int):
        return level
    if level.lower() not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    return int(logging.getLevelName(level.upper()))


_configured: tuple[Kind, int, Format, Path | None] | None = None
_handlers: list[logging.Handler] = []


def configure_logging(
    kind: Kind,
    *,
    level: str | int | None = None,
    fmt: Format | None = None,
    directory: Path | None = None,
) -> Path | None:
    """Set up logging for this process; returns the log file (None when there is none).

    Calling it again with the same arguments does nothing; with others it replaces what the
    last call set up (never adding a second set of handlers). ``fmt`` defaults to ``json`` for
    a service and ``text`` otherwise; ``directory`` to :func:`log_dir`. Raises ValueError for an
    unknown kind, level or format.
    """
    global _configured
    if kind not in KINDS:
        raise ValueError(f"log kind {kind!r} is not one of {', '.join(KINDS)}")
    fmt = fmt or ("json" if kind == "service" else "text")
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r} is not one of {', '.join(FORMATS)}")
    number = parse_level(level, kind)
    path = (directory or log_dir()) / _FILES[kind] if kind in _FILES else None
    wanted = (kind, number, fmt, path)
    if wanted == _configured:
        return path
    reset_logging()
    handlers: list[logging.Handler] = []
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # delay: the file appears with the first line, so a command that logs nothing makes none
        file_handler = _OwnerOnlyFile(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        file_handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        handlers.append(file_handler)
    if kind in ("cli", "service") or (kind == "watch" and fmt == "json"):
        stream = _Stderr()
        stream.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(terminal=True))
        handlers.append(stream)
    logger = logging.getLogger(ROOT)
    for handler in handlers:
        handler.addFilter(Redact())  # on the handler: a logger's filter skips its children
        logger.addHandler(handler)
    logger.setLevel(number)
    logger.propagate = False  # ours alone: a host's root handlers never see patient-system lines
    _handlers.extend(handlers)
    _configured = wanted
    return path


def reset_logging() -> None:
    """Remove and close what :func:`configure_logging` set up (tests; a second configuration)."""
    global _configured
    logger = logging.getLogger(ROOT)
    for handler in _handlers:
        logger.removeHandler(handler)
        handler.close()
    _handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
    _configured = None
