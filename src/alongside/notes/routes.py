"""JSON API for notes and safety plans; what an actor may not see answers 404."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request

from alongside.deps import CurrentSignedIn, DbSession, SignedIn
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import Note, NoteAddendum, NoteKind, NoteStatus, SafetyPlan
from alongside.notes import fhir, safety, service
from alongside.notes.library import note_templates
from alongside.notes.llm import LlmClient
from alongside.notes.schemas import (
    AddendumRead,
    NoteDraftCreate,
    NotePageRead,
    NoteRead,
    NoteUpdate,
    SafetyPlanRead,
    SafetyPlanWrite,
    SectionRead,
    TemplateRead,
    TextCreate,
)
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action

router = APIRouter(tags=["notes"])
CLIENT_NOT_FOUND = "No client with this id is available to you."


def llm_for(request: Request) -> LlmClient | None:
    """The clinic's own language model, when one is configured (off by default)."""
    settings = request.app.state.settings
    if not settings.llm_url:
        return None
    return LlmClient(
        settings.llm_url, model=settings.llm_model, timeout=settings.llm_timeout_seconds
    )


def note_read(note: Note, addenda: list[NoteAddendum] | None = None) -> NoteRead:
    """The API's view of a note."""
    return NoteRead(
        id=note.id,
        client_id=note.client_id,
        appointment_id=note.appointment_id,
        author_id=note.author_id,
        kind=note.kind.value,
        status=note.status.value,
        template=note.template_id,
        template_version=note.template_version,
        created_at=note.created_at,
        signed_at=note.signed_at,
        cosign_required=note.cosign_required,
        cosigned_at=note.cosigned_at,
        sections=[SectionRead.model_validate(s) for s in note.section_list],
        addenda=[
            AddendumRead(id=a.id, text=a.text, author_id=a.author_id, signed_at=a.signed_at)
            for a in addenda or []
        ],
    )


def _note_id(value: str) -> uuid.UUID:
    return parse_id(value, service.NOT_FOUND)


def _full(db: DbSession, note: Note) -> NoteRead:
    return note_read(note, service.addenda_of(db, note))


@router.get("/api/note-templates", response_model=list[TemplateRead])
def templates(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE)], signed_in: CurrentSignedIn
) -> list[TemplateRead]:
    """The progress note templates, with their versions and sources."""
    return [
        TemplateRead(
            id=t.id,
            version=t.version,
            title=t.title,
            source=t.source,
            sections=[s.title for s in t.sections],
        )
        for t in note_templates().values()
    ]


@router.post(
    "/api/scheduling/appointments/{appointment_id}/note",
    response_model=NoteRead,
    status_code=201,
)
def draft_for_appointment(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE)],
    appointment_id: str,
    body: NoteDraftCreate,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> NoteRead:
    """Draft the session's progress note from jottings and the record."""
    from alongside.scheduling.booking import APPOINTMENT_NOT_FOUND

    note = service.draft_for_appointment(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, APPOINTMENT_NOT_FOUND),
        template_id=body.template,
        jottings=body.jottings,
        now=utcnow(),
        llm=llm_for(request),
    )
    return note_read(note)


@router.post("/api/clients/{client_id}/notes", response_model=NoteRead, status_code=201)
def draft_ad_hoc(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE)],
    client_id: str,
    body: NoteDraftCreate,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> NoteRead:
    """Draft a progress note outside a booked session."""
    note = service.draft_ad_hoc(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, CLIENT_NOT_FOUND),
        template_id=body.template,
        jottings=body.jottings,
        now=utcnow(),
        llm=llm_for(request),
    )
    return note_read(note)


@router.post(
    "/api/clients/{client_id}/psychotherapy-notes", response_model=NoteRead, status_code=201
)
def psychotherapy_note(
    permit: Annotated[Permit, requires(Action.PSYCHOTHERAPY_NOTE_WRITE)],
    client_id: str,
    body: TextCreate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> NoteRead:
    """A psychotherapy (process) note, readable by its author alone."""
    note = service.create_psychotherapy_note(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, CLIENT_NOT_FOUND),
        text=body.text,
        now=utcnow(),
    )
    return note_read(note)


