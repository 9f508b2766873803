"""Pages for writing and signing notes, psychotherapy notes and safety plans.

Every form works without JavaScript. Each sentence of a note shows its source beside it in a
``<details>`` element (keyboard and screen-reader usable); a print stylesheet prints the note
or the safety plan without the page's navigation and forms.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from alongside.clients.service import get_readable_client
from alongside.deps import CurrentSignedIn, DbSession, SignedIn
from alongside.errors import InvalidInput, NotFound
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import Appointment, Client, Note, NoteKind, NoteStatus
from alongside.notes import safety, service
from alongside.notes.compose import sections_from_dicts, unsupported
from alongside.notes.library import note_templates, safety_plan_template
from alongside.notes.routes import llm_for
from alongside.privacy.corrections import corrections_of_note
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.security.policy import Resource, can
from alongside.templating import render

router = APIRouter(include_in_schema=False)
CLIENT_NOT_FOUND = "No client with this id is available to you."

# What each kind of source is called on the page, in the clinic's words.
SOURCE_WORDS = {
    "jottings": "Your jottings after the session",
    "measure": "Questionnaire score",
    "intake": "Intake",
    "risk": "Risk reader (the client's words)",
    "decision": "Triage decision",
    "alert": "Crisis alert",
    "appointment": "Appointment record",
    "note": "Previous note",
    "clinician": "Written by the clinician",
}
STATUS_WORDS = {
    NoteStatus.DRAFT: "Draft",
    NoteStatus.AWAITING_COSIGNATURE: "Signed, awaiting co-signature",
    NoteStatus.SIGNED: "Signed",
}


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def _base(signed_in: SignedIn, **extra: Any) -> dict[str, Any]:
    return {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "source_words": SOURCE_WORDS,
        "status_words": STATUS_WORDS,
        **extra,
    }


def client_section(
    db: DbSession, signed_in: SignedIn, client: Client, now: Any
) -> dict[str, Any] | None:
    """The client page's notes section, or None when the actor may not read notes."""
    notes = service.notes_for_client_page(
        db, user=signed_in.user, actor=signed_in.actor, client=client, now=now
    )
    if notes is None:
        return None
    resource = Resource(organization_id=client.organization_id, client_id=client.id)
    return {
        "client_id": client.id,
        "notes": notes,
        "may_write": can(signed_in.actor, Action.NOTE_WRITE, resource),
        "may_write_process": can(
            signed_in.actor,
            Action.PSYCHOTHERAPY_NOTE_WRITE,
            Resource(
                organization_id=client.organization_id,
                client_id=client.id,
                author_id=signed_in.user.id,
                kind="psychotherapy_note",
            ),
        ),
    }


