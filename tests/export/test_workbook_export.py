"""``export --format xlsx|html`` (issue 16): golden structure (sheets, charts, no formulas), the
same figures as the CSV return and ``--summary``, and hostile practice text kept as text."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.config import load_settings
from ehub_tui.export.report import SUMMARY_COLUMNS, figure
from ehub_tui.export.returns import PracticeRef
from ehub_tui.export.sheets import sheet_names
from ehub_tui.service import HubService
from tests.export import xlsxread
from tests.export.test_export_cli import embedded_week  # noqa: F401 (a fixture)

pytestmark = pytest.mark.db  # the CLI runs on an embedded hub

WEEK = ("--from", "2026-11-16", "--to", "2026-11-22")
NO_FORMULA = re.compile(r"<(?:\w+:)?f[ >/]")  # a cell formula element, in any namespace prefix


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _value(text: str) -> float | None:
    return None if text == "" else float(text)


def _csv(*args: str) -> list[dict[str, str]]:
    result = cli("export", *args, "--out", "-")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _check_day_cells(book: xlsxread.Workbook, name: str, rows: list[dict[str, str]]) -> int:
    """Every CSV row of a practice equals its cell in the sheet's day-by-day table."""
    sheet = book.sheet(name)
    head, _ = sheet.find("DATE")
    suppliers, metrics = sheet.row(head - 1), sheet.row(head)
    column = {(suppliers[c], metrics[c]): c for c in metrics if c > 0}
    day_row = {
        xlsxread.excel_day(float(v)).isoformat(): r
        for (r, c), v in sheet.cells.items()
        if c == 0 and r > head
    }
    for row in rows:
        key = (day_row[row["DATE"]], column[(row["SUPPLIER"], row["METRIC"])])
        assert sheet.cells.get(key) == _value(row["VALUE"]), (name, row)
    return len(rows)


