"""The published text of a SOP file: ``status: active`` and ``approved_by:`` rewritten in place,
every other byte kept, and checked to mean the same apart from those two keys.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ehub_tui.errors import PublishRefused
from ehub_tui.sop.loaded import Problem
from ehub_tui.sop.standing import SET_FILE
from ehub_tui.yamlload import MarkedDict, YamlError, load_yaml


@dataclass(frozen=True)
class _Published:
    """A SOP file as it would be once published, and how its lines moved."""

    name: str
    data: bytes
    moves: tuple[tuple[int, int, int], ...]  # (line in the original, lines removed, lines added)
    sop_id: str = ""
    version: str = ""

    def original_line(self, line: int) -> int:
        """The line of the original file that ``line`` of the published one comes from."""
        delta = 0
        for old, removed, added in self.moves:
            start = old + delta
            if line < start:
                break
            if line <= start + added:
                return min(old + (line - start), old + removed)
            delta += added - removed
        return line - delta

    def fix(self, problems: Iterable[Problem]) -> list[Problem]:
        """Problems found in the published text, with the lines of the author's file."""
        return [
            replace(p, line=self.original_line(p.line))
            if p.file != SET_FILE and Path(p.file).name == self.name
            else p
            for p in problems
        ]


def _published(path: Path, approver: str, data: bytes | None = None) -> _Published:
    """The file as it would be with ``status: active`` and ``approved_by: approver`` (refuses
    when the file is not a readable draft or active SOP)."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PublishRefused(f"Cannot read {path.name}: {exc.strerror or exc}.") from None
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PublishRefused(f"{path.name} is not UTF-8 text.") from None
    try:
        tree = load_yaml(text)
    except YamlError as exc:
        where = f"{path.name}:{exc.mark.line}:{exc.mark.col}" if exc.mark else path.name
        raise PublishRefused(f"{path.name} was not published: {where}: {exc.message}.") from None
    meta = tree.get("sop") if isinstance(tree, MarkedDict) else None
    if not isinstance(meta, MarkedDict):
        raise PublishRefused(f"{path.name} was not published: it has no 'sop:' section.")
    status = meta.get("status")
    if status not in ("draft", "active"):
        if status == "retired":
            raise PublishRefused(
                f"{path.name} is retired: only a draft or active SOP can be published. To use it "
                "again, set 'status: draft' with a new version."
            )
        raise PublishRefused(
            f"{path.name} was not published: its status is not 'draft' or 'active'."
        )
    edits = _status_edits(text, approver)
    new_text = _apply(text, edits)
    # The rewrite must change nothing but those two keys.
    new_tree = load_yaml(new_text)
    if _without_publish_keys(new_tree) != _without_publish_keys(tree) or (
        new_tree["sop"].get("status") != "active"
        or str(new_tree["sop"].get("approved_by")) != approver
    ):
        raise PublishRefused(
            f"{path.name} was not published: its 'status:' and 'approved_by:' lines could not be "
            "rewritten safely; set them by hand (status: active, approved_by: …)."
        )
    moves = tuple(
        (text.count("\n", 0, start) + 1, text.count("\n", start, stop), new.count("\n"))
        for start, stop, new in sorted(edits)
    )
    data = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode()
    return _Published(
        path.name, data, moves, str(meta.get("id") or ""), str(meta.get("version") or "")
    )


def _without_publish_keys(tree: Any) -> Any:
    out = dict(tree)
    meta = dict(out["sop"])
    meta.pop("status", None)
    meta.pop("approved_by", None)
    out["sop"] = meta
    return out


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .,'()&/-]*")


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as exactly ``value`` (plain when it can be)."""
    if _PLAIN.fullmatch(value) and not value.endswith(" "):
        try:
            if load_yaml(f"x: {value}\n") == {"x": value}:
                return value
        except YamlError:
            pass
    return json.dumps(value, ensure_ascii=False)


def rewrite_status(text: str, approver: str) -> str:
    """Set ``sop.status`` to ``active`` and ``sop.approved_by`` to ``approver`` in SOP text,
    touching nothing else (a trailing comment on the status line keeps its column)."""
    return _apply(text, _status_edits(text, approver))


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, stop, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[stop:]
    return text


def _status_edits(text: str, approver: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) spans that publish the SOP text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise PublishRefused(f"the YAML could not be read: {exc}") from None
    meta = _child(root, "sop")
    if meta is None or not isinstance(meta[1], yaml.MappingNode) or meta[1].flow_style:
        raise PublishRefused("the 'sop:' section must be a block of 'key: value' lines")
    status = _child(meta[1], "status")
    if status is None:
        raise PublishRefused("the 'sop:' section has no 'status:'")
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied back to front
    s_key, s_val = status
    old_len = s_val.end_mark.index - s_val.start_mark.index
    new_status = "active"
    end = s_val.end_mark.index
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    rest = text[end:line_end]
    gap = len(rest) - len(rest.lstrip(" "))
    if rest.lstrip(" ").startswith("#") and gap >= 2:
        # keep the comment's column: take the difference out of (or add it to) the gap
        new_gap = max(1, gap - (len(new_status) - old_len))
        edits.append((s_val.start_mark.index, end + gap, new_status + " " * new_gap))
    else:
        edits.append((s_val.start_mark.index, end, new_status))
    scalar = yaml_scalar(approver)
    approved = _child(meta[1], "approved_by")
    if approved is None:
        indent = " " * s_key.start_mark.column
        newline = "\r\n" if text[line_end - 1 : line_end] == "\r" else "\n"
        if line_end >= len(text):
            edits.append((len(text), len(text), f"{newline}{indent}approved_by: {scalar}"))
        else:
            insert_at = line_end + 1
            edits.append((insert_at, insert_at, f"{indent}approved_by: {scalar}{newline}"))
    else:
        a_key, a_val = approved
        colon = text.index(":", a_key.end_mark.index) + 1
        start, stop = a_val.start_mark.index, a_val.end_mark.index
        if isinstance(a_val, yaml.ScalarNode) and a_val.value == "" and a_val.style is None:
            start = stop = colon  # `approved_by:` with nothing after it
            scalar = " " + scalar
        tail = text[start:stop]
        if tail.endswith("\n"):  # a block scalar runs to the start of the next line
            scalar += "\r\n" if tail.endswith("\r\n") else "\n"
        edits.append((start, stop, scalar))
    return edits


def _child(node: Any, key: str) -> tuple[Any, Any] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the file, flush it to disk, then swap it in (readers see old or new)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable where the platform allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
