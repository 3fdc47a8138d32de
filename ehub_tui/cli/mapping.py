"""``ehub-tui mapping check FILE``: check a per-supplier Questionnaire mapping file
(docs/formats.md) before naming it in setting ``questionnaire_mapping_file``. Reads only the
file: no hub needed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ehub_tui.cli.output import JsonOpt, emit, friendly_errors, say

mapping_app = typer.Typer(help="Per-supplier Questionnaire mappings for FHIR ingest.")


@mapping_app.command("check")
def mapping_check(
    file: Annotated[Path, typer.Argument(help="The mapping YAML file to check.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a Questionnaire mapping file: every problem names its line and key; exit 0 if good."""
    with friendly_errors():
        from ehub_tui.ingest.qmap import load_mappings

        mappings = load_mappings(file)
        summary: dict[str, Any] = {
            "file": str(file),
            "suppliers": {
                key: {link: rule.name for link, rule in rules.items()}
                for key, rules in mappings.items()
            },
        }

        def show(data: dict[str, Any]) -> None:
            say(f"{data['file']}: good: {len(data['suppliers'])} supplier(s)")
            for supplier, rules in data["suppliers"].items():
                say(f"  {supplier}: " + ", ".join(f"{k} → {v}" for k, v in rules.items()))

        emit(summary, show, as_json)
