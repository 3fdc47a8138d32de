"""How many SMS segments a patient message costs (GSM 03.38 and UCS-2), without I/O.

A text message is 160 GSM-7 characters, or 153 per segment once it has to be split (7 go to the
header that joins the parts). One character outside the GSM-7 alphabet (ë, an emoji, a curly
quote, an em dash) turns the whole message into UCS-2: 70 characters, 67 per segment. Practices
pay per segment, so the editor says which alphabet applies and why.
"""

from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38 basic alphabet (without the escape character itself)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# the extension table: each costs two septets (an escape, then the character)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsCount:
    """The cost of one message: its alphabet, length in that alphabet's units, and segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # the limit that applied: 160/153 or 70/67
    culprit: str | None = None  # the first character that forced UCS-2

    def words(self) -> str:
        """The count in words, e.g. ``214 characters · 2 SMS (GSM-7, 153 per part)``."""
        plural = "" if self.segments == 1 else "s"
        text = f"{self.units} characters · {self.segments} SMS segment{plural} ({self.encoding}"
        text += f", {self.per_segment} per segment)"
        if self.culprit is not None:
            text += f" — UCS-2 because of {_shown(self.culprit)}"
        return text


def _shown(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"“{ch}”"
    return f"U+{ord(ch):04X}"


def first_non_gsm(text: str) -> str | None:
    """The first character GSM-7 cannot carry (None when it can carry them all)."""
    return next((ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED), None)


def sms_count(text: str) -> SmsCount:
    """How ``text`` would be sent: GSM-7 160/153 per segment, or UCS-2 70/67 when any character
    is outside GSM-7 (an empty message is one segment of nothing)."""
    culprit = first_non_gsm(text)
    if culprit is None:
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part, encoding = GSM7_SINGLE, GSM7_PART, "GSM-7"
    else:
        # UCS-2 as phones send it is UTF-16: a character beyond the BMP (an emoji) takes two units
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "UCS-2"
    if units <= single:
        return SmsCount(encoding, units, 1, single, culprit)
    return SmsCount(encoding, units, -(-units // part), part, culprit)
