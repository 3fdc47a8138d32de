"""The rota: the YAML format and its errors, headcounts by instant and hour, what-ifs, the sim."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from ehub_tui.capacity.rota import Absence, Rota, load_rota, parse_rota
from ehub_tui.capacity.sim import Arrival, simulate
from ehub_tui.domain.clock import DEFAULT_CORE_HOURS, LONDON, CoreHours
from ehub_tui.errors import RotaError

EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "rota.yaml"
CORE = DEFAULT_CORE_HOURS
PLAIN_WEEK = date(2026, 11, 16)  # Mon 16 Nov 2026: no bank holiday, no clock change

TWO = """\
name: Two of us
navigators:
  - name: Asha
    mon-fri: "08:30-12:00, 12:30-17:00"
  - name: Ben
    Monday - Friday: "08:00-18:30"
"""


def _rota(text: str = TWO) -> Rota:
    return parse_rota(text, "rota.yaml")


def _error(text: str) -> str:
    with pytest.raises(RotaError) as caught:
        parse_rota(text, "rota.yaml")
    return str(caught.value)


def _hour(counts: list[int], weekday: int, hour: int) -> int:
    return counts[weekday * 24 + hour]


def _local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LONDON).astimezone(UTC)


# -- the format --------------------------------------------------------------------------------


def test_example_rota_parses() -> None:
    rota = load_rota(EXAMPLE)
    assert rota.name == "Harbourside & Downs PCN eHub, standard week"
    assert 6 <= len(rota.navigators) <= 9 and rota.off == ()
    priya = next(n for n in rota.navigators if n.name == "Priya Shah")
    assert priya.shifts[0] == ((time(8), time(12, 30)), (time(13), time(16, 30)))
    counts = rota.hour_counts(PLAIN_WEEK, CORE)
    # every open hour of a normal week has someone on duty; Saturday's relief shift counts 0
    for weekday in range(5):
        assert all(_hour(counts, weekday, h) >= 1 for h in range(8, 19))
    assert not any(counts[5 * 24 :])
    ruth = next(n for n in rota.navigators if n.name == "Ruth Ellis")
    assert ruth.shifts[5] == ((time(9), time(13)),)
    # the commented-out what-ifs at its foot are valid as written
    head, _, foot = EXAMPLE.read_text().rpartition("# off:")
    what_if = head + "off:" + foot.replace("\n#   ", "\n  ")
    assert parse_rota(what_if, "x").off == (
        Absence(0, (), 2),
        Absence(3, ("Aisha Bello", "Jo Hart"), 0),
    )


def test_days_ranges_lists_and_shift_spellings() -> None:
    rota = _rota(
        "navigators:\n"
        "  - name: Cara\n"
        '    MON, wed-Thurs: ["08:00-10:00", "11:00 – 12:00"]\n'
        '    tues: "14:00-15:30,16:00-17:00"\n'
        "  - name: Dev\n"  # nobody's shifts: allowed, counts 0
    )
    cara, dev = rota.navigators
    assert cara.shifts[0] == cara.shifts[2] == cara.shifts[3]
    assert cara.shifts[0] == ((time(8), time(10)), (time(11), time(12)))
    assert cara.shifts[1] == ((time(14), time(15, 30)), (time(16), time(17)))
    assert cara.shifts[4] == () and dev.shifts == ((),) * 7
    assert rota.name == "rota.yaml"  # no name: the file's


def test_off_in_the_file_by_count_and_name() -> None:
    rota = _rota(TWO + "off:\n  mon: 1\n  tue: [asha]\n  wed: Ben, Asha\n")
    assert rota.off == (
        Absence(0, (), 1),
        Absence(1, ("Asha",), 0),
        Absence(2, ("Ben", "Asha"), 0),
    )
    counts = rota.hour_counts(PLAIN_WEEK, CORE)
    assert _hour(counts, 0, 10) == 1 and _hour(counts, 1, 10) == 1
    assert _hour(counts, 2, 10) == 0 and _hour(counts, 3, 10) == 2


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("navigators:\n  - name: A\n    mon: 8-16\n", "line 3, column 10", "'8-16' is not a shift"),
        ('navigators:\n  - name: A\n    mon: "08:15-16:00"\n', "line 3", "(:00 or :30)"),
        ('navigators:\n  - name: A\n    mon: "25:00-26:00"\n', "line 3", "not a time of day"),
        ('navigators:\n  - name: A\n    mon: "16:00-08:00"\n', "line 3", "ends before it starts"),
        ('navigators:\n  - name: A\n    mon: "08:00-08:00"\n', "line 3", "ends before it starts"),
        ('navigators:\n  - name: A\n    mon: "08:00-12:00, 11:30-14:00"\n', "line 3", "overlaps"),
        ("navigators:\n  - name: A\n    mon: 8\n", "line 3", "times in quotes"),
        ('navigators:\n  - name: A\n    mun: "08:00-16:00"\n', "line 3", "'mun' is not a day"),
        ('navigators:\n  - name: A\n    fri-mon: "08:00-16:00"\n', "line 3", "runs backwards"),
        (
            'navigators:\n  - name: A\n    mon-fri: "08:00-12:00"\n    wed: "13:00-17:00"\n',
            "line 4",
            "Wednesday is given twice (also line 3)",
        ),
        ("navigators:\n  - name: A\n  - name: ' a '\n", "line 3", "on the rota twice"),
        ("navigators:\n  - name: 42\n", "line 2", "must be text (put it in quotes)"),
        ('navigators:\n  - name: "A\\u001b[2J"\n', "line 2", "control character"),
        ('navigators:\n  - name: "Smith, J"\n', "line 2", "no comma"),
        ("navigators:\n  - A\n", "line 2", "'- name: ...'"),
        ("navigators:\n  - mon: x\n", "line 2", "'- name: ...'"),
        ("navigators: Asha\n", "line 1", "must list the people"),
        ("navigators: []\n", "line 1", "must list the people"),
        ("name: x\n", "line 1", "must list the people"),
        ("navigators:\n  - name: A\ncolour: red\n", "line 3", "a rota takes name, navigators, off"),
        ("navigators:\n  - name: A\noff:\n  mon: [Zed]\n", "line 4", "nobody called 'Zed'"),
        ("navigators:\n  - name: A\noff:\n  mon: -1\n", "line 4", "0 or more"),
        ("navigators:\n  - name: A\noff:\n  mon: true\n", "line 4", "number of people or names"),
        ("navigators:\n  - name: A\noff:\n  mon: 1\n  mon-tue: 1\n", "line 5", "given twice"),
        ("navigators:\n  - name: A\noff: 2\n", "line 3", "off maps days"),
        ("navigators:\n  - name: A\n    mon: [\n", "line 4", "YAML syntax"),
        ("navigators: 1\nnavigators: 2\n", "line 2", "duplicate key 'navigators'"),
        ("- name: A\n", "line 1", "a rota is a mapping of name, navigators, off"),
    ],
)
def test_each_problem_names_its_line(text: str, where: str, what: str) -> None:
    message = _error(text)
    assert message.startswith(f"rota.yaml, {where}"), message
    assert what in message
    assert "Traceback" not in message and "\n" not in message


def test_unknown_name_lists_who_is_on_the_rota() -> None:
    message = _error(TWO + "off:\n  tue: [Asha, Cara]\n")
    assert "nobody called 'Cara' is on the rota (on it: Asha, Ben)" in message


def test_every_problem_reported_at_once_in_line_order() -> None:
    text = (
        "navigators:\n"
        "  - name: A\n"
        '    mun: "08:00-16:00"\n'
        '    tue: "8-16"\n'
        "  - name: a\n"
        "colour: red\n"
    )
    lines = _error(text).splitlines()
    assert lines[0] == "rota.yaml: 4 problems (fix them all, then load it again):"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "line 3, column 5",
        "line 4, column 10",
        "line 5, column 5",
        "line 6, column 1",
    ]


def test_many_problems_are_cut_short() -> None:
    people = "".join(f'  - name: P{i}\n    mon: "9-5"\n' for i in range(30))
    lines = _error("navigators:\n" + people).splitlines()
    assert lines[0].startswith("rota.yaml: 30 problems") and lines[-1] == "  … and 18 more"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_rota_is_refused(text: str) -> None:
    assert _error(text).startswith("rota.yaml: is empty; a rota starts navigators:")


def test_load_rota_refuses_what_is_not_a_rota_file(tmp_path: Path) -> None:
    def refused(path: Path) -> str:
        with pytest.raises(RotaError) as caught:
            load_rota(path)
        assert str(caught.value).startswith(str(path))
        return str(caught.value)

    assert "no such rota file" in refused(tmp_path / "missing.yaml")
    assert "is a folder" in refused(tmp_path)
    binary = tmp_path / "rota.xlsx"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    assert "not a text file" in refused(binary)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("navigators:\n  - name: Zo\xeb\n".encode("latin-1"))
    assert "not UTF-8" in refused(latin)
    huge = tmp_path / "huge.yaml"
    huge.write_text("# padding\n" * 110_000)
    assert "over 1 MB" in refused(huge)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert "is empty" in refused(empty)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + TWO.replace("Asha", "Zo\u00eb").encode())
    assert load_rota(bom).navigators[0].name == "Zo\u00eb"


# -- headcounts --------------------------------------------------------------------------------


def test_hour_counts_show_a_late_start_and_a_split_shift_gap() -> None:
    counts = _rota().hour_counts(PLAIN_WEEK, CORE)
    assert len(counts) == 168
    monday = [_hour(counts, 0, h) for h in range(24)]
    # 07 closed; 08 Asha starts 08:30 (the fewest is 1); 12 Asha's lunch 12:00-12:30; 17 Asha
    # gone; 18 only the open half hour (Ben to 18:30); 19 on closed
    assert monday[7:20] == [0, 1, 2, 2, 2, 1, 2, 2, 2, 2, 1, 1, 0]
    assert monday[:8] == [0] * 8 and monday[19:] == [0] * 5
    assert counts[:120] == counts[:24] * 5  # the same every weekday
    assert not any(counts[120:])  # the weekend is closed


def test_on_duty_at_an_instant() -> None:
    rota, monday = _rota(), PLAIN_WEEK
    assert rota.on_duty(_local(monday, 8, 15), CORE) == 1
    assert rota.on_duty(_local(monday, 8, 30), CORE) == 2
    assert rota.on_duty(_local(monday, 12, 15), CORE) == 1
    assert rota.on_duty(_local(monday, 18, 29), CORE) == 1
    assert rota.on_duty(_local(monday, 18, 30), CORE) == 0  # core hours end
    assert rota.on_duty(_local(monday, 7, 59), CORE) == 0
    naive = _local(monday, 9).replace(tzinfo=None)  # the domain convention: naive is UTC
    assert rota.on_duty(naive, CORE) == 2
    # later core hours close the hub for the rota's early half hour
    late = CoreHours(start=time(9), end=time(17))
    assert rota.on_duty(_local(monday, 8, 45), late) == 0
    assert rota.hour_counts(monday, late)[8:18] == [0, 2, 2, 2, 1, 2, 2, 2, 2, 0]
    # a configured closure counts 0 all day
    closed = CoreHours(extra_closed_days=frozenset({monday}))
    assert rota.on_duty(_local(monday, 10), closed) == 0
    assert not any(rota.hour_counts(monday, closed)[:24])


def test_weekend_shifts_count_nothing() -> None:
    rota = _rota('navigators:\n  - name: A\n    sat-sun: "09:00-17:00"\n')
    saturday = PLAIN_WEEK + timedelta(days=5)
    assert rota.on_duty(_local(saturday, 10), CORE) == 0
    assert not any(rota.hour_counts(PLAIN_WEEK, CORE))
    assert rota.navigator_hours(PLAIN_WEEK, CORE) == 0.0


def test_bank_holidays_count_zero() -> None:
    rota = _rota()
    christmas = rota.hour_counts(date(2026, 12, 21), CORE)  # Fri 25 Dec is a bank holiday
    assert _hour(christmas, 3, 10) == 2 and not any(christmas[4 * 24 : 5 * 24])
    new_year = rota.hour_counts(date(2026, 12, 28), CORE)  # Mon 28 Dec and Fri 1 Jan too
    assert not any(new_year[:24]) and not any(new_year[4 * 24 : 5 * 24])
    assert _hour(new_year, 1, 10) == 2
    assert rota.on_duty(_local(date(2026, 12, 28), 10), CORE) == 0
    # person-hours: Asha 8, Ben 10.5 a working day
    assert rota.navigator_hours(PLAIN_WEEK, CORE) == pytest.approx(5 * 18.5)
    assert rota.navigator_hours(date(2026, 12, 21), CORE) == pytest.approx(4 * 18.5)
    assert rota.navigator_hours(date(2026, 12, 24), CORE) == pytest.approx(4 * 18.5)  # same week


def test_clock_changes_keep_local_times() -> None:
    rota = _rota()
    plain = rota.hour_counts(PLAIN_WEEK, CORE)
    # the week holding Sun 25 Oct 2026 (clocks back) and the week after: the same local hours
    assert rota.hour_counts(date(2026, 10, 19), CORE) == plain
    assert rota.hour_counts(date(2026, 10, 26), CORE) == plain
    # 08:30 local is 07:30 UTC before the change and 08:30 UTC after it
    friday, monday = date(2026, 10, 23), date(2026, 10, 26)
    assert rota.on_duty(datetime(2026, 10, 23, 7, 30, tzinfo=UTC), CORE) == 2
    assert rota.on_duty(datetime(2026, 10, 26, 7, 30, tzinfo=UTC), CORE) == 0
    assert rota.on_duty(_local(friday, 8, 30), CORE) == rota.on_duty(_local(monday, 8, 30), CORE)
    # spring 2027: clocks forward on Sun 28 Mar; Mon 29 Mar is Easter Monday (closed)
    spring = rota.hour_counts(date(2027, 3, 29), CORE)
    assert not any(spring[:24]) and spring[24:120] == plain[24:120]
    assert rota.on_duty(datetime(2027, 3, 30, 7, 30, tzinfo=UTC), CORE) == 2  # 08:30 BST


# -- what-ifs ----------------------------------------------------------------------------------


def test_with_off_by_count_never_below_zero() -> None:
    rota = _rota()
    one = rota.with_off("mon=1")
    assert one.off == (Absence(0, (), 1),) and rota.off == ()  # a new rota; the old unchanged
    counts = one.hour_counts(PLAIN_WEEK, CORE)
    assert [_hour(counts, 0, h) for h in (8, 9, 12, 17)] == [0, 1, 0, 0]
    assert counts[24:] == rota.hour_counts(PLAIN_WEEK, CORE)[24:]
    assert not any(rota.with_off("Monday = 5").hour_counts(PLAIN_WEEK, CORE)[:24])
    week = rota.with_off("mon-fri=1").with_off("tue=1")
    assert len(week.off) == 6 and not any(week.hour_counts(PLAIN_WEEK, CORE)[24:48])


def test_with_off_by_name() -> None:
    rota = _rota()
    counts = rota.with_off("tue=asha").hour_counts(PLAIN_WEEK, CORE)
    assert [_hour(counts, 1, h) for h in range(8, 19)] == [1] * 11
    both = rota.with_off("wed= Asha , BEN")
    assert both.off == (Absence(2, ("Asha", "Ben"), 0),)  # the names as on the rota
    assert not any(both.hour_counts(PLAIN_WEEK, CORE)[48:72])
    assert both.navigator_hours(PLAIN_WEEK, CORE) == pytest.approx(4 * 18.5)


@pytest.mark.parametrize(
    ("spec", "what"),
    [
        ("mon", "write DAY=NUMBER or DAY=NAMES"),
        ("=2", "write DAY=NUMBER or DAY=NAMES"),
        ("mon=", "write DAY=NUMBER or DAY=NAMES"),
        ("mun=2", "'mun' is not a day"),
        ("mon=-1", "0 or more"),
        ("mon=Asha,,Ben", "no blanks between commas"),
        ("mon=Cara", "nobody called 'Cara' is on the rota (on it: Asha, Ben)"),
    ],
)
def test_with_off_refuses_a_bad_spec(spec: str, what: str) -> None:
    with pytest.raises(RotaError) as caught:
        _rota().with_off(spec)
    assert str(caught.value).startswith(f"off {spec!r}: ")
    assert what in str(caught.value)


# -- with the simulation -----------------------------------------------------------------------


def _fixed(seconds: float):  # type: ignore[no-untyped-def]
    return lambda rng, priority: seconds


def test_nobody_on_monday_carries_its_arrivals_to_tuesday() -> None:
    # Mon 3 Mar 2025 (GMT): the rota's two are both off sick; Monday's arrivals start on
    # Tuesday at the start of core hours, and (due end of Tuesday) are all still in time
    rota = _rota().with_off("mon=Asha,Ben")
    monday = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    arrivals = [Arrival(monday + timedelta(minutes=20 * k)) for k in range(12)]
    result = simulate(arrivals, _fixed(600), rota.staffing(CORE), step=1800)
    tuesday_open = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
    assert result.items[0].started == tuesday_open
    assert all(h.started is not None and h.started >= tuesday_open for h in result.items)
    assert result.share_met == 1.0


def test_staffing_is_read_every_half_hour() -> None:
    # only Asha (from 08:30) on Tuesday: an item in at 08:05 waits for her, not for 09:00
    rota = _rota().with_off("tue=Ben")
    arrived = _local(date(2025, 3, 4), 8, 5)
    result = simulate([Arrival(arrived)], _fixed(600), rota.staffing(CORE), step=1800)
    assert result.items[0].started == _local(date(2025, 3, 4), 8, 30)
    hourly = simulate([Arrival(arrived)], _fixed(600), rota.staffing(CORE))
    assert hourly.items[0].started == _local(date(2025, 3, 4), 9, 0)


def test_only_ascii_digits_make_a_time_or_a_count() -> None:
    # full-width digits look like numbers on screen but are not what the author typed on a
    # UK keyboard: refused, as is a date where a name should be (said as a date)
    with pytest.raises(RotaError, match="line 4"):
        parse_rota(
            'navigators:\n  - name: Asha\n    mon: "08:00-12:00"\n    tue: "０８:00-12:00"\n',
            "r.yaml",
        )
    rota = parse_rota('navigators:\n  - name: Asha\n    mon: "08:00-12:00"\n', "r.yaml")
    with pytest.raises(RotaError):
        rota.with_off("mon=２")
    with pytest.raises(RotaError, match="a date"):
        parse_rota(
            'name: 2026-01-01\nnavigators:\n  - name: Asha\n    mon: "08:00-12:00"\n', "r.yaml"
        )
