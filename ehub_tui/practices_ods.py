"""Reading the NHS England ODS GP practices file (``epraccur.csv``) for ``practices import-ods``.

The file has no header row and 27 columns a row; the ones read here (1-based, as the ODS
documentation numbers them): 1 organisation code, 2 name, 11 open date, 12 close date (both
YYYYMMDD), 13 status code (A active, C closed, D dormant, P proposed), 15 commissioner (the
parent organisation), 26 prescribing setting (4 = GP practice). Addresses and telephone numbers
are not kept.

A whole-country file has ~9,000 rows and a hub serves a handful: :func:`select_practices` keeps
the practices the hub wants (a PCN's or commissioner's, a list of codes, or those it already
has). A bad row is reported naming its line and column and costs only itself; the good rows
beside it are kept. Names are tidied from the file's capitals ("THE DENSHAM SURGERY" becomes
"The Densham Surgery") without changing a word: a name already in mixed case is kept as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ehub_tui.domain.practice_sources import GP_PRACTICE_SETTING, ODS_CODE, OdsPractice
from ehub_tui.errors import PracticesFileError

COLUMNS = 27
STATUSES = ("A", "C", "D", "P")
PROGRESS_EVERY = 1000  # rows between progress calls
ProgressFn = Callable[[int, int], None]

# (1-based column, what the ODS documentation calls it): named in every message
_CODE, _NAME, _OPEN, _CLOSE, _STATUS, _PARENT, _SETTING = (
    (1, "organisation code"),
    (2, "name"),
    (11, "open date"),
    (12, "close date"),
    (13, "status code"),
    (15, "commissioner"),
    (26, "prescribing setting"),
)


@dataclass
class OdsFile:
    """The practices a file holds, and a sentence for each row that could not be read."""

    path: Path
    rows: list[OdsPractice] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lines: int = 0
    unreadable: set[str] = field(default_factory=set)  # codes of rows that could not be read


@dataclass
class Selection:
    """The rows the hub wants, and what the person importing should be told about the rest."""

    chosen: list[OdsPractice] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)  # asked for (or in the hub), absent
    not_gp: list[str] = field(default_factory=list)  # another prescribing setting: left out
    unreadable: list[str] = field(default_factory=list)  # wanted, but their row is bad


class _RowError(ValueError):
    """One row's problem: the column and what is wrong with it."""


def read_text(path: Path) -> str:
    """A practices file's text (UTF-8, else Windows-1252 as older NHS downloads are), or
    PracticesFileError saying why not."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise PracticesFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PracticesFileError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise PracticesFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in data[:4096]:
        raise PracticesFileError(f"{path}: not a text file (is it the zip, not the CSV in it?)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_rows(reader: Any, path: Path, problems: list[str]) -> Iterator[list[str]]:
    """The rows of ``reader``; a row the csv module cannot read (a cell over its size limit, a
    NUL) becomes a sentence naming the line, and the rows after it are still read."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(f"{path}: line {reader.line_num}: cannot be read as CSV ({exc})")
            continue
        yield row


def read_epraccur(path: Path, progress: ProgressFn | None = None) -> OdsFile:
    """Every readable practice row of an epraccur file; the others as sentences naming the line
    and column. Refused whole (PracticesFileError) only when no row could be read."""
    text = read_text(path)
    total = text.count("\n") + 1
    found = OdsFile(Path(path))
    first_line: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for n, row in enumerate(csv_rows(reader, path, found.problems), start=1):
        line, start = start, reader.line_num + 1
        found.lines = reader.line_num
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(reader.line_num, total)
        if not any(cell.strip() for cell in row):
            continue
        if n == 1 and _is_header(row):
            found.problems.append(
                f"{path}: line 1 looks like a header row (an epraccur file has none): skipped"
            )
            continue
        try:
            practice = parse_row(row)
        except _RowError as exc:
            found.problems.append(f"{path}: line {line}, {exc}")
            found.unreadable.add(row[0].strip().upper())
            continue
        if practice.ods_code in first_line:
            found.problems.append(
                f"{path}: line {line}, column 1 (organisation code): {practice.ods_code} again "
                f"(first on line {first_line[practice.ods_code]}): the first is used"
            )
            continue
        first_line[practice.ods_code] = line
        found.rows.append(practice)
    if progress is not None:
        progress(total, total)
    if not found.rows:
        why = found.problems[0] if found.problems else f"{path}: the file is empty"
        raise PracticesFileError(f"no practice could be read (is it ODS's epraccur.csv?): {why}")
    return found


def _is_header(row: Sequence[str]) -> bool:
    first = row[0].strip().casefold() if row else ""
    return first in {"organisation code", "organisation_code", "code", "org code", "ods code"}


def _cell(row: Sequence[str], column: tuple[int, str]) -> str:
    return row[column[0] - 1].strip()


def _shown(value: str) -> str:
    """A value quoted in a message: short, and visible as what it is."""
    return repr(value if len(value) <= 24 else value[:21] + "...")


