"""HTML pages: the review queue, a case with its decision form, crisis alerts, oversight.

Every form works without JavaScript: a post followed by a redirect (303). A decision form
with a mistake (no reason to amend or reject) is shown again with the message, status 422.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, PostedForm
from alongside.errors import AlongsideError, InvalidInput, NotFound
from alongside.kit.http import is_htmx, page_url
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.review import service
from alongside.review.charts import Series, line_chart
from alongside.review.oversight import NOT_READ_BY_SOFTWARE
from alongside.review.queue import URGENCIES, describe_duration
from alongside.risk.classifier import shipped_version
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action, role_allows
from alongside.templating import render
from alongside.triage import escalation

router = APIRouter(include_in_schema=False)

OUTCOME_WORDS = {"accepted": "accepted", "amended": "amended", "rejected": "rejected"}


def _form(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


def nav_context(signed_in: Any) -> dict[str, Any]:
    """What the pages' navigation needs: which of the review pages this role has."""
    role = signed_in.user.role.value
    return {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "can_review": role_allows(role, Action.INTAKE_REVIEW),
        "can_edit_rules": role_allows(role, Action.RULES_EDIT),
        "can_oversee": role_allows(role, Action.FAIRNESS_READ),
        "duration": describe_duration,
        "urgencies": URGENCIES,
    }


