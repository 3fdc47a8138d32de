"""Per-supplier Questionnaire mappings (ingest.qmap): a real supplier's linkIds mapped in YAML,
applied at validation; a bad file refused with its file, line and key; the CLI check."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.config import Settings
from ehub_tui.errors import ConfigError
from ehub_tui.ingest.parsers import read_file
from ehub_tui.ingest.qmap import load_mappings, parse_mappings
from ehub_tui.ingest.records import IngestLimits
from ehub_tui.ingest.validate import validate
from tests.ingest.interop.corpus import ODS_SYSTEM, patient, response, write_json

MAPPING = """\
# Accurx's own Questionnaire (fictional linkIds)
Accurx:
  q-request-kind:
    to: request_type
    values: {Medical: clinical, Admin: admin}
  q-describe: free_text
  q-urgent:
    to: supplier_flag
    values: {"yes": urgent}
  q-days: duration_days
"""


def accurx_response(tmp_path: Path) -> Path:
    pat = patient(gp={"identifier": {"system": ODS_SYSTEM, "value": "Z99001"}})
    pat["id"] = "p"
    qr = response(
        {"reference": "#p"},
        items=[
            {"linkId": "q-request-kind", "answer": [{"valueCoding": {"code": "Medical"}}]},
            {"linkId": "q-describe", "answer": [{"valueString": "Sore throat"}]},
            {"linkId": "q-urgent", "answer": [{"valueBoolean": True}]},
            {"linkId": "q-days", "answer": [{"valueInteger": 4}]},
            {"linkId": "q-other", "answer": [{"valueString": "kept as it is"}]},
        ],
    )
    qr["contained"] = [pat]
    return write_json(tmp_path / "accurx.json", qr)


def test_a_supplier_questionnaire_is_read_through_its_mapping(tmp_path: Path) -> None:
    (raw,) = read_file(accurx_response(tmp_path))
    assert raw.data is not None
    limits = IngestLimits(
        supplier_systems={"https://fhir.accurx.com/Id/request-id": "Accurx"},
        mappings=parse_mappings(MAPPING, "m.yaml"),
    )
    rec, problems = validate(raw.data, {"Z99001"}, date(2026, 11, 23), limits=limits)
    assert rec is not None, problems
    assert rec.request_type == "clinical" and rec.free_text == "Sore throat"
    assert rec.supplier_flags == ("urgent",) and rec.priority == 1
    assert rec.answers == {"duration_days": 4, "q-other": "kept as it is"}
    # without the mapping the request type is missing: the record is quarantined, as today
    rec, problems = validate(raw.data, {"Z99001"}, date(2026, 11, 23))
    assert rec is None and "request_type is missing" in problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Accurx: [a, b]\n", "m.yaml:1: supplier 'Accurx' must map its linkIds"),
        ("Accurx:\n  q1: Request Type\n", "m.yaml:2: Accurx linkId 'q1': 'Request Type' is not"),
        ("Accurx:\n  q1: {to: request_type, values: {A: urgentish}}\n", "not one of clinical"),
        ("Accurx:\n  q1: {too: free_text}\n", "m.yaml:2: Accurx linkId 'q1': unknown key 'too'"),
        ("Accurx:\n  q1: free_text\n  q1: free_text\n", "m.yaml:3: duplicate key 'q1'"),
        ("Accurx:\n  q1: {to: supplier_flag, values: {x: true}}\n", "write true/false in quotes"),
        ("- Accurx\n", "m.yaml: must map each supplier"),
        ("Accurx:\n  q1: [1]\n", "must be a field name"),
    ],
)
def test_bad_mapping_files_name_the_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_mappings(text, "m.yaml")
    assert expected in str(err.value)


def test_the_setting_names_a_file_in_the_settings_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "qmap.yaml").write_text(MAPPING, encoding="utf-8")
    monkeypatch.setenv("EHUB_TUI_HOME", str(home))
    monkeypatch.chdir(tmp_path)  # never the current directory
    settings = Settings(questionnaire_mapping_file=Path("qmap.yaml"))
    limits = IngestLimits.from_settings(settings)
    assert set(limits.mappings) == {"accurx"}
    (home / "qmap.yaml").unlink()
    (tmp_path / "qmap.yaml").write_text(MAPPING, encoding="utf-8")
    with pytest.raises(ConfigError, match="does not exist"):
        IngestLimits.from_settings(settings)


def test_cli_check(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(MAPPING, encoding="utf-8")
    result = CliRunner().invoke(app, ["mapping", "check", str(good), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["suppliers"]["accurx"]["q-days"] == "duration_days"
    bad = tmp_path / "bad.yaml"
    bad.write_text("Accurx:\n  q1: Request Type\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["mapping", "check", str(bad)])
    assert result.exit_code != 0
    assert "bad.yaml:2" in result.output and "Traceback" not in result.output
    assert load_mappings(good)["accurx"]["q-describe"].to == "free_text"
