"""HTML pages: a client's measures (charts, tables, plan editor) and the attention list.

Forms work without JavaScript (post, then a 303 redirect); a plan with a mistake is shown again
with the message, status 422. Charts are SVG drawn on the server and put inline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, PostedForm, SignedIn, get_settings_from
from alongside.errors import InvalidInput
from alongside.instruments import get_instrument, list_instruments
from alongside.kit.http import is_htmx
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.measures import service
from alongside.measures.chart import chart_id, chart_svg
from alongside.measures.trends import InstrumentTrend
from alongside.models import Client
from alongside.models.measurement_plan import Cadence
from alongside.notify.sms import require_texts_ready
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render

router = APIRouter(include_in_schema=False)


def _charts(trends: list[InstrumentTrend]) -> list[dict[str, Any]]:
    # Markup: the SVG is built by chart_svg from numbers and definition files, escaped by the
    # XML serialiser; nothing in it comes from a person's input.
    return [
        {"trend": trend, "svg": Markup(chart_svg(trend)), "id": chart_id(trend.instrument_id)}  # noqa: S704 - see above
        for trend in trends
    ]


def _instrument_choices() -> list[dict[str, str]]:
    return [{"id": i, "name": get_instrument(i).short_name} for i in list_instruments()]


def _page_context(
    signed_in: SignedIn, view: service.ClientMeasures, **extra: Any
) -> dict[str, Any]:
    plan = view.plan
    form = extra.pop("form", None) or {
        "instruments": list(plan.instruments) if plan else list(service.DEFAULT_INSTRUMENTS),
        "cadence": plan.cadence.value if plan else Cadence.BEFORE_SESSION.value,
        "interval_days": str(plan.interval_days or "") if plan else "14",
        "lead_hours": str(plan.lead_hours) if plan else str(service.DEFAULT_LEAD_HOURS),
        "active": plan.active if plan else True,
    }
    return {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "client": view.client,
        "view": view,
        "charts": _charts(view.trends),
        "choices": _instrument_choices(),
        "form": form,
        "errors": [],
        **extra,
    }


@router.get("/clients/{client_id}/measures")
def measures_page(
    permit: Annotated[Permit, requires(Action.CLINICAL_READ)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """A client's scores over time: a chart and a table per instrument, and the plan."""
    view = service.client_measures(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, service.NOT_FOUND),
        now=utcnow(),
    )
    context = _page_context(signed_in, view, saved=request.query_params.get("saved") == "1")
    template = "measures/_measures.html" if is_htmx(request) else "measures/page.html"
    return render(request, template, context)


def _whole_number(value: str | None, name: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(f"{name}: enter a whole number.") from None


@router.post("/clients/{client_id}/measures/plan")
def plan_submit(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    form: PostedForm,
) -> Response:
    """Save the plan from the form, then show the page again."""
    parsed = parse_id(client_id, service.NOT_FOUND)
    instruments = [v for v in form.getlist("instruments") if isinstance(v, str)]
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    now = utcnow()
    try:
        with refusable(db):
            service.set_plan(
                db,
                user=signed_in.user,
                actor=signed_in.actor,
                client_id=parsed,
                instruments=instruments,
                cadence=values.get("cadence", ""),
                interval_days=_whole_number(values.get("interval_days"), "interval_days"),
                lead_hours=_whole_number(values.get("lead_hours"), "lead_hours"),
                active=values.get("active") == "yes",
                now=now,
            )
    except InvalidInput as error:
        view = service.client_measures(
            db, user=signed_in.user, actor=signed_in.actor, client_id=parsed, now=now
        )
        kept = {
            "instruments": instruments,
            "cadence": values.get("cadence", ""),
            "interval_days": values.get("interval_days", ""),
            "lead_hours": values.get("lead_hours", ""),
            "active": values.get("active") == "yes",
        }
        context = _page_context(signed_in, view, form=kept, errors=[error.message])
        return render(request, "measures/page.html", context, status_code=422)
    return RedirectResponse(f"/clients/{parsed}/measures?saved=1#plan-heading", status_code=303)


@router.post("/clients/{client_id}/measures/send")
def send_now(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    client_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    form: PostedForm,
) -> Response:
    """Send the chosen questionnaires to the client now (the care team's clinicians)."""
    parsed = parse_id(client_id, service.NOT_FOUND)
    chosen = [v for v in form.getlist("instruments") if isinstance(v, str)]
    send_by = form.get("send_by")
    settings = get_settings_from(request)
    context: dict[str, Any] = {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "client_id": parsed,
        "choices": _instrument_choices(),
        "chosen": chosen,
        "send_by": send_by if isinstance(send_by, str) else None,
        "sent": None,
        "link": None,
        "error": None,
    }
    try:
        with refusable(db):
            if send_by == "sms":
                require_texts_ready(settings)
            sent = service.send_measures_now(
                db,
                user=signed_in.user,
                actor=signed_in.actor,
                client_id=parsed,
                instruments=chosen,
                now=utcnow(),
                # The link starts with the clinic's configured address, not the Host header.
                link_base=settings.effective_public_url,
                send_by=send_by if isinstance(send_by, str) else None,
            )
    except InvalidInput as error:
        context["error"] = error.message
        return render(request, "measures/sent.html", context, status_code=error.status_code)
    context["sent"] = sent
    if sent.link_path is not None:
        context["link"] = str(request.base_url).rstrip("/") + sent.link_path
    return render(request, "measures/sent.html", context, status_code=201)


@router.get("/measures/attention")
def attention_page(
    permit: Annotated[Permit, requires(Action.CLINICAL_READ)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The clinician's clients whose latest measures need attention, newest first."""
    entries = service.attention_list(db, user=signed_in.user, actor=signed_in.actor, now=utcnow())
    return render(
        request,
        "measures/attention.html",
        {"user": signed_in.user, "csrf_token": signed_in.csrf_token, "entries": entries},
    )


def client_section(
    db: Session, signed_in: SignedIn, client: Client, now: datetime
) -> dict[str, Any] | None:
    """What the client page's measures section shows, or None when the actor may not see it."""
    trends = service.client_summary(
        db, user=signed_in.user, actor=signed_in.actor, client=client, now=now
    )
    if trends is None:
        return None
    plan = service.plan_of(db, client.id)
    return {
        "client_id": client.id,
        "trends": trends,
        # Sending questionnaires now is for the same people as the plan (the care team).
        "can_send": service.may_edit_plan(signed_in.actor, client) and client.status == "active",
        "choices": _instrument_choices(),
        "chosen": list(plan.instruments) if plan else list(service.DEFAULT_INSTRUMENTS),
        "contact": service.contact_options(db, client),
    }
