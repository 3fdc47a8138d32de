"""What every command shares for talking to a person: the two consoles, one-line messages that
never read hub text as markup, ``--json`` or a table, errors as one sentence and an exit code
(never a traceback), and the progress bar.

Rich only, and nothing heavy at import time: ``ehub-tui --help`` imports this module.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from ehub_tui.textsafe import dumps, literal

if TYPE_CHECKING:
    from rich.progress import Progress

T = TypeVar("T")

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


class CliError(Exception):
    """A problem to report in one plain sentence, with an exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error and exit non-zero."""
    # a Text, never markup: a message may quote input or hub data holding [brackets] or escape
    # sequences, and is shown as written
    err.print(
        Text.assemble(("error:", "bold red"), " ", literal(message, multiline=True)), soft_wrap=True
    )
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn the errors a person can act on into one message and an exit code; never a traceback."""
    # imported here, not at the top: only a command that runs needs them, and --help stays quick
    from sqlalchemy.exc import SQLAlchemyError

    from ehub_tui.errors import ConfigError, EhubError, FileError, PracticesFileError, StoreError

    try:
        yield
    except typer.Exit:
        raise
    except CliError as exc:
        fail(str(exc), exc.code)
    except (ConfigError, StoreError, FileError, PracticesFileError) as exc:
        fail(str(exc))
    except EhubError as exc:  # any other a person can act on (a rota, a plan): its sentence
        fail(str(exc))
    except SQLAlchemyError as exc:
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        fail(f"the hub store refused the operation: {text[0] if text else type(exc).__name__}")
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
    except typer.Abort:  # ctrl-c or ctrl-d at a prompt (a username, a password)
        err.print("cancelled")
        raise typer.Exit(130) from None
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        fail(f"{where}{exc.strerror or exc}")
    except Exception as exc:  # last resort: still no traceback unless asked for
        if os.environ.get("EHUB_TUI_DEBUG"):
            raise
        # the type only: the message may quote a record (the terminal gets it, the log not)
        logging.getLogger(__name__).error("unexpected %s", type(exc).__name__)
        fail(f"unexpected {type(exc).__name__}: {exc} (set EHUB_TUI_DEBUG=1 for details)", 70)


def print_json(data: Any) -> None:
    """``data`` as indented JSON on standard output."""
    # textsafe.dumps: readable UTF-8, but C1 controls and bidi marks as \u escapes
    sys.stdout.write(dumps(data, indent=2, default=str) + "\n")


def emit(data: T, render: Callable[[T], object], as_json: bool) -> None:
    """The ``--json``-or-table pattern: ``data`` as JSON with ``--json``, else ``render(data)``
    for people."""
    if as_json:
        print_json(data)
    else:
        render(data)


def line(*parts: str | tuple[str, str] | Text) -> Text:
    """One line of plain strings, (text, style) pairs and Texts. The strings may be hub or SOP
    text (a file name, a YAML snippet, a patient's answer): shown as written, never as markup,
    their control characters visible."""
    text = Text()
    for part in parts:
        if isinstance(part, Text):
            text.append_text(part)
        elif isinstance(part, tuple):
            text.append_text(literal(part[0], part[1], multiline=True))
        else:
            text.append_text(literal(part, multiline=True))
    return text


def say(*parts: str | tuple[str, str] | Text, console: Console | None = None) -> None:
    """Print one message built as :func:`line` builds it (on standard output unless told)."""
    (console or out).print(line(*parts), soft_wrap=True)


def local_time(value: Any) -> str:
    """A stored UTC time as UK local time for people (JSON output keeps ISO UTC)."""
    from datetime import datetime

    from ehub_tui.domain.clock import LONDON

    if isinstance(value, datetime):
        return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S %Z")
    return "" if value is None else str(value)


def slots(obj: Any) -> dict[str, Any]:
    """A ``__slots__`` object (a user, a practice) as a plain dict for ``--json``."""
    return {k: getattr(obj, k) for k in obj.__slots__}


def progress_bar() -> Progress:
    """The CLI's progress bar on standard error (description, bar, n/total, time); it goes
    when done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}", markup=False),  # descriptions name files: not markup
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
