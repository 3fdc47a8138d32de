"""The loader says what is wrong with a route's patient message (helper D's grammar, wired by
sop/message_checks.py): an error naming the file and route for a new version, a warning for a
version already published, so upgrading never takes a hub's approved guidance away."""

from __future__ import annotations

from datetime import date

from ehub_tui.sop.loader import load_sop, load_sop_bytes

TODAY = date(2026, 11, 23)
PF = '  pf: "{greeting} Please see a pharmacist about your {condition}."'
WRONG = '  pf: "{greeting} A pharmacist will see you within 5 working days."'


def test_a_message_contradicting_its_routes_urgency_is_an_error(write_sop) -> None:
    path = write_sop(replace={PF: WRONG})
    sop, problems = load_sop(path, TODAY)
    assert sop is None
    [found] = [str(p) for p in problems if "pf_sore_throat" in p.message]
    assert found.startswith(f"{path}:") and "error" in found
    assert "routes[0] (pf_sore_throat): message pf:" in found
    assert "'within 5 working days'" in found


def test_in_a_published_version_it_is_a_warning(write_sop) -> None:
    path = write_sop(replace={PF: WRONG})
    sop, problems = load_sop_bytes(path, path.read_bytes(), TODAY, codes_required=False)
    assert sop is not None
    [found] = [p for p in problems if "pf_sore_throat" in p.message]
    assert found.severity == "warning" and "published before messages were checked" in found.message


def test_hello_first_name_is_a_warning_only(write_sop) -> None:
    path = write_sop(replace={PF: '  pf: "Hello {first_name}, see a pharmacist."'})
    sop, problems = load_sop(path, TODAY)
    assert sop is not None
    assert any(p.severity == "warning" and "{greeting}" in p.message for p in problems)
