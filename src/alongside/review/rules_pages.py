"""HTML pages for the clinical lead's rule changes: versions, a new version, preview, activate.

A new version starts from the active one's YAML; it is stored inactive, previewed against the
last N intakes ("these 7 would change urgency, these 2 would leave crisis") and only then
activated. Old versions stay listed (and stored) for replaying past decisions.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from alongside.deps import CurrentSignedIn, DbSession, PostedForm
from alongside.errors import AlongsideError, NotFound
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.review.pages import nav_context
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render
from alongside.triage import rule_changes

router = APIRouter(include_in_schema=False)


def _form(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.get("/rules")
def rules_page(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Every ruleset version, which one is active, and a link to write a new one."""
    versions = rule_changes.list_versions(db, actor=signed_in.actor)
    context = {
        **nav_context(signed_in),
        "versions": versions,
        "activated": request.query_params.get("activated"),
    }
    return render(request, "review/rules.html", context)


def _new_context(signed_in: Any, yaml_text: str, note: str, errors: list[str]) -> dict[str, Any]:
    return {**nav_context(signed_in), "yaml_text": yaml_text, "note": note, "errors": errors}


@router.get("/rules/new")
def rules_new(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The form for a new version, filled with the active version's YAML to edit."""
    rule_changes.require_rules_edit(signed_in.actor)
    text = rule_changes.active_yaml_text(db, signed_in.actor.organization_id)
    return render(request, "review/rules_new.html", _new_context(signed_in, text, "", []))


@router.post("/rules/new")
def rules_create(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Validate and store the new version, then show its preview."""
    rule_changes.require_rules_edit(signed_in.actor)
    form = _form(posted)
    yaml_text, note = form.get("yaml_text", ""), form.get("note", "")
    try:
        row = rule_changes.create_version(
            db,
            user=signed_in.user,
            actor=signed_in.actor,
            yaml_text=yaml_text,
            note=note,
            now=utcnow(),
        )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        context = _new_context(signed_in, yaml_text, note, [exc.message])
        return render(request, "review/rules_new.html", context, status_code=422)
    return RedirectResponse(f"/rules/{row.id}", status_code=303)


@router.get("/rules/{version_id}")
def rules_version(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    version_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """One version: its YAML, and its preview against the active ruleset."""
    parsed = parse_id(version_id, rule_changes.NOT_FOUND)
    row = rule_changes.get_version(db, actor=signed_in.actor, version_id=parsed)
    try:
        last_n = int(request.query_params.get("last_n", rule_changes.DEFAULT_PREVIEW_COUNT))
    except ValueError:
        last_n = rule_changes.DEFAULT_PREVIEW_COUNT
    last_n = min(max(last_n, 1), rule_changes.MAX_PREVIEW_COUNT)
    preview = rule_changes.preview_version(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        version_id=parsed,
        last_n=last_n,
        now=utcnow(),
    )
    context = {**nav_context(signed_in), "row": row, "preview": preview, "last_n": last_n}
    return render(request, "review/rules_version.html", context)


@router.post("/rules/{version_id}/activate")
def rules_activate(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    version_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Make the version active for new intakes."""
    row = rule_changes.activate_version(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        version_id=parse_id(version_id, rule_changes.NOT_FOUND),
        now=utcnow(),
    )
    return RedirectResponse(f"/rules?activated={row.version}", status_code=303)
