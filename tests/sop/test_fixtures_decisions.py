"""The shipped SOPs decide every fixture OC, and every red-flag fixture raises its flag whatever
the navigator answers."""

from __future__ import annotations

import random
from datetime import date

import pytest
import yaml

from ehub_tui.ingest.parsers import iter_paths, read_file
from ehub_tui.sop.engine import Engine
from ehub_tui.sop.loader import load_set
from ehub_tui.sop.messages import message_context, render_message
from tests.conftest import FIXTURES, REPO

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def engine() -> Engine:
    s = load_set([REPO / "sops"], TODAY)
    assert s.ok, [str(p) for p in s.errors]
    return Engine(s)


@pytest.fixture(scope="module")
def fixture_ocs() -> dict[str, dict]:
    out = {}
    for path in iter_paths([FIXTURES / "oc"]):
        for rec in read_file(path):
            assert rec.data is not None
            out[str(rec.data["external_id"])] = rec.data
    assert len(out) == 179
    return out


def test_every_fixture_gets_a_decision(engine: Engine, fixture_ocs: dict[str, dict]) -> None:
    for ext, oc in fixture_ocs.items():
        d = engine.evaluate(oc, {}, TODAY)
        assert d.route is not None, ext
        assert d.routing_sop is not None and d.engine_version


def test_red_flag_fixtures_raise_their_flags_whatever_the_answers(
    engine: Engine, fixture_ocs: dict[str, dict]
) -> None:
    expected = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))
    cases = expected.get("cases", expected)
    questions = [(q.spec.id, q.spec.answers) for s in engine.sops for q in s.questions]
    rng = random.Random(7)
    checked = 0
    for ext, info in cases.items():
        wanted = set(info.get("red_flags") or []) | set(info.get("amber_flags") or [])
        if not wanted or ext not in fixture_ocs:
            continue
        oc = fixture_ocs[ext]
        given = oc.get("answers") or {}
        open_q = [(q, opts) for q, opts in questions if q not in given]
        for _ in range(10):
            answers = {q: rng.choice(opts) for q, opts in open_q}
            raised = {
                f.id.removeprefix("rf_") for f in engine.evaluate(oc, answers, TODAY).red_flags
            }
            assert wanted <= raised, (ext, wanted - raised, answers)
        checked += 1
    assert checked >= 30


def test_messages_are_filled(engine: Engine) -> None:
    oc = {"given_name": "Zoë Anne", "template": "sore_throat", "practice_ods": "Z99001"}
    ctx = message_context(
        oc, destination="Community pharmacy", practice_name="Harbour St", hub_phone="01234 567890"
    )
    text = render_message(
        "Hi {first_name}, {practice_name}: {condition} → {destination} ({hub_phone})", ctx
    )
    assert text == "Hi Zoë, Harbour St: sore throat → Community pharmacy (01234 567890)"
    for s in engine.sops:
        for name, template in s.messages.items():
            assert "{" not in render_message(template, ctx), (s.id, name)
