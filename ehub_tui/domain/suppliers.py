"""Supplier names for returns: a record's ``source`` is supplier-sent free text, so returns only
ever name a supplier from the configured list (matched case- and space-insensitively) and report
everything else as ``OTHER``."""

from __future__ import annotations

from collections.abc import Sequence

OTHER = "OTHER"


def _key(name: str) -> str:
    return "".join(name.split()).casefold()


def supplier_code(source: str, known: Sequence[str]) -> str:
    """The known supplier ``source`` names, spelled as configured, or ``OTHER``.

    >>> supplier_code("econsult", ["eConsult", "Accurx"])
    'eConsult'
    >>> supplier_code("9998345138 Jane", ["eConsult"])
    'OTHER'
    """
    want = _key(source)
    for name in known:
        if _key(name) == want:
            return name
    return OTHER
