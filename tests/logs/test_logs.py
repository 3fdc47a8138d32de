"""configure_logging: where lines go for each kind of process, their formats, the redaction."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from ehub_tui.logs import REDACTED, configure_logging, log_dir, scrub

log = logging.getLogger("ehub_tui.tests")


def lines(path: Path) -> list[str]:
    for handler in logging.getLogger("ehub_tui").handlers:
        handler.flush()
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("patient 9434765919 seen", f"patient {REDACTED} seen"),
        ("943 476 5919 and 943-476-5919", f"{REDACTED} and {REDACTED}"),
        ("split 943\x00476\x1b[0m5919", f"split {REDACTED}"),
        ("osc \x1b]0;title\x07 \x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\ \x1bc", "osc  link "),
        (
            "phone 01131231234, item 42, 12345678901234",
            "phone 01131231234, item 42, 12345678901234",
        ),
        ("a\x1b[2Jb\x07c\u202eevil\u200bd\x9b31m", "abcevild31m"),
        ("forged\nINFO line\r\u2028next", "forged INFO line  next"),
        # a sign-in token, even split by a control character
        (
            "Bearer ehub1_AbC-dEf_0123456789abcdefghijklmnopqrstuvwxy ok",
            f"Bearer {REDACTED} ok",
        ),
        ("tok ehub1_\x00AbCdEfGhIjKl end", f"tok {REDACTED} end"),
    ],
)
def test_scrub_redacts_nhs_shaped_runs_and_strips_controls(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_the_log_dir_follows_ehub_tui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EHUB_TUI_HOME", str(tmp_path / "home"))
    assert log_dir() == tmp_path / "home" / "logs"
    monkeypatch.delenv("EHUB_TUI_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert log_dir().is_relative_to(tmp_path / "state")


def test_app_logs_go_to_an_owner_only_file_not_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configure_logging("app", directory=tmp_path / "logs")
    assert path == tmp_path / "logs" / "app.log"
    log.debug("not at the default level")
    log.info("claimed item %d", 17)
    log.info("ids %s", ["9434765919"])
    got = lines(path)
    assert len(got) == 2
    assert got[0].endswith(f"INFO ehub_tui.tests [{os.getpid()}]: claimed item 17")
    assert got[1].endswith(f"ids ['{REDACTED}']")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert capsys.readouterr() == ("", "")


def test_cli_lines_are_human_and_only_warnings_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert configure_logging("cli") is None
    log.info("quiet")
    log.warning("hub at %s not answering", "db.pcn.local")
    assert capsys.readouterr().err == "ehub-tui: warning: hub at db.pcn.local not answering\n"
    configure_logging("cli", level="info")
    log.info("now %s", "shown")
    assert capsys.readouterr().err == "ehub-tui: info: now shown\n"


def test_service_lines_are_json_one_object_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("service")
    log.info("stored %d new\nforged line 9434765919", 3, extra={"file_count": 2, "who": "x\x1b"})
    try:
        raise RuntimeError("boom for 943 476 5919")
    except RuntimeError:
        log.exception("failed")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    first, second = (json.loads(line) for line in err)
    assert first["level"] == "info" and first["logger"] == "ehub_tui.tests"
    assert first["message"] == f"stored 3 new forged line {REDACTED}"
    assert first["file_count"] == 2 and first["who"] == "x"
    assert second["level"] == "error" and "RuntimeError: boom for" in second["exception"]
    assert "5919" not in second["exception"] and "Traceback" in second["exception"]


def test_the_watcher_logs_to_its_file_and_as_a_service_also_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configure_logging("watch", directory=tmp_path)
    assert path == tmp_path / "watch.log"
    log.warning("hub not answering")
    assert capsys.readouterr().err == ""
    configure_logging("watch", fmt="json", directory=tmp_path)
    log.info("taking a.csv")
    assert json.loads(capsys.readouterr().err)["message"] == "taking a.csv"
    assert "taking a.csv" in lines(path)[-1]  # the file keeps text lines (fmt is json there too)


def test_configuring_twice_never_doubles_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(3):
        configure_logging("cli", level="info")
    log.info("once")
    assert capsys.readouterr().err.count("once") == 1
    assert len(logging.getLogger("ehub_tui").handlers) == 1
    configure_logging("app", directory=tmp_path)  # another kind replaces, not adds
    log.info("twice?")
    assert capsys.readouterr().err == ""
    assert len(logging.getLogger("ehub_tui").handlers) == 1


def test_the_stderr_handler_follows_a_swapped_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    import io
    import sys

    configure_logging("cli")
    swapped = io.StringIO()
    real, sys.stderr = sys.stderr, swapped
    try:
        log.error("to the new stream")
    finally:
        sys.stderr = real
    assert swapped.getvalue() == "ehub-tui: error: to the new stream\n"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"kind": "daemon"}, "log kind 'daemon'"),
        ({"kind": "cli", "level": "loud"}, "log level 'loud' is not one of debug, info"),
        ({"kind": "cli", "fmt": "xml"}, "log format 'xml'"),
    ],
)
def test_bad_arguments_are_plain_errors(kwargs: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        configure_logging(**kwargs)  # type: ignore[arg-type]
