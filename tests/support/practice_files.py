"""Small files in the shapes of the national practice files (issue 16), written by the tests.

``epraccur``: NHS England ODS's GP practices file: no header, 27 columns (1 code, 2 name, 3-4
groupings, 5-9 address, 10 postcode, 11 open date, 12 close date, 13 status, 14 sub-type, 15
commissioner, 16-17 join/left parent, 18 telephone, ..., 26 prescribing setting). The codes are
the fixture PCN's made-up Z99xxx practices and a few more, none real.

``list_sizes``: NHS Digital's gp-reg-pat-prac-all.csv: PUBLICATION, EXTRACT_DATE, TYPE, CODE,
POSTCODE, SEX, AGE, NUMBER_OF_PATIENTS.
"""

from __future__ import annotations

from pathlib import Path

COMMISSIONER = "99Q"


def ods_row(
    code: str,
    name: str,
    *,
    status: str = "A",
    close: str = "",
    parent: str = COMMISSIONER,
    setting: str = "4",
) -> str:
    """One epraccur line (27 columns); a name with a comma is quoted as the ODS files quote it."""
    cells = [""] * 27
    cells[0], cells[1], cells[2], cells[3] = code, name, "Y99", "QZZ"
    cells[4:9] = ["1 HARBOUR STREET", "", "SEATOWN", "", ""]
    cells[9], cells[10], cells[11] = "ZZ1 1ZZ", "19740401", close
    cells[12], cells[13], cells[14] = status, "B", parent
    cells[15], cells[17], cells[25] = "20200401", "01632 960000", setting
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


def epraccur(path: Path) -> Path:
    """The fixture PCN's practices (commissioner 99Q) as ODS names them, and around them:

    line 1 Z99001 renamed, 2 Z99002 (a quoted comma), 3 Z99003 closed (C), 4 a bad status, 5 a
    row of 12 columns, 6 Z99008 new, 7 Z99009 new but dormant with a close date, 8 another
    commissioner's practice, 9 an out-of-hours centre of 99Q, 10 a bad close date."""
    lines = [
        ods_row("Z99001", "HARBOUR STREET SURGERY"),
        ods_row("Z99002", "CASTLE HILL MEDICAL CENTRE, DR JONES & PARTNERS"),
        ods_row("Z99003", "DOWNS VIEW PRACTICE", status="C", close="20261031"),
        ods_row("Z99004", "SALTMARSH HEALTH CENTRE", status="X"),
        "Z99005,THE OLD FORGE SURGERY,Y99,QZZ,1 FORGE LANE,,SEATOWN,,,ZZ1 2ZZ,19800101,",
        ods_row("Z99008", "THE DR MCKENZIE PRACTICE (ST JOHN'S)"),
        ods_row("Z99009", "SEABROOK-ON-SEA SURGERY", status="D", close="20250101"),
        ods_row("Y00001", "ELSEWHERE SURGERY", parent="00X"),
        ods_row("Z99010", "SEATOWN OUT OF HOURS", setting="2"),
        ods_row("Z99011", "CLIFFE LANE MEDICAL GROUP", close="2026-13-01"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HEADER = "PUBLICATION,EXTRACT_DATE,TYPE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"


def list_sizes(path: Path, extract: str, sizes: dict[str, int], *extra: str) -> Path:
    """A gp-reg-pat-prac-all.csv of ``sizes`` (ODS code -> patients) extracted on ``extract``
    (e.g. 01OCT2026), with a practice not in the hub and any ``extra`` lines after."""
    lines = [HEADER]
    for code, n in {**sizes, "Y00001": 4321}.items():
        lines.append(f"GP_PRAC_PAT_LIST,{extract},GP,{code},ZZ1 1ZZ,ALL,ALL,{n}")
    lines += extra
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
