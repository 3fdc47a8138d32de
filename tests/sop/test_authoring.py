"""SOP authoring: the overview an author sees, and the checks before a version is published
(prepare: the set the apps load plus this file, validated and tested; then the author's file is
rewritten to the published text). The store side (who may publish, versions, audit) is in
tests/service/test_sop_governance.py."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.sop import testing as sop_testing
from ehub_tui.sop.authoring import (
    Prepared,
    PublishRefused,
    SopStatus,
    overview,
    prepare,
    rewrite_status,
    write_back,
    yaml_scalar,
)
from ehub_tui.sop.library import PublishedText, shipped_sops_dir
from ehub_tui.sop.loader import load_set
from ehub_tui.yamlload import load_yaml

TODAY = date(2026, 11, 23)
SHIPPED = shipped_sops_dir()  # the repository's sops/ in a checkout

# A draft that only raises a red flag for a made-up template: publishing it changes nothing else.
DRAFT = """\
# yaml-language-server: $schema=../docs/sop.schema.json
# A draft for the authoring tests: a red flag for a made-up template.
sop:
  id: demo-draft
  title: Demo draft red flag
  version: 0.1.0
  status: draft                     # draft | active | retired
  owner: Hub lead
  effective_from: 2026-11-01
  review_by: 2027-05-01             # six months
  priority: 5
  applies_when: {field: template, eq: demo_rash}

inputs:
  template: {}
  free_text: {}

red_flags:
  - id: rf_demo_zebra_stripes
    level: urgent
    when: {field: free_text, contains_any: [zebra stripes]}
    say: Zebra stripes (demo).
    action: Ask the duty clinician today.
"""
DRAFT_TESTS = """\
today: 2026-11-23
cases:
  - id: zebra-stripes
    consultation:
      date_of_birth: 1990-01-01
      sex: female
      request_type: clinical
      template: demo_rash
      free_text: some zebra stripes on my arm
    expect:
      red_flags: [rf_demo_zebra_stripes]
"""
# One unknown key in the tenth route of signposting.sop.yaml.
BROKEN_FROM, BROKEN_TO = "    category: signpost\n", "    categry: signpost\n"


def sops_copy(tmp_path: Path, name: str = "sops") -> Path:
    """A copy of the shipped SOP folder."""
    folder = tmp_path / name
    shutil.copytree(SHIPPED, folder)
    return folder


def break_signposting(folder: Path) -> int:
    """Make signposting.sop.yaml invalid (an unknown key); returns the line of the error."""
    path = folder / "signposting.sop.yaml"
    text = path.read_text(encoding="utf-8")
    assert BROKEN_FROM in text
    line = text[: text.index(BROKEN_FROM)].count("\n") + 1
    path.write_text(text.replace(BROKEN_FROM, BROKEN_TO, 1), encoding="utf-8")
    return line


def add_draft(folder: Path, sop: str = DRAFT, tests: str | None = DRAFT_TESTS) -> Path:
    """Write the demo draft (and its tests) into the folder."""
    path = folder / "demo-draft.sop.yaml"
    path.write_text(sop, encoding="utf-8")
    if tests is not None:
        (folder / "demo-draft.tests.yaml").write_text(tests, encoding="utf-8")
    return path


def published_from(folder: Path = SHIPPED) -> list[PublishedText]:
    """The SOPs of a folder (with their tests) as a hub would hold them once published."""
    out = []
    for i, s in enumerate(load_set([folder], TODAY).sops, start=1):
        tests = sop_testing.tests_file_for(s.path)
        out.append(
            PublishedText(
                s.id,
                s.meta.version,
                s.path.name,
                s.path.read_bytes(),
                tests.read_bytes() if tests.exists() else None,
                s.sha256,
                row_id=i,
            )
        )
    return out


def publish(path: Path, approver: str, today: date = TODAY) -> Prepared:
    """What the service does around the store: check against the shipped set as published,
    then rewrite the author's file."""
    prepared = prepare(path, approver, published_from(), today)
    assert write_back(prepared) is None
    return prepared


def row(rows: list[SopStatus], name: str) -> SopStatus:
    return next(r for r in rows if r.file.name == name)


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


