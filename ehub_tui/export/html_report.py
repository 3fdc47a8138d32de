"""The daily return as a printable report (``export --format html``, issue 16): one standalone
HTML page (no script, no external file) with print CSS — the summary table and the share chart
for the hub, then a page per practice with its period figures, arrivals by hour, outcome mix and
its key figures day by day. Charts are SVG bars with their numbers written beside them.

Every value from the hub (practice and PCN names and codes, supplier names) is escaped, so a
practice called ``<script>…`` is only ever text; figures are written as the CLI summary shows
them (``figure``: 1,234 / 12.3 / – for nothing to measure).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ehub_tui.export.metrics import ALL_SUPPLIERS
from ehub_tui.export.report import SUMMARY_COLUMNS, figure
from ehub_tui.export.returns import PracticeRef, Value
from ehub_tui.export.sheets import (
    HUB_LABEL,
    ExportData,
    outcome_mix,
    period_metrics,
    span,
    summary_row,
    text,
)

CSS = """
body { font: 10pt/1.35 system-ui, "Segoe UI", Arial, sans-serif; color: #111; margin: 1.5em; }
h1 { font-size: 16pt; margin: 0 0 .2em; } h2 { font-size: 13pt; margin: 1.2em 0 .3em; }
h3 { font-size: 11pt; margin: 1em 0 .3em; } p.note { color: #444; margin: 0 0 1em; }
table { border-collapse: collapse; margin: .3em 0 1em; }
th, td { border: 1px solid #bbb; padding: 2px 6px; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { background: #eee; } tr.hub td, tr.hub th { font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
svg { display: block; } svg text { font: 8px sans-serif; fill: #111; }
svg .bar { fill: #3b6ea5; } svg .bar2 { fill: #b5651d; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; } section.practice { break-before: page; }
  table, .charts, svg { break-inside: avoid; } thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
ARIA = "bar chart; its figures are written beside its bars"
DAY_LIMIT = 62  # days shown one by one in the printed day table (about two months)


def _e(value: object) -> str:
    """Hub text for the page: control characters made visible, then HTML-escaped."""
    return escape(text(value), quote=True)


def _hbars(rows: Sequence[tuple[str, Sequence[float]]], names: Sequence[str], unit: str) -> str:
    """Horizontal SVG bars: a label per row, one bar per series, each with its number."""
    top = max([v for _, values in rows for v in values] + [0.0]) or 1.0
    height = 12 * len(names) + 6
    legend = "".join(
        f'<rect class="bar{"" if i == 0 else "2"}" x="{140 + 110 * i}" y="2" width="8" '
        f'height="8"/><text x="{152 + 110 * i}" y="9">{_e(name)}</text>'
        for i, name in enumerate(names)
    )
    parts = [legend] if len(names) > 1 else []
    y = 16 if len(names) > 1 else 2
    for label, values in rows:
        parts.append(f'<text x="0" y="{y + 9}">{_e(label)}</text>')
        for i, v in enumerate(values):
            w = round(260 * v / top, 1)
            cls = "bar" if i == 0 else "bar2"
            by = y + 12 * i
            parts.append(f'<rect class="{cls}" x="130" y="{by}" width="{w}" height="10"/>')
            parts.append(f'<text x="{134 + w}" y="{by + 8}">{_e(figure(v))}{unit}</text>')
        y += height
    return (
        f'<svg width="440" height="{y + 2}" role="img" aria-label="{ARIA}" '
        f'viewBox="0 0 440 {y + 2}">' + "".join(parts) + "</svg>"
    )


def _hours_svg(hours: Sequence[int]) -> str:
    """24 vertical bars, the hour under each and the count over it."""
    top = max([*hours, 1])
    parts = []
    for h, n in enumerate(hours):
        bh = round(100 * n / top, 1)
        x = 4 + 18 * h
        parts.append(f'<rect class="bar" x="{x}" y="{112 - bh}" width="14" height="{bh}"/>')
        if n:
            parts.append(f'<text x="{x}" y="{109 - bh}">{n}</text>')
        parts.append(f'<text x="{x}" y="124">{h:02d}</text>')
    return (
        f'<svg width="440" height="128" role="img" aria-label="{ARIA}" viewBox="0 0 440 128">'
        + "".join(parts)
        + "</svg>"
    )


def _charts(data: ExportData, code: str) -> str:
    mix = outcome_mix(data.ret, code)
    return (
        '<div class="charts"><figure><figcaption>Arrivals by hour of day (UK time)</figcaption>'
        + _hours_svg(data.hours_of(code))
        + "</figure><figure><figcaption>Outcome mix (items)</figcaption>"
        + _hbars([(c, [float(n)]) for c, n in mix], ["Items"], "")
        + "</figure></div>"
    )


def _num(value: Value) -> str:
    return f'<td class="n">{escape(figure(value))}</td>'


def _summary(data: ExportData) -> str:
    ret = data.ret
    heads = "".join(f"<th>{escape(label)}</th>" for label, _ in SUMMARY_COLUMNS)
    rows = []
    for p in ret.practices:
        cells = "".join(_num(v) for v in summary_row(ret, p.ods_code))
        rows.append(
            f'<tr data-ods="{_e(p.ods_code)}"><th>{_e(p.ods_code)}</th><td>{_e(p.name)}</td>'
            f"{cells}</tr>"
        )
    cells = "".join(_num(v) for v in summary_row(ret, ALL_SUPPLIERS))
    rows.append(f'<tr class="hub" data-ods="ALL"><th>ALL</th><td>{HUB_LABEL}</td>{cells}</tr>')
    share = [
        (
            p.ods_code,
            [
                float(ret.totals[p.ods_code].get(m) or 0)
                for m in ("HUB_SHARE_PCT", "LIST_SHARE_PCT")
            ],
        )
        for p in ret.practices
    ]
    return (
        '<table class="summary"><thead><tr><th>ODS code</th><th>Practice</th>'
        f"{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        '<div class="charts"><figure><figcaption>Hub share vs list share (%)</figcaption>'
        + _hbars(share, ["Hub share %", "List share %"], "%")
        + "</figure></div>"
    )


def _practice(data: ExportData, pr: PracticeRef) -> str:
    ret = data.ret
    figures = "".join(
        f'<tr data-metric="{escape(metric)}"><th>{escape(label)}</th>'
        f"<td><code>{escape(metric)}</code></td>{_num(value)}</tr>"
        for label, metric, value in period_metrics(ret, pr.ods_code)
    )
    days = ret.days
    keys = [m for _, m in SUMMARY_COLUMNS]
    heads = "".join(f"<th>{escape(label)}</th>" for label, _ in SUMMARY_COLUMNS)
    body = []
    for day in days[:DAY_LIMIT]:
        cell = ret.cells[(day.isoformat(), pr.ods_code)]
        tds = "".join(_num(cell.get((ALL_SUPPLIERS, k), 0)) for k in keys)
        body.append(f'<tr data-day="{day.isoformat()}"><th>{day.isoformat()}</th>{tds}</tr>')
    more = (
        f'<p class="note">The first {DAY_LIMIT} of {len(days)} days are shown; the CSV or xlsx '
        "export has every day.</p>"
        if len(days) > DAY_LIMIT
        else ""
    )
    return (
        f'<section class="practice" data-ods="{_e(pr.ods_code)}">'
        f"<h2>{_e(pr.name)} ({_e(pr.ods_code)})</h2>"
        f'<p class="note">PCN: {_e(pr.pcn_name)} ({_e(pr.pcn_code)}) · '
        f"{escape(span(ret.first, ret.last))}</p>"
        + _charts(data, pr.ods_code)
        + '<h3>The period\'s figures</h3><table class="figures"><thead><tr><th>Figure</th>'
        f"<th>Metric</th><th>Value</th></tr></thead><tbody>{figures}</tbody></table>"
        '<h3>Day by day</h3><table class="days"><thead><tr><th>Day</th>'
        f"{heads}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}</section>"
    )


def report_html(data: ExportData) -> str:
    """The whole report as one HTML document."""
    ret = data.ret
    title = f"eHub daily return, {span(ret.first, ret.last)}"
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="note">{ret.first.isoformat()} to {ret.last.isoformat()}, UK days; '
        f"{len(ret.practices)} practice(s). No patient identifiers. Figures as in the CSV "
        "return (docs/returns.md); – means nothing to measure.</p>"
        + _summary(data)
        + "<section><h2>Whole hub</h2>"
        + _charts(data, ALL_SUPPLIERS)
        + "</section>"
        + "".join(_practice(data, pr) for pr in ret.practices)
        + "</body></html>\n"
    )
