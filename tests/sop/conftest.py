"""Helpers for SOP tests: write a SOP from a template with parts replaced."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

BASE = """\
# yaml-language-server: $schema=../docs/sop.schema.json
sop:
  id: demo
  title: Demo SOP
  version: 1.0.0
  status: active
  owner: Hub lead
  approved_by: Dr Example
  effective_from: 2026-01-01
  review_by: 2030-01-01
  priority: 10
inputs:
  age: {}
  template: {}
  free_text: {}
  supplier_flags: {}
  answers.duration_days: {type: number}
red_flags:
  - id: rf_chest
    level: emergency
    when: {field: free_text, contains_any: [chest pain, cant breathe]}
    say: Chest pain or breathlessness.
    action: Call 999 now.
questions:
  - id: fever
    text: Temperature of 38C or more?
    answers: [yes, no]
routes:
  - id: pf_sore_throat
    when:
      all:
        - {field: template, eq: sore_throat}
        - {field: age, gte: 5}
        - {field: answers.fever, eq: "no"}
    category: signpost
    destination: Community pharmacy
    destination_code: COMMUNITY_PHARMACY
    urgency: same_day
    snomed: "1362511000000107"
    because: Sore throat aged 5+ without fever.
    message: pf
  - id: gp_urgent
    when:
      any:
        - {field: supplier_flags, includes_any: [urgent, emergency]}
        - {field: answers.duration_days, gt: 21}
    category: clinical
    destination: GP same day
    destination_code: GP_SAME_DAY
    urgency: same_day
    snomed: "183561008"
    because: Flagged urgent by the supplier.
  - id: gp_routine
    default: true
    category: clinical
    destination: GP routine
    destination_code: GP_ROUTINE
    urgency: within_3_days
    snomed: "183561008"
    because: Everything else goes to a GP.
messages:
  pf: "{greeting} Please see a pharmacist about your {condition}."
"""


@pytest.fixture
def write_sop(tmp_path: Path):
    """Write BASE (or a variant) as tmp/NAME.sop.yaml and return its path."""

    def write(text: str = BASE, name: str = "demo", replace: dict[str, str] | None = None) -> Path:
        body = textwrap.dedent(text)
        for old, new in (replace or {}).items():
            assert old in body, old
            body = body.replace(old, new)
        path = tmp_path / f"{name}.sop.yaml"
        path.write_text(body, encoding="utf-8")
        return path

    return write
