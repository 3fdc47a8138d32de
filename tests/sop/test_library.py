"""Hot reload keeps the last good SOP set when a change does not validate or test."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from ehub_tui.sop.library import SopLibrary

TESTS = """\
today: 2026-11-23
cases:
  - id: chest
    consultation: {date_of_birth: 1990-01-01, template: sore_throat, free_text: chest pain}
    answers: {fever: "no"}
    expect: {red_flags: [rf_chest], route: pf_sore_throat}
  - id: urgent
    consultation: {date_of_birth: 1990-01-01, template: x, supplier_flags: [urgent]}
    expect: {red_flags: [], route: gp_urgent}
  - id: routine
    consultation: {date_of_birth: 1990-01-01, template: x}
    expect: {red_flags: [], route: gp_routine}
"""


def touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_reload_takes_good_sets_and_keeps_the_last_good(write_sop, tmp_path: Path) -> None:
    sop = write_sop()
    (tmp_path / "demo.tests.yaml").write_text(TESTS)
    lib = SopLibrary(tmp_path, today=lambda: date(2026, 11, 23))
    first = lib.reload()
    assert first.taken, first.message
    assert lib.check_for_changes() is None  # nothing changed
    good_engine = lib.engine

    # an invalid edit: refused, the old set stays, and the message says where
    sop.write_text(sop.read_text().replace("category: signpost", "categry: signpost"))
    touch_later(sop)
    bad = lib.check_for_changes()
    assert bad is not None and not bad.taken
    assert "demo.sop.yaml:" in bad.message and "categry" in bad.message
    assert "Keeping the SOPs already in use" in bad.message
    assert lib.engine is good_engine

    # valid, but a golden case now fails: refused too
    sop.write_text(
        sop.read_text()
        .replace("categry: signpost", "category: signpost")
        .replace("{field: age, gte: 5}", "{field: age, gte: 50}")
    )
    touch_later(sop)
    failing = lib.check_for_changes()
    assert failing is not None and not failing.taken and "fail their tests" in failing.message
    assert lib.engine is good_engine

    # fixed: taken
    sop.write_text(
        sop.read_text()
        .replace("{field: age, gte: 50}", "{field: age, gte: 5}")
        .replace("version: 1.0.0", "version: 1.0.1")
    )
    touch_later(sop)
    fixed = lib.check_for_changes()
    assert fixed is not None and fixed.taken and "demo 1.0.1" in fixed.message
    assert lib.engine is not good_engine


def test_no_good_set_at_start_says_so(write_sop, tmp_path: Path) -> None:
    write_sop(replace={"    default: true\n": ""})
    lib = SopLibrary(tmp_path, today=lambda: date(2026, 11, 23))
    result = lib.reload()
    assert not result.taken and lib.engine is None
    assert "navigators get no guidance" in result.message
