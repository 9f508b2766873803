"""Jinja2 templates shared by every page, with the context every layout needs."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from alongside import __version__
from alongside.zones import OrganisationZone, clock, tz

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

# The main navigation by role: each role sees the pages its work needs (the pages themselves
# still check access; a link is not a permission).
NAV_BY_ROLE: dict[str, tuple[tuple[str, str], ...]] = {
    "clinician": (
        ("/home", "Home"),
        ("/review", "Review queue"),
        ("/measures/attention", "Attention"),
        ("/scheduling/week", "My week"),
        ("/scheduling/availability", "Hours and leave"),
        ("/intakes/new", "New intake"),
        ("/privacy", "Clients' requests"),
        ("/access/emergency", "Emergency access"),
        ("/account", "Account"),
    ),
    "clinical_lead": (
        ("/home", "Home"),
        ("/dashboard", "Dashboard"),
        ("/review", "Review queue"),
        ("/measures/attention", "Attention"),
        ("/oversight", "Oversight"),
        ("/rules", "Triage rules"),
        ("/access/review", "Access review"),
        ("/audit", "Audit log"),
        ("/privacy", "Clients' requests"),
        ("/care-teams", "Care teams"),
        ("/second-factor-resets", "Sign-in resets"),
        ("/scheduling/availability", "Hours and leave"),
        ("/access/emergency", "Emergency access"),
        ("/account", "Account"),
    ),
    "coordinator": (
        ("/home", "Home"),
        ("/scheduling/waitlist", "Waitlist"),
        ("/scheduling/availability", "Hours and leave"),
        ("/intakes/new", "New intake"),
        ("/privacy", "Clients' requests"),
        ("/account", "Account"),
    ),
    "admin": (
        ("/home", "Home"),
        ("/admin/users", "Staff"),
        ("/admin/organisation", "Organisation"),
        ("/admin/on-call", "On-call rota"),
        ("/admin/sites", "Sites"),
        ("/admin/outbox", "Outbox"),
        ("/admin/crisis-resources", "Crisis resources"),
        ("/account", "Account"),
    ),
    "client": (
        ("/home", "Home"),
        ("/me/progress", "Progress"),
        ("/scheduling/appointments", "Appointments"),
        ("/me/safety-plan", "Safety plan"),
        ("/me/notes", "Notes"),
        ("/me/consents", "Consents"),
        ("/me/data", "Your data"),
        ("/me/access-log", "Access log"),
    ),
}


# What each page is for, in a sentence, for the staff home page.
PAGE_PURPOSE: dict[str, str] = {
    "/dashboard": "The review queue and the waitlist against their targets; crisis alerts "
    "acknowledged in time.",
    "/review": "Triage proposals waiting for your decision, crisis first, then the longest wait.",
    "/measures/attention": "Clients whose latest measure shows reliable deterioration or a risk "
    "flag.",
    "/scheduling/week": "Your appointments this week and your private calendar feed.",
    "/scheduling/availability": "Weekly working hours and leave: no appointment is offered "
    "outside the hours or during leave.",
    "/intakes/new": "Send a new or existing client a link to consent, answer and write.",
    "/access/emergency": "Open a client outside your care team when safety depends on it.",
    "/oversight": "Override rates by rule and model version; time to first review.",
    "/rules": "Triage rule versions: preview a change against past intakes, then activate it.",
    "/access/review": "Emergency accesses to acknowledge.",
    "/audit": "Who opened or changed what, filtered by client, person, action and date; check "
    "that the log has not been altered.",
    "/privacy": "Clients' requests to erase or correct their record; records past retention.",
    "/scheduling/waitlist": "Clients waiting, with matching proposals to confirm or change.",
    "/care-teams": "Who is on each client's care team; add or remove a clinician, with a reason.",
    "/admin/users": "Invite staff, give each the role their work needs, disable leavers' "
    "accounts, ask for a second-factor reset.",
    "/second-factor-resets": "Approve or decline an administrator's request to reset a "
    "colleague's second factor.",
    "/admin/organisation": "The clinic's name and the time zone every time is shown in.",
    "/admin/on-call": "Who is alerted first for a crisis, who comes next, and after how long.",
    "/admin/sites": "The places where the clinic sees clients, and their time zones.",
    "/admin/outbox": "Alerts and reminders that failed to send, to retry.",
    "/admin/crisis-resources": "Your country's crisis services, your local services, and a "
    "preview of what a client in crisis sees.",
    "/account": "Your time zone, second factor and API tokens.",
}


def home_cards(user: Any) -> list[tuple[str, str, str]]:
    """(link, title, purpose) for the staff home page, from the role's navigation."""
    return [
        (href, label, PAGE_PURPOSE[href]) for href, label in nav_links(user) if href in PAGE_PURPOSE
    ]


