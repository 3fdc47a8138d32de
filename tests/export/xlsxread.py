"""Read an xlsx file as what it is — a zip of XML — for golden-structure tests (no openpyxl):
sheet names in order, every cell's typed value, and every chart's series references."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from xml.etree import ElementTree as ET

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_REF = re.compile(r"([A-Z]+)(\d+)")


def col_index(letters: str) -> int:
    """``A`` -> 0, ``AA`` -> 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def excel_day(serial: float) -> date:
    """An Excel date serial (1900 system) as a date."""
    return date(1899, 12, 30) + timedelta(days=int(serial))


@dataclass
class Sheet:
    """One worksheet: its name, its cells by (row, column) from 0, and its raw XML."""

    name: str
    cells: dict[tuple[int, int], str | float]
    xml: str

    def find(self, value: str | float) -> tuple[int, int]:
        """The first cell (row order) holding ``value``."""
        return min(k for k, v in self.cells.items() if v == value)

    def row(self, r: int) -> dict[int, str | float]:
        """Row ``r``'s cells by column."""
        return {c: v for (rr, c), v in self.cells.items() if rr == r}


@dataclass
class Workbook:
    """A whole workbook as read from its zip."""

    parts: dict[str, str]
    sheets: list[Sheet]

    @property
    def names(self) -> list[str]:
        """The sheet names in order."""
        return [s.name for s in self.sheets]

    def sheet(self, name: str) -> Sheet:
        """A sheet by name."""
        return next(s for s in self.sheets if s.name == name)

    def charts(self) -> dict[str, list[str]]:
        """Each chart part's series references (``<c:f>`` texts, XML entities decoded)."""
        out = {}
        for name, xml in self.parts.items():
            if re.fullmatch(r"xl/charts/chart\d+\.xml", name):
                root = ET.fromstring(xml)
                refs = root.iter("{http://schemas.openxmlformats.org/drawingml/2006/chart}f")
                out[name] = [f.text or "" for f in refs]
        return out


def read(data: bytes) -> Workbook:
    """Parse an xlsx file's bytes."""
    with zipfile.ZipFile(BytesIO(data)) as z:
        parts = {n: z.read(n).decode("utf-8") for n in z.namelist()}
    strings = []
    if "xl/sharedStrings.xml" in parts:
        for si in ET.fromstring(parts["xl/sharedStrings.xml"]).findall("m:si", NS):
            strings.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
    rels = {
        r.get("Id"): r.get("Target")
        for r in ET.fromstring(parts["xl/_rels/workbook.xml.rels"]).findall("rel:Relationship", NS)
    }
    sheets = []
    for s in ET.fromstring(parts["xl/workbook.xml"]).find("m:sheets", NS) or []:
        target = "xl/" + str(rels[s.get(f"{{{NS['r']}}}id")]).lstrip("/").removeprefix("xl/")
        xml = parts[target]
        cells: dict[tuple[int, int], str | float] = {}
        for c in ET.fromstring(xml).iter(f"{{{NS['m']}}}c"):
            m = _REF.fullmatch(c.get("r", ""))
            assert m is not None
            key = (int(m.group(2)) - 1, col_index(m.group(1)))
            v = c.find("m:v", NS)
            if c.get("t") == "s":
                assert v is not None and v.text is not None
                cells[key] = strings[int(v.text)]
            elif c.get("t") == "inlineStr":
                cells[key] = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
            elif v is not None and v.text is not None:
                assert c.get("t") in (None, "n"), c.get("t")  # a number, never a formula's text
                cells[key] = float(v.text)
        sheets.append(Sheet(str(s.get("name")), cells, xml))
    return Workbook(parts, sheets)
