"""A SOP file's structure, checked by the pydantic schema: each validation error becomes a problem
at the key or value it is about, with a did-you-mean for an unknown key close to a known one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from ehub_tui.sop import models as m
from ehub_tui.sop.conditions import _did_you_mean
from ehub_tui.sop.loaded import _Ctx
from ehub_tui.yamlload import Mark, MarkedDict, MarkedList

_MODEL_AT: dict[tuple[str, ...], type[BaseModel]] = {
    (): m.SopFile,
    ("sop",): m.Meta,
    ("sop", "references", "*"): m.Reference,
    ("inputs", "*"): m.InputDecl,
    ("red_flags", "*"): m.RedFlag,
    ("questions", "*"): m.Question,
    ("routes", "*"): m.Route,
}


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    key = tuple(
        "*" if isinstance(p, int) or (i > 0 and loc[0] == "inputs") else p
        for i, p in enumerate(loc)
    )
    return _MODEL_AT.get(key)


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for p in loc:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(top level)"


def _locate(tree: Any, loc: Sequence[str | int], key_mark: bool) -> Mark | None:
    node, mark = tree, getattr(tree, "mark", None)
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, MarkedDict) and isinstance(part, str) and part in node:
            mark = node.key_marks[part] if (last and key_mark) else node.value_marks[part]
            node = node[part]
        elif isinstance(node, MarkedList) and isinstance(part, int) and part < len(node):
            mark = node.item_marks[part]
            node = node[part]
        else:
            break
    return mark


def _structure(tree: MarkedDict, ctx: _Ctx) -> m.SopFile | None:
    try:
        return m.SopFile.model_validate(tree)
    except ValidationError as exc:
        errors = exc.errors()
        suggested: set[tuple[Any, ...]] = set()  # (container loc…, field) a typo already explains
        for err in errors:
            if err["type"] == "extra_forbidden":
                loc = list(err["loc"])
                model = _model_at(loc[:-1])
                if model:
                    close = _close(str(loc[-1]), model.model_fields)
                    if close:
                        suggested.add((*loc[:-1], close))
        for err in errors:
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            if err["type"] == "extra_forbidden":
                model = _model_at(loc[:-1])
                hint = _did_you_mean(str(loc[-1]), model.model_fields) if model else ""
                ctx.error(_locate(tree, loc, True), f"{_path(loc)}: unknown key{hint}")
            elif err["type"] == "missing":
                if tuple(loc) in suggested:
                    continue
                ctx.error(_locate(tree, loc[:-1], False), f"{_path(loc)}: required but missing")
            else:
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "literal_error":
                    msg = f"{err['input']!r} is not allowed: {msg.lower()}"
                ctx.error(_locate(tree, loc, False), f"{_path(loc)}: {msg}")
        return None


def _close(word: str, choices: Any) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None
