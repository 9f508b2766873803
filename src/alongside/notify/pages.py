"""The administrator's outbox page: what is failing, why, and a button to try again."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from alongside.config import Settings
from alongside.deps import CurrentSignedIn, DbSession, get_settings_from
from alongside.kit.http import is_htmx, page_url
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import OutboxChannel, OutboxStatus
from alongside.notify import service
from alongside.notify.access import outbox_organization
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.templating import render

router = APIRouter(include_in_schema=False)

# How each channel is named on the page.
CHANNEL_WORDS = {
    OutboxChannel.EMAIL.value: "Email",
    OutboxChannel.SMS.value: "Text message",
    OutboxChannel.WEBHOOK.value: "Pager (webhook)",
}
# What each kind of message is, in words (the stored kind is for logs, not for the page).
KIND_WORDS = {
    "crisis_alert": "Crisis alert to the on-call clinician",
    "crisis_escalation": "Crisis alert, escalated (not acknowledged in time)",
    "appointment_reminder": "Appointment reminder",
    "intake_link": "Intake link",
    "measures_due": "Questionnaires due",
    "waitlist_back_to_triage": "Waitlist: back to triage",
    "staff_invitation": "Staff invitation",
    "second_factor_reset_waiting": "Second-factor reset waiting for a lead",
    "account_security": "Account security notice",
}


def kind_words(kind: str) -> str:
    """A message's kind in words; an unknown kind reads as words, not as an identifier."""
    return KIND_WORDS.get(kind) or kind.replace("_", " ").replace("-", " ").capitalize()


def delivery_routes(settings: Settings) -> list[tuple[str, str]]:
    """(channel, how its messages leave) in words, from the settings: the administrator sees
    at once whether text messages are set up (no address, token or password is shown)."""
    if settings.is_demo:
        email = "To the demo mailbox on this machine: nothing leaves it."
        pager = email
    else:
        email = f"Through the mail relay at {settings.smtp_host}, port {settings.smtp_port}."
        names = ", ".join(sorted(settings.webhooks))
        pager = f"To the webhooks named {names}." if names else "No webhook is set up."
    if settings.sms_gateway_url:
        host = urlsplit(settings.sms_gateway_url).hostname or "?"
        texts = f"Through the clinic's SMS gateway at {host}."
    elif settings.sms_email_domain:
        texts = f"By email to the SMS provider's domain {settings.sms_email_domain}."
    else:
        texts = (
            "Not set up: staff can send links by email only, and no text is sent or faked. "
            "To set it up, see 'Text messages' in the operators' guide "
            "(ALONGSIDE_SMS_GATEWAY_URL or ALONGSIDE_SMS_EMAIL_DOMAIN)."
        )
    return [
        (CHANNEL_WORDS["email"], email),
        (CHANNEL_WORDS["sms"], texts),
        (CHANNEL_WORDS["webhook"], pager),
    ]


@router.get("/admin/outbox")
def outbox_page(
    permit: Annotated[Permit, requires(Action.OUTBOX_ADMIN)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Dead and failing messages of the organisation, newest first (no bodies)."""
    organization_id = outbox_organization(signed_in.user)
    cursor = request.query_params.get("cursor") or None
    page = service.admin_page(db, organization_id, cursor=cursor)
    context = {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "messages": page.items,
        "next_url": page_url(request, page.next) if page.next else None,
        "first_url": page_url(request, None) if cursor else None,
        "delivered": service.admin_entries(
            db, organization_id, statuses=(OutboxStatus.DELIVERED,), limit=20
        ),
        "retried": request.query_params.get("retried"),
        "channel_words": CHANNEL_WORDS,
        "kind_words": kind_words,
        "routes": delivery_routes(get_settings_from(request)),
    }
    template = "notify/_outbox_table.html" if is_htmx(request) else "notify/outbox.html"
    return render(request, template, context)


@router.post("/admin/outbox/{message_id}/retry")
def outbox_retry(
    permit: Annotated[Permit, requires(Action.OUTBOX_ADMIN)],
    message_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Queue the message for another attempt now and return to the list."""
    organization_id = outbox_organization(signed_in.user)
    parsed = parse_id(message_id, service.NOT_FOUND)
    service.retry(db, parsed, organization_id=organization_id, now=utcnow())
    return RedirectResponse(f"/admin/outbox?retried={parsed}", status_code=303)
