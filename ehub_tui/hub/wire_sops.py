"""The SOP part of the hub API's wire models (see hub/wire.py): published versions and uploads.
SOP files travel base64-encoded: a file is bytes (its sha256 is of the bytes), not text."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ehub_tui.sop.library import PublishedText


class _Bytes(BaseModel):
    # SOP texts travel base64-encoded: a file is bytes (its sha256 is of the bytes), not text
    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")


class PublishedTextWire(_Bytes):
    """One published SOP version (GET /v1/sops/published)."""

    sop_id: str
    version: str
    name: str
    text: bytes
    tests: bytes | None = None
    sha256: str = ""
    approved_by: str = ""
    published_at: datetime | None = None
    row_id: int = 0
    published_by: str = ""
    submitted_by: str | None = None

    @classmethod
    def of(cls, p: PublishedText) -> PublishedTextWire:
        """The wire form of a published version."""
        return cls(**{name: getattr(p, name) for name in cls.model_fields})

    def to_domain(self) -> PublishedText:
        """The PublishedText a SopSource hands its library."""
        return PublishedText(**{name: getattr(self, name) for name in type(self).model_fields})


class SopUploadIn(_Bytes):
    """POST /v1/sops/submit and /v1/sops/publish: a SOP file and its tests file, checked again
    on the hub against what it has published."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    file_name: str = Field(min_length=1, max_length=255)
    text: bytes
    tests: bytes | None = None


class SubmittedOut(BaseModel):
    """What the hub recorded for a submitted SOP (client.protocol.Submitted)."""

    sop_id: str
    version: str
    sha256: str


class SopStamp(BaseModel):
    """GET /v1/sops/stamp: (highest sop_version id, rows); changes whenever one is published."""

    stamp: tuple[int, int]
