"""A rota: who works which hours, read from a short YAML file a practice manager writes.

The format (fixtures/rota.yaml is a commented example)::

    name: Riverside eHub w/c 7 Dec            # optional; the file's name otherwise
    navigators:
      - name: Asha
        mon-fri: "08:00-16:00"                # a day, a range or a list (mon, wed-fri)
      - name: Cara
        tue, thu: "08:00-12:00, 13:00-17:00"  # a split shift
    off: {mon: 2, tue: [Asha]}                # what-if: two fewer all Monday, Asha off Tuesday

Times are UK local (a shift keeps its wall-clock hours across the clock changes), on the hour or
half hour: the simulation re-reads staffing every 30 minutes. Outside core hours and on days that
are not working days (weekends, England bank holidays, closures) the hub is closed: whoever the
rota puts on then counts 0. A navigator with no shifts is allowed (someone away all week stays on
the list); a day given twice for one person, overlapping shifts and a name given twice (case and
spacing ignored) are refused; names are kept as written (outer spaces trimmed), a control character
or comma in one refused. Every problem found is reported at once, each with its line and column.
"""

from __future__ import annotations

import itertools
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from ehub_tui.capacity.demand import monday_of
from ehub_tui.capacity.sim import Staffing
from ehub_tui.domain.clock import LONDON, CoreHours
from ehub_tui.errors import RotaError
from ehub_tui.yamlload import Mark, MarkedDict, MarkedList, YamlError, load_yaml

__all__ = ["Absence", "Rota", "RotaNavigator", "load_rota", "parse_rota"]

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS = {d[:n]: i for i, d in enumerate(DAYS) for n in range(3, len(d) + 1)}  # tues, thur
KNOWN_KEYS = ("name", "navigators", "off")
MAX_BYTES = 1_048_576
SLOT_MINUTES = 30  # the rota's resolution: shifts start and end on :00 or :30
_MAX_NAME = 80
_MAX_LISTED = 12  # problems (and names) shown in one message
# an en or em dash too: a rota typed in a word processor gets one
_SHIFT = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*[-\u2013\u2014]\s*([0-9]{1,2}):([0-9]{2})\s*")
_OFF_HINT = "give a number of people or names, e.g. mon: 2 or tue: [Asha]"

Shift = tuple[time, time]
_Problems = list[tuple[Mark, str]]


@dataclass(frozen=True, slots=True)
class Absence:
    """People off all day on a weekday (0 = Monday): by name, or a count off the headcount."""

    weekday: int
    names: tuple[str, ...] = ()
    count: int = 0


@dataclass(frozen=True, slots=True)
class RotaNavigator:
    """One person and their shifts, ``shifts[weekday]`` being (start, end) UK local times."""

    name: str
    shifts: tuple[tuple[Shift, ...], ...] = ((),) * 7