@router.get("/review")
def queue_page(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The review queue: crisis first, then longest waiting; each wait against its target."""
    now = utcnow()
    cursor = request.query_params.get("cursor") or None
    page = service.review_queue(
        db, user=signed_in.user, actor=signed_in.actor, now=now, cursor=cursor
    )
    alerts = escalation.alerts_for_user(db, actor=signed_in.actor)
    context = {
        **nav_context(signed_in),
        "entries": page.items,
        "next_url": page_url(request, page.next) if page.next else None,
        "first_url": page_url(request, None) if cursor else None,
        "my_alerts": alerts,
        "alerted_at": {
            alert.id: escalation.alerted_at_for(db, alert, signed_in.user.id) for alert in alerts
        },
        "decided": request.query_params.get("decided"),
    }
    template = "review/_queue_table.html" if is_htmx(request) else "review/queue.html"
    return render(request, template, context)


@router.get("/review/intakes/{intake_id}")
def case_by_intake(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    intake_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The link crisis alerts carry: the case, or the alert page for on-call staff."""
    parsed = parse_id(intake_id, service.NOT_FOUND)
    suggestion_id = service.case_for_intake(db, actor=signed_in.actor, intake_id=parsed)
    alert = escalation.alert_for(db, suggestion_id)
    may_review = service.may_review(db, actor=signed_in.actor, suggestion_id=suggestion_id)
    if may_review:
        return RedirectResponse(f"/review/{suggestion_id}", status_code=303)
    if alert is not None and escalation.may_acknowledge(alert, signed_in.actor):
        return RedirectResponse(f"/review/alerts/{alert.id}", status_code=303)
    raise NotFound(service.NOT_FOUND)


@router.get("/review/alerts/{alert_id}")
def alert_page(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    alert_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """A crisis alert for someone on call (who may not be on the client's care team)."""
    alert = escalation.get_alert(
        db, actor=signed_in.actor, alert_id=parse_id(alert_id, service.NOT_FOUND)
    )
    view = service.alert_view(db, alert, signed_in.actor)
    may_review = service.may_review(db, actor=signed_in.actor, suggestion_id=alert.suggestion_id)
    context = {
        **nav_context(signed_in),
        "alert": view,
        "suggestion_id": alert.suggestion_id,
        "may_review": may_review,
        "actions": escalation.ACTION_LABELS,
        "errors": [],
    }
    return render(request, "review/alert.html", context)


@router.post("/review/alerts/{alert_id}/acknowledge")
def alert_acknowledge(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    alert_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Record the acknowledgement and the action taken, then go back where it came from."""
    parsed = parse_id(alert_id, service.NOT_FOUND)
    form = _form(posted)
    escalation.acknowledge_alert(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        alert_id=parsed,
        action=form.get("action", ""),
        note=form.get("note"),
        now=utcnow(),
    )
    back = form.get("back", "")
    target = back if back.startswith("/review/") and "//" not in back else "/review"
    return RedirectResponse(target, status_code=303)


def _case_context(
    db: DbSession, signed_in: Any, suggestion_id: uuid.UUID, errors: list[str], form: dict[str, str]
) -> dict[str, Any]:
    case = service.get_case(
        db, user=signed_in.user, actor=signed_in.actor, suggestion_id=suggestion_id, now=utcnow()
    )
    return {
        **nav_context(signed_in),
        "case": case,
        "errors": errors,
        "form": form,
        "actions": escalation.ACTION_LABELS,
    }


@router.get("/review/{suggestion_id}")
def case_page(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    suggestion_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """One case: answers, scores, the client's words with the evidence marked, the proposal."""
    context = _case_context(db, signed_in, parse_id(suggestion_id, service.NOT_FOUND), [], {})
    return render(request, "review/case.html", context)


@router.post("/review/{suggestion_id}/decision")
def case_decide(
    permit: Annotated[Permit, requires(Action.SUGGESTION_DECIDE)],
    suggestion_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Store the clinician's decision and return to the queue."""
    parsed = parse_id(suggestion_id, service.NOT_FOUND)
    form = _form(posted)
    outcome = form.get("outcome", "")
    try:
        with refusable(db):
            service.decide(
                db,
                user=signed_in.user,
                actor=signed_in.actor,
                suggestion_id=parsed,
                outcome=outcome,
                urgency=form.get("urgency") or None,
                pathway=form.get("pathway") or None,
                reason=form.get("reason"),
                now=utcnow(),
            )
    except InvalidInput as exc:
        context = _case_context(db, signed_in, parsed, [exc.message], form)
        return render(request, "review/case.html", context, status_code=422)
    word = OUTCOME_WORDS.get(outcome, "decided")
    return RedirectResponse(f"/review?decided={word}", status_code=303)


@router.get("/oversight")
def oversight_page(
    permit: Annotated[Permit, requires(Action.FAIRNESS_READ)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Override rates and time to first review, and the organisation's review settings."""
    raw = request.query_params.get("weeks") or str(service.DEFAULT_OVERSIGHT_WEEKS)
    if not raw.isdigit():
        raise InvalidInput("weeks: a number of weeks, such as 12.")
    figures = service.oversight_figures(db, actor=signed_in.actor, now=utcnow(), weeks=int(raw))
    context = {
        **nav_context(signed_in),
        "figures": figures,
        "names": version_names(figures),
        "charts": oversight_charts(figures),
        "saved": request.query_params.get("saved"),
        "errors": [],
    }
    return render(request, "review/oversight.html", context)


@router.get("/dashboard")
def dashboard_page(
    permit: Annotated[Permit, requires(Action.FAIRNESS_READ)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The clinical lead's dashboard: the queue and waitlist against targets, alerts in time."""
    figures = service.dashboard(db, actor=signed_in.actor, now=utcnow())
    context = {**nav_context(signed_in), "board": figures, "now": utcnow()}
    return render(request, "review/dashboard.html", context)


def version_names(figures: service.OversightFigures) -> dict[str, str]:
    """Ruleset and risk-model versions as a lead would name them (the exact version goes in
    the page's "details" disclosure)."""
    current = shipped_version()
    names: dict[str, str] = {}
    for row in figures.by_model:
        if row.key == NOT_READ_BY_SOFTWARE:
            names[row.key] = "Not read by software (no consent to it, or nothing written)"
        elif row.key == current:
            names[row.key] = "The risk reader in use now"
        elif row.key == "unknown":
            names[row.key] = "A risk reader whose version was not recorded"
        else:
            names[row.key] = "An earlier risk reader"
    for row in figures.by_ruleset:
        names[row.key] = f"Rules version {row.key.rsplit(' ', 1)[-1]}"
    return names


CHART_WEEKS = 12


def oversight_charts(figures: service.OversightFigures) -> dict[str, Markup]:
    """The override rate and the median time to decision (against each urgency's target) by
    week, as inline SVG, over the last weeks up to the latest with decisions. Every week of
    that span has its place, so a week without decisions is a gap in the line, never two
    weeks drawn side by side as if they followed each other."""
    known = {row.key for row in figures.by_week} | {w for w, _u in figures.review_times_by_week}
    if not known:
        return {}
    last = date.fromisoformat(max(known))
    first = max(date.fromisoformat(min(known)), last - timedelta(weeks=CHART_WEEKS - 1))
    weeks = [(first + timedelta(weeks=k)).isoformat() for k in range((last - first).days // 7 + 1)]
    labels = [date.fromisoformat(w).strftime("%d %b").lstrip("0") for w in weeks]
    rates: dict[str, float | None] = {row.key: row.rate for row in figures.by_week}
    percent = [None if rates.get(w) is None else 100 * float(rates[w] or 0) for w in weeks]
    override = line_chart(
        "Override rate by week",
        labels,
        [Series("Override rate", percent)],
        y_label="% amended or rejected",
        y_max=100,
        y_format=lambda v: f"{v:.0f}%",
        description="Share of proposals that clinicians amended or rejected, by week of the "
        "decision; the table below gives the figures.",
    )
    lines = []
    for urgency in URGENCIES:
        target = figures.targets.get(urgency)
        values: list[float | None] = []
        for w in weeks:
            row = figures.review_times_by_week.get((w, urgency))
            if row is None or row.median is None or not target:
                values.append(None)
            else:
                values.append(100 * row.median / target)
        if any(v is not None for v in values):
            lines.append(Series(urgency.capitalize(), values))
    waits = line_chart(
        "Median time to first review against target, by week",
        labels,
        lines,
        y_label="% of the target",
        y_max=max([100.0, *(v for s in lines for v in s.values if v is not None)]),
        y_format=lambda v: f"{v:.0f}%",
        description="For each urgency, the median time from proposal to decision in each week "
        "as a share of that urgency's target: above 100% is over target.",
    )
    # Markup: line_chart escapes every text it draws (titles, labels, names); the rest is numbers.
    return {
        "override": Markup(override),  # noqa: S704 - see above
        "waits": Markup(waits) if lines else Markup(""),  # noqa: S704 - see above
    }


@router.post("/oversight/settings")
def oversight_settings(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Save the escalation time (minutes). The wait targets shown beside it belong to the
    rules: they change with a new version of the rules, never here."""
    form = _form(posted)
    try:
        with refusable(db):
            service.update_review_settings(
                db,
                user=signed_in.user,
                actor=signed_in.actor,
                escalation_minutes=_whole_minutes(form.get("escalation_minutes", "")),
                now=utcnow(),
            )
    except AlongsideError as exc:
        if isinstance(exc, NotFound):
            raise
        figures = service.oversight_figures(db, actor=signed_in.actor)
        context = {
            **nav_context(signed_in),
            "figures": figures,
            "charts": oversight_charts(figures),
            "saved": None,
            "errors": [exc.message],
        }
        return render(request, "review/oversight.html", context, status_code=422)
    return RedirectResponse("/oversight?saved=1", status_code=303)


def _whole_minutes(text: str) -> int:
    """A whole number of minutes as typed, or InvalidInput saying what is expected."""
    cleaned = text.strip()
    if not re.fullmatch(r"[0-9]{1,6}", cleaned):
        raise InvalidInput(
            "Escalation time: a whole number of minutes, between 1 and 1440 (24 hours), "
            "before the next person is alerted."
        )
    return int(cleaned)
