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
