"""The SOP library: the newest version of each SOP that loads guides the app; a version that does
not load never takes guidance away (that SOP steps back to its newest earlier version, and the
red-flag SOP is never absent); a running app takes a new version at its next check.

The source here is a list in memory; the hub's store as the source, on both engines, is tested in
tests/service/test_sop_governance.py.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import pytest

from ehub_tui.sop.library import (
    RED_FLAGS,
    PublishedText,
    SopLibrary,
    default_sops_dir,
    shipped_sops_dir,
    version_key,
)
from tests.sop.conftest import BASE

TODAY = date(2026, 11, 23)
# golden cases for BASE (tests/sop/conftest.py); tests/sop/test_cli.py uses them too
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
RED = """\
sop:
  id: red-flags
  title: Red flags
  version: {version}
  status: active
  owner: Hub lead
  approved_by: Dr Example
  effective_from: 2026-01-01
  review_by: 2030-01-01
  priority: 1
inputs:
  free_text: {{}}
red_flags:
  - id: rf_stroke
    level: emergency
    when: {{field: free_text, contains_any: [{phrase}]}}
    say: Possible stroke.
    action: Call 999 now.
"""


class Source:
    """Published versions held in a list (as the hub holds them), with a stamp that moves."""

    def __init__(self) -> None:
        self.items: list[PublishedText] = []

    def publish(self, sop_id: str, version: str, text: str) -> PublishedText:
        data = text.encode()
        v = PublishedText(
            sop_id,
            version,
            f"{sop_id}.sop.yaml",
            data,
            sha256=hashlib.sha256(data).hexdigest(),
            row_id=len(self.items) + 1,
        )
        self.items.append(v)
        return v

    def stamp(self) -> int:
        return len(self.items)

    def versions(self) -> list[PublishedText]:
        return list(self.items)


def demo(version: str, destination: str = "GP routine") -> str:
    return BASE.replace("version: 1.0.0", f"version: {version}").replace(
        "destination: GP routine", f"destination: {destination}"
    )


def red(version: str, phrase: str = "face drooping") -> str:
    return RED.format(version=version, phrase=phrase)


def routine(lib: SopLibrary) -> str:
    """The route of a routine request, and the flags of a stroke."""
    assert lib.engine is not None
    d = lib.engine.evaluate({"template": "x", "free_text": "a rash"}, {}, TODAY)
    stroke = lib.engine.evaluate({"template": "x", "free_text": "face drooping"}, {}, TODAY)
    assert d.route is not None and not d.red_flags
    return f"{d.route.destination}; flags {[f.id for f in stroke.red_flags]}"


def in_use(lib: SopLibrary) -> list[str]:
    assert lib.sop_set is not None
    return sorted(f"{s.id} {s.meta.version}" for s in lib.sop_set.sops)


def test_the_newest_version_of_each_sop_guides() -> None:
    src = Source()
    src.publish("demo", "1.0.0", demo("1.0.0"))
    src.publish(RED_FLAGS, "1.0.0", red("1.0.0"))
    src.publish("demo", "1.2.0", demo("1.2.0", "GP twelve"))
    src.publish("demo", "1.10.0", demo("1.10.0", "GP ten"))  # semver: 1.10.0 > 1.2.0
    lib = SopLibrary(src, today=lambda: TODAY)
    first = lib.reload()
    assert first.taken, first.message
    assert in_use(lib) == ["demo 1.10.0", "red-flags 1.0.0"]
    assert routine(lib) == "GP ten; flags ['rf_stroke']"
    assert lib.last_problem is None
    assert [v.version for v in lib.in_use] == ["1.10.0", "1.0.0"]
    assert lib.check_for_changes() is None  # nothing new

    # a running app takes a newly published version at its next check
    src.publish("demo", "1.11.0", demo("1.11.0", "GP eleven"))
    update = lib.check_for_changes()
    assert update is not None and update.taken and "demo 1.11.0" in update.message
    assert routine(lib) == "GP eleven; flags ['rf_stroke']"


def test_a_version_that_does_not_load_steps_back_to_the_last_good() -> None:
    src = Source()
    src.publish("demo", "1.0.0", demo("1.0.0"))
    src.publish(RED_FLAGS, "1.0.0", red("1.0.0"))
    lib = SopLibrary(src, today=lambda: TODAY)
    lib.reload()
    good_engine = lib.engine

    # a newer demo that does not load here (an unknown key), published behind the app's back
    src.publish("demo", "2.0.0", demo("2.0.0").replace("category: signpost", "categry: signpost"))
    result = lib.check_for_changes()
    assert result is not None and not result.taken
    assert "SOP demo 2.0.0 does not load here (demo.sop.yaml:" in result.message
    assert "categry" in result.message and "using 1.0.0" in result.message
    assert lib.engine is good_engine
    # a newly started app says the same and uses 1.0.0
    fresh = SopLibrary(src, today=lambda: TODAY)
    assert fresh.reload().taken
    assert in_use(fresh) == ["demo 1.0.0", "red-flags 1.0.0"]
    assert "demo 2.0.0 does not load here" in (fresh.last_problem or "")

    # fixed in a later version: taken, and the problem is gone
    src.publish("demo", "2.0.1", demo("2.0.1", "GP fixed"))
    fixed = lib.check_for_changes()
    assert fixed is not None and fixed.taken and lib.last_problem is None
    assert routine(lib) == "GP fixed; flags ['rf_stroke']"


def test_the_red_flags_are_never_absent() -> None:
    src = Source()
    src.publish("demo", "1.0.0", demo("1.0.0"))
    src.publish(RED_FLAGS, "1.0.0", red("1.0.0", "[unclosed"))  # never loaded
    spare = Source()
    spare.publish(RED_FLAGS, "1.0.0", red("1.0.0", "arm weakness"))
    lib = SopLibrary(src, today=lambda: TODAY, last_resort=spare.versions)
    assert lib.reload().taken
    assert in_use(lib) == ["demo 1.0.0", "red-flags 1.0.0"]
    assert "No published version of red-flags loads here: using the one shipped" in (
        lib.last_problem or ""
    )
    assert lib.engine is not None
    d = lib.engine.evaluate({"free_text": "sudden arm weakness"}, {}, TODAY)
    assert [f.id for f in d.red_flags] == ["rf_stroke"]


def test_a_text_that_does_not_match_its_sha256_is_not_used() -> None:
    src = Source()
    src.publish("demo", "1.0.0", demo("1.0.0"))
    src.publish(RED_FLAGS, "1.0.0", red("1.0.0"))
    v = src.publish("demo", "1.1.0", demo("1.1.0", "GP tampered"))
    src.items[-1] = PublishedText(
        v.sop_id, v.version, v.name, v.text.replace(b"tampered", b"changed!"), None, v.sha256
    )
    lib = SopLibrary(src, today=lambda: TODAY)
    lib.reload()
    assert in_use(lib) == ["demo 1.0.0", "red-flags 1.0.0"]
    assert "demo 1.1.0: its text does not match its sha256" in (lib.last_problem or "")


def test_nothing_that_loads_says_so() -> None:
    src = Source()
    src.publish("demo", "1.0.0", demo("1.0.0").replace("    default: true\n", ""))
    lib = SopLibrary(src, today=lambda: TODAY)
    result = lib.reload()
    assert not result.taken and lib.engine is None
    assert "navigators get no guidance" in result.message


@pytest.mark.parametrize(
    "versions",
    [
        ["0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0"],
        ["1.0.0-rc.1", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"],
    ],
)
def test_versions_order_as_semver(versions: list[str]) -> None:
    keys = [version_key(v) for v in versions]
    assert None not in keys
    assert sorted(versions, key=lambda v: version_key(v)) == versions  # type: ignore[arg-type,return-value]
    assert version_key("1.0") is None and version_key("v1.0.0") is None


def test_a_folder_can_still_be_loaded_by_tools(write_sop, tmp_path: Path) -> None:
    write_sop()
    lib = SopLibrary(tmp_path, today=lambda: TODAY)
    assert lib.reload().taken and in_use(lib) == ["demo 1.0.0"]
    assert lib.check_for_changes() is None


def test_no_folder_in_the_current_directory_is_ever_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sops").mkdir()
    (tmp_path / "sops" / "evil.sop.yaml").write_text("sop: {}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert default_sops_dir(None) == shipped_sops_dir() != tmp_path / "sops"
    assert default_sops_dir(tmp_path / "mine") == tmp_path / "mine"
    assert (shipped_sops_dir() / "red-flags.sop.yaml").is_file()
    assert os.getcwd() == str(tmp_path)