def nav_links(user: Any) -> tuple[tuple[str, str], ...]:
    """The navigation links for a signed-in user's role."""
    if user is None:
        return ()
    return NAV_BY_ROLE.get(str(user.role.value), (("/home", "Home"),))


def can_find_clients(user: Any) -> bool:
    """Whether the header offers this user the client search (staff who list clients)."""
    from alongside.security.permissions import Action, role_allows

    return bool(user is not None and user.is_staff and role_allows(user.role, Action.CLIENT_LIST))


def pathway_label(pathway_id: str | None) -> str:
    """A pathway's words from the published default ruleset (its id when unknown)."""
    if not pathway_id:
        return ""
    from alongside.triage.rulesets import default_ruleset

    labels = {p.id: p.label for p in default_ruleset().pathways}
    return labels.get(pathway_id, pathway_id.replace("_", " ").replace("-", " "))


@pass_context
def clock_in_context(
    context: Context, moment: Any, zone: object = None, pattern: str = "%H:%M"
) -> str:
    """The ``clock`` filter: with no zone given, the page's ``clock_zone`` (the reader's)."""
    return clock(moment, zone if zone is not None else context.get("clock_zone"), pattern)


def time_zone_choices() -> list[str]:
    """Every time zone a person may choose, by name (Europe/London)."""
    from zoneinfo import available_timezones

    return sorted(zone for zone in available_timezones() if "/" in zone)


def local_date(moment: Any, zone: object = None, pattern: str = "%d %B %Y") -> str:
    """The day of a moment in the clinic's time zone (a date is shown as it is)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = moment.astimezone(tz(zone))
    return str(moment.strftime(pattern))


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 day", "3 days": a count with its noun in the right number."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def language_name(code: str | None) -> str:
    """A language's name from the maintained list (the code itself when it is not listed)."""
    from alongside.scheduling.vocabulary import LANGUAGES

    if not code:
        return ""
    term = LANGUAGES.get(code)
    return term.label if term is not None else code


def rule_label(rule_id: str | None) -> str:
    """A triage rule in clinicians' words."""
    from alongside.triage.wording import rule_words

    return rule_words(rule_id)


def flag_label(flag: str | None) -> str:
    """A critical-item flag in words, e.g. "PHQ-9 question 9 answered"."""
    from alongside.triage.wording import flag_words

    return flag_words(flag) if flag else ""


def flag_words_in(text: str | None) -> str:
    """Stored text with critical-item flag ids shown as words."""
    from alongside.triage.wording import with_flag_words

    return with_flag_words(text)


def reader_reasons(reasons: list[str] | None) -> object:
    """The risk reader's reasons as plain sentences, and its figures apart (for Details)."""
    from alongside.risk.wording import reason_words

    return reason_words(reasons or [])


def instrument_label(instrument_id: str | None) -> str:
    """An instrument's short name (PHQ-9) rather than its id (phq9)."""
    from alongside.instruments.library import get_instrument

    if not instrument_id:
        return ""
    try:
        return get_instrument(instrument_id).short_name
    except (KeyError, ValueError, LookupError):
        return instrument_id


