"""docs/settings.md names every settings key, its environment variable and its default."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

from ehub_tui.config import Settings, env_var

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def _rows() -> dict[str, list[str]]:
    """The key table: key → its cells (default, variable, meaning)."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `([a-z_]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def _shown(default: object) -> str | None:
    """How the doc writes a default, for the kinds of value that have one plain form."""
    if isinstance(default, bool) or default is None:
        return None
    if isinstance(default, time):
        return f"`{default:%H:%M}`"
    if isinstance(default, int | float | date):
        return f"`{default}`"
    if isinstance(default, str):
        return f'`"{default}"`' if default == "" else f"`{default}`"
    return None


def test_every_key_is_documented_with_its_variable_and_default() -> None:
    rows = _rows()
    keys = set(Settings.model_fields)
    assert set(rows) == keys, (
        f"missing from docs/settings.md: {sorted(keys - set(rows))}; "
        f"not settings: {sorted(set(rows) - keys)}"
    )
    for key, field in Settings.model_fields.items():
        default_cell, variable_cell, _meaning = rows[key]
        assert variable_cell == f"`{env_var(key)}`", key
        shown = _shown(field.default)
        if shown is not None:
            assert shown in default_cell, (key, shown, default_cell)
        elif field.default_factory is not None and key == "suppliers":
            factory = field.default_factory
            assert default_cell == f"`{', '.join(factory())}`"  # type: ignore[call-arg]
