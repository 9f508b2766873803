"""FastAPI dependencies shared by routes and pages: the database session and the signed-in user."""

from __future__ import annotations

import functools
import hmac
import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from alongside.accounts.service import resolve_session
from alongside.config import Settings
from alongside.db import commit_session, fail_session, finish_session
from alongside.errors import AlongsideError, NotAuthenticated, NotFound
from alongside.kit.time import utcnow
from alongside.models import Role, User
from alongside.security.access import actor_for
from alongside.security.policy import Actor
from alongside.security.tokens import resolve_token

SESSION_COOKIE = "alongside_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NOT_FOUND_MESSAGE = (
    "There is nothing at this address. Check the link, or go back to your home page."
)


class CsrfRejected(AlongsideError):
    """A state-changing request with a cookie came without the session's CSRF token."""

    status_code = 403


def get_settings_from(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Async so that FastAPI does not hop to the threadpool just to make the session: making one
    does no I/O (it connects on its first statement, in the route's thread). Committing or
    rolling back does I/O, so the end runs in the threadpool (it finishes even if the request
    is cancelled meanwhile: anyio does not abandon a worker thread)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(fail_session, session)
        raise
    if session.info.pop(COMMITTED_IN_ROUTE, False) and not session.in_transaction():
        # Committed at the end of the route's own thread (CommitsInRouteThread) and nothing
        # began since: closing is bookkeeping, no I/O.
        session.close()
        return
    await run_in_threadpool(finish_session, session)


# scope="function": commit before the response is sent, so a client that follows a redirect
# (or acts on a 200) always finds the change stored, and a failed commit is an error response.
DbSession = Annotated[Session, Depends(get_db, scope="function")]

COMMITTED_IN_ROUTE = "alongside_committed_in_route"
_ROUTE_SESSION = "alongside_route_session"


def _committing_in_its_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` (a plain ``def``), committing the request's session when it returns, in
    the same threadpool thread; the session comes as one more parameter (the same one the
    endpoint and its dependencies get: FastAPI makes one per request)."""
    signature = inspect.signature(endpoint, eval_str=True)
    if _ROUTE_SESSION in signature.parameters:
        return endpoint

    @functools.wraps(endpoint)
    def committing(*args: Any, **kwargs: Any) -> Any:
        session: Session = kwargs.pop(_ROUTE_SESSION)
        result = endpoint(*args, **kwargs)
        # get_db closes (or, if this commit failed, rolls back and stores the after-rollback
        # writes).
        commit_session(session)
        session.info[COMMITTED_IN_ROUTE] = True
        return result

    extra = inspect.Parameter(_ROUTE_SESSION, inspect.Parameter.KEYWORD_ONLY, annotation=DbSession)
    committing.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra]
    )
    return committing


class CommitsInRouteThread(APIRoute):
    """A route whose plain ``def`` endpoint commits the request's transaction itself, at its
    end in the threadpool thread it runs in, so that :func:`get_db` needs no second hop to the
    threadpool to commit (each hop is a hand-off to a worker thread and back).
    Async endpoints are left as they are (a commit is blocking I/O)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing_in_its_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)


@dataclass(frozen=True)
class SignedIn:
    """The user of this request, the policy's view of them, and their session's CSRF token."""

    user: User
    actor: Actor
    csrf_token: str
    via_token: bool = False


async def posted_form(request: Request) -> FormData:
    """The request's form fields, read here on the event loop (reading the body is async I/O);
    the route that uses them stays a plain ``def``, so its database work runs in the
    threadpool. Starlette keeps the parsed form on the request, so it is read once."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


async def _form_csrf(request: Request) -> str | None:
    # Async, with no database work: it only reads the body of a form post.
    if request.method in SAFE_METHODS:
        return None
    content_type = request.headers.get("content-type", "")
    if "form" not in content_type:
        return None
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_signed_in(
    request: Request,
    db: DbSession,
    form_csrf: Annotated[str | None, Depends(_form_csrf)],
) -> SignedIn:
    """The signed-in user (session cookie or API token); cookie requests that change state
    must carry the session's CSRF token.

    A plain ``def``: FastAPI runs it in the threadpool, so its queries never block the event
    loop (the form's CSRF token is read by the async ``_form_csrf`` beforehand)."""
    now = utcnow()
    bearer = _bearer(request)
    if bearer is not None:
        # A bearer token is not sent automatically by browsers, so it needs no CSRF token.
        resolved_token = resolve_token(db, bearer, now)
        if resolved_token is None:
            raise NotAuthenticated("This API token is not valid or was revoked.")
        token_user, token = resolved_token
        request.state.user_id = str(token_user.id)
        _clients_only_their_own_api(request, token_user)
        return SignedIn(
            user=token_user,
            actor=actor_for(db, token_user, now, allowed_actions=token.scopes),
            csrf_token="",
            via_token=True,
        )
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("Please sign in to continue.")
    settings = get_settings_from(request)
    resolved = resolve_session(
        db,
        cookie,
        now,
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    if resolved is None:
        raise NotAuthenticated("Your session has ended. Please sign in again.")
    user, record = resolved
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or form_csrf
        if not sent or not hmac.compare_digest(sent, record.csrf_token):
            raise CsrfRejected(
                "This form has expired or did not come from Alongside. "
                "Reload the page and try again."
            )
    request.state.user_id = str(user.id)
    _clients_only_their_own_api(request, user)
    return SignedIn(user=user, actor=actor_for(db, user, now), csrf_token=record.csrf_token)


# What a signed-in client may call of the JSON API: their own space and their session (intake
# links authenticate by their token, not a session). Everything else answers 404 for them, as
# for an address that does not exist, whatever a route's own checks would say.
CLIENT_API_PREFIXES = ("/api/me/", "/api/session")


def _clients_only_their_own_api(request: Request, user: User) -> None:
    path = request.url.path
    if user.role is Role.CLIENT and path.startswith("/api/"):
        if not path.startswith(CLIENT_API_PREFIXES):
            raise NotFound(NOT_FOUND_MESSAGE)


CurrentSignedIn = Annotated[SignedIn, Depends(current_signed_in)]


def client_address(request: Request) -> str | None:
    """The caller's address as the server saw it (behind the proxy: X-Forwarded-For)."""
    return request.client.host if request.client else None
