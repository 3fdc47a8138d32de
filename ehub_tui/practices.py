"""Reading the hub's member practices from a YAML file (see fixtures/practices.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ehub_tui.errors import PracticesFileError  # declared in the leaf errors module

__all__ = ["PracticesFileError", "load_practices"]


def load_practices(path: Path) -> list[dict[str, Any]]:
    """Read ``pcn: {code, name}`` and ``practices: [{ods_code, name, list_size}]``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PracticesFileError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise PracticesFileError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise PracticesFileError(f"{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("practices"), list):
        raise PracticesFileError(f"{path}: expected a mapping with a 'practices' list")
    pcn = data.get("pcn") or {}
    if not isinstance(pcn, dict):
        raise PracticesFileError(f"{path}: 'pcn' must be a mapping with code and name")
    out: list[dict[str, Any]] = []
    for i, p in enumerate(data["practices"], start=1):
        if not isinstance(p, dict):
            raise PracticesFileError(f"{path}: practice {i} must be a mapping")
        missing = [k for k in ("ods_code", "name") if not p.get(k)]
        if missing:
            raise PracticesFileError(f"{path}: practice {i} lacks {', '.join(missing)}")
        size = p.get("list_size", 0)
        if not isinstance(size, int) or size < 0:
            raise PracticesFileError(
                f"{path}: practice {p['ods_code']}: list_size must be a whole number ≥ 0"
            )
        out.append(
            {
                "ods_code": str(p["ods_code"]).strip().upper(),
                "name": str(p["name"]).strip(),
                "pcn_code": str(p.get("pcn_code") or pcn.get("code") or ""),
                "pcn_name": str(p.get("pcn_name") or pcn.get("name") or ""),
                "list_size": size,
            }
        )
    return out
