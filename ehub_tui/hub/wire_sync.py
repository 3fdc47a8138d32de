"""The sync part of the hub API's wire models (see hub/wire.py): the bodies of the push, results
and resolve requests, and how the replies are written and read. The replies are domain/sync's
pydantic models themselves."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ehub_tui.domain.sync import EventResult, PullResult, PushResult, RejectedEvent, SyncEvent

MAX_RESULT_IDS = 1000  # event ids one POST /v1/sync/results may ask about


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # a misspelt field: a 422 naming it


class PushIn(_In):
    """POST /v1/sync/push: outbox events in device order (the hub refuses more than
    domain.sync.MAX_PUSH_BATCH, with a sentence)."""

    events: list[SyncEvent]


class ResultsIn(_In):
    """POST /v1/sync/results: the events whose stored answers are asked for."""

    event_ids: list[str] = Field(max_length=MAX_RESULT_IDS)


class ResolveIn(_In):
    """POST /v1/sync/rejected/{event_id}/resolve (supervisor): what was done about it, and
    whether to apply a refused completion's kept outcome (``apply``; default false)."""

    resolution: str = Field(max_length=2000)
    apply: bool = False


PUSH_RESULT = TypeAdapter(PushResult)
PULL_RESULT = TypeAdapter(PullResult)
EVENT_RESULTS = TypeAdapter(list[EventResult])
REJECTED_EVENTS = TypeAdapter(list[RejectedEvent])
REJECTED_EVENT = TypeAdapter(RejectedEvent)
