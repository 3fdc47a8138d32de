"""SNOMED CT codes on SOP routes (issue 15): required on every clinical, escalation and Pharmacy
First route, and checked as concept ids (digits, Verhoeff check digit, concept partition) when
SOPs load, with a message naming the file and the route."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from ehub_tui.sop import snomed
from ehub_tui.sop.loader import load_set, load_sop, load_sop_bytes
from tests.conftest import REPO

SOPS = REPO / "sops"


@pytest.mark.parametrize(
    "code",
    [
        "1362511000000107",  # Referral to Community Pharmacist Consultation Service (UK)
        "183561008",  # Referral to general practitioner
        "306338003",  # Referral to nurse practitioner
        "134403003",  # Urgent referral
    ],
)
def test_real_concept_ids_pass(code: str) -> None:
    assert snomed.verhoeff_ok(code)
    assert snomed.problem(code) is None
    assert snomed.check_digit(code[:-1]) == code[-1]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("1362511000000170", "fails the SNOMED CT check digit"),  # last two digits swapped
        ("183561007", "fails the SNOMED CT check digit"),  # a mistyped check digit
        ("18356", "has 5 digits"),
        ("0183561008", "starts with 0"),
        ("18356l008", "use its digits only"),
        # a description id of "Referral to general practitioner" has partition 01
        ("12345" + "01" + snomed.check_digit("1234501"), "a description id"),
    ],
)
def test_malformed_ids_are_named(code: str, words: str) -> None:
    why = snomed.problem(code)
    assert why is not None and words in why, why


def test_every_coded_route_of_the_shipped_sops_has_a_valid_code() -> None:
    routes = 0
    for path in sorted(SOPS.glob("*.sop.yaml")):
        for r in yaml.safe_load(path.read_text(encoding="utf-8")).get("routes") or []:
            code = r.get("snomed")
            if snomed.required(r["category"], r.get("destination_code")):
                routes += 1
                assert code, f"{path.name}: {r['id']} has no snomed"
            if code is not None:
                assert snomed.problem(code) is None, (path.name, r["id"], code)
    assert routes > 60  # every clinical, escalation and pharmacy route of the five SOPs
    assert load_set([SOPS], date(2026, 11, 23)).ok


def test_a_missing_code_names_the_file_and_the_route(write_sop) -> None:
    path = write_sop(
        replace={'    snomed: "183561008"\n    because: Flagged': "    because: Flagged"}
    )
    sop, problems = load_sop(path, date(2026, 11, 23))
    assert sop is None
    found = [str(p) for p in problems if "snomed" in p.message]
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:")
    assert "routes[1] (gp_urgent): snomed is missing" in found[0]
    assert 'e.g. snomed: "183561008"' in found[0]


def test_a_bad_check_digit_names_the_file_and_the_route(write_sop) -> None:
    path = write_sop(replace={'snomed: "1362511000000107"': 'snomed: "1362511000000170"'})
    sop, problems = load_sop(path, date(2026, 11, 23))
    assert sop is None
    [found] = [str(p) for p in problems if "snomed" in p.message]
    assert found.startswith(f"{path}:")
    assert "routes[0] (pf_sore_throat): snomed 1362511000000170 fails the SNOMED CT check" in found


def test_an_admin_or_signpost_route_may_go_without(write_sop) -> None:
    path = write_sop(
        replace={'    snomed: "1362511000000107"\n': "", "COMMUNITY_PHARMACY": "SELF_CARE"}
    )
    sop, problems = load_sop(path, date(2026, 11, 23))
    assert sop is not None, [str(p) for p in problems]
    assert not [p for p in problems if "snomed" in p.message]


def test_a_version_published_before_codes_were_required_only_warns(write_sop) -> None:
    path: Path = write_sop(
        replace={'    snomed: "183561008"\n    because: Flagged': "    because: Flagged"}
    )
    sop, problems = load_sop_bytes(
        path, path.read_bytes(), date(2026, 11, 23), codes_required=False
    )
    assert sop is not None  # its guidance is not taken away by an upgrade
    [warning] = [p for p in problems if "snomed" in p.message]
    assert warning.severity == "warning"
    assert "published before codes were required" in warning.message
