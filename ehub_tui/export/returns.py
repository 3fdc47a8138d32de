"""The daily return: every practice, every day, every metric — from the store's grouped counts.

The store does the counting (``store/returns.py``); this module turns its rows into the long-form
return: zero-filled (a quiet day still lists every practice), with the backlog carried from day to
day (end = start + received - processed - cancelled), medians and 90th percentiles of the waiting
times, and hub share against list size. Nothing here knows a patient: the store's rows carry no
identifiers, only days, practice codes, suppliers, categories, destination codes and counts.

No free text reaches a return: a record's ``source`` is named only when it is one of the known
suppliers (the settings' ``suppliers``), else ``OTHER``; destinations are counted by the code each
SOP route declares, never by the route's words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Protocol

from ehub_tui.domain.practice_sources import month_of, size_on
from ehub_tui.domain.suppliers import supplier_code
from ehub_tui.export import metrics as M
from ehub_tui.export.return_math import equity, pct, timing_values
from ehub_tui.export.return_math import percentile as percentile  # (re-exported)
from ehub_tui.store.returns import RangeCounts, parse_seconds

Value = int | float | None
ProgressFn = Callable[[int, int], None]
CHUNK_DAYS = 31  # one set of queries per month of the range (progress advances per chunk)


@dataclass(frozen=True, slots=True)
class PracticeRef:
    """A practice as the return names it."""

    ods_code: str
    name: str
    pcn_code: str
    pcn_name: str
    list_size: int


class Reader(Protocol):
    """Reads the store for the return (the service supplies one inside a snapshot)."""

    def counts(self, first: date, last: date) -> RangeCounts:
        """Grouped counts for the UK-local days ``first`` to ``last``."""
        ...

    def open_at(self, day: date) -> dict[str, int]:
        """Open items per practice at 00:00 UK time on ``day``."""
        ...


@dataclass
class _Day:
    """One practice on one day, while it is being counted."""

    submissions: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    values: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_action: list[int] = field(default_factory=list)
    completion: list[int] = field(default_factory=list)


@dataclass
class DailyReturn:
    """A finished return: cells keyed by (day, practice, supplier, metric)."""

    first: date
    last: date
    practices: list[PracticeRef]
    suppliers: list[str]  # known suppliers seen (as configured), then OTHER if any other was
    destinations: list[str]  # metric names (OUTCOME_DESTINATION_<code>), sorted
    cells: dict[tuple[str, str], dict[tuple[str, str], Value]]
    # per practice over the whole range, for the summary; "ALL" is the whole hub
    totals: dict[str, dict[str, Value]]

    @property
    def days(self) -> list[date]:
        """Every day of the range."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def metric_order(self) -> list[tuple[str, str]]:
        """(supplier, metric) pairs in file order: ALL first, then each supplier."""
        order = [(M.ALL_SUPPLIERS, m) for m in M.practice_metrics(self.destinations)]
        order += [(s, m) for s in self.suppliers for m in M.SUBMISSIONS]
        return order

    def rows(
        self, on_day: ProgressFn | None = None
    ) -> Iterator[tuple[str, str, str, str, str, str, str, Value]]:
        """Long-form rows: DATE, PCN_CODE, PCN_NAME, GP_CODE, GP_NAME, SUPPLIER, METRIC, VALUE.

        ``on_day(done, total)`` is called after each day's rows (a progress bar)."""
        order = self.metric_order()
        days = self.days
        for i, day in enumerate(days):
            iso = day.isoformat()
            for pr in self.practices:
                cell = self.cells[(iso, pr.ods_code)]
                for supplier, metric in order:
                    yield (
                        iso,
                        pr.pcn_code,
                        pr.pcn_name,
                        pr.ods_code,
                        pr.name,
                        supplier,
                        metric,
                        cell.get((supplier, metric), 0),
                    )
            if on_day is not None:
                on_day(i + 1, len(days))

    def value(self, day: date, ods: str, metric: str, supplier: str = M.ALL_SUPPLIERS) -> Value:
        """One cell (0 for a count that did not occur)."""
        return self.cells[(day.isoformat(), ods)].get((supplier, metric), 0)


