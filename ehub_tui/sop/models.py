"""The SOP file's structure as pydantic models (also the source of the JSON Schema).

Conditions are checked by :mod:`ehub_tui.sop.conditions`, which gives better messages than a union
of models would; here they are typed with a hand-written JSON Schema so editors still help.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from ehub_tui.domain.destinations import DESTINATION_CODES
from ehub_tui.domain.types import CATEGORIES as CATEGORIES  # (one vocabulary; re-exported)

SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
OPERATORS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "includes",
    "includes_any",
    "contains_any",
    "mentions",
    "mentions_any",
    "is_set",
)
URGENCIES = ("immediate", "same_day", "within_48h", "within_3_days", "within_5_days", "routine")
# what a message template may fill in (sop/messages.py says what each becomes; the docs list them)
PLACEHOLDERS = (
    "greeting",
    "first_name",
    "practice_name",
    "destination",
    "condition",
    "timescale",
    "safety_net",
    "hub_phone",
)

_SCALAR = {"type": ["string", "number", "boolean"]}
_CONDITION_MARK = "ehub-tui:condition"  # replaced by a $ref to the Condition definition
CONDITION_SCHEMA: dict[str, Any] = {"$comment": _CONDITION_MARK}
CONDITION_DEFS: dict[str, Any] = {
    "Condition": {
        "description": "A test on one field, or all / any / not of other conditions.",
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "all": {"type": "array", "items": {"$ref": "#/$defs/Condition"}},
                },
                "required": ["all"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "any": {"type": "array", "items": {"$ref": "#/$defs/Condition"}},
                },
                "required": ["any"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"id": {"type": "string"}, "not": {"$ref": "#/$defs/Condition"}},
                "required": ["not"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "field": {"type": "string"},
                    "eq": _SCALAR,
                    "ne": _SCALAR,
                    "in": {"type": "array", "items": _SCALAR},
                    "not_in": {"type": "array", "items": _SCALAR},
                    "gt": {"type": "number"},
                    "gte": {"type": "number"},
                    "lt": {"type": "number"},
                    "lte": {"type": "number"},
                    "between": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    "includes": {"type": "string"},
                    "includes_any": {"type": "array", "items": {"type": "string"}},
                    "contains_any": {"type": "array", "items": {"type": "string"}},
                    "mentions": {"type": "string", "description": "a concept the text mentions"},
                    "mentions_any": {"type": "array", "items": {"type": "string"}},
                    "is_set": {"type": "boolean"},
                },
                "required": ["field"],
                "minProperties": 2,
                "additionalProperties": False,
            },
        ],
    }
}

ConditionSpec = Annotated[Any, WithJsonSchema(CONDITION_SCHEMA)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Reference(_Strict):
    """A public source a rule comes from."""

    title: str = Field(min_length=1)
    url: str | None = None


class Meta(_Strict):
    """Who owns the SOP, its version and whether it may guide navigators."""

    id: str = Field(description="lower-case letters, digits, - and _; unique in the set")
    title: str = Field(min_length=1)
    version: str = Field(description="semver, e.g. 1.2.0")
    status: Literal["draft", "active", "retired"]
    owner: str = Field(min_length=1)
    approved_by: str | None = None
    effective_from: date
    review_by: date
    priority: int = Field(default=50, description="order in the set: lower first")
    applies_when: ConditionSpec | None = None
    references: list[Reference] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG.match(v):
            raise ValueError("use lower-case letters, digits, '-' and '_' only")
        return v

    @field_validator("version")
    @classmethod
    def _semver(cls, v: str) -> str:
        if not SEMVER.match(v):
            raise ValueError(f"{v!r} is not a semantic version like 1.0.0")
        return v


class InputDecl(_Strict):
    """A field the rules may use."""

    type: Literal["number", "text", "enum", "list"] | None = None
    values: list[str] | None = None
    description: str | None = None


class RedFlag(_Strict):
    """A sign that needs escalating before anything else."""

    id: str
    level: Literal["emergency", "urgent"]
    when: ConditionSpec
    say: str = Field(min_length=1)
    action: str = Field(min_length=1)


class Question(_Strict):
    """A question the navigator asks, answered from a fixed list."""

    id: str
    text: str = Field(min_length=1)
    answers: list[str] = Field(min_length=2)
    ask_when: ConditionSpec | None = None


def _route_schema(schema: dict[str, Any]) -> None:
    # destination_code is checked by the loader (which names the route when it is missing); for
    # editors it is required and one of the vocabulary
    schema["required"] = [*schema.get("required", []), "destination_code"]
    schema["properties"]["destination_code"].pop("default", None)


class Route(_Strict):
    """Where a consultation goes, and why."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_route_schema
    )

    id: str
    when: ConditionSpec | None = None
    default: bool = False
    # CATEGORIES, spelt out: the JSON Schema authors see lists the words (tests/domain/
    # test_vocabulary.py holds the two together)
    category: Literal["signpost", "clinical", "admin", "escalate"]
    destination: str = Field(min_length=1)
    # None here only so the loader can say which route lacks it; a route without one is an error
    destination_code: Annotated[
        str | None,
        WithJsonSchema(
            {
                "type": "string",
                "enum": list(DESTINATION_CODES),
                "description": "where the route sends, as returns count it: one code of the "
                "fixed vocabulary (docs/sop-authoring.md), e.g. GP_SAME_DAY",
            }
        ),
    ] = None
    urgency: Literal[
        "immediate", "same_day", "within_48h", "within_3_days", "within_5_days", "routine"
    ]
    snomed: str | None = None
    because: str = Field(min_length=1)
    message: str | None = None

    @field_validator("snomed", mode="before")
    @classmethod
    def _snomed(cls, v: Any) -> Any:
        if v is None:
            return v
        s = str(v)
        if not s.isdigit() or not 6 <= len(s) <= 18:
            raise ValueError(f"{v!r} is not a SNOMED CT code (6 to 18 digits)")
        return s


