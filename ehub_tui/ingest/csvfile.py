"""The supplier CSV layout: a header naming the OC fields, one record a row (docs/formats.md).

A file without a usable header raises FileError; a row with the wrong number of cells or an
answers cell that is not a JSON object becomes a record with an error, and the rest still parse.
Cells are counted, never quoted, in messages: they are a patient's details.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from ehub_tui.domain.fields import OC_FIELDS, REQUIRED_FIELDS
from ehub_tui.errors import FileError
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.jsontext import _json_problem, _kind, _loads
from ehub_tui.ingest.records import RawRecord

CSV_COLUMNS = OC_FIELDS  # the supplier CSV header is the OC fields, in order


_CSV_COLUMN_SET = frozenset(CSV_COLUMNS)


# The CSV reader's own field limit (128 KiB) would make a long field a parse error that no
# setting can lift; fields are limited by settings.max_field_chars in validate instead.
_CSV_FIELD_LIMIT = 2**31 - 1


def _parse_csv(text: str, name: str) -> Iterator[RawRecord]:
    with gc_paused():
        records = list(_csv_records(text, name))
    yield from records


def _csv_records(text: str, name: str) -> Iterator[RawRecord]:
    if text.startswith("\ufeff"):
        text = text[1:]
    # Physical lines, split as csv expects (CRLF, LF or CR), endings kept so rows can be re-joined.
    return csv_records(iter(io.StringIO(text, newline="").readlines()), name)


class _Cut(Exception):
    """A row given up unread: a line the stream did not hold (its ``size`` in bytes), or more
    than ``max_row_chars`` held for one row (a quote left open, say)."""

    def __init__(self, size: int, lines: int) -> None:
        super().__init__(size)
        self.size = size
        self.lines = lines  # physical lines it took up


def csv_records(
    physical: Iterator[str],
    name: str,
    *,
    max_row_chars: int | None = None,
    too_long: Callable[[int], str] | None = None,
) -> Iterator[RawRecord]:
    """The records of a CSV file's physical lines (endings kept), read as they are asked for:
    only the current row's lines are held (the whole-file path and ingest.stream).

    When streaming, ``max_row_chars`` bounds what one row may hold, and a line the stream cut
    short carries a ``size``: either way the row is quarantined as too long (``too_long(size)``
    words it) and reading starts afresh on the next line, so it never joins the next row."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    held: list[str] = []  # the lines read since the last row: its raw text
    held_chars = [0]

    def lines_read() -> Iterator[str]:
        for line in physical:
            size = getattr(line, "size", None)  # ingest.stream.TooLong: a line not held
            if size is not None:
                raise _Cut(int(size), len(held) + 1)
            held.append(line)
            held_chars[0] += len(line)
            if max_row_chars is not None and held_chars[0] > max_row_chars:
                raise _Cut(sum(len(x.encode("utf-8", "surrogateescape")) for x in held), len(held))
            yield line

    reader = csv.reader(lines_read())
    header: list[str] | None = None
    header_start = 0
    while header is None:
        header_start = reader.line_num
        held.clear()
        try:
            row = next(reader)
        except StopIteration:
            raise FileError(f"{name}: the CSV file has no header line") from None
        except csv.Error as e:
            raise FileError(f"{name}: the CSV header cannot be read ({e})") from None
        except _Cut as cut:
            raise FileError(
                f"{name}: the CSV header line is {cut.size:,} bytes long: too long to be a header"
            ) from None
        if any(cell.strip() for cell in row):
            header = row
    header_end = reader.line_num
    header_text = "".join(held)
    held.clear()
    held_chars[0] = 0
    if not header_text.endswith(("\n", "\r")):
        header_text += "\n"

    names = [cell.strip().lower() for cell in header]
    known = [n for n in names if n in _CSV_COLUMN_SET]
    where = f"line {header_start + 1}"
    if len(known) < min(3, len(REQUIRED_FIELDS)):
        # Most likely no header at all: the first line is a record. Its cells are a patient's
        # details, so they are counted, never quoted.
        raise FileError(
            f"{name}: the CSV file has no header line: {where}, its first line, does not name "
            f"the columns (it has {len(header)} cells, of which {len(known)} "
            f"{'is a' if len(known) == 1 else 'are'} column name{'' if len(known) == 1 else 's'}). "
            f"The first line must name the columns, e.g. {','.join(REQUIRED_FIELDS[:4])},… "
            "(see docs/formats.md)"
        )
    duplicates = sorted({n for n in known if names.count(n) > 1})
    if duplicates:
        raise FileError(
            f"{name}: the CSV header names the column{'s' if len(duplicates) > 1 else ''} "
            f"{', '.join(duplicates)} more than once"
        )
    missing = [c for c in REQUIRED_FIELDS if c not in names]
    if missing:
        others = len([n for n in names if n and n not in _CSV_COLUMN_SET])
        found = ", ".join(known)
        if others:  # unknown cells are counted, not quoted: they may be data
            found += f" and {others} other column{'s' if others > 1 else ''}"
        raise FileError(
            f"{name}: the CSV header is missing the required column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} ({where} names: {found})"
        )
    simple = [
        (n, i)
        for i, n in enumerate(names)
        if n in _CSV_COLUMN_SET and n not in ("answers", "supplier_flags")
    ]
    answers_at = names.index("answers") if "answers" in names else None
    flags_at = names.index("supplier_flags") if "supplier_flags" in names else None
    width = len(header)

    prev = header_end
    base = 0  # lines read by the readers given up after a cut row
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _Cut as cut:
            # the row is lost to the reader: quarantine it (its first lines only) and read on
            # from the next line with a fresh reader, whose line numbers start again
            start = prev + 1
            yield RawRecord(
                f"line {start}",
                None,
                header_text + "".join(held)[:200],
                too_long(cut.size) if too_long else f"the row is {cut.size:,} bytes long",
            )
            held.clear()
            held_chars[0] = 0
            prev += cut.lines
            base = prev
            reader = csv.reader(lines_read())
            continue
        except csv.Error as e:
            now = base + reader.line_num
            yield RawRecord(
                f"line {prev + 1}",
                None,
                header_text + "".join(held),
                f"the row cannot be read as CSV ({e})",
            )
            held.clear()
            if now <= prev:
                return
            prev = now
            continue
        now = base + reader.line_num
        start = prev + 1
        chunk = held[0] if len(held) == 1 else "".join(held)
        held.clear()
        held_chars[0] = 0
        prev = now
        if not any(cell.strip() for cell in row):  # blank line, or a row of empty cells
            continue
        raw = header_text + chunk
        location = f"line {start}"
        if len(row) != width:
            hint = ""
            if now - start > 0 and len(row) < width:
                hint = " (is a quote left unclosed?)"
            yield RawRecord(
                location,
                None,
                raw,
                f"the row has {len(row)} cells but the header has {width} columns{hint}",
            )
            continue
        data: dict[str, Any] = {field: row[i] for field, i in simple}
        if answers_at is not None:
            cell = row[answers_at].strip()
            if cell:
                try:
                    answers = _loads(cell)
                except (ValueError, RecursionError) as e:
                    detail = (
                        _json_problem(e.msg, f"character {e.pos + 1}")
                        if isinstance(e, json.JSONDecodeError)
                        else str(e)
                    )
                    yield RawRecord(
                        location, None, raw, f"the answers cell is not valid JSON ({detail})"
                    )
                    continue
                if not isinstance(answers, dict):
                    yield RawRecord(
                        location,
                        None,
                        raw,
                        f"the answers cell holds {_kind(answers)}; it must be a JSON object "
                        'such as {"fever": "yes"}',
                    )
                    continue
                data["answers"] = answers
            else:
                data["answers"] = {}
        if flags_at is not None:
            cell = row[flags_at]
            data["supplier_flags"] = cell.split(";") if cell.strip() else []
        yield RawRecord(location, data, raw)
