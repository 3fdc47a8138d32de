"""The hub API's wire forms for practices from their national sources (issue 16): an ODS file's
chosen rows, a month's list sizes, and what each import did."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ehub_tui.domain.practice_sources import ListSize, ListSizeResult, OdsImportResult, OdsPractice

MAX_ROWS = 20_000  # as service.practice_sources.MAX_ROWS: a country's practices, and room


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # a misspelt field: a 422 naming it


class OdsImportIn(_In):
    """POST /v1/practices/ods: the ODS rows the hub wants (the file is read where the admin
    is), the PCN new practices join, and whether only to say what would change."""

    practices: list[OdsPractice] = Field(max_length=MAX_ROWS)
    pcn_code: str | None = Field(default=None, max_length=16)
    dry_run: bool = False


class ListSizesIn(_In):
    """POST /v1/practices/list-sizes: one month's list sizes (YYYY-MM)."""

    month: str = Field(max_length=7)
    sizes: list[ListSize] = Field(max_length=MAX_ROWS)
    dry_run: bool = False


ODS_IMPORT_IN = TypeAdapter(OdsImportIn)
LIST_SIZES_IN = TypeAdapter(ListSizesIn)
ODS_IMPORT_RESULT = TypeAdapter(OdsImportResult)
LIST_SIZE_RESULT = TypeAdapter(ListSizeResult)
