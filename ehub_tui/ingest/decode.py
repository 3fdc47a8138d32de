"""A file's bytes as text: size limit, UTF-8 with bad bytes kept, binary and UTF-16 refused.

Records, not files: a byte that is not UTF-8, or a NUL, costs only the record it is in. The file
is decoded with ``surrogateescape`` (a bad byte 0xE9 becomes U+DCE9) and NULs are kept; the
values carry them to :mod:`ehub_tui.ingest.validate`, which quarantines that record naming the
field and the byte. No message here quotes a value from a file.
"""

from __future__ import annotations

import re
from pathlib import Path

from ehub_tui.errors import FileError

_UTF8_BOM = b"\xef\xbb\xbf"


# Control characters other than tab, CR, LF, FF, VT: text files hardly ever hold them.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13))


_SURROGATES = re.compile("[\ud800-\udfff]")


def read_text(path: Path, *, max_bytes: int | None = None) -> str:
    """Read a file as UTF-8 text (a byte-order mark is dropped), or raise FileError.

    ``max_bytes`` (settings.max_file_bytes) refuses a bigger file before reading it. Bytes that
    are not UTF-8 become lone surrogates (see :func:`decode_bytes`).
    """
    name = str(path)
    try:
        if max_bytes is not None:
            _check_size(name, Path(path).stat().st_size, max_bytes)
        data = Path(path).read_bytes()
        if max_bytes is not None:  # it may have grown since
            _check_size(name, len(data), max_bytes)
    except FileNotFoundError:
        raise FileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise FileError(f"{name}: is a folder, not a file") from None
    except PermissionError:
        raise FileError(f"{name}: cannot be read (permission denied)") from None
    except OSError as e:
        raise FileError(f"{name}: cannot be read ({e.strerror or e})") from None
    return decode_bytes(data, name)


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileError(
            f"{name}: is {_size(size)}, more than the {_size(max_bytes)} a file may be "
            "(setting max_file_bytes); split it into smaller files or raise the setting"
        )


def _size(n: int) -> str:
    """A byte count for people: 1,048,576 bytes → "1 MiB (1,048,576 bytes)"."""
    if n >= 1_048_576:
        return f"{n / 1_048_576:,.1f} MiB ({n:,} bytes)".replace(".0 MiB", " MiB")
    return f"{n:,} bytes"


def decode_bytes(data: bytes, name: str = "<input>") -> str:
    """Decode a file's bytes as UTF-8 text as :func:`read_text` does, or raise FileError.

    Text with a few bad bytes or NULs is still text: a byte that is not UTF-8 is decoded to a
    lone surrogate (U+DC80..U+DCFF, ``surrogateescape``) and a NUL is kept, so the record
    holding it, and only that record, is quarantined by validation. A file that is mostly not
    text (control bytes or invalid UTF-8) is refused as binary, and UTF-16 is refused by name,
    with or without a byte-order mark.
    """
    if not data:
        raise FileError(f"{name}: the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(f"{name}: is UTF-16 text, not UTF-8; save it as UTF-8 and try again")
    if data.startswith(_UTF8_BOM):
        data = data[3:]
    sample = data[:8192]
    utf16 = _utf16_without_bom(sample)
    if utf16:
        raise FileError(
            f"{name}: looks like UTF-16 text ({utf16}) without a byte-order mark, not UTF-8; "
            "save it as UTF-8 and try again"
        )
    if sample and len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > len(sample) // 10:
        raise FileError(f"{name}: looks like a binary file, not JSON or CSV")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Some bytes are not UTF-8: keep them as lone surrogates for validation to name, unless
        # there are so many that this is not text at all.
        text = data.decode("utf-8", "surrogateescape")
        head = sample.decode("utf-8", "surrogateescape")
        if len(_SURROGATES.findall(head)) > max(8, len(head) // 10):
            raise FileError(
                f"{name}: looks like a binary file, or text in an encoding other than UTF-8 "
                "(most of its bytes are not UTF-8); save text as UTF-8 and try again"
            ) from None
    if "\x00" in text and text.count("\x00") > max(8, len(text) // 100):
        raise FileError(f"{name}: looks like a binary file, not JSON or CSV")
    if not text.strip():
        raise FileError(f"{name}: the file is empty (it holds only blank space)")
    return text


def _utf16_without_bom(sample: bytes) -> str | None:
    """Say "UTF-16LE" or "UTF-16BE" when ``sample`` looks like UTF-16 without a byte-order mark.

    In UTF-16 text that is mostly ASCII (field names, digits, dates) every other byte is zero:
    the odd ones in little-endian, the even ones in big-endian. Nothing else looks like that.
    """
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_zero = sample[0 : pairs * 2 : 2].count(0)
    odd_zero = sample[1 : pairs * 2 : 2].count(0)
    if odd_zero >= pairs * 0.4 and even_zero <= pairs * 0.05:
        return "UTF-16LE"
    if even_zero >= pairs * 0.4 and odd_zero <= pairs * 0.05:
        return "UTF-16BE"
    return None