def urgency_label(urgency: str | None) -> str:
    """An urgency in words."""
    from alongside.triage.wording import urgency_words

    return urgency_words(urgency)


# Form fields as a person reads them, for messages that begin with the field's name (the API
# keeps the name, which a program needs; a page shows the words).
FIELD_WORDS: dict[str, str] = {
    "action": "What you did",
    "channel": "How to send it",
    "client_id": "Client",
    "end": "End",
    "ends_at": "End time",
    "expires_in_days": "Link valid for",
    "instruments": "Questionnaires",
    "interval_days": "Days between questionnaires",
    "jottings": "Your jottings",
    "kind": "Kind of appointment",
    "last_n": "Number of past intakes",
    "limit": "Rows per page",
    "member_ids": "Care team",
    "new_client": "New client",
    "new_client.email": "Email",
    "new_client.preferred_language": "Preferred language",
    "note": "Note",
    "outcome": "Your decision",
    "pathway": "Pathway",
    "position": "Place in the rota",
    "q": "Search",
    "reason": "Reason",
    "recipient": "Recipient",
    "reminder_offsets_hours": "Reminder times",
    "rescreen_interval_days": "Days between rescreens",
    "reviewer_id": "Reviewer",
    "sections": "Note sections",
    "setting": "Where the appointment happens",
    "slot_minutes": "Appointment length",
    "start": "Start",
    "starts_at": "Start time",
    "status": "Status",
    "steps": "Safety plan steps",
    "template": "Note template",
    "text": "Text",
    "urgency": "Urgency",
    "value": "The new value",
    "weeks": "Period",
    "yaml_text": "The rules",
}
_FIELD_PREFIX = re.compile(r"^([a-z][a-z0-9_.]*): (.*)$", re.DOTALL)


def field_words(field: str) -> str:
    """A form field's name in words ("display_name" → "Display name")."""
    return FIELD_WORDS.get(field) or field.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def in_words(message: object) -> str:
    """An error message for a page: a leading field name ("starts_at: ...") in words."""
    text = str(message or "")
    match = _FIELD_PREFIX.match(text)
    if match is None:
        return text
    field, rest = match.groups()
    return f"{field_words(field)}: {rest}"


def language_choices() -> list[tuple[str, str]]:
    """(code, name) of the maintained languages, by name, for a choice of language."""
    from alongside.scheduling.vocabulary import LANGUAGES

    return sorted(((code, term.label) for code, term in LANGUAGES.items()), key=lambda c: c[1])


templates.env.globals["language_choices"] = language_choices
templates.env.filters["in_words"] = in_words
templates.env.filters["pathway_label"] = pathway_label
templates.env.filters["rule_label"] = rule_label
templates.env.filters["flag_words_in"] = flag_words_in
templates.env.filters["flag_label"] = flag_label
templates.env.filters["reader_reasons"] = reader_reasons
templates.env.filters["instrument_label"] = instrument_label
templates.env.filters["urgency_label"] = urgency_label
templates.env.filters["clock"] = clock_in_context
templates.env.globals["time_zone_choices"] = time_zone_choices
templates.env.filters["local_date"] = local_date
templates.env.filters["plural"] = plural
templates.env.filters["language_name"] = language_name
templates.env.globals["nav_links"] = nav_links
templates.env.globals["home_cards"] = home_cards
templates.env.globals["can_find_clients"] = can_find_clients


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page or fragment with the demo flag, version and request id in scope."""
    settings = request.app.state.settings
    full: dict[str, Any] = {
        "demo": settings.is_demo,
        # Whether the clinic set up text messages: forms offer them only then.
        "sms_ready": settings.sms_ready,
        "version": __version__,
        "request_id": getattr(request.state, "request_id", ""),
        "user": None,
        "csrf_token": "",
    }
    full.update(context or {})
    if "clock_zone" not in full:
        full["clock_zone"] = OrganisationZone(full["user"])
    return templates.TemplateResponse(request, template, full, status_code=status_code)
