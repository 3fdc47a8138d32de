"""The outbox folder an integration engine or a MESH client collects (issue 16, part 2).

Layout (``<outbox>`` is the ``outbox_dir`` setting or ``outbox write --to``)::

    <outbox>/fhir/<stem>.json    the outcome's FHIR R4 transaction Bundle (export/fhir_out.py)
    <outbox>/fhir/<stem>.ctl     its completion marker, written after it
    <outbox>/html/<stem>.html    the consultation summary (export/summary_html.py)
    <outbox>/html/<stem>.ctl     its completion marker, written after it
    <outbox>/.written/<stem>.<fhir|html>   the outbox's own record that a pair was finished

``<stem>`` is ``<practice ODS code>-<hub item id>-<outcome id>``: an outcome never changes once
completed, so its stem names the same facts for ever, and a pair already finished is never
written again (idempotent re-export), even after the collector has taken it away (the
``.written`` record stays; delete it to send that outcome again).

Every file is written atomically: a hidden temporary file in the same folder (``.<name>.<random>
.tmp``, which no ``*.json``/``*.html``/``*.ctl`` pattern matches), flushed and fsynced, renamed
over the final name, and the folder fsynced. The ``.ctl`` is written only once its data file is
in place, so a collector that takes a data file only when its ``.ctl`` is there never takes a
half-written or crashed one. A temporary file left by a crash is removed by the next run once it
is older than STALE_TEMP.

The ``.ctl`` is a MESH client control file (``DTSControl`` XML: Version, AddressType DTS,
MessageType Data, WorkflowId, To_DTS, Subject, LocalId, Compress, Encrypted) plus a comment with
the data file's name, size and SHA-256. It holds no patient identifier: the subject names the
practice ODS code and the outcome. WorkflowId and To_DTS are left empty for the integration
engine or the MESH client's sending rule to fill (the recipient is the practice whose ODS code
starts the file name); a ``.ctl`` always has the stem of its data file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from ehub_tui.domain.outbox import OutboxRecord
from ehub_tui.export.fhir_out import MissingFacts, bundle_bytes
from ehub_tui.export.summary_html import summary_bytes

FILE_MODE = 0o640  # patient data: the owner writes, the collector's group reads, nobody else
DIR_MODE = 0o750
STALE_TEMP = 15 * 60  # seconds: a temporary file this old is a crash's, never a live write
LEDGER = ".written"
KINDS: dict[str, tuple[str, Callable[[OutboxRecord], bytes]]] = {
    "fhir": (".json", bundle_bytes),
    "html": (".html", summary_bytes),
}
_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_-]+\.tmp$")


class OutboxError(OSError):
    """The outbox folder cannot be used (its message names the folder, never a patient)."""


@dataclass
class WriteResult:
    """What one run did: stems written, stems already there, and (stem, why) that failed."""

    written: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def stem(rec: OutboxRecord) -> str:
    """``<ODS>-<item id>-<outcome id>``; an ODS code is letters and digits (anything else in
    it, from a damaged record, becomes ``_`` so it can never leave the folder)."""
    ods = re.sub(r"[^A-Za-z0-9]", "_", rec.practice_ods) or "_"
    return f"{ods}-{rec.consultation_id}-{rec.outcome_id}"


def control_text(data_name: str, data: bytes, subject: str, local_id: str) -> bytes:
    """A MESH ``DTSControl`` file for ``data_name`` (see the module docstring)."""
    digest = hashlib.sha256(data).hexdigest()
    x = xml_escape
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<!-- ehub-tui outbox: {x(data_name)} {len(data)} bytes sha256 {digest} -->\n"
        "<DTSControl>\n"
        "  <Version>1.0</Version>\n"
        "  <AddressType>DTS</AddressType>\n"
        "  <MessageType>Data</MessageType>\n"
        "  <From_DTS></From_DTS>\n"
        "  <To_DTS></To_DTS>\n"
        "  <WorkflowId></WorkflowId>\n"
        f"  <Subject>{x(subject)}</Subject>\n"
        f"  <LocalId>{x(local_id)}</LocalId>\n"
        "  <Compress>N</Compress>\n"
        "  <Encrypted>N</Encrypted>\n"
        "</DTSControl>\n"
    ).encode()


def _fsync_dir(folder: Path) -> None:
    # the rename is durable only once the folder's entry is on disk (POSIX); not on Windows
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden temporary file beside it, fsynced and
    renamed, then fsync the folder: ``path`` is either absent, the old file or all of it."""
    folder = path.parent
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)  # the umask may have taken the group's read away
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)


class Outbox:
    """An outbox folder (made, with its sub-folders, on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def prepare(self) -> None:
        """Make the folders, and remove a crash's stale temporary files."""
        try:
            for sub in (*KINDS, LEDGER):
                (self.root / sub).mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise OutboxError(
                f"{self.root}: cannot make the outbox folder ({exc.strerror})"
            ) from None
        for kind in KINDS:
            self.sweep(self.root / kind)

    @staticmethod
    def sweep(folder: Path, older_than: float = STALE_TEMP) -> list[Path]:
        """Remove temporary files older than ``older_than`` seconds; returns those removed."""
        removed = []
        now = time.time()
        for p in folder.iterdir():
            if _TEMP.match(p.name):
                with contextlib.suppress(OSError):
                    if now - p.stat().st_mtime >= older_than:
                        p.unlink()
                        removed.append(p)
        return removed

    def done(self, name: str, kind: str) -> bool:
        """Was this pair finished before (recorded, or its data and ``.ctl`` both there)?"""
        ext, _ = KINDS[kind]
        folder = self.root / kind
        if (self.root / LEDGER / f"{name}.{kind}").exists():
            return True
        return (folder / f"{name}{ext}").exists() and (folder / f"{name}.ctl").exists()

    def write_one(self, rec: OutboxRecord) -> bool:
        """Write the record's Bundle and summary, each followed by its ``.ctl``; False when
        both were there already. MissingFacts or OSError when it cannot."""
        name = stem(rec)
        wrote = False
        for kind, (ext, make) in KINDS.items():
            if self.done(name, kind):
                continue
            data = make(rec)
            folder = self.root / kind
            subject = f"eHub outcome for practice {rec.practice_ods}: {name} ({kind})"
            write_atomic(folder / f"{name}{ext}", data)
            write_atomic(folder / f"{name}.ctl", control_text(f"{name}{ext}", data, subject, name))
            write_atomic(self.root / LEDGER / f"{name}.{kind}", b"")
            wrote = True
        return wrote

    def write(
        self,
        records: Iterable[OutboxRecord],
        result: WriteResult | None = None,
        on_record: Callable[[], None] | None = None,
    ) -> WriteResult:
        """Write every record (one that fails is reported and the rest still written)."""
        result = result or WriteResult()
        for rec in records:
            name = stem(rec)
            try:
                (result.written if self.write_one(rec) else result.already).append(name)
            except MissingFacts as exc:
                result.failed.append((name, str(exc)))
            except OSError as exc:
                why = f"cannot write in {self.root} ({exc.strerror or type(exc).__name__})"
                result.failed.append((name, why))
            if on_record is not None:
                on_record()
        return result
