"""The web application: middleware, routers, error handlers, static files and templates."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alongside import __version__
from alongside.config import Settings, get_settings
from alongside.db import (
    DatabaseOptions,
    get_engine,
    key_provider_for,
    make_sessionmaker,
    readiness_probe,
)
from alongside.errors import AlongsideError, ConfigurationError, NotAuthenticated
from alongside.kit.context import request_id_var
from alongside.kit.files import private_dir
from alongside.kit.http import local_return_path, wants_html
from alongside.responses import error_response, request_id_of
from alongside.security.declare import Permit, requires

log = logging.getLogger("alongside.http")

READY_WITHIN_S = 0.9
SHUTDOWN_WORKER_WAIT_S = 3.0

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

# Added to every response that does not set them itself (built once, not per response).
_STATIC_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
# Pages and API answers may carry client data: never kept in a cache (replacing any other
# cache-control a response set).
_SECURITY_HEADERS = (*_STATIC_SECURITY_HEADERS, (b"cache-control", b"no-store"))
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class RequestContextMiddleware:
    """Request ids, security headers and one structured log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        context_token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder: dict[str, int] = {"status": 500, "started": 0}
        path: str = scope["path"]
        is_static = path.startswith("/static/")
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if not is_static and b"cache-control" in names:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    names.discard(b"cache-control")
                extra = _SECURITY_HEADERS if not is_static else _STATIC_SECURITY_HEADERS
                if secure:
                    extra = (*extra, _HSTS)
                if b"x-request-id" not in names:
                    headers.append((b"x-request-id", request_id.encode()))
                headers.extend((key, value) for key, value in extra if key not in names)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if status_holder["started"]:
                raise
            # Handled here, inside this middleware, so even a crash gets the security
            # headers and request id; the person sees a message, never a stack trace.
            response = _unexpected_error(Request(scope), exc)
            await response(scope, receive, send_with_headers)
        finally:
            request_id_var.reset(context_token)
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    # The route template, not the path: paths may carry tokens.
                    "route": getattr(route, "path", "unmatched"),
                    "status": status_holder["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def _request_id(request: Request) -> str:
    return request_id_of(request)


def _login_address(request: Request) -> str:
    """The sign-in page, carrying the page asked for so sign-in returns there."""
    asked = request.url.path
    if request.url.query:
        asked += "?" + request.url.query
    if asked in ("/", "/home") or local_return_path(asked) is None:
        return "/login"
    return "/login?" + urlencode({"next": asked})


async def _alongside_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AlongsideError)  # noqa: S101 - registered for this class only
    if isinstance(exc, NotAuthenticated) and wants_html(request) and request.method == "GET":
        return RedirectResponse(_login_address(request), status_code=303)
    if exc.status_code >= 500:
        # The message is for the operator (it may name a file or a setting): it goes to the
        # log; the person sees what to do and the reference that finds it there.
        log.error(
            "alongside_error",
            extra={
                "request_id": _request_id(request),
                "error_type": type(exc).__name__,
                # Configuration messages name settings and files, never personal data.
                "config_error": exc.message if isinstance(exc, ConfigurationError) else None,
            },
        )
        return error_response(
            request,
            exc.status_code,
            "Alongside cannot do this until its administrator fixes its configuration; nothing "
            f"was changed. Give them the reference {_request_id(request)} (the server log "
            "says what is wrong).",
        )
    return error_response(request, exc.status_code, exc.message)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this class only
    # Name the fields and what is wrong, but never echo the submitted values (they may be PHI).
    parts = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query"))
        parts.append(f"{location or 'request'}: {error.get('msg', 'invalid')}")
    if wants_html(request):
        # A person sent a form (its own checks were bypassed or failed): the fields in words,
        # not "display_name: Field required".
        from alongside.templating import field_words

        words = []
        for error in exc.errors():
            names = [str(p) for p in error.get("loc", ()) if p not in ("body", "query")]
            label = field_words(names[-1]) if names else "The form"
            problem = (
                "left empty"
                if error.get("type") == "missing"
                else "not in the form expected (" + str(error.get("msg", "invalid")).lower() + ")"
            )
            words.append(f"{label}: {problem}")
        return error_response(
            request,
            422,
            "The form could not be read, and nothing was saved. "
            + "; ".join(words)
            + ". Go back to the form, correct it and send it again.",
        )
    return error_response(request, 422, "Please correct the request. " + "; ".join(parts))


async def _database_busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OperationalError)  # noqa: S101 - registered for this class only
    # A lock or statement timeout (PostgreSQL) or a busy SQLite file: nothing was stored, and
    # trying again shortly will work. Other operational errors are unexpected.
    message = str(exc.orig).lower()
    busy = any(
        hint in message
        for hint in ("database is locked", "lock timeout", "statement timeout", "canceling")
    )
    if not busy:
        return _unexpected_error(request, exc)
    log.warning(
        "database_busy",
        extra={"request_id": _request_id(request), "error_type": type(exc.orig).__name__},
    )
    response = error_response(
        request,
        503,
        "Alongside is very busy right now and nothing was changed. Please try again in a moment.",
    )
    response.headers["Retry-After"] = "2"
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this class only
    messages = {
        404: "There is nothing at this address. Check the link, or go back to your home page.",
        405: "This address does not accept that kind of request.",
    }
    message = messages.get(exc.status_code, str(exc.detail))
    return error_response(request, exc.status_code, message)


