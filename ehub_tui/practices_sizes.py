"""Reading NHS Digital's "Patients Registered at a GP Practice" CSV for ``practices list-sizes``.

The file (``gp-reg-pat-prac-all.csv``) has a header row: PUBLICATION, EXTRACT_DATE, TYPE, CODE,
POSTCODE, SEX, AGE, NUMBER_OF_PATIENTS; later publications call two of them ORG_TYPE and ORG_CODE,
and both are read, in any column order. A practice's list size is its row with TYPE ``GP``, SEX
``ALL`` and AGE ``ALL`` (the single-year and five-year files also have a row per age: those are
passed over). EXTRACT_DATE (the snapshot's date, "01OCT2026" in the published files) gives the
month the sizes are kept under, unless the person importing names it.

A bad row is reported naming its line and column and costs only itself. No value from the file
but a practice code, a date or a count is ever quoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ehub_tui.domain.practice_sources import ODS_CODE, ListSize, month_of
from ehub_tui.errors import PracticesFileError
from ehub_tui.practices_ods import PROGRESS_EVERY, csv_rows, read_text

ProgressFn = Callable[[int, int], None]

# the header names each field goes by (the older name first)
_ALIASES = {
    "code": ("CODE", "ORG_CODE", "PRACTICE_CODE"),
    "type": ("TYPE", "ORG_TYPE"),
    "extract": ("EXTRACT_DATE",),
    "sex": ("SEX",),
    "age": ("AGE",),
    "patients": ("NUMBER_OF_PATIENTS",),
}
_DATE_FORMATS = ("%d%b%Y", "%d-%b-%Y", "%d-%b-%y", "%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")


@dataclass
class SizesFile:
    """A month's list sizes from one file, and a sentence for each row that could not be read."""

    path: Path
    month: str = ""
    sizes: list[ListSize] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passed_over: int = 0  # rows that are not a practice's total (other organisations, ages)
    lines: int = 0


def extract_month(text: str) -> str | None:
    """``YYYY-MM`` of an EXTRACT_DATE as the publications write it, or None."""
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return month_of(datetime.strptime(value, fmt).date())
        except ValueError:
            continue
    return None


def read_list_sizes(
    path: Path, month: str | None = None, progress: ProgressFn | None = None
) -> SizesFile:
    """Every practice's list size in the file, for ``month`` (YYYY-MM) or the month of its
    EXTRACT_DATE. Refused whole (PracticesFileError) when the header lacks a column it needs,
    the month cannot be told, or no row could be read."""
    text = read_text(path)
    total = text.count("\n") + 1
    reader = csv.reader(io.StringIO(text, newline=""))
    found = SizesFile(Path(path), month=month or "")
    rows = csv_rows(reader, path, found.problems)
    header = next(rows, None)
    if header is None:
        raise PracticesFileError(f"{path}: the file is empty")
    at = _columns(path, header, need_date=month is None)
    seen: dict[str, int] = {}
    file_month: tuple[str, int] | None = None  # the month EXTRACT_DATE gives, and its line
    start = 2
    for row in rows:
        line, start = start, reader.line_num + 1
        found.lines = reader.line_num
        if progress is not None and line % PROGRESS_EVERY == 0:
            progress(reader.line_num, total)
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            found.problems.append(
                f"{path}: line {line}: {len(row)} columns where the header has {len(header)}"
            )
            continue
        cell = {k: row[i].strip() for k, i in at.items()}
        if not _is_practice_total(cell):
            found.passed_over += 1
            continue
        code = cell["code"].upper()
        if not ODS_CODE.match(code):
            found.problems.append(f"{path}: line {line}, column {header[at['code']]}: not a code")
            continue
        raw = cell["patients"].replace(",", "")
        if not raw.isdigit():
            found.problems.append(
                f"{path}: line {line}, column NUMBER_OF_PATIENTS: not a whole number ({code})"
            )
            continue
        if "extract" in cell:
            row_month = extract_month(cell["extract"])
            if row_month is None:
                found.problems.append(
                    f"{path}: line {line}, column EXTRACT_DATE: {cell['extract'][:20]!r} is not "
                    "a date (e.g. 01OCT2026)"
                )
                continue
            if file_month is None:
                file_month = (row_month, line)
            elif row_month != file_month[0]:
                found.problems.append(
                    f"{path}: line {line}, column EXTRACT_DATE: {row_month}, where line "
                    f"{file_month[1]} is {file_month[0]}: one file is one month (row left out)"
                )
                continue
        if code in seen:
            found.problems.append(
                f"{path}: line {line}, column {header[at['code']]}: {code} again (first on line "
                f"{seen[code]}): the first is used"
            )
            continue
        seen[code] = line
        found.sizes.append(ListSize(code, int(raw)))
    if progress is not None:
        progress(total, total)
    if month is None:
        if file_month is None:
            why = found.problems[0] if found.problems else f"{path}: no practice rows"
            raise PracticesFileError(f"no list size could be read: {why}")
        found.month = file_month[0]
    elif file_month is not None and file_month[0] != month:
        found.notes.append(
            f"{path}: EXTRACT_DATE says {file_month[0]}; kept as {month}, the month given"
        )
    if not found.sizes:
        why = found.problems[0] if found.problems else f"{path}: no practice totals (TYPE GP, SEX"
        raise PracticesFileError(
            f"no list size could be read: {why}"
            + ("" if found.problems else " ALL, AGE ALL) in the file")
        )
    return found


def _columns(path: Path, header: list[str], *, need_date: bool) -> dict[str, int]:
    """Where each field is, by the header's names; PracticesFileError naming what is missing."""
    names = [h.strip().upper().lstrip("\ufeff") for h in header]
    at: dict[str, int] = {}
    for key, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in names:
                at[key] = names.index(alias)
                break
    missing = [_ALIASES[k][0] for k in ("code", "patients") if k not in at]
    if need_date and "extract" not in at:
        missing.append("EXTRACT_DATE (or give the month: --month YYYY-MM)")
    if missing:
        raise PracticesFileError(
            f"{path}: line 1 (the header) has no {', '.join(missing)} column: is this NHS "
            "Digital's 'Patients Registered at a GP Practice' CSV (gp-reg-pat-prac-all.csv)?"
        )
    return at


def _is_practice_total(cell: dict[str, str]) -> bool:
    """A GP practice's row for all its patients (not another organisation's, nor one age's)."""
    if cell.get("type", "GP").upper() not in {"GP", "GP PRACTICE"}:
        return False
    return all(cell.get(k, "ALL").upper() == "ALL" for k in ("sex", "age"))
