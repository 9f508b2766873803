"""Request and response bodies of the notes API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from alongside.kit.schema import Schema


class SourceRead(Schema):
    """Where a sentence comes from."""

    type: str
    id: str
    quote: str


class SentenceRead(Schema):
    """One sentence and its source; ``supported`` False blocks signing."""

    text: str
    source: SourceRead
    supported: bool = True
    prompt: bool = False


class SectionRead(Schema):
    """One section of a note."""

    key: str
    title: str
    sentences: list[SentenceRead]


class AddendumRead(Schema):
    """A signed, dated addendum."""

    id: uuid.UUID
    text: str
    author_id: uuid.UUID | None
    signed_at: datetime


class NoteRead(Schema):
    """A note with its sections, every sentence sourced, and its addenda."""

    id: uuid.UUID
    client_id: uuid.UUID
    appointment_id: uuid.UUID | None
    author_id: uuid.UUID | None
    kind: str
    status: str
    template: str
    template_version: str
    created_at: datetime
    signed_at: datetime | None
    cosign_required: bool
    cosigned_at: datetime | None
    sections: list[SectionRead]
    addenda: list[AddendumRead] = Field(default_factory=list)


class NotePageRead(Schema):
    """One page of notes; ``next`` is the cursor of the next page (null: the last)."""

    items: list[NoteRead]
    next: str | None


class NoteDraftCreate(Schema):
    """Draft a progress note from jottings typed after the session."""

    template: str = Field(default="dap", max_length=40)
    jottings: str = Field(default="", max_length=20_000)


class SentenceEdit(Schema):
    """A sentence as the clinician left it (its source is worked out, never taken from here)."""

    text: str = Field(max_length=5000)
    source: SourceRead | None = None
    supported: bool | None = None
    prompt: bool | None = None


class SectionEdit(Schema):
    """A section as the clinician left it, named by key (or title)."""

    key: str | None = None
    title: str | None = None
    sentences: list[SentenceEdit]


class NoteUpdate(Schema):
    """The edited sections of a draft (sections left out stay as they are)."""

    sections: list[SectionEdit] = Field(min_length=1)


class TextCreate(Schema):
    """Free text: an addendum or a psychotherapy note."""

    text: str = Field(min_length=1, max_length=20_000)


class SafetyPlanWrite(Schema):
    """A new version of the safety plan: step key to the client's words."""

    steps: dict[str, str]
    note_id: uuid.UUID | None = None


class SafetyPlanRead(Schema):
    """One version of a safety plan."""

    id: uuid.UUID
    client_id: uuid.UUID
    version: int
    template_version: str
    created_at: datetime
    steps: dict[str, str]


class TemplateRead(Schema):
    """A note template and its source."""

    id: str
    version: str
    title: str
    source: str
    sections: list[str]