@router.get("/clients/{client_id}/notes/new")
def new_note(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Jottings after a session (or ad hoc), to draft a note from."""
    now = utcnow()
    client = get_readable_client(
        db,
        signed_in.user,
        signed_in.actor,
        parse_id(client_id, CLIENT_NOT_FOUND),
        now,
        action=Action.NOTE_WRITE,
    )
    appointment: Appointment | None = None
    wanted = request.query_params.get("appointment_id")
    if wanted:
        try:
            found = db.get(Appointment, uuid.UUID(wanted))
        except ValueError:
            found = None
        if found is not None and found.client_id == client.id:
            appointment = found
    too_early = appointment is not None and (
        not appointment.is_active or appointment.starts_at > now
    )
    return render(
        request,
        "notes/new.html",
        _base(
            signed_in,
            client=client,
            appointment=None if too_early else appointment,
            too_early=too_early,
            templates=list(note_templates().values()),
        ),
    )


@router.post("/clients/{client_id}/notes")
def create_note(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE)],
    client_id: str,
    request: Request,
    form: FormFields,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Draft the note and open it."""
    parsed = parse_id(client_id, CLIENT_NOT_FOUND)
    template = form.get("template", "dap")
    jottings = form.get("jottings", "")
    appointment_id = form.get("appointment_id", "")
    now = utcnow()
    if appointment_id:
        note = service.draft_for_appointment(
            db,
            user=signed_in.user,
            actor=signed_in.actor,
            appointment_id=parse_id(appointment_id, CLIENT_NOT_FOUND),
            template_id=template,
            jottings=jottings,
            now=now,
            llm=llm_for(request),
        )
        if note.client_id != parsed:
            raise InvalidInput("This appointment is with another client.")
    else:
        note = service.draft_ad_hoc(
            db,
            user=signed_in.user,
            actor=signed_in.actor,
            client_id=parsed,
            template_id=template,
            jottings=jottings,
            now=now,
            llm=llm_for(request),
        )
    return RedirectResponse(f"/notes/{note.id}", status_code=303)


def _note_page(request: Request, db: DbSession, signed_in: SignedIn, note: Note) -> Response:
    client = db.get(Client, note.client_id)
    addenda = service.addenda_of(db, note)
    names = service.names_of(
        db,
        [note.author_id, note.signed_by_id, note.cosigned_by_id, *[a.author_id for a in addenda]],
    )
    sections = sections_from_dicts(note.section_list)
    template = note_templates().get(note.template_id)
    return render(
        request,
        "notes/note.html",
        _base(
            signed_in,
            note=note,
            client=client,
            sections=sections,
            addenda=addenda,
            names=names,
            template=template,
            may_write=service.may_write(signed_in.actor, note),
            is_author=note.author_id == signed_in.user.id,
            blocked=unsupported(sections),
            has_prompt=any(s.prompt for section in sections for s in section.sentences),
            process=note.kind is NoteKind.PSYCHOTHERAPY,
            # Corrections the client asked for stay linked to the note (45 CFR 164.526(d)(4)).
            correction_requests=corrections_of_note(db, note.id),
        ),
    )


@router.get("/notes/{note_id}")
def note_page(
    permit: Annotated[Permit, requires(Action.NOTE_READ, Action.PSYCHOTHERAPY_NOTE_READ)],
    note_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """A note: sentences with their sources beside them; edit and sign a draft; addenda."""
    note = service.get_note(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        note_id=parse_id(note_id, service.NOT_FOUND),
        now=utcnow(),
    )
    return _note_page(request, db, signed_in, note)


@router.post("/notes/{note_id}/edit")
def edit_note(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE, Action.PSYCHOTHERAPY_NOTE_WRITE)],
    note_id: str,
    form: FormFields,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Save the edited sections (one sentence a line)."""
    parsed = parse_id(note_id, service.NOT_FOUND)
    edits = [
        (key.removeprefix("section-"), split_lines(value))
        for key, value in form.items()
        if key.startswith("section-")
    ]
    if not edits:
        raise InvalidInput("Nothing to save: the form had no sections.")
    service.edit_draft(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        note_id=parsed,
        sections=edits,
        now=utcnow(),
    )
    return RedirectResponse(f"/notes/{parsed}?saved=1", status_code=303)


def split_lines(text: str) -> list[str]:
    """One sentence a line, as the edit form shows them."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/notes/{note_id}/sign")