def build_return(
    reader: Reader,
    practices: list[PracticeRef],
    first: date,
    last: date,
    only: str | None = None,
    progress: ProgressFn | None = None,
    suppliers: Sequence[str] | None = None,
    sizes: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> DailyReturn:
    """Build the return for ``first``..``last`` (UK-local days, inclusive).

    Shares are always worked out against every practice in the hub; ``only`` (an ODS code) limits
    which practices are written. ``suppliers`` is the known supplier list (the settings'
    ``suppliers``; the default list when not given): any other source is reported as OTHER.
    ``sizes``: each practice's list sizes by month (YYYY-MM, size): a day's shares use the size
    of its month (the latest at or before it), the range's totals that of its last day, a
    practice with none its ``list_size``; the return's practices carry the range's size.
    """
    monthly = _MonthlySizes(practices, sizes or {})
    practices = [replace(p, list_size=monthly.on(last)[p.ods_code]) for p in practices]
    known = _known_suppliers(suppliers)
    total_days = (last - first).days + 1
    codes = [p.ods_code for p in practices]
    ours = set(codes)
    days: dict[tuple[str, str], _Day] = {}
    backlog = dict.fromkeys(codes, 0)
    backlog.update((k, v) for k, v in reader.open_at(first).items() if k in ours)
    seen_suppliers: set[str] = set()
    destinations: set[str] = set()
    # range totals per practice for the summary
    range_first: dict[str, list[int]] = {c: [] for c in codes}
    range_completion: dict[str, list[int]] = {c: [] for c in codes}

    done = 0
    chunk_start = first
    if progress:
        progress(0, total_days)
    while chunk_start <= last:
        chunk_end = min(last, chunk_start + timedelta(days=CHUNK_DAYS - 1))
        rc = reader.counts(chunk_start, chunk_end)
        n_days = (chunk_end - chunk_start).days + 1
        chunk = {
            (d.isoformat(), c): _Day()
            for d in (chunk_start + timedelta(days=i) for i in range(n_days))
            for c in codes
        }
        _fill(chunk, rc, seen_suppliers, destinations, known)
        for (_, c), day in chunk.items():
            range_first[c].extend(day.first_action)
            range_completion[c].extend(day.completion)
        # the backlog runs day by day, practice by practice
        for i in range(n_days):
            iso = (chunk_start + timedelta(days=i)).isoformat()
            for c in codes:
                v = chunk[(iso, c)].values
                v["BACKLOG_START"] = backlog[c]
                backlog[c] += v["OC_TOTAL_SUBMISSIONS"] - v["PROCESSED"] - v["CANCELLED"]
                v["BACKLOG_END"] = backlog[c]
        days.update(chunk)
        done += n_days
        if progress:
            progress(done, total_days)
        chunk_start = chunk_end + timedelta(days=1)

    list_total = sum(p.list_size for p in practices)
    shown = [p for p in practices if only is None or p.ods_code == only]
    cells: dict[tuple[str, str], dict[tuple[str, str], Value]] = {}
    day_totals: dict[str, int] = defaultdict(int)
    for (iso, _), day in days.items():
        day_totals[iso] += day.values["OC_TOTAL_SUBMISSIONS"]
    for (iso, c), day in days.items():
        if only is not None and c != only:
            continue
        on_day = monthly.on(date.fromisoformat(iso))
        cells[(iso, c)] = _cells(day, on_day[c], day_totals[iso], monthly.total(on_day))

    totals = _range_totals(shown, days, range_first, range_completion, list_total)
    return DailyReturn(
        first=first,
        last=last,
        practices=shown,
        # OTHER last: it is not a supplier, it is everyone not on the list
        suppliers=sorted(seen_suppliers, key=lambda s: (s == M.OTHER_SUPPLIER, s.casefold(), s)),
        destinations=sorted(destinations),
        cells=cells,
        totals=totals,
    )


class _MonthlySizes:
    """Each practice's list size on a day (domain.practice_sources.size_on), worked out once per
    month of the range."""

    def __init__(
        self, practices: Sequence[PracticeRef], sizes: Mapping[str, Sequence[tuple[str, int]]]
    ) -> None:
        self._practices = practices
        self._sizes = sizes
        self._by_month: dict[str, dict[str, int]] = {}

    def on(self, day: date) -> dict[str, int]:
        """ODS code -> list size for ``day``."""
        month = month_of(day)
        found = self._by_month.get(month)
        if found is None:
            found = self._by_month[month] = {
                p.ods_code: size_on(day, self._sizes.get(p.ods_code, ()), p.list_size)
                for p in self._practices
            }
        return found

    @staticmethod
    def total(on_day: Mapping[str, int]) -> int:
        """Every practice's patients (the list share's whole)."""
        return sum(on_day.values())


def _known_suppliers(suppliers: Sequence[str] | None) -> list[str]:
    """The supplier names a return may carry: the list given (else the settings' default list),
    without any name a SUPPLIER cell already uses for something else (ALL, OTHER)."""
    if suppliers is None:
        from ehub_tui.config import Settings

        factory = Settings.model_fields["suppliers"].default_factory
        suppliers = factory() if factory is not None else []  # type: ignore[call-arg]
    reserved = {M.ALL_SUPPLIERS.casefold(), M.OTHER_SUPPLIER.casefold()}
    return [s for s in suppliers if "".join(s.split()).casefold() not in reserved]


def _fill(
    chunk: dict[tuple[str, str], _Day],
    rc: RangeCounts,
    suppliers: set[str],
    destinations: set[str],
    known: Sequence[str],
) -> None:
    """Add one chunk's grouped counts to its practice-days (unknown practices are skipped)."""
    names: dict[str, str] = {}  # a source's name in the return, worked out once per source
    for d, pr, raw, rtype, n in rc.received:
        day = chunk.get((d, pr))
        if day is None:
            continue
        src = names.get(raw)
        if src is None:
            src = names[raw] = supplier_code(raw, known)
        suppliers.add(src)
        metric = M.REQUEST_TYPE_METRIC.get(rtype, M.OTHER_TYPE_METRIC)
        day.submissions[(src, "OC_TOTAL_SUBMISSIONS")] += n
        day.submissions[(src, metric)] += n
        day.values["OC_TOTAL_SUBMISSIONS"] += n
        day.values[metric] += n
    for d, pr, cat, dcode, snomed, template, n, within in rc.outcomes:
        day = chunk.get((d, pr))
        if day is None:
            continue
        v = day.values
        v["PROCESSED"] += n
        v["COMPLETED_WITHIN_STANDARD"] += within
        cmetric = f"OUTCOME_CATEGORY_{cat.upper()}"
        v[cmetric if cmetric in M.CATEGORY_METRICS else M.OTHER_CATEGORY_METRIC] += n
        if cat == "escalate":
            v[M.ESCALATIONS] += n
        dmetric = M.destination_metric(dcode)
        destinations.add(dmetric)
        v[dmetric] += n
        if snomed in M.PHARMACY_FIRST_SNOMED:
            v[M.PHARMACY_FIRST_TOTAL] += n
            pf = M.PHARMACY_FIRST_OTHER
            if template is not None and template in M.PHARMACY_FIRST_CONDITIONS:
                pf = f"PHARMACY_FIRST_{template.upper()}"
            v[pf] += n
    gathered: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for d, pr, firsts, dones in rc.timings:
        if (d, pr) in chunk:
            texts = gathered.setdefault((d, pr), ([], []))
            texts[0].append(firsts)
            texts[1].append(dones)
    for key, (firsts_texts, dones_texts) in gathered.items():
        chunk[key].first_action = parse_seconds(firsts_texts)
        chunk[key].completion = parse_seconds(dones_texts)
    for d, pr, metric, n in rc.awaiting:  # parked, replied, no reply (issue 15)
        day = chunk.get((d, pr))
        if day is not None:
            day.values[metric] += n
    for rows, metric in ((rc.cancelled, "CANCELLED"), (rc.reassigned, M.REASSIGNMENTS)):
        for d, pr, n in rows:
            day = chunk.get((d, pr))
            if day is not None:
                day.values[metric] += n


def _cells(
    day: _Day, list_size: int, hub_received: int, list_total: int
) -> dict[tuple[str, str], Value]:
    v = day.values
    out: dict[tuple[str, str], Value] = {(M.ALL_SUPPLIERS, k): n for k, n in v.items()}
    out.update(day.submissions)
    extra: dict[str, Value] = {}
    extra.update(timing_values(day.first_action, day.completion))
    extra["PCT_COMPLETED_WITHIN_STANDARD"] = pct(v["COMPLETED_WITHIN_STANDARD"], v["PROCESSED"])
    extra.update(equity(v["OC_TOTAL_SUBMISSIONS"], hub_received, list_size, list_total))
    out.update(((M.ALL_SUPPLIERS, k), x) for k, x in extra.items())
    return out


SUMMARY_COUNTS = (
    "OC_TOTAL_SUBMISSIONS",
    "PROCESSED",
    "CANCELLED",
    M.ESCALATIONS,
    M.PHARMACY_FIRST_TOTAL,
    M.REASSIGNMENTS,
    *M.AWAITING,
    "COMPLETED_WITHIN_STANDARD",
    *M.CATEGORY_METRICS,
    M.OTHER_CATEGORY_METRIC,
)


def _range_totals(
    shown: list[PracticeRef],
    days: dict[tuple[str, str], _Day],
    range_first: dict[str, list[int]],
    range_completion: dict[str, list[int]],
    list_total: int,
) -> dict[str, dict[str, Value]]:
    """Per practice over the whole range (the summary table)."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (_, c), day in days.items():
        for k in SUMMARY_COUNTS:
            sums[c][k] += day.values.get(k, 0)
    first_iso, last_iso = min(iso for iso, _ in days), max(iso for iso, _ in days)
    hub_received = sum(s["OC_TOTAL_SUBMISSIONS"] for s in sums.values())
    out: dict[str, dict[str, Value]] = {}
    for pr in shown:
        c = pr.ods_code
        row: dict[str, Value] = dict(sums[c])
        row["BACKLOG_START"] = days[(first_iso, c)].values["BACKLOG_START"]
        row["BACKLOG_END"] = days[(last_iso, c)].values["BACKLOG_END"]
        row.update(timing_values(range_first[c], range_completion[c]))
        row["PCT_COMPLETED_WITHIN_STANDARD"] = pct(
            sums[c]["COMPLETED_WITHIN_STANDARD"], sums[c]["PROCESSED"]
        )
        row.update(equity(sums[c]["OC_TOTAL_SUBMISSIONS"], hub_received, pr.list_size, list_total))
        out[c] = row
    # the whole hub (every practice, whether shown or not)
    hub: dict[str, Value] = {k: sum(sums[c][k] for c in range_first) for k in SUMMARY_COUNTS}
    hub["BACKLOG_START"] = sum(days[(first_iso, c)].values["BACKLOG_START"] for c in range_first)
    hub["BACKLOG_END"] = sum(days[(last_iso, c)].values["BACKLOG_END"] for c in range_first)
    hub.update(
        timing_values(
            [x for v in range_first.values() for x in v],
            [x for v in range_completion.values() for x in v],
        )
    )
    hub["PCT_COMPLETED_WITHIN_STANDARD"] = pct(
        sum(s["COMPLETED_WITHIN_STANDARD"] for s in sums.values()),
        sum(s["PROCESSED"] for s in sums.values()),
    )
    hub["PATIENTS_REGISTERED"] = list_total
    out[M.ALL_SUPPLIERS] = hub
    return out
