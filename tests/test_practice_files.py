"""Reading the national practice files (issue 16): the ODS epraccur file and NHS Digital's list
sizes. Good rows beside bad are kept; each bad row is named by line and column; a file of the
wrong shape is refused whole, saying where and what."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ehub_tui.domain.practice_sources import size_on
from ehub_tui.errors import PracticesFileError
from ehub_tui.practices_ods import read_epraccur, select_practices, tidy_name
from ehub_tui.practices_sizes import read_list_sizes
from tests.support.practice_files import HEADER, epraccur, list_sizes


def test_epraccur_keeps_good_rows_and_names_each_bad_one(tmp_path: Path) -> None:
    found = read_epraccur(epraccur(tmp_path / "epraccur.csv"))
    codes = [r.ods_code for r in found.rows]
    assert codes == ["Z99001", "Z99002", "Z99003", "Z99008", "Z99009", "Y00001", "Z99010"]
    by = {r.ods_code: r for r in found.rows}
    # the quoted comma stays in the name; capitals tidied, words kept
    assert by["Z99002"].name == "Castle Hill Medical Centre, Dr Jones & Partners"
    assert by["Z99008"].name == "The Dr McKenzie Practice (St John's)"
    assert by["Z99009"].name == "Seabrook-on-Sea Surgery"
    assert by["Z99003"].closed and by["Z99003"].close_date == date(2026, 10, 31)
    assert by["Z99009"].closed and by["Z99009"].status == "D"
    assert not by["Z99001"].closed and by["Z99001"].parent_code == "99Q"
    assert by["Z99010"].setting == 2
    assert found.unreadable == {"Z99004", "Z99005", "Z99011"}
    where = [p.split(": ", 1)[1] for p in found.problems]
    assert where == [
        "line 4, column 13 (status code): 'X' is not A, C, D or P (active, closed, dormant, "
        "proposed)",
        "line 5, 12 columns where an epraccur row has 27",
        "line 10, column 12 (close date): '2026-13-01' is not a date (YYYYMMDD)",
    ]
    assert all(p.startswith(str(tmp_path / "epraccur.csv")) for p in found.problems)


def test_choosing_the_hubs_practices(tmp_path: Path) -> None:
    rows = read_epraccur(epraccur(tmp_path / "epraccur.csv")).rows
    # by commissioner: its GP practices (not the out-of-hours centre, nor another's practice)
    sel = select_practices(rows, pcn="99q", only=None, known=[])
    assert [r.ods_code for r in sel.chosen] == ["Z99001", "Z99002", "Z99003", "Z99008", "Z99009"]
    assert sel.not_gp == ["Z99010"]
    # by PCN: those the hub lists in it too, and the ones it lists the file lacks
    sel = select_practices(rows, pcn="U99001", only=None, known=[], in_pcn=["Y00001", "Z99006"])
    assert [r.ods_code for r in sel.chosen] == ["Y00001"] and sel.not_in_file == ["Z99006"]
    # a list of codes: exactly those (even another setting), and what the file lacks
    sel = select_practices(rows, pcn=None, only=["z99010", "Z99001", "Z99999"], known=[])
    assert [r.ods_code for r in sel.chosen] == ["Z99010", "Z99001"]
    assert sel.not_in_file == ["Z99999"]
    # neither: the hub's own practices refreshed
    sel = select_practices(
        rows, pcn=None, only=None, known=["Z99001", "Z99004", "Z99007"], unreadable=["Z99004"]
    )
    assert [r.ods_code for r in sel.chosen] == ["Z99001"] and sel.not_in_file == ["Z99007"]
    assert sel.unreadable == ["Z99004"]  # its row is bad: not "missing from the file"


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("THE DENSHAM SURGERY", "The Densham Surgery"),
        ("DR A B SMITH & PARTNERS", "Dr A B Smith & Partners"),
        ("STOKE-ON-TRENT NHS HEALTH CENTRE", "Stoke-on-Trent NHS Health Centre"),
        ("SURGERY AT THE GREEN", "Surgery at the Green"),
        ("O'BRIEN MEDICAL PRACTICE", "O'Brien Medical Practice"),
        ("Already Mixed CASE kept", "Already Mixed CASE kept"),
    ],
)
def test_names_are_tidied_but_faithful(raw: str, tidy: str) -> None:
    assert tidy_name(raw) == tidy


def test_bad_epraccur_files_are_refused_saying_where_and_what(tmp_path: Path) -> None:
    with pytest.raises(PracticesFileError, match=r"no such file"):
        read_epraccur(tmp_path / "missing.csv")
    zipped = tmp_path / "epraccur.zip"
    zipped.write_bytes(b"PK\x03\x04\x00\x00rest")
    with pytest.raises(PracticesFileError, match=r"not a text file \(is it the zip"):
        read_epraccur(zipped)
    sizes = list_sizes(tmp_path / "sizes.csv", "01OCT2026", {"Z99001": 1})
    with pytest.raises(PracticesFileError) as exc:
        read_epraccur(sizes)  # the wrong file: every row the wrong shape
    assert "no practice could be read" in str(exc.value)
    assert "is it ODS's epraccur.csv?" in str(exc.value)
    assert "sizes.csv: line 1, 8 columns where an epraccur row has 27" in str(exc.value)


def test_list_sizes_for_the_files_month(tmp_path: Path) -> None:
    path = list_sizes(
        tmp_path / "gp-reg-pat-prac-all.csv",
        "01OCT2026",
        {"Z99001": 11500, "Z99002": 9350},
        "GP_PRAC_PAT_LIST,01OCT2026,GP,Z99003,ZZ1 1ZZ,MALE,ALL,3900",  # a breakdown: passed over
        "GP_PRAC_PAT_LIST,01OCT2026,GP,Z99004,ZZ1 1ZZ,ALL,ALL,many",
        "GP_PRAC_PAT_LIST,01NOV2026,GP,Z99005,ZZ1 1ZZ,ALL,ALL,5200",
        "GP_PRAC_PAT_LIST,01OCT2026,GP,Z99006,ALL,ALL,4900",
    )
    found = read_list_sizes(path)
    assert found.month == "2026-10"
    assert [(s.ods_code, s.list_size) for s in found.sizes] == [
        ("Z99001", 11500),
        ("Z99002", 9350),
        ("Y00001", 4321),
    ]
    assert found.passed_over == 1
    assert [p.split(": ", 1)[1] for p in found.problems] == [
        "line 6, column NUMBER_OF_PATIENTS: not a whole number (Z99004)",
        "line 7, column EXTRACT_DATE: 2026-11, where line 2 is 2026-10: one file is one month "
        "(row left out)",
        "line 8: 7 columns where the header has 8",
    ]
    # the month given wins, and the difference is said
    given = read_list_sizes(path, "2026-09")
    assert given.month == "2026-09" and "EXTRACT_DATE says 2026-10" in given.notes[0]


def test_a_file_that_is_not_a_list_size_file_is_refused(tmp_path: Path) -> None:
    ods = epraccur(tmp_path / "epraccur.csv")
    with pytest.raises(PracticesFileError) as exc:
        read_list_sizes(ods)
    assert "line 1 (the header) has no CODE, NUMBER_OF_PATIENTS, EXTRACT_DATE" in str(exc.value)
    odd = tmp_path / "odd.csv"
    odd.write_text(f"{HEADER}\nGP_PRAC_PAT_LIST,someday,GP,Z99001,ZZ1,ALL,ALL,5\n")
    with pytest.raises(PracticesFileError, match=r"line 2, column EXTRACT_DATE: 'someday'"):
        read_list_sizes(odd)


def test_a_days_size_is_its_months_or_the_latest_before() -> None:
    kept = [("2026-11", 9500), ("2026-10", 9400)]
    assert size_on(date(2026, 10, 31), kept, 1) == 9400
    assert size_on(date(2026, 11, 1), kept, 1) == 9500
    assert size_on(date(2027, 2, 1), kept, 1) == 9500  # the latest at or before
    assert size_on(date(2026, 9, 30), kept, 1) == 1  # none: the current size


def test_a_row_the_csv_module_cannot_read_is_named_and_the_rest_kept(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # a cell past the csv module's field limit (a corrupt download): a sentence, not a crash.
    # The limit is the process's (the ingest CSV reader raises it): the default here, then back.
    previous = csv.field_size_limit(131_072)
    request.addfinalizer(lambda: csv.field_size_limit(previous))
    path = epraccur(tmp_path / "epraccur.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(1, 'Z99012,"' + "X" * 200_000 + '"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = read_epraccur(path)
    assert {"Z99001", "Z99002", "Z99008"} <= {r.ods_code for r in found.rows}
    assert any("line 2: cannot be read as CSV" in p for p in found.problems), found.problems
    sizes = list_sizes(tmp_path / "sizes.csv", "01OCT2026", {"Z99001": 11500})
    with sizes.open("a", encoding="utf-8") as f:
        f.write('GP_PRAC_PAT_LIST,01OCT2026,GP,Z99002,"' + "9" * 200_000 + '",ALL,ALL,1\n')
    read = read_list_sizes(sizes)
    assert "Z99001" in {s.ods_code for s in read.sizes}  # the good row before it is kept
    assert any("cannot be read as CSV" in p for p in read.problems), read.problems