def sign_note(
    permit: Annotated[Permit, requires(Action.NOTE_SIGN, Action.PSYCHOTHERAPY_NOTE_WRITE)],
    note_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Sign the draft."""
    parsed = parse_id(note_id, service.NOT_FOUND)
    service.sign_note(db, user=signed_in.user, actor=signed_in.actor, note_id=parsed, now=utcnow())
    return RedirectResponse(f"/notes/{parsed}?signed=1", status_code=303)


@router.post("/notes/{note_id}/cosign")
def cosign_note(
    permit: Annotated[Permit, requires(Action.NOTE_SIGN)],
    note_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Co-sign a trainee's note."""
    parsed = parse_id(note_id, service.NOT_FOUND)
    service.cosign_note(
        db, user=signed_in.user, actor=signed_in.actor, note_id=parsed, now=utcnow()
    )
    return RedirectResponse(f"/notes/{parsed}?signed=1", status_code=303)


@router.post("/notes/{note_id}/addenda")
def add_addendum(
    permit: Annotated[Permit, requires(Action.NOTE_WRITE, Action.PSYCHOTHERAPY_NOTE_WRITE)],
    note_id: str,
    form: FormFields,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Add a signed, dated addendum."""
    parsed = parse_id(note_id, service.NOT_FOUND)
    service.add_addendum(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        note_id=parsed,
        text=form.get("text", ""),
        now=utcnow(),
    )
    return RedirectResponse(f"/notes/{parsed}?added=1", status_code=303)


@router.get("/clients/{client_id}/process-notes")
def process_notes(
    permit: Annotated[Permit, requires(Action.PSYCHOTHERAPY_NOTE_READ)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Your own psychotherapy notes about this client (nobody else sees them, or this page)."""
    now = utcnow()
    client = service.psychotherapy_client(
        db, signed_in.user, signed_in.actor, parse_id(client_id, CLIENT_NOT_FOUND), now
    )
    notes = service.own_psychotherapy_notes(
        db, user=signed_in.user, actor=signed_in.actor, client=client, now=now
    )
    return render(
        request,
        "notes/process.html",
        _base(
            signed_in,
            client=client,
            notes=[(n, sections_from_dicts(n.section_list)) for n in notes],
        ),
    )


@router.post("/clients/{client_id}/process-notes")
def add_process_note(
    permit: Annotated[Permit, requires(Action.PSYCHOTHERAPY_NOTE_WRITE)],
    client_id: str,
    form: FormFields,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Keep a psychotherapy note."""
    parsed = parse_id(client_id, CLIENT_NOT_FOUND)
    service.create_psychotherapy_note(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parsed,
        text=form.get("text", ""),
        now=utcnow(),
    )
    return RedirectResponse(f"/clients/{parsed}/process-notes?added=1", status_code=303)


def _plan_context(signed_in: SignedIn, client: Client, plans: list[Any]) -> dict[str, Any]:
    current = plans[0] if plans else None
    return _base(
        signed_in,
        client=client,
        plan=current,
        steps=current.step_texts if current is not None else {},
        older=plans[1:],
        template=safety_plan_template(),
    )


@router.get("/clients/{client_id}/safety-plan")
def safety_plan_page(
    permit: Annotated[Permit, requires(Action.SAFETY_PLAN_READ)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The client's safety plan: the current version, printable, and a form for a new one."""
    now = utcnow()
    client, plans = safety.safety_plan_versions(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, CLIENT_NOT_FOUND),
        now=now,
    )
    resource = Resource(organization_id=client.organization_id, client_id=client.id)
    context = _plan_context(signed_in, client, plans)
    context["may_write"] = can(signed_in.actor, Action.SAFETY_PLAN_WRITE, resource)
    context["note_id"] = request.query_params.get("note_id", "")
    return render(request, "notes/safety_plan.html", context)


@router.post("/clients/{client_id}/safety-plan")
def save_safety_plan(
    permit: Annotated[Permit, requires(Action.SAFETY_PLAN_WRITE)],
    client_id: str,
    form: FormFields,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Save a new version of the safety plan."""
    parsed = parse_id(client_id, CLIENT_NOT_FOUND)
    note_id: uuid.UUID | None = None
    try:
        note_id = uuid.UUID(form.get("note_id", ""))
    except ValueError:
        note_id = None
    steps = {
        key.removeprefix("step-"): value for key, value in form.items() if key.startswith("step-")
    }
    safety.save_safety_plan(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parsed,
        steps=steps,
        note_id=note_id,
        now=utcnow(),
    )
    return RedirectResponse(f"/clients/{parsed}/safety-plan?saved=1", status_code=303)


@router.get("/me/safety-plan")
def my_safety_plan(
    permit: Annotated[Permit, requires(Action.SAFETY_PLAN_READ, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The client's own safety plan, in their space, printable."""
    client_id = signed_in.actor.client_id
    if client_id is None:
        raise NotFound(
            "There is nothing at this address. Check the link, or go back to your home page."
        )
    client, plans = safety.safety_plan_versions(
        db, user=signed_in.user, actor=signed_in.actor, client_id=client_id, now=utcnow()
    )
    context = _plan_context(signed_in, client, plans)
    context["own"] = True
    context["may_write"] = False
    return render(request, "notes/safety_plan.html", context)


@router.get("/oversight/notes")
def late_notes_page(
    permit: Annotated[Permit, requires(Action.FAIRNESS_READ)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Time from session end to signed note, by clinician (the clinical lead's oversight)."""
    rows = service.late_notes(db, actor=signed_in.actor, now=utcnow())
    return render(
        request,
        "notes/late.html",
        _base(
            signed_in, rows=rows, overdue_hours=int(service.OVERDUE_AFTER.total_seconds() // 3600)
        ),
    )
