"""A hub full of naughty strings, stored the way a real hub gets them: practices from a YAML
file, consultations from supplier CSV files (one of them under a hostile file name) read by the
real ingester, users with hostile display names, and supervisors' actions with hostile reasons.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml

from ehub_tui.domain.fields import OC_FIELDS
from ehub_tui.domain.nhs import make_test_nhs_number
from tests.conftest import FIXTURES
from tests.hostile.corpus import NAUGHTY, short

CSV_COLUMNS = list(OC_FIELDS)  # the documented order (docs/formats.md)
PRACTICES = ("Z99001", "Z99002", "Z99003", "Z99004", "Z99005")
HOSTILE_FILE = "naughty [red]x [b \x1b[2J \u202eevil.csv"  # no "/": a folder
RECEIVED = "2026-11-23T08:{:02d}:00Z"  # the morning of the tests' frozen day


def write_practices(folder: Path) -> Path:
    """The fixture practices, renamed with naughty strings, plus one with a naughty ODS code."""
    data = yaml.safe_load((FIXTURES / "practices.yaml").read_text(encoding="utf-8"))
    data["pcn"]["name"] = "PCN [/b] \x1b]0;title\x07 \u202e"
    for i, p in enumerate(data["practices"]):
        p["name"] = f"{p['name']} {short(NAUGHTY[i * 3 % len(NAUGHTY)])}"
    data["practices"].append({"ods_code": "Z9[/B]", "name": "[red]x \x1b[2J", "list_size": 10})
    path = folder / "practices.yaml"
    # allow_unicode: the escapes are written as YAML "\e" escapes, read back as the characters
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def consultation_rows() -> list[dict[str, str]]:
    """Two rows per naughty string: one that is stored (the string as names, source, template,
    id, free text, answer, answer id and supplier flag) and one quarantined for its practice code
    (the string as the practice code and id)."""
    rows = []
    for i, s in enumerate(NAUGHTY):
        answers = {"duration_days": 2, "note": s, short(s) or "blank": "yes"}
        rows.append(
            {
                "source": short(s) or "eConsult",
                "external_id": f"NS-{i}-{short(s)}",
                "practice_ods": PRACTICES[i % len(PRACTICES)],
                "nhs_number": make_test_nhs_number(100 + i),
                "given_name": short(s) or "A",
                "family_name": short(s[::-1]) or "B",
                "date_of_birth": "1990-04-02",
                "sex": "female" if i % 2 else "male",
                "received_at": RECEIVED.format(i % 60),
                "request_type": "clinical",
                "template": short(s),
                "answers": json.dumps(answers, ensure_ascii=False),
                "free_text": f"Sore throat. {s} Sudden worst headache of my life {s}",
                "supplier_flags": f"urgent;{short(s)}",
            }
        )
        rows.append(
            {
                **rows[-1],
                "external_id": f"Q-{i}-{short(s)}",
                "practice_ods": short(s),
                "nhs_number": make_test_nhs_number(300 + i),
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """A supplier CSV (UTF-8, quoted where needed; values may hold any character)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_inbox(folder: Path) -> list[Path]:
    """The supplier files: the corpus, a small file under a hostile name, and an NDJSON line
    that is not FHIR (quarantined with its raw text)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = consultation_rows()
    main = write_csv(folder / "corpus.csv", rows)
    extra = [
        {**rows[0], "external_id": "HF-1 [/b]", "nhs_number": make_test_nhs_number(900)},
        {**rows[1], "external_id": "HF-2 \x1b[2J"},
    ]
    named = write_csv(folder / HOSTILE_FILE, extra)
    ndjson = folder / "not-fhir.ndjson"
    ndjson.write_text(
        json.dumps({"free_text": NAUGHTY[10], "id": "[/b]\x1b[2J"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return [main, named, ndjson]


def add_people(service: Any) -> dict[str, str]:
    """Users whose display names are naughty strings: username → role."""
    people = {
        "nav1": "navigator",
        "nav2": "navigator",
        "sup1": "supervisor",
        "author1": "sop_author",
        "clin1": "clinical_approver",
        "mgr1": "manager",
    }
    for i, (user, role) in enumerate(people.items()):
        service.add_user(user, role, short(NAUGHTY[(i * 5 + 1) % len(NAUGHTY)]))
    return people
