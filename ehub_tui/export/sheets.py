"""What the spreadsheet (xlsx) and printable (html) exports lay out: the daily return's own
figures, shaped into tables, never worked out again (issue 16).

Both read the same :class:`DailyReturn` the CSV is written from: the per-day cells are the CSV's
rows, the period's figures are ``export --summary``'s totals, and the share chart is those
totals' ``HUB_SHARE_PCT`` and ``LIST_SHARE_PCT``. Only arrivals by hour of day come from beside
the return (``arrivals_by_hour``: counts, no identifiers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ehub_tui.export import metrics as M
from ehub_tui.export.report import SUMMARY_COLUMNS
from ehub_tui.export.returns import DailyReturn, PracticeRef, Value
from ehub_tui.textsafe import one_line

HUB = M.ALL_SUPPLIERS
HUB_LABEL = "Whole hub"
LABELS = {metric: label for label, metric in SUMMARY_COLUMNS}
SHEET_NAME_MAX = 31  # Excel's limit
# Excel refuses these in a sheet name; an apostrophe first or last is refused too, and one
# inside would need quoting in every chart reference, so none is kept
_SHEET_BAD = re.compile(r"[\[\]:*?/\\']")
_RESERVED_SHEETS = {"history"}  # Excel keeps this name for itself


@dataclass(frozen=True)
class ExportData:
    """A return and the arrivals by hour of day for the same days (ODS code or ALL -> 24)."""

    ret: DailyReturn
    hours: dict[str, list[int]]

    def hours_of(self, code: str) -> list[int]:
        """24 counts for a practice (or ALL); zeros when the hub sent none for it."""
        got = self.hours.get(code)
        return list(got) if got is not None and len(got) == 24 else [0] * 24


def text(value: object) -> str:
    """Hub text (a practice or PCN name) for a cell or a page: control characters and bidi
    overrides shown as visible symbols, never obeyed or able to reorder what is read."""
    return one_line(value)


def span(first: date, last: date) -> str:
    """e.g. "Mon 16 Nov – Sun 22 Nov 2026" (as the CLI summary's title)."""
    if first == last:
        return f"{first:%a %d %b %Y}"
    return f"{first:%a %d %b} – {last:%a %d %b %Y}"


def period_metrics(ret: DailyReturn, code: str) -> list[tuple[str, str, Value]]:
    """(label, metric, value) of the period's figures for a practice (or ALL for the hub), in
    the return's metric order: exactly ``export --summary --json``'s figures."""
    values = ret.totals[code]
    order = [m for m in M.practice_metrics(ret.destinations) if m in values]
    order += sorted(k for k in values if k not in set(order))
    return [(LABELS.get(m, m), m, values[m]) for m in order]


def summary_row(ret: DailyReturn, code: str) -> list[Value]:
    """The summary table's figures (SUMMARY_COLUMNS) for a practice or ALL; None where the
    hub row has no such figure (shares are per practice)."""
    values = ret.totals[code]
    return [values.get(m) for _, m in SUMMARY_COLUMNS]


def outcome_mix(ret: DailyReturn, code: str) -> list[tuple[str, int]]:
    """(category, items) over the period, in catalogue order, "other" last (always listed, so
    every sheet's chart has the same categories)."""
    values = ret.totals[code]
    mix = [(c, int(values.get(f"OUTCOME_CATEGORY_{c.upper()}") or 0)) for c in M.CATEGORIES]
    mix.append(("other", int(values.get(M.OTHER_CATEGORY_METRIC) or 0)))
    return mix


def day_rows(ret: DailyReturn, pr: PracticeRef) -> list[tuple[date, list[Value]]]:
    """Per day, the practice's values in ``ret.metric_order()`` — the CSV's VALUE cells."""
    order = ret.metric_order()
    out = []
    for day in ret.days:
        cell = ret.cells[(day.isoformat(), pr.ods_code)]
        out.append((day, [cell.get(key, 0) for key in order]))
    return out


def sheet_names(practices: list[PracticeRef], hub: str = "Hub") -> list[str]:
    """A safe, unique sheet name per practice ("ODS name", at most 31 characters, none of
    ``[]:*?/\\'``), none equal to ``hub`` (ignoring case, as Excel does)."""
    taken = {hub.casefold(), *_RESERVED_SHEETS}
    names = []
    for pr in practices:
        base = _SHEET_BAD.sub("_", text(f"{pr.ods_code} {pr.name}")).strip() or "Practice"
        name = base[:SHEET_NAME_MAX].strip()
        n = 1
        while name.casefold() in taken:
            n += 1
            tail = f" ({n})"
            name = base[: SHEET_NAME_MAX - len(tail)].strip() + tail
        taken.add(name.casefold())
        names.append(name)
    return names