Attribute = Literal["pregnant", "immunosuppressed", "care_home_resident", "no_spleen", "frail"]


class NearPattern(_Strict):
    """A body part (or other word) and a symptom a few words apart in one sentence."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    words: list[str] = Field(min_length=1, description="one side, e.g. body parts")
    with_: list[str] = Field(min_length=1, alias="with", description="the other side")
    within: int = Field(default=4, ge=1, le=10, description="at most this many words apart")


class Concept(_Strict):
    """A clinical idea and the ways patients write it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    label: str | None = Field(default=None, description="how navigators see it")
    description: str | None = None
    terms: list[str] = Field(default_factory=list, description="words and phrases")
    near: list[NearPattern] = Field(default_factory=list)
    sets: Attribute | None = Field(
        default=None, description="a patient attribute a stated mention pre-fills"
    )
    suggests: str | None = Field(default=None, description="a template the text describes")
    except_: list[str] = Field(
        default_factory=list,
        alias="except",
        description="phrases that are not this concept where they stand (fit note, seizure "
        "tablets)",
    )
    lasting: bool = Field(
        default=False,
        description="with sets: a mention in the past still counts (no spleen, a transplant)",
    )


class SopFile(_Strict):
    """One SOP file."""

    model_config = ConfigDict(extra="forbid", title="ehub-tui SOP")

    sop: Meta
    concepts: dict[str, Concept] = Field(default_factory=dict)
    inputs: dict[str, InputDecl] = Field(default_factory=dict)
    red_flags: list[RedFlag] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    messages: dict[str, str] = Field(default_factory=dict)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a SOP file, for editors (yaml-language-server)."""
    schema: dict[str, Any] = _link_conditions(SopFile.model_json_schema())
    schema.setdefault("$defs", {}).update(CONDITION_DEFS)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ehub-tui.example/schemas/sop.schema.json"
    return schema


def _link_conditions(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("$comment") == _CONDITION_MARK:
            return {"$ref": "#/$defs/Condition"}
        return {k: _link_conditions(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_link_conditions(v) for v in node]
    return node
