"""SNOMED CT codes on SOP routes: which routes must have one, and whether a code is well formed.

A SNOMED CT concept id is 6 to 18 digits, no leading zero; its last digit is a Verhoeff check
digit over the others, and the two digits before it are the partition: ``00`` (a concept in the
international release) or ``10`` (a concept in an extension such as the UK's, with its namespace
before the partition). ``01``/``11`` are description ids and ``02``/``12`` relationship ids: a
route naming one of those names no concept. The check catches a mistyped or transposed digit,
which a digits-only test does not (``1362511000000107`` written ``1362511000000170``).

Every clinical or escalation route, and every route to a community pharmacy (Pharmacy First),
records a SNOMED code, so its outcomes can be coded in the practice's record.
"""

from __future__ import annotations

from typing import Any

# Verhoeff's tables: d (the dihedral group D5's multiplication), p (the position permutation)
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

CONCEPT_PARTITIONS = ("00", "10")
_OTHER_PARTITIONS = {
    "01": "a description id",
    "11": "a description id",
    "02": "a relationship id",
    "12": "a relationship id",
}
# Routes that must carry a code: clinical outcomes, escalations, and Pharmacy First referrals
CODED_CATEGORIES = ("clinical", "escalate")
CODED_DESTINATIONS = ("COMMUNITY_PHARMACY",)


def verhoeff_ok(digits: str) -> bool:
    """True when the last digit of ``digits`` is the Verhoeff check digit of the rest."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0


def check_digit(body: str) -> str:
    """The Verhoeff check digit to append to ``body`` (for tests and authors' tools)."""
    c = 0
    for i, ch in enumerate(reversed(body)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return str(_INV[c])


def problem(value: Any) -> str | None:
    """Why ``value`` is not a SNOMED CT concept id (None when it is one), in words."""
    s = str(value).strip()
    if not s.isascii() or not s.isdigit():
        return f"{value!r} is not a SNOMED CT concept id: use its digits only"
    if not 6 <= len(s) <= 18:
        return f"{s} is not a SNOMED CT concept id: it has {len(s)} digits (6 to 18)"
    if s.startswith("0"):
        return f"{s} is not a SNOMED CT concept id: it starts with 0"
    if not verhoeff_ok(s):
        return (
            f"{s} fails the SNOMED CT check digit: a digit is mistyped or two are swapped "
            "(copy the id from the NHS SNOMED CT browser)"
        )
    partition = s[-3:-1]
    if partition not in CONCEPT_PARTITIONS:
        what = _OTHER_PARTITIONS.get(partition, "not a concept id")
        return f"{s} is {what}, not a concept id (the concept's id ends in 00x or 10x)"
    return None


def required(category: str, destination_code: str | None) -> bool:
    """Must a route of this category and destination carry a SNOMED code?"""
    return category in CODED_CATEGORIES or (destination_code or "") in CODED_DESTINATIONS


# Suggested in the message when a required code is missing: broad referral concepts by where the
# route sends (an author picks the most specific concept that is true of the route).
EXAMPLES = {
    "COMMUNITY_PHARMACY": "1362511000000107",  # Referral to Community Pharmacist Consultation
    "GP_SAME_DAY": "183561008",  # Referral to general practitioner
    "GP_ROUTINE": "183561008",
    "DUTY_CLINICIAN_NOW": "134403003",  # Urgent referral
}
_BROADEST = "306206005"  # Referral to service


def check_route(i: int, rule: Any, seq: Any, ctx: Any) -> None:
    """Check route ``i``'s SNOMED code into ``ctx`` (a loader context): present where required
    (an error, or a warning for a version published before codes were required) and, when
    present, a well-formed concept id. Messages name the route; ``ctx`` names the file."""
    from ehub_tui.yamlload import MarkedDict, MarkedList

    spec = rule.spec
    node = seq[i] if isinstance(seq, MarkedList) and i < len(seq) else None
    mark = node.value_marks.get("snomed", rule.mark) if isinstance(node, MarkedDict) else rule.mark
    where = f"routes[{i}] ({spec.id})"
    code = spec.snomed
    if code is None or str(code).strip() == "":
        if not required(spec.category, spec.destination_code):
            return
        example = EXAMPLES.get(spec.destination_code or "", _BROADEST)
        text = (
            f"{where}: snomed is missing: every clinical, escalation and Pharmacy First route "
            f'needs a SNOMED CT concept id, e.g. snomed: "{example}" (docs/sop-authoring.md)'
        )
        if ctx.codes_required:
            ctx.error(rule.mark, text)
        else:
            ctx.warn(rule.mark, text + " — a version published before codes were required")
        return
    why = problem(code)
    if why is not None:
        ctx.error(mark, f"{where}: snomed {why}")
