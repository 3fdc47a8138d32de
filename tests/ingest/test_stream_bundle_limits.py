"""Streamed files and the size limits (issue 18): a file read a record at a time is bounded by
``max_streamed_file_bytes``, not ``max_file_bytes``; a Bundle too big to read whole that is
malformed is refused in plain English naming the line, column and entry, nothing of it stored."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.ingest.bundle_stream import open_bundle
from tests.conftest import FrozenClock
from tests.ingest.helpers import qr_line
from tests.ingest.test_stream_bundle import ingest, patient, qr, searchset, write

pytestmark = pytest.mark.db  # real SQLite hubs

SMALL = {"max_file_bytes": 1000}  # every file here is bigger: none may be read whole


def _bundle(*entries: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": list(entries)}


def _three(tmp: Path) -> tuple[Path, str]:
    """A Bundle of three responses and their Patient, and its text."""
    doc = _bundle(
        *({"resource": qr(i, {"reference": "Patient/a"})} for i in (1, 2, 3)),
        {"resource": patient("a", 1)},
    )
    path = tmp / "three.json"
    text = json.dumps(doc, indent=2)
    path.write_text(text)
    return path, text


def _error(result: Any) -> str:
    [f] = result["report"]["files"]
    assert f["error"], f
    return str(f["error"])


def _place(message: str) -> str:
    m = re.search(r"line \d+, column \d+", message)
    assert m, message
    return m.group(0)


def test_a_streamed_bundle_need_not_fit_max_file_bytes(tmp_path: Path, clock: FrozenClock) -> None:
    path = write(tmp_path / "s.json", searchset())
    whole = ingest(tmp_path / "whole", path, clock, False)
    streamed = ingest(tmp_path / "stream", path, clock, True, **SMALL)
    assert streamed == whole and whole["report"]["totals"]["new"] == 7


def test_streamed_ndjson_and_csv_need_not_fit_max_file_bytes(
    tmp_path: Path, clock: FrozenClock
) -> None:
    path = tmp_path / "oc.ndjson"
    path.write_text("".join(qr_line(i) + "\n" for i in range(1, 4)))
    got = ingest(tmp_path / "h", path, clock, True, **SMALL)
    assert got["report"]["totals"]["new"] == 3
    # read whole (under the size streaming starts at), the same file is refused
    refused = ingest(tmp_path / "w", path, clock, False, **SMALL)
    assert "(setting max_file_bytes)" in _error(refused)


def test_over_max_streamed_file_bytes_is_refused(tmp_path: Path, clock: FrozenClock) -> None:
    path, _ = _three(tmp_path)
    got = ingest(tmp_path / "h", path, clock, True, max_streamed_file_bytes=1000)
    message = _error(got)
    assert "a file may be when it is read a record at a time" in message
    assert "(setting max_streamed_file_bytes)" in message and not got["rows"]


def test_a_big_json_file_that_is_not_a_bundle_names_max_file_bytes(
    tmp_path: Path, clock: FrozenClock
) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(json.loads(qr_line(1)), indent=2))
    assert open_bundle(path, max_bytes=None, max_record_bytes=10**6, whole_ok=False) is None
    message = _error(ingest(tmp_path / "h", path, clock, True, **SMALL))
    assert "a file read whole may be (setting max_file_bytes)" in message
    assert "max_streamed_file_bytes" in message


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_a_cut_short_bundle_is_refused_naming_where(
    cut: float, tmp_path: Path, clock: FrozenClock
) -> None:
    path, text = _three(tmp_path)
    path.write_text(text[: int(len(text) * cut)])
    whole = ingest(tmp_path / "whole", path, clock, False)
    streamed = ingest(tmp_path / "stream", path, clock, True, **SMALL)
    message = _error(streamed)
    assert message.startswith(f"{path}: is not valid JSON: ")
    assert "(the file seems to be cut short)" in message
    assert re.search(r"\((in|after) entry [1-4]\)$", message), message
    assert _place(message) == _place(_error(whole))  # json's own line and column
    assert not streamed["rows"] and not streamed["quarantined"]  # nothing stored, as whole


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('"Patient/a"\n', '"Patient/a" "x"\n', "(in entry 1)"),  # a comma missing
        ("    },\n    {", "    }\n    {", "(after entry 1)"),  # one between entries
        ('"resource": {', '"resource": {,', "(in entry 1)"),
        ("\n  ]\n}", "\n  ]\n} {}", "(after the Bundle's end)"),
    ],
)
def test_invalid_json_in_a_big_bundle_is_refused_naming_where(
    old: str, new: str, where: str, tmp_path: Path, clock: FrozenClock
) -> None:
    path, text = _three(tmp_path)
    assert old in text
    path.write_text(text.replace(old, new, 1))
    whole = ingest(tmp_path / "whole", path, clock, False)
    streamed = ingest(tmp_path / "stream", path, clock, True, **SMALL)
    message = _error(streamed)
    assert "is not valid JSON" in message and message.endswith(where)
    assert _place(message) == _place(_error(whole))
    assert not streamed["rows"] and not streamed["quarantined"]


def test_deep_nesting_is_refused(tmp_path: Path, clock: FrozenClock) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = json.dumps(_bundle({"resource": qr(1, {"reference": "#p"})}, {"x": 1}))
    path = tmp_path / "deep.json"
    path.write_text(text.replace('{"x": 1}', deep))
    whole = ingest(tmp_path / "whole", path, clock, False)
    streamed = ingest(tmp_path / "stream", path, clock, True, **SMALL)
    assert "nested too deeply to read" in _error(whole)
    assert "nested too deeply to read (in entry 2)" in _error(streamed)
    assert not streamed["rows"] and not streamed["quarantined"]


def test_binary_is_refused_as_read_whole(tmp_path: Path, clock: FrozenClock) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(b"{" + bytes(range(256)) * 40)
    whole = ingest(tmp_path / "whole", path, clock, False)
    streamed = ingest(tmp_path / "stream", path, clock, True, **SMALL)
    assert _error(streamed) == _error(whole) and "binary" in _error(whole)


def test_an_entry_too_long_to_hold_costs_only_its_record(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """Over six times max_record_bytes: skipped unread and quarantined as too long; the
    entries after it are read (read whole, it is quarantined as too long as well)."""
    long = qr(2, {"reference": "Patient/a"})
    long["item"].append({"linkId": "pad", "answer": [{"valueString": 'x"\\' * 5000}]})
    doc = _bundle(
        {"resource": qr(1, {"reference": "Patient/a"})},
        {"resource": long},
        {"resource": qr(3, {"reference": "Patient/a"})},
        {"resource": patient("a", 1)},
    )
    path = tmp_path / "long.json"
    path.write_text(json.dumps(doc))
    limits = {"max_record_bytes": 1000}
    whole = ingest(tmp_path / "whole", path, clock, False, **limits)
    streamed = ingest(tmp_path / "stream", path, clock, True, **limits, **SMALL)
    assert streamed["rows"] == whole["rows"] and len(whole["rows"]) == 2
    for got in (whole, streamed):
        [q] = got["quarantined"]
        assert q[0] == "entry 2" and "at most 1,000 are allowed (setting max_record_bytes)" in q[1]