# -- overview -------------------------------------------------------------------------------------


def test_overview_of_the_shipped_set_is_all_green() -> None:
    rows = overview(SHIPPED, TODAY, published_from())
    assert [r.file.name for r in rows] == sorted(p.name for p in SHIPPED.glob("*.sop.yaml"))
    for r in rows:
        assert r.status == "active", r
        assert r.review_by == date(2027, 5, 1)
        assert (r.errors, r.warnings, r.problems, r.test_problems) == (0, 0, [], []), r
        assert r.tests_ok and r.tests.startswith("passed "), r
        assert (r.publication, r.published_version) == ("published", r.version)
        assert not r.publishable and "is published" in (r.why_not_publishable() or "")
    assert row(rows, "red-flags.sop.yaml").id == "red-flags"
    assert sum(int(r.tests.split()[1]) for r in rows) >= 200


def test_overview_shows_an_error_as_file_line(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    line = break_signposting(folder)
    rows = overview(folder, TODAY)
    bad = row(rows, "signposting.sop.yaml")
    assert (bad.id, bad.status, bad.errors, bad.tests, bad.tests_ok) == (
        "signposting",
        "active",
        1,
        "not run: errors",
        False,
    )
    (p,) = bad.problems
    assert str(p) == (
        f"{folder / 'signposting.sop.yaml'}:{line}:5: error: routes[9].categry: unknown key; "
        "did you mean 'category'?"
    )
    # a set with errors is not tested at all (navigators' apps would not take it)
    for r in rows:
        assert r.tests == "not run: errors" and not r.tests_ok
        if r is not bad:
            assert r.errors == 0 and r.problems == []


def test_overview_lists_a_file_that_does_not_load(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    (folder / "zz-broken.sop.yaml").write_text("sop: [unclosed\n", encoding="utf-8")
    rows = overview(folder, TODAY)
    bad = row(rows, "zz-broken.sop.yaml")
    assert (bad.status, bad.id, bad.version, bad.review_by) == ("unreadable", "", "", None)
    assert bad.errors == 1 and "YAML syntax" in bad.problems[0].message
    assert bad.problems[0].file == str(folder / "zz-broken.sop.yaml")


def test_overview_tests_a_draft_as_it_would_be_once_published(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    add_draft(folder)
    rows = overview(folder, TODAY, published_from())
    draft = row(rows, "demo-draft.sop.yaml")
    assert (draft.status, draft.errors, draft.tests, draft.tests_ok) == (
        "draft",
        0,
        "passed 1",
        True,
    )
    assert (draft.publication, draft.published_version) == ("awaiting approval", None)
    assert draft.publishable and draft.why_not_publishable() is None
    assert all(r.tests_ok for r in rows)
    # without the hub's published versions nothing can be said about publishing it
    assert not row(overview(folder, TODAY), "demo-draft.sop.yaml").publishable
    # its tests fail: say which case and where
    (folder / "demo-draft.tests.yaml").write_text(
        DRAFT_TESTS.replace("zebra stripes on my arm", "a rash on my arm"), encoding="utf-8"
    )
    draft = row(overview(folder, TODAY, published_from()), "demo-draft.sop.yaml")
    assert (draft.tests, draft.tests_ok, draft.publishable) == ("failed 1 of 1", False, False)
    assert "cannot be published: tests failed 1 of 1" in (draft.why_not_publishable() or "")
    assert any(
        p.file == str(folder / "demo-draft.tests.yaml")
        and p.line == 3
        and "case zebra-stripes: red flags" in p.message
        for p in draft.test_problems
    ), draft.test_problems
    # no tests file: not publishable
    (folder / "demo-draft.tests.yaml").unlink()
    draft = row(overview(folder, TODAY), "demo-draft.sop.yaml")
    assert (draft.tests, draft.tests_ok) == ("no tests file", False)


# -- publishing -----------------------------------------------------------------------------------


def test_publish_a_valid_draft(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder)
    before = path.read_bytes()
    result = publish(path, "Dr Ewan Price", TODAY)
    after = path.read_bytes()
    assert (result.sop_id, result.version, result.file) == ("demo-draft", "0.1.0", path)
    assert (result.original, result.data, result.previous) == (before, after, None)
    assert result.tests == DRAFT_TESTS.encode()
    # only the status line changed (its comment kept its column) and approved_by was added
    expected = DRAFT.replace(
        "  status: draft                     # draft | active | retired\n",
        "  status: active                    # draft | active | retired\n"
        "  approved_by: Dr Ewan Price\n",
    )
    assert after.decode() == expected and before.decode() == DRAFT
    s = load_set([folder], TODAY)
    assert s.ok and not s.warnings
    sop = s.get("demo-draft")
    assert sop is not None and sop.active and sop.meta.approved_by == "Dr Ewan Price"
    assert sop.sha256 == result.sha256
    assert not list(folder.glob(".*.tmp"))  # the temporary file was swapped in
    assert cli("sops", "validate", "--strict", str(folder)).exit_code == 0
    tested = cli("sops", "test", str(folder))
    assert tested.exit_code == 0, tested.output
    # the overview now shows it active and green
    assert row(overview(folder, TODAY), path.name).status == "active"
    # once the hub holds it, the same version again is refused
    held = [*published_from(), *(v for v in published_from(folder) if v.sop_id == "demo-draft")]
    with pytest.raises(PublishRefused, match=r"already published as demo-draft 0\.1\.0"):
        prepare(path, "Dr Ewan Price", held, TODAY)
    # a new version of an active file is fine: approved_by is replaced, status stays active
    path.write_text(after.decode().replace("version: 0.1.0", "version: 0.2.0"), encoding="utf-8")
    again = prepare(path, "Dr Other", held, TODAY)
    assert again.previous is not None and again.previous.version == "0.1.0"
    assert b"  approved_by: Dr Other\n" in again.data and b"status: active" in again.data


def test_publish_refuses_an_invalid_draft(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder, DRAFT.replace("    level: urgent\n", "    levle: urgent\n"))
    before = path.read_bytes()
    with pytest.raises(PublishRefused) as exc:
        publish(path, "Dr Ewan Price", TODAY)
    message = str(exc.value)
    assert "demo-draft.sop.yaml was not published: the SOPs would have errors" in message
    assert "demo-draft.sop.yaml:20:5: red_flags[0].levle: unknown key" in message
    assert str(tmp_path) not in message  # names the file, not the throw-away copy
    assert path.read_bytes() == before


def test_publish_refuses_a_draft_whose_tests_fail(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder, tests=DRAFT_TESTS.replace("rf_demo_zebra_stripes", "rf_demo_stripes"))
    before = path.read_bytes()
    with pytest.raises(PublishRefused) as exc:
        publish(path, "Dr Ewan Price", TODAY)
    assert str(exc.value) == (
        "demo-draft.sop.yaml was not published: the SOPs would fail their tests: "
        "demo-draft.tests.yaml:3: case zebra-stripes: red flags: expected ['rf_demo_stripes'], "
        "got ['rf_demo_zebra_stripes']."
    )
    assert path.read_bytes() == before


def test_refusal_names_lines_of_the_authors_file(tmp_path: Path) -> None:
    """Problems found once published (here: a red flag no case reaches, which only counts for
    active SOPs) name the line of the file as the author wrote it, not of the rewritten copy
    (which has one more line: approved_by)."""
    extra = (
        "  - id: rf_demo_tartan_stripes\n"
        "    level: urgent\n"
        "    when: {field: free_text, contains_any: [tartan stripes]}\n"
        "    say: Tartan stripes (demo).\n"
        "    action: Ask the duty clinician today.\n"
    )
    folder = sops_copy(tmp_path)
    path = add_draft(folder, DRAFT + extra)
    line = DRAFT.count("\n") + 1
    assert path.read_text().splitlines()[line - 1] == "  - id: rf_demo_tartan_stripes"
    with pytest.raises(PublishRefused) as exc:
        publish(path, "Dr Ewan Price", TODAY)
    assert (
        f"demo-draft.sop.yaml:{line}:5: red flag rf_demo_tartan_stripes is not reached by any test"
        in str(exc.value)
    )
    draft = row(overview(folder, TODAY), path.name)
    assert (draft.tests, draft.tests_ok) == ("passed 1; 1 problem(s)", False)
    assert [(p.file, p.line) for p in draft.test_problems] == [(str(path), line)]


def test_publish_refuses_a_draft_without_tests(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder, tests=None)
    with pytest.raises(PublishRefused, match=r"has no tests file demo-draft\.tests\.yaml"):
        publish(path, "Dr Ewan Price", TODAY)


def test_a_broken_file_of_the_folder_does_not_stop_another_publishing(tmp_path: Path) -> None:
    """The check is against what the hub has published, not the rest of the folder: a broken
    working copy of another SOP guides nobody, so it stops nothing."""
    folder = sops_copy(tmp_path)
    break_signposting(folder)
    path = add_draft(folder)
    assert publish(path, "Dr Ewan Price").sop_id == "demo-draft"


def test_publish_refuses_retired_and_needs_an_approver(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder, DRAFT.replace("status: draft ", "status: retired"))
    with pytest.raises(PublishRefused, match="is retired: only a draft or active SOP"):
        publish(path, "Dr Ewan Price", TODAY)
    path = add_draft(folder)
    with pytest.raises(PublishRefused, match="needs the name"):
        publish(path, "   ", TODAY)


# -- rewriting the two lines ----------------------------------------------------------------------

HEAD = "# comment\nsop:\n  id: x\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # approved_by missing: added after status, same indent
        ("  status: draft\n  owner: me\n", "  status: active\n  approved_by: Dr A\n  owner: me\n"),
        # replaced when present, before or after status; other keys untouched
        (
            "  approved_by: Someone Else  # who\n  status: draft\n",
            "  approved_by: Dr A  # who\n  status: active\n",
        ),
        ("  status: 'draft'\n  approved_by: \"X\"\n", "  status: active\n  approved_by: Dr A\n"),
        # empty value
        (
            "  status: draft\n  approved_by:\n  owner: me\n",
            "  status: active\n  approved_by: Dr A\n  owner: me\n",
        ),
        # a value over two lines, and a block scalar
        (
            "  status: draft\n  approved_by: Dr Someone\n    Else\n  owner: me\n",
            "  status: active\n  approved_by: Dr A\n  owner: me\n",
        ),
        (
            "  status: draft\n  approved_by: >-\n    Dr Someone\n  owner: me\n",
            "  status: active\n  approved_by: Dr A\n  owner: me\n",
        ),
        # the last line of the file, without a newline
        ("  status: draft", "  status: active\n  approved_by: Dr A"),
        # four-space indent and Windows line ends
        (
            "    status: draft\r\n    owner: me\r\n",
            "    status: active\r\n    approved_by: Dr A\r\n    owner: me\r\n",
        ),
    ],
)
def test_rewrite_status_changes_only_the_two_lines(before: str, after: str) -> None:
    text = HEAD.replace("  id", "    id") if before.startswith("    ") else HEAD
    if "\r\n" in before:
        text = text.replace("\n", "\r\n")
    assert rewrite_status(text + before, "Dr A") == text + after


@pytest.mark.parametrize(
    "name", ["Dr A. Example, clinical lead", "O'Neill", "Dr X: lead", "yes", "null", "#1", "Zoë"]
)
def test_approver_names_read_back_exactly(name: str) -> None:
    assert load_yaml(f"x: {yaml_scalar(name)}\n") == {"x": name}
    text = rewrite_status(HEAD + "  status: draft\n", name)
    assert load_yaml(text)["sop"]["approved_by"] == name


def test_publish_keeps_a_byte_order_mark_and_refuses_flow_style(tmp_path: Path) -> None:
    folder = sops_copy(tmp_path)
    path = add_draft(folder)
    path.write_bytes(b"\xef\xbb\xbf" + DRAFT.encode())
    publish(path, "Dr A", TODAY)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf# yaml-language-server")
    with pytest.raises(PublishRefused, match="block"):
        rewrite_status("sop: {id: x, status: draft}\n", "Dr A")