def test_xlsx_and_html_carry_the_csv_and_summary_figures(
    embedded_week: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    rows = _csv(*WEEK)
    summary = json.loads(cli("export", *WEEK, "--summary", "--json").stdout)
    result = cli("export", *WEEK, "--out", "week.xlsx", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert (info["format"], info["sheets"], info["rows"]) == ("xlsx", 8, len(rows))
    book = xlsxread.read((tmp_path / "week.xlsx").read_bytes())

    # sheets: the hub, then one per practice in ODS order, named safely
    codes = [p["ods_code"] for p in summary["practices"]]
    assert book.names[0] == "Hub" and len(book.names) == 1 + len(codes) == 8
    for code, name in zip(codes, book.names[1:], strict=True):
        assert name.startswith(code) and len(name) <= 31
    # no formula anywhere: every cell is a typed value
    for part, xml in book.parts.items():
        if part.startswith("xl/worksheets/"):
            assert not NO_FORMULA.search(xml), part

    # the day-by-day cells are the CSV's rows, every one of them
    checked = sum(
        _check_day_cells(book, name, [r for r in rows if r["GP_CODE"] == code])
        for code, name in zip(codes, book.names[1:], strict=True)
    )
    assert checked == len(rows)

    # the hub sheet's table is --summary's figures; the share chart reads its share columns
    hub = book.sheet("Hub")
    head, _ = hub.find("ODS code")
    labels = {v: c for c, v in hub.row(head).items()}
    for p in [*summary["practices"], {"ods_code": "ALL", **summary["hub"]}]:
        r, _ = hub.find(p["ods_code"])
        for label, metric in SUMMARY_COLUMNS:
            assert hub.cells.get((r, labels[label])) == p.get(metric), (p["ods_code"], metric)
    charts = book.charts()
    assert len(charts) == 3 + 2 * len(codes)  # share, arrivals and mix; arrivals and mix each
    refs = {ref for found in charts.values() for ref in found}
    share_col = _letters(labels["Hub share %"])
    assert f"Hub!${share_col}${head + 2}:${share_col}${head + 1 + len(codes)}" in refs
    assert f"Hub!$A${head + 2}:$A${head + 1 + len(codes)}" in refs
    # arrivals by hour: the charted column adds up to the return's submissions
    for name, code in [("Hub", "ALL"), *zip(book.names[1:], codes, strict=True)]:
        sheet = book.sheet(name)
        r, c = sheet.find("Arrivals")
        col = _letters(c)
        quoted = name if name == "Hub" else f"'{name}'"
        assert f"{quoted}!${col}${r + 2}:${col}${r + 25}" in refs, name
        total = sum(float(sheet.cells[(r + 1 + h, c)]) for h in range(24))
        want = summary["hub"] if code == "ALL" else summary["practices"][codes.index(code)]
        assert total == want["OC_TOTAL_SUBMISSIONS"]
    assert summary["hub"]["OC_TOTAL_SUBMISSIONS"] == 179

    # html: the same summary, and each practice's days as the CSV has them
    assert cli("export", *WEEK, "--format", "html", "--out", "week.html").exit_code == 0
    page = (tmp_path / "week.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page and "<svg" in page
    for p in [*summary["practices"], {"ods_code": "ALL", **summary["hub"]}]:
        tr = re.search(rf'<tr (?:class="hub" )?data-ods="{p["ods_code"]}">(.*?)</tr>', page)
        assert tr is not None
        cells = re.findall(r'<td class="n">(.*?)</td>', tr.group(1))
        assert cells == [figure(p.get(m)) for _, m in SUMMARY_COLUMNS]
    by_key = {
        (r["DATE"], r["GP_CODE"], r["METRIC"]): r["VALUE"] for r in rows if r["SUPPLIER"] == "ALL"
    }
    for code in codes:
        section = page.split(f'<section class="practice" data-ods="{code}">')[1].split(
            "</section>"
        )[0]
        days = re.findall(r'<tr data-day="([\d-]+)">(.*?)</tr>', section)
        assert len(days) == 7
        for day, tds in days:
            want = [by_key[(day, code, m)] for _, m in SUMMARY_COLUMNS]
            got = re.findall(r'<td class="n">(.*?)</td>', tds)
            assert got == [figure(None if v == "" else _number(v)) for v in want], (code, day)


def _letters(c: int) -> str:
    """Column letters of a 0-based column."""
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _number(text: str) -> int | float:
    return int(text) if text.lstrip("-").isdigit() else float(text)


HOSTILE = [
    ("Z90001", '=HYPERLINK("http://evil.example","click")', "@SUM(1+1)"),
    ("Z90002", "+44 Surgery", "-1 PCN"),
    ("Z90003", "-2+3 Practice", "=1+1"),
    ("Z90004", "@cmd|' /C calc'!A0", "+PCN"),
    ("Z90005", "<script>alert('x')</script> & [Sheet]:*?/\\ a very long name", "<b>PCN</b>"),
]


@pytest.fixture
def hostile_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An embedded hub whose practice and PCN names are formulas and markup."""
    svc = HubService.open(load_settings())
    svc.import_practices(
        [
            {"ods_code": c, "name": n, "pcn_code": "U90001", "pcn_name": pcn, "list_size": 1000}
            for c, n, pcn in HOSTILE
        ]
    )
    svc.close()
    monkeypatch.chdir(tmp_path)


def test_hostile_practice_names_stay_text(hostile_hub: None, tmp_path: Path) -> None:
    day = ("--date", "2026-11-18")
    assert cli("export", *day, "--out", "h.xlsx").exit_code == 0
    book = xlsxread.read((tmp_path / "h.xlsx").read_bytes())
    for part, xml in book.parts.items():
        if part.startswith("xl/worksheets/"):
            assert not NO_FORMULA.search(xml), part
    assert len(book.names) == 6 and len({n.casefold() for n in book.names}) == 6
    for name in book.names:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\'"), name
    hub = book.sheet("Hub")
    for code, name, pcn in HOSTILE:
        r, _ = hub.find(code)
        assert (hub.cells[(r, 1)], hub.cells[(r, 2)]) == (name, pcn)  # as typed, as text
    assert cli("export", *day, "--out", "h.htm").exit_code == 0
    page = (tmp_path / "h.htm").read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>PCN" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; [Sheet]" in page
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)" in page
    # to standard output: the workbook's bytes into a pipe, the page as text
    piped = CliRunner().invoke(app, ["export", *day, "--format", "xlsx", "--out", "-"])
    assert piped.exit_code == 0 and piped.stdout_bytes.startswith(b"PK")
    assert xlsxread.read(piped.stdout_bytes).names == book.names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "ods"), "--format 'ods' is not known: use csv, json, xlsx or html"),
        (("--out", "r.xlsx", "--format", "html"), "--format html does not match the file name"),
        (("--format", "xlsx", "--from", "2026-02-30"), "--from '2026-02-30' is not a date"),
        (("--date", "2026-11-18", "--out", "/nonexistent/dir/r.xlsx"), "no such folder"),
        (("--date", "2026-11-18", "--out", "/proc/r.html"), "cannot write the return there"),
        (("--summary", "--format", "xlsx"), "--summary prints a table, not a file"),
    ],
)
def test_bad_arguments_get_a_sentence(
    hostile_hub: None, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = cli("export", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob(".*"))


def test_sheet_names_are_safe_unique_and_short() -> None:
    long = "A" * 40
    refs = [
        PracticeRef("Z1", long, "U", "P", 1),
        PracticeRef("Z1", long, "U", "P", 1),  # the same name twice
        PracticeRef("", "History", "U", "P", 1),  # Excel keeps this name
        PracticeRef("Z3", "a[b]c:d*e?f/g\\h'i", "U", "P", 1),
        PracticeRef("", "hub", "U", "P", 1),  # the hub sheet's name, in another case
    ]
    names = sheet_names(refs)
    assert names[0] == ("Z1 " + long)[:31] and names[1] == ("Z1 " + long)[:27] + " (2)"
    assert names[2] == "History (2)" and names[3] == "Z3 a_b_c_d_e_f_g_h_i"
    assert names[4] == "hub (2)"
    assert all(len(n) <= 31 for n in names) and len({n.casefold() for n in names}) == 5
