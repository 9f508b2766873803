"""HTML pages for the clinical lead's rule changes: versions, a new version, preview, activate.

A new version starts from the active one: a form for the common changes (the cut-offs a rule
uses, the published bands it fires in, the urgency and pathway it proposes, the wait targets),
each value beside the source its rule cites, and the YAML for the rest. It is stored
inactive; its page says what it changes in words and line by line, and previews it over the
last 500 intakes ("12 would be less urgent"). Activating it asks for a reason and a tick naming
the version. Old versions stay listed (and stored) for replaying past decisions.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, PostedForm
from alongside.errors import AlongsideError, NotFound
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.review import rule_editor
from alongside.review.pages import nav_context
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render
from alongside.triage import rule_changes
from alongside.triage.rule_form import BAND_JOIN, RISK_LEVEL_WORDS

router = APIRouter(include_in_schema=False)


def _form(form: FormData) -> dict[str, str]:
    found = {key: value for key, value in form.items() if isinstance(value, str)}
    # A rule's bands are a box each, posted under one name: all the ticked ones, together.
    for key in form:
        if key.startswith("b|"):
            ticked = [value for value in form.getlist(key) if isinstance(value, str)]
            found[key] = BAND_JOIN.join(ticked)
    return found


@router.get("/rules")
def rules_page(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Every ruleset version, which one is active, who activated which and why."""
    overview = rule_editor.rules_overview(db, actor=signed_in.actor)
    context = {
        **nav_context(signed_in),
        "versions": overview.versions,
        "activations": overview.activations,
        "activated": request.query_params.get("activated"),
    }
    return render(request, "review/rules.html", context)


def _new_context(
    signed_in: Any, state: rule_editor.EditorState, errors: list[str]
) -> dict[str, Any]:
    return {
        **nav_context(signed_in),
        "state": state,
        "form": state.form,
        "errors": errors,
        "risk_levels": RISK_LEVEL_WORDS,
    }


@router.get("/rules/new")
def rules_new(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The form for a new version, filled from the active version."""
    state = rule_editor.new_version_form(db, actor=signed_in.actor)
    return render(request, "review/rules_new.html", _new_context(signed_in, state, []))


@router.post("/rules/new")
def rules_create(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Write the changed values into the YAML, store the new version, show what it changes."""
    try:
        with refusable(db):
            row = rule_editor.save_from_form(
                db, user=signed_in.user, actor=signed_in.actor, posted=_form(posted), now=utcnow()
            )
    except rule_editor.FormNotSaved as exc:
        errors = [str(problem) for problem in exc.problems]
        context = _new_context(signed_in, exc.state, errors)
        return render(request, "review/rules_new.html", context, status_code=422)
    return RedirectResponse(f"/rules/{row.id}", status_code=303)


def _last_n(request: Request) -> int:
    try:
        last_n = int(request.query_params.get("last_n", rule_changes.DEFAULT_PREVIEW_COUNT))
    except ValueError:
        last_n = rule_changes.DEFAULT_PREVIEW_COUNT
    return min(max(last_n, 1), rule_changes.MAX_PREVIEW_COUNT)


def _version_page(
    request: Request,
    db: Any,
    signed_in: Any,
    version_id: str,
    *,
    last_n: int,
    errors: list[str],
    reason: str = "",
    status_code: int = 200,
) -> Response:
    view = rule_editor.version_view(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        version_id=parse_id(version_id, rule_changes.NOT_FOUND),
        last_n=last_n,
        now=utcnow(),
    )
    context = {
        **nav_context(signed_in),
        "view": view,
        "row": view.row,
        "preview": view.preview,
        "last_n": last_n,
        "errors": errors,
        "reason": reason,
        "min_reason": rule_changes.MIN_REASON_LENGTH,
    }
    return render(request, "review/rules_version.html", context, status_code=status_code)


@router.get("/rules/{version_id}")
def rules_version(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    version_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """One version: what it changes against the active one, its preview, and activation."""
    return _version_page(request, db, signed_in, version_id, last_n=_last_n(request), errors=[])


@router.post("/rules/{version_id}/activate")
def rules_activate(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    version_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Make the version active for new intakes: with a reason and the box ticked, or the page
    again saying what is missing (422)."""
    form = _form(posted)
    try:
        with refusable(db):
            row = rule_editor.activate(
                db,
                user=signed_in.user,
                actor=signed_in.actor,
                version_id=parse_id(version_id, rule_changes.NOT_FOUND),
                reason=form.get("reason"),
                confirmed=form.get("confirm"),
                require_confirmation=True,
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        return _version_page(
            request,
            db,
            signed_in,
            version_id,
            last_n=rule_changes.DEFAULT_PREVIEW_COUNT,
            errors=[exc.message],
            reason=form.get("reason", ""),
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/rules?activated={row.version}", status_code=303)