@dataclass(frozen=True)
class Rota:
    """Navigators and their week, with any what-if absences (``off``)."""

    name: str
    navigators: tuple[RotaNavigator, ...]
    off: tuple[Absence, ...] = ()

    @cached_property
    def _slots(self) -> tuple[tuple[int, ...], ...]:
        """Headcount per weekday per half hour, absences applied (computed once)."""
        days = []
        for weekday in range(7):
            gone = {_key(n) for a in self.off if a.weekday == weekday for n in a.names}
            fewer = sum(a.count for a in self.off if a.weekday == weekday)
            here = [n for n in self.navigators if _key(n.name) not in gone]
            shifts = [(_mins(a), _mins(b)) for n in here for a, b in n.shifts[weekday]]
            slots = range(0, 24 * 60, SLOT_MINUTES)  # one person's shifts never overlap
            days.append(tuple(max(0, sum(a <= m < b for a, b in shifts) - fewer) for m in slots))
        return tuple(days)

    def with_off(self, spec: str) -> Rota:
        """This rota with a what-if absence: ``"mon=2"``, ``"mon=Asha"``, ``"mon-fri=Asha,Ben"``."""
        day_text, sep, value = spec.partition("=")
        try:
            if not sep or not day_text.strip() or not value.strip():
                raise _Bad("write DAY=NUMBER or DAY=NAMES, e.g. mon=2 or mon=Asha,Ben")
            days = _days(day_text)
            names, count = _absence(value.strip(), {_key(n.name): n.name for n in self.navigators})
        except _Bad as exc:
            raise RotaError(f"off {spec!r}: {exc}") from None
        return replace(self, off=self.off + tuple(Absence(d, names, count) for d in days))

    def on_duty(self, at: datetime, core_hours: CoreHours) -> int:
        """Navigators on duty at an instant (a naive time is UTC); 0 when the hub is closed."""
        local = (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(LONDON)
        if not core_hours.is_working_day(local.date()):
            return 0
        if not core_hours.start <= local.time() < core_hours.end:
            return 0
        return self._slots[local.weekday()][(local.hour * 60 + local.minute) // SLOT_MINUTES]

    def staffing(self, core_hours: CoreHours) -> Staffing:
        """A staffing function for ``capacity.sim.simulate`` (run it with ``step=1800``)."""
        return lambda at: self.on_duty(at, core_hours)

    def hour_counts(self, week_of: date, core_hours: CoreHours) -> list[int]:
        """168 counts from Monday 00:00 UK local of ``week_of``'s week: the fewest on duty at any
        moment in each hour's open part (a half-hour gap shows); 0 when the hub is shut."""
        opens, closes = _mins(core_hours.start), _mins(core_hours.end)
        out: list[int] = []
        for weekday, slots in enumerate(self._slots):
            working = core_hours.is_working_day(monday_of(week_of) + timedelta(days=weekday))
            for hour in range(24):
                lo, hi = max(hour * 60.0, opens), min(hour * 60.0 + 60, closes)
                if not working or lo >= hi:
                    out.append(0)
                else:  # every half hour the open part touches
                    out.append(min(slots[int(lo // SLOT_MINUTES) : -int(-hi // SLOT_MINUTES)]))
        return out

    def navigator_hours(self, week_of: date, core_hours: CoreHours) -> float:
        """Person-hours the rota gives within core hours on the working days of the week."""
        opens, closes = _mins(core_hours.start), _mins(core_hours.end)
        minutes = 0.0
        for weekday, slots in enumerate(self._slots):
            if core_hours.is_working_day(monday_of(week_of) + timedelta(days=weekday)):
                for s, count in enumerate(slots):
                    lo, hi = max(s * SLOT_MINUTES, opens), min((s + 1) * SLOT_MINUTES, closes)
                    minutes += count * max(0.0, hi - lo)
        return minutes / 60


def load_rota(path: Path) -> Rota:
    """Read and check a rota file; RotaError (naming the file) when it cannot be used."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):  # a folder, a pipe or a device is never a rota
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise RotaError(f"{path}: is {kind}; a rota is a YAML text file")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise RotaError(f"{path}: no such rota file (see --rota, capacity_rota_file)") from None
    except OSError as exc:
        raise RotaError(f"{path}: the rota file cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise RotaError(f"{path}: is over 1 MB; a rota is a short text file (is this the rota?)")
    if b"\x00" in data:
        raise RotaError(f"{path}: is not a text file (it holds NUL bytes); a rota is YAML text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RotaError(f"{path}: is not UTF-8 text; save the rota as UTF-8") from None
    return parse_rota(text, str(path))


def parse_rota(text: str, source: str) -> Rota:
    """Check the text of a rota (``source`` names it in messages); every problem in one error."""
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        problem = exc.message.splitlines()[0].replace("SOP file", "rota file")
        raise RotaError(f"{_at(source, exc.mark)}: {problem}") from None
    if doc is None:
        raise RotaError(
            f"{source}: is empty; a rota starts navigators: and lists one '- name: ...' per "
            'person with their days below it, e.g. mon-fri: "08:00-16:00"'
        )
    if not isinstance(doc, MarkedDict):
        raise RotaError(
            f"{_at(source, getattr(doc, 'mark', None))}: a rota is a mapping of "
            f"{', '.join(KNOWN_KEYS)} (key: value lines), not {_kind(doc)}"
        )
    problems: _Problems = []
    for key in doc:
        if key not in KNOWN_KEYS:
            note = f"unknown key {key!r}; a rota takes {', '.join(KNOWN_KEYS)}"
            problems.append((doc.key_marks[key], note))
    name = Path(source).name
    if "name" in doc:
        name = _text(doc["name"], "the rota's name", 200, problems, doc.value_marks["name"]) or name
    navigators = _navigators(doc, problems)
    off = _off(doc, {k: n.name for k, n in navigators.items()}, problems) if "off" in doc else []
    if len(problems) == 1:
        raise RotaError(f"{_at(source, problems[0][0])}: {problems[0][1]}")
    if problems:
        order = sorted(problems, key=lambda p: (p[0].line, p[0].col))
        shown = [f"  {_at('', m)[2:]}: {t}" for m, t in order]
        more = [f"  … and {len(shown) - _MAX_LISTED} more"] if len(shown) > _MAX_LISTED else []
        head = f"{source}: {len(shown)} problems (fix them all, then load it again):"
        raise RotaError("\n".join([head, *shown[:_MAX_LISTED], *more]))
    return Rota(name, tuple(navigators.values()), tuple(off))


class _Bad(ValueError):
    """One problem with one value; the readers below note it with its place and carry on."""


def _navigators(doc: MarkedDict, problems: _Problems) -> dict[str, RotaNavigator]:
    """The navigators by matching key (case and spacing ignored)."""
    entries = doc.get("navigators")
    if not isinstance(entries, MarkedList) or not entries:
        mark = doc.value_marks.get("navigators", doc.mark)
        problems.append((mark, "navigators: must list the people, one '- name: ...' per person"))
        return {}
    out: dict[str, RotaNavigator] = {}
    lines: dict[str, int] = {}
    for entry, mark in zip(entries, entries.item_marks, strict=True):
        nav = _navigator(entry, mark, problems)
        if nav is not None and (key := _key(nav.name)) in out:
            note = f"{nav.name!r} is on the rota twice (first on line {lines[key]}); give each "
            problems.append((mark, note + "person one entry with all their days"))
        elif nav is not None:
            out[key], lines[key] = nav, mark.line
    return out


def _navigator(entry: Any, mark: Mark, problems: _Problems) -> RotaNavigator | None:
    if not isinstance(entry, MarkedDict) or "name" not in entry:
        problems.append((mark, "each navigator is '- name: ...' followed by their days"))
        return None
    where = entry.value_marks["name"]
    name = _text(entry["name"], "a navigator's name", _MAX_NAME, problems, where)
    if name is not None and "," in name:
        problems.append((where, f"{name!r}: a name has no comma (commas separate names in off)"))
        name = None
    who = name or "this navigator"
    shifts: list[tuple[Shift, ...]] = [()] * 7
    given: dict[int, int] = {}
    for key, value in entry.items():
        if key == "name":
            continue
        try:
            days = _days(key)
        except _Bad as exc:
            note = f"{exc}; a navigator takes name and days (mon..sun, ranges like mon-fri)"
            problems.append((entry.key_marks[key], note))
            continue
        day_shifts = _shifts(value, entry.value_marks[key], who, problems)
        for day in _once(days, entry.key_marks[key], given, f"{who}'s", problems):
            shifts[day] = day_shifts
    return None if name is None else RotaNavigator(name, tuple(shifts))


def _once(
    days: list[int], mark: Mark, given: dict[int, int], whose: str, problems: _Problems
) -> Iterator[int]:
    """``days``, noting any already given (one line per person per day, never merged)."""
    for day in days:
        if day in given:
            note = f"{whose} {DAYS[day].title()} is given twice (also line {given[day]}); "
            problems.append((mark, note + "write each day once, e.g. mon-tue and thu-fri"))
        given[day] = mark.line
        yield day


def _shifts(value: Any, mark: Mark, who: str, problems: _Problems) -> tuple[Shift, ...]:
    """Shifts from "08:00-12:00, 13:00-17:00" or a list of such, in start order."""
    if isinstance(value, str):
        parts = [(p, mark) for p in value.split(",")]
    elif isinstance(value, MarkedList) and value and all(isinstance(v, str) for v in value):
        parts = [(p, m) for v, m in zip(value, value.item_marks, strict=True) for p in v.split(",")]
    else:
        problems.append((mark, f'{who}\'s shifts must be times in quotes, like "08:00-16:00"'))
        return ()
    out: list[Shift] = []
    for part, where in parts:
        try:
            out.append(_shift(part))
        except _Bad as exc:
            problems.append((where, f"{who}: {exc}"))
    out.sort()
    for (a, b), (c, d) in itertools.pairwise(out):
        if c < b:
            problems.append((mark, f"{who}: {a:%H:%M}-{b:%H:%M} overlaps {c:%H:%M}-{d:%H:%M}"))
    return tuple(out)


def _shift(text: str) -> Shift:
    shown = repr(text.strip())
    m = _SHIFT.fullmatch(text)
    if m is None:
        raise _Bad(f"{shown} is not a shift; write start-end as HH:MM-HH:MM, e.g. 08:00-16:00")
    hours, minutes = (int(m[1]), int(m[3])), (int(m[2]), int(m[4]))
    if max(hours) > 23 or max(minutes) > 59:
        raise _Bad(f"{shown} is not a time of day (00:00 to 23:59)")
    if any(x % SLOT_MINUTES for x in minutes):
        raise _Bad(f"{shown}: shifts start and end on the hour or half hour (:00 or :30)")
    start, end = time(hours[0], minutes[0]), time(hours[1], minutes[1])
    if end <= start:
        raise _Bad(f"{shown} ends before it starts; a shift is within one day")
    return start, end


def _off(doc: MarkedDict, known: dict[str, str], problems: _Problems) -> list[Absence]:
    value = doc["off"]
    if not isinstance(value, MarkedDict):
        problems.append((doc.value_marks["off"], f"off maps days to people: {_OFF_HINT}"))
        return []
    out: list[Absence] = []
    given: dict[int, int] = {}
    for key, item in value.items():
        try:
            days = _days(key)
            if isinstance(item, MarkedList):  # a NUL is refused below as not a name
                item = ",".join(x if isinstance(x, str) else "\x00" for x in item)
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise _Bad(_OFF_HINT)
            names, count = _absence(str(item), known)
        except _Bad as exc:
            problems.append((value.value_marks[key], f"off {key}: {exc}"))
            continue
        marked = _once(days, value.key_marks[key], given, "off:", problems)
        out += [Absence(d, names, count) for d in marked]
    return out


def _absence(value: str, known: dict[str, str]) -> tuple[tuple[str, ...], int]:
    """(names, count) from "2" or "Asha, Ben"; names checked against ``known`` (key -> name)."""
    if re.fullmatch(r"[+-]?[0-9]+", value):  # ASCII digits only: not "２"
        if int(value) < 0:
            raise _Bad(f"{value} is not a number of people off (0 or more)")
        return (), int(value)
    names = [n.strip() for n in value.split(",")]
    if any(not n or not n.isprintable() for n in names):
        raise _Bad("each name off must be written out (text, no blanks between commas)")
    unknown = [n for n in names if _key(n) not in known]
    if unknown:
        listed = sorted(known.values(), key=str.casefold)
        on = ", ".join(listed[:_MAX_LISTED]) + (" …" if len(listed) > _MAX_LISTED else "")
        who = ", ".join(repr(n) for n in unknown)
        raise _Bad(f"nobody called {who} is on the rota (on it: {on or 'nobody'})")
    return tuple(dict.fromkeys(known[_key(n)] for n in names)), 0


def _days(text: str) -> list[int]:
    """Weekdays (0 = Monday) from "mon", "Mon-Fri", "mon, wed-fri" (3+ letters of a day)."""
    out: list[int] = []
    for part in str(text).split(","):
        first, dash, last = part.partition("-")
        a = _day(first)
        b = _day(last) if dash else a
        if b < a:
            raise _Bad(f"{part.strip()!r} runs backwards; a range runs forwards, e.g. mon-fri")
        out.extend(d for d in range(a, b + 1) if d not in out)
    return out


def _day(text: str) -> int:
    if (day := _DAY_WORDS.get(text.strip().casefold())) is None:
        raise _Bad(f"{text.strip()!r} is not a day (mon, tue, wed, thu, fri, sat, sun)")
    return day


def _text(value: Any, what: str, longest: int, problems: _Problems, mark: Mark) -> str | None:
    """A name as written (outer spaces trimmed), or None with a problem noted."""
    text = value.strip() if isinstance(value, str) else None
    if text is None:
        problems.append((mark, f"{what} must be text (put it in quotes), not {_kind(value)}"))
    elif not text or len(text) > longest:
        problems.append((mark, f"{what} must be 1 to {longest} characters"))
    elif not text.isprintable():
        problems.append((mark, f"{what} {text!r} holds a control character; write plain text"))
    else:
        return text
    return None


def _key(name: str) -> str:
    """How names are matched: case, spacing and Unicode composition ignored."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def _mins(t: time) -> int:
    return t.hour * 60 + t.minute


def _at(source: str, mark: Mark | None) -> str:
    return source if mark is None else f"{source}, line {mark.line}, column {mark.col}"


def _kind(value: object) -> str:
    kinds = ((bool, "true/false"), (int | float, "a number"), (str, "text"), (list, "a list"))
    kinds += ((date, "a date"),)  # type: ignore[assignment]
    return next((k for t, k in kinds if isinstance(value, t)), "a mapping" if value else "empty")