def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.error(
        "unhandled_error",
        extra={"request_id": _request_id(request), "error_type": type(exc).__name__},
    )
    return error_response(
        request,
        500,
        "Something went wrong on our side and nothing was changed. "
        f"If it happens again, give your administrator the reference {_request_id(request)}.",
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The embedded deployment delivers the outbox from this process (DESIGN.md, Deployment);
    # the worker gets its own sessions on the engine, never a request's.
    from alongside.notify.worker import start_background_worker

    settings: Settings = app.state.settings
    worker = None
    if settings.run_worker_in_server:
        factory = make_sessionmaker(app.state.engine, key_provider_for(settings))
        worker = start_background_worker(settings, factory)
    app.state.outbox_worker = worker
    try:
        yield
    finally:
        if worker is not None:
            # Waits for the round in flight, but not past the shutdown budget (SIGTERM ends the
            # server within 10 s); a message left ``sending`` is due again when its lease ends.
            worker.stop(timeout_s=SHUTDOWN_WORKER_WAIT_S)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for the given settings (default: from the environment)."""
    settings = settings or get_settings()
    settings.check_secrets()
    # The data directory holds the database and the key file: its owner's alone.
    private_dir(settings.data_dir)
    app = FastAPI(
        title="Alongside",
        version=__version__,
        # Served by alongside.apidocs instead: for staff only, from our own static files.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan,
    )
    engine = get_engine(settings.effective_database_url, DatabaseOptions.from_settings(settings))
    probe = readiness_probe(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.kek_provider = key_provider_for(settings)
    app.state.sessionmaker = make_sessionmaker(engine, app.state.kek_provider)

    app.add_exception_handler(AlongsideError, _alongside_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_middleware(RequestContextMiddleware)

    app.mount(
        "/static",
        StaticFiles(directory=str(Path(__file__).parent / "static")),
        name="static",
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz(permit: Annotated[Permit, requires(public=True)]) -> dict[str, str]:
        """Alive: the event loop answers. Async and touching nothing, so it answers even when
        every threadpool worker is busy with a slow request."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(permit: Annotated[Permit, requires(public=True)]) -> Response:
        """Ready: the database answers a fresh connection within a second."""
        try:
            # The probe runs on the loop's own executor, not the request threadpool (which may
            # be full), with its own connection (the pool may be empty).
            ready = await asyncio.wait_for(asyncio.to_thread(probe), READY_WITHIN_S)
        except TimeoutError:
            ready = False
        if ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "database unreachable"}, status_code=503)

    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from alongside import apidocs
    from alongside.accounts import admin_pages as account_admin_pages
    from alongside.accounts import organisation_pages
    from alongside.accounts import pages as account_pages
    from alongside.accounts import routes as account_routes
    from alongside.accounts import staff_routes as account_staff_routes
    from alongside.audit import pages as audit_pages
    from alongside.audit import routes as audit_routes
    from alongside.clients import care_team_pages as client_care_team_pages
    from alongside.clients import pages as client_pages
    from alongside.clients import routes as client_routes
    from alongside.intake import pages as intake_pages
    from alongside.intake import routes as intake_routes
    from alongside.notify import pages as notify_pages
    from alongside.notify import routes as notify_routes
    from alongside.security import pages as security_pages
    from alongside.security import routes as security_routes

    # The client's intake pages first: the busiest routes, matched in order among some 230
    # (no other route matches an /intake or /intakes address, so the order changes nothing
    # else; tests/test_app.py checks).
    routers: list[Any] = [intake_pages.router]
    routers += [account_routes.router, account_pages.router, client_routes.router]
    routers += [apidocs.router, account_staff_routes.router]
    routers += [security_routes.router, account_admin_pages.router, organisation_pages.router]
    routers += [client_pages.router, client_care_team_pages.router, security_pages.router]
    routers += [notify_routes.router, notify_pages.router]
    routers += [audit_routes.router, audit_pages.router]
    routers += [intake_routes.router]
    from alongside.scheduling import pages as scheduling_pages
    from alongside.scheduling import routes as scheduling_routes

    routers += [scheduling_routes.router, scheduling_routes.feed_router, scheduling_pages.router]
    from alongside.review import pages as review_pages
    from alongside.review import routes as review_routes
    from alongside.review import rules_pages as review_rules_pages

    routers += [review_routes.router, review_pages.router, review_rules_pages.router]
    from alongside.measures import pages as measures_pages
    from alongside.measures import routes as measures_routes

    routers += [measures_routes.router, measures_pages.router]
    from alongside.me import pages as me_pages
    from alongside.me import routes as me_routes
    from alongside.privacy import pages as privacy_pages
    from alongside.privacy import routes as privacy_routes

    routers += [me_routes.router, me_pages.router, privacy_routes.router, privacy_pages.router]
    from alongside.triage import crisis_pages

    routers += [crisis_pages.router]
    from alongside.notes import pages as notes_pages
    from alongside.notes import routes as notes_routes

    routers += [notes_routes.router, notes_pages.router]
    for router in routers:
        app.include_router(router)
