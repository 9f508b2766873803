"""Jinja2 templates shared by every page, with the context every layout needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from alongside import __version__

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
        ("/intakes/new", "New intake"),
        ("/privacy", "Clients' requests"),
        ("/access/emergency", "Emergency access"),
        ("/account", "Account"),
    ),
    "clinical_lead": (
        ("/home", "Home"),
        ("/review", "Review queue"),
        ("/measures/attention", "Attention"),
        ("/oversight", "Oversight"),
        ("/rules", "Triage rules"),
        ("/access/review", "Access review"),
        ("/privacy", "Clients' requests"),
        ("/care-teams", "Care teams"),
        ("/access/emergency", "Emergency access"),
        ("/account", "Account"),
    ),
    "coordinator": (
        ("/home", "Home"),
        ("/scheduling/waitlist", "Waitlist"),
        ("/intakes/new", "New intake"),
        ("/privacy", "Clients' requests"),
        ("/account", "Account"),
    ),
    "admin": (
        ("/home", "Home"),
        ("/admin/users", "Staff"),
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
        ("/me/consents", "Consents"),
        ("/me/data", "Your data"),
        ("/me/access-log", "Access log"),
    ),
}


# What each page is for, in a sentence, for the staff home page.
PAGE_PURPOSE: dict[str, str] = {
    "/review": "Triage proposals waiting for your decision, crisis first, then the longest wait.",
    "/measures/attention": "Clients whose latest measure shows reliable deterioration or a risk "
    "flag.",
    "/scheduling/week": "Your appointments this week and your private calendar feed.",
    "/intakes/new": "Send a new or existing client a link to consent, answer and write.",
    "/access/emergency": "Open a client outside your care team when safety depends on it.",
    "/oversight": "Override rates by rule and model version; time to first review.",
    "/rules": "Triage rule versions: preview a change against past intakes, then activate it.",
    "/access/review": "Emergency accesses to acknowledge.",
    "/privacy": "Clients' requests to erase or correct their record; records past retention.",
    "/scheduling/waitlist": "Clients waiting, with matching proposals to confirm or change.",
    "/care-teams": "Who is on each client's care team; add or remove a clinician, with a reason.",
    "/admin/users": "Add staff, give each the role their work needs, disable leavers' accounts.",
    "/admin/on-call": "Who is alerted first for a crisis, who comes next, and after how long.",
    "/admin/sites": "The places where the clinic sees clients, and their time zones.",
    "/admin/outbox": "Alerts and reminders that failed to send, to retry.",
    "/admin/crisis-resources": "Your country's crisis services, your local services, and a "
    "preview of what a client in crisis sees.",
    "/account": "Your second factor and API tokens.",
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


def clock(moment: Any, zone: str | None = None, pattern: str = "%H:%M") -> str:
    """A moment in the clinic's time zone with the zone named, e.g. "14:05 GMT" (or with a
    date, by ``pattern``); an unknown zone shows UTC, named, rather than failing the page."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if moment is None:
        return ""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = moment.astimezone(tz)
    return f"{local.strftime(pattern)} {local.tzname()}"


def language_name(code: str | None) -> str:
    """A language's name from the maintained list (the code itself when it is not listed)."""
    from alongside.scheduling.vocabulary import LANGUAGES

    if not code:
        return ""
    term = LANGUAGES.get(code)
    return term.label if term is not None else code


templates.env.filters["pathway_label"] = pathway_label
templates.env.filters["clock"] = clock
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
        "version": __version__,
        "request_id": getattr(request.state, "request_id", ""),
        "user": None,
        "csrf_token": "",
    }
    full.update(context or {})
    return templates.TemplateResponse(request, template, full, status_code=status_code)