def parse_row(row: Sequence[str]) -> OdsPractice:
    """One epraccur row (27 cells), or _RowError naming the column and the problem."""
    if len(row) != COLUMNS:
        raise _RowError(f"{len(row)} columns where an epraccur row has {COLUMNS}")
    code = _cell(row, _CODE).upper()
    if not ODS_CODE.match(code):
        raise _RowError(f"column 1 ({_CODE[1]}): {_shown(code)} is not an ODS code")
    name = " ".join(_cell(row, _NAME).split())
    if not name:
        raise _RowError(f"column 2 ({_NAME[1]}): empty")
    status = _cell(row, _STATUS).upper()
    if status not in STATUSES:
        raise _RowError(
            f"column 13 ({_STATUS[1]}): {_shown(status)} is not A, C, D or P "
            "(active, closed, dormant, proposed)"
        )
    setting_text = _cell(row, _SETTING)
    if setting_text and not setting_text.isdigit():
        raise _RowError(f"column 26 ({_SETTING[1]}): {_shown(setting_text)} is not a number")
    parent = _cell(row, _PARENT).upper()
    return OdsPractice(
        ods_code=code,
        name=tidy_name(name),
        parent_code=parent,
        status=status,
        open_date=_date(row, _OPEN),
        close_date=_date(row, _CLOSE),
        setting=int(setting_text) if setting_text else None,
    )


def _date(row: Sequence[str], column: tuple[int, str]) -> date | None:
    text = _cell(row, column)
    if not text:
        return None
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise _RowError(
            f"column {column[0]} ({column[1]}): {_shown(text)} is not a date (YYYYMMDD)"
        ) from None


# -- names -------------------------------------------------------------------------------------

# kept in capitals: NHS words and the letters a practice name abbreviates
_UPPER = frozenset(
    {"NHS", "GP", "GPS", "PMS", "APMS", "GMS", "PCN", "PCT", "CCG", "ICB", "UK", "HMP", "HMYOI"}
    | {"OOH", "WIC", "UTC", "MC", "HC", "PLC", "LLP", "CIC", "YMCA", "II", "III", "IV", "VI"}
)
# lower case inside a name ("Newcastle upon Tyne", "Practice of St Mary"), as written English
_SMALL = frozenset({"and", "of", "the", "on", "upon", "in", "at", "by", "for", "with", "de", "le"})
_WORD = re.compile(r"[A-Za-z]+|[^A-Za-z]+")


def tidy_name(name: str) -> str:
    """A practice name from the file's capitals into the case people write it in, word for word:
    "THE DR MCKENZIE & PARTNERS (ST JOHN'S)" → "The Dr McKenzie & Partners (St John's)". A name
    already in mixed case is kept as it is."""
    if any(c.islower() for c in name):
        return name
    out: list[str] = []
    first = True
    prev = ""
    for token in _WORD.findall(name):
        if not token.isalpha():
            out.append(token)
            prev = token
            continue
        out.append(_word(token, first, prev))
        first = False
        prev = token
    return "".join(out)


def _word(word: str, first: bool, prev: str) -> str:
    """One run of letters; ``prev`` is what came before it (a space, an apostrophe, a hyphen)."""
    low = word.lower()
    if prev.endswith("'") and len(word) == 1:  # JOHN'S: the s of a possessive
        return low
    if word in _UPPER:
        return word
    if low in _SMALL and not first and not prev.rstrip().endswith(("(", "-", "/")):
        return low
    if low in _SMALL and prev.endswith("-"):  # STOKE-ON-TRENT
        return low
    if len(word) > 2 and low.startswith("mc"):  # MCKENZIE
        return "Mc" + word[2].upper() + word[3:].lower()
    if len(word) == 1:  # an initial: DR A B SMITH
        return word
    return word[0] + word[1:].lower()


# -- choosing the hub's practices -----------------------------------------------------------------


def select_practices(
    rows: Sequence[OdsPractice],
    *,
    pcn: str | None,
    only: Collection[str] | None,
    known: Collection[str],
    in_pcn: Collection[str] = (),
    unreadable: Collection[str] = (),
) -> Selection:
    """The rows the hub wants.

    ``only``: exactly these ODS codes. ``pcn``: the practices whose commissioner (column 15) is
    ``pcn``, and those the hub already lists in that PCN (``in_pcn``; the file names no PCN).
    Neither: the practices the hub already has (``known``), to refresh their names and
    status. A row of another prescribing setting (an out-of-hours or walk-in centre) is left
    out unless named in ``only``. A wanted code whose row could not be read (``unreadable``) is
    listed as such, not as missing from the file.
    """
    by_code = {r.ods_code: r for r in rows}
    sel = Selection()
    if only:
        wanted = list(dict.fromkeys(c.strip().upper() for c in only))
        sel.chosen = [by_code[c] for c in wanted if c in by_code]
        sel.not_in_file = [c for c in wanted if c not in by_code]
        _split_unreadable(sel, unreadable)
        return sel
    if pcn:
        code = pcn.strip().upper()
        listed = set(in_pcn)
        picked = [r for r in rows if r.parent_code == code or r.ods_code in listed]
        sel.not_in_file = sorted(c for c in listed if c not in by_code)
    else:
        have = set(known)
        picked = [r for r in rows if r.ods_code in have]
        sel.not_in_file = sorted(c for c in have if c not in by_code)
    for r in picked:
        if r.setting is not None and r.setting != GP_PRACTICE_SETTING:
            sel.not_gp.append(r.ods_code)
        else:
            sel.chosen.append(r)
    _split_unreadable(sel, unreadable)
    return sel


def _split_unreadable(sel: Selection, unreadable: Collection[str]) -> None:
    bad = set(unreadable)
    sel.unreadable = [c for c in sel.not_in_file if c in bad]
    sel.not_in_file = [c for c in sel.not_in_file if c not in bad]
