"""`ehub-tui sops validate | test | explain | schema` as an SOP author uses them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.sop.models import json_schema
from tests.conftest import REPO
from tests.sop.test_library import TESTS


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_shipped_set_validates_strictly_and_passes_its_tests() -> None:
    r = cli("sops", "validate", "--strict", str(REPO / "sops"))
    assert r.exit_code == 0, r.output
    r = cli("sops", "test", str(REPO / "sops"), "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["ok"] and report["cases"] >= 200
    for sop_id, cov in report["coverage"].items():
        assert all(cov["routes"].values()), sop_id
        assert all(cov["red_flags"].values()), sop_id
    assert report["boundary"]["checked"] > 0 and report["random_answers"]["runs"] > 0


def test_validate_exit_codes(write_sop, tmp_path: Path) -> None:
    path = write_sop()
    assert cli("sops", "validate", str(path)).exit_code == 0
    # a warning (an input never used): 0, or 1 with --strict
    write_sop(replace={"  free_text: {}\n": "  free_text: {}\n  practice: {}\n"})
    assert cli("sops", "validate", str(path)).exit_code == 0
    strict = cli("sops", "validate", "--strict", str(path), "--json")
    assert strict.exit_code == 1
    data = json.loads(strict.stdout)
    assert data["warnings"] == 1 and data["problems"][0]["severity"] == "warning"
    # an error: 2, with file:line:col
    write_sop(replace={"    category: signpost": "    category: signposting"})
    bad = cli("sops", "validate", str(path))
    assert bad.exit_code == 2 and f"{path}:" in bad.stderr and "signposting" in bad.stderr


def test_test_fails_on_a_route_without_cases(write_sop, tmp_path: Path) -> None:
    write_sop()
    cases = TESTS.split("  - id: urgent")[0]  # drop the cases that reach gp_urgent and gp_routine
    (tmp_path / "demo.tests.yaml").write_text(cases)
    r = cli("sops", "test", str(tmp_path))
    assert r.exit_code == 1
    assert "route gp_urgent is not reached by any test case" in r.stderr
    (tmp_path / "demo.tests.yaml").write_text(TESTS.replace("route: gp_urgent", "route: gp_x"))
    r = cli("sops", "test", str(tmp_path))
    assert r.exit_code == 1 and "expected gp_x, got gp_urgent" in r.stderr


def test_missing_tests_file_fails_an_active_sop(write_sop, tmp_path: Path) -> None:
    write_sop()
    r = cli("sops", "test", str(tmp_path))
    assert r.exit_code == 1 and "has no tests file demo.tests.yaml" in r.stderr


def test_explain_a_case_as_json_and_as_a_tree(write_sop, tmp_path: Path) -> None:
    write_sop()
    (tmp_path / "demo.tests.yaml").write_text(TESTS)
    case = f"{tmp_path / 'demo.tests.yaml'}#chest"
    r = cli("sops", "explain", "--case", case, "--sops", str(tmp_path), "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["route"]["id"] == "escalate_rf_chest" and d["red_flags"][0]["id"] == "rf_chest"
    assert d["pathway_route"] == "pf_sore_throat"  # the flag governs; the pathway is kept
    assert d["sops"][0]["sha256"] and d["engine_version"]
    tree = cli("sops", "explain", "--case", case, "--sops", str(tmp_path))
    assert "Red flags (1)" in tree.stdout and "Trace" in tree.stdout
    assert cli("sops", "explain", "--sops", str(tmp_path)).exit_code == 2
    missing = cli(
        "sops", "explain", "--case", f"{tmp_path / 'demo.tests.yaml'}#nope", "--sops", str(tmp_path)
    )
    assert missing.exit_code == 2 and "no case 'nope'" in missing.stderr


def test_shipped_schema_is_current_and_every_sop_points_at_it() -> None:
    shipped = json.loads((REPO / "docs" / "sop.schema.json").read_text(encoding="utf-8"))
    assert shipped == json_schema(), "run: ehub-tui sops schema --out docs/sop.schema.json"
    for sop in (REPO / "sops").glob("*.sop.yaml"):
        first = sop.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../docs/sop.schema.json", sop
