"""Every shipped FHIR fixture is valid FHIR (fhir.resources R4B), not just valid to our parser:
fixtures/oc/*.json, every line of fixtures/oc/*.ndjson and fixtures/oc/fhir/*.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.interop.corpus import valid

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "oc"
JSON_FILES = sorted([*FIXTURES.glob("*.json"), *(FIXTURES / "fhir").glob("*.json")])
NDJSON_FILES = sorted(FIXTURES.glob("*.ndjson"))


def test_there_are_fixtures() -> None:
    assert len(JSON_FILES) >= 9 and len(NDJSON_FILES) >= 2


@pytest.mark.parametrize("path", JSON_FILES, ids=lambda p: p.name)
def test_json_fixture_is_valid_fhir(path: Path) -> None:
    valid(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", NDJSON_FILES, ids=lambda p: p.name)
def test_every_ndjson_line_is_valid_fhir(path: Path) -> None:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines
    for number, line in enumerate(lines, 1):
        try:
            valid(json.loads(line))
        except Exception as exc:  # name the line: a fixture author fixes it there
            raise AssertionError(f"{path.name} line {number}: {exc}") from exc