@router.get("/api/notes", response_model=NotePageRead)
def list_notes(
    permit: Annotated[Permit, requires(Action.NOTE_READ, Action.PSYCHOTHERAPY_NOTE_READ)],
    db: DbSession,
    signed_in: CurrentSignedIn,
    client_id: str | None = None,
    status: str | None = None,
    kind: str = "progress",
    limit: int = service.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> NotePageRead:
    """The notes you may read, newest first, a page at a time."""
    parsed: uuid.UUID | None = None
    if client_id:
        try:
            parsed = uuid.UUID(client_id)
        except ValueError:
            raise InvalidInput("client_id: a client id as given by the clients API.") from None
    page = service.list_notes(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        now=utcnow(),
        client_id=parsed,
        status=status,
        kind=kind,
        limit=limit,
        cursor=cursor,
    )
    addenda = service.addenda_by_note(db, page.items)
    return NotePageRead(items=[note_read(n, addenda[n.id]) for n in page.items], next=page.next)


@router.get("/api/notes/{note_id}", response_model=NoteRead)
def get_note(
    permit: Annotated[Permit, requires(Action.NOTE_READ, Action.PSYCHOTHERAPY_NOTE_READ)],
    note_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> NoteRead:
    """One note with its addenda."""
    note = service.get_note(
        db, user=signed_in.user, actor=signed_in.actor, note_id=_note_id(note_id), now=utcnow()
    )
    return _full(db, note)


def _edits(db: DbSession, signed_in: SignedIn, note_id: uuid.UUID, body: NoteUpdate) -> Any:
    note = service.get_note(
        db, user=signed_in.user, actor=signed_in.actor, note_id=note_id, now=utcnow()
    )
    by_title = {s["title"].casefold(): s["key"] for s in note.section_list}
    edits: list[tuple[str, list[str]]] = []
    for section in body.sections:
        key = section.key or by_title.get((section.title or "").casefold())
        if key is None:
            raise InvalidInput("sections: name each section by its key or its title.")
        edits.append((key, [s.text for s in section.sentences]))
    return edits


@router.put("/api/notes/{note_id}", response_model=NoteRead)
def edit_note(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE, Action.PSYCHOTHERAPY_NOTE_WRITE)],
    note_id: str,
    body: NoteUpdate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> NoteRead:
    """Edit a draft; sentences you changed become yours. 409 once signed."""
    parsed = _note_id(note_id)
    edits = _edits(db, signed_in, parsed, body)
    note = service.edit_draft(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        note_id=parsed,
        sections=edits,
        now=utcnow(),
    )
    return _full(db, note)


@router.post("/api/notes/{note_id}/sign", response_model=NoteRead)
def sign_note(
    permit: Annotated[Permit, requires(Action.NOTE_SIGN, Action.PSYCHOTHERAPY_NOTE_WRITE)],
    note_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> NoteRead:
    """Sign your draft; from now on it changes only by addenda."""
    note = service.sign_note(
        db, user=signed_in.user, actor=signed_in.actor, note_id=_note_id(note_id), now=utcnow()
    )
    return _full(db, note)


@router.post("/api/notes/{note_id}/cosign", response_model=NoteRead)
def cosign_note(
    permit: Annotated[Permit, requires(Action.NOTE_SIGN)],
    note_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> NoteRead:
    """Co-sign a trainee's signed note as their supervisor."""
    note = service.cosign_note(
        db, user=signed_in.user, actor=signed_in.actor, note_id=_note_id(note_id), now=utcnow()
    )
    return _full(db, note)


@router.post("/api/notes/{note_id}/addenda", response_model=NoteRead, status_code=201)
def add_addendum(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE, Action.PSYCHOTHERAPY_NOTE_WRITE)],
    note_id: str,
    body: TextCreate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> NoteRead:
    """Add a signed, dated addendum to a signed note."""
    addendum = service.add_addendum(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        note_id=_note_id(note_id),
        text=body.text,
        now=utcnow(),
    )
    note = db.get(Note, addendum.note_id)
    assert note is not None  # noqa: S101 - the addendum was just written for it
    return _full(db, note)


@router.get("/api/notes/{note_id}/fhir")
def note_fhir(
    permit: Annotated[Permit, requires(Action.NOTE_READ, Action.PSYCHOTHERAPY_NOTE_READ)],
    note_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> dict[str, Any]:
    """A signed progress note as a FHIR R4B Composition and DocumentReference."""
    note = service.get_note(
        db, user=signed_in.user, actor=signed_in.actor, note_id=_note_id(note_id), now=utcnow()
    )
    # Psychotherapy notes are never exported, not even for their author.
    if note.kind is not NoteKind.PROGRESS:
        raise NotFound(service.NOT_FOUND)
    if note.status is not NoteStatus.SIGNED or note.signed_at is None:
        raise Conflict("Only signed notes are exported; sign it first.")
    addenda = service.addenda_of(db, note)
    names = service.names_of(db, [note.author_id, *[a.author_id for a in addenda]])
    template = note_templates().get(note.template_id)
    return fhir.note_bundle(
        note_id=str(note.id),
        client_id=str(note.client_id),
        title=template.title if template else "Progress note",
        author_id=str(note.author_id) if note.author_id else None,
        author_name=names.get(note.author_id, "") if note.author_id else "",
        signed_at=note.signed_at,
        sections=[(s["title"], [x["text"] for x in s["sentences"]]) for s in note.section_list],
        addenda=[
            fhir.AddendumEntry(
                text=a.text,
                author_id=str(a.author_id) if a.author_id else None,
                author_name=names.get(a.author_id, "") if a.author_id else "",
                signed_at=a.signed_at,
            )
            for a in addenda
        ],
        encounter_id=None,
    )


def plan_read(plan: SafetyPlan) -> SafetyPlanRead:
    """The API's view of a safety plan version."""
    return SafetyPlanRead(
        id=plan.id,
        client_id=plan.client_id,
        version=plan.version,
        template_version=plan.template_version,
        created_at=plan.created_at,
        steps=plan.step_texts,
    )


@router.get("/api/clients/{client_id}/safety-plan", response_model=list[SafetyPlanRead])
def safety_plans(
    permit: Annotated[Permit, requires(Action.SAFETY_PLAN_READ)],
    client_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[SafetyPlanRead]:
    """Every version of the client's safety plan, newest first."""
    _client, plans = safety.safety_plan_versions(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, CLIENT_NOT_FOUND),
        now=utcnow(),
    )
    return [plan_read(p) for p in plans]


@router.post("/api/clients/{client_id}/safety-plan", response_model=SafetyPlanRead, status_code=201)
def save_safety_plan(
    permit: Annotated[Permit, requires(Action.SAFETY_PLAN_WRITE)],
    client_id: str,
    body: SafetyPlanWrite,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> SafetyPlanRead:
    """Save a new version of the client's safety plan."""
    plan = safety.save_safety_plan(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, CLIENT_NOT_FOUND),
        steps=body.steps,
        note_id=body.note_id,
        now=utcnow(),
    )
    return plan_read(plan)
