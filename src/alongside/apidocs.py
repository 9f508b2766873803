"""The API reference for staff: the OpenAPI description and Swagger UI, served from here.

Both answer 404 to clients and to everyone when ``ALONGSIDE_API_DOCS=false``; without a
session, the page sends people to sign in. Swagger UI is vendored (``static/vendor/
swagger-ui``) and started by ``static/api-docs.js``, so the page keeps the app's strict CSP
(no inline script or style, nothing from another host).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from alongside.deps import CurrentSignedIn
from alongside.errors import NotFound
from alongside.security.declare import Permit, requires
from alongside.templating import render

router = APIRouter(include_in_schema=False)


def _require_staff(request: Request, signed_in: CurrentSignedIn) -> None:
    if not request.app.state.settings.api_docs or not signed_in.user.is_staff:
        raise NotFound("There is nothing at this address.")


@router.get("/api/openapi.json")
def openapi_description(
    permit: Annotated[Permit, requires(staff=True)], request: Request, signed_in: CurrentSignedIn
) -> Response:
    """The OpenAPI 3 description of the JSON API (staff)."""
    _require_staff(request, signed_in)
    return JSONResponse(request.app.openapi())


@router.get("/api/docs")
def api_docs(
    permit: Annotated[Permit, requires(staff=True)], request: Request, signed_in: CurrentSignedIn
) -> Response:
    """Swagger UI over the API description (staff)."""
    _require_staff(request, signed_in)
    return render(request, "apidocs/docs.html", {"csrf_token": signed_in.csrf_token})
