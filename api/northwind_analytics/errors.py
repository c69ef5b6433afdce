"""The one error model of the API and the exceptions that produce it.

Every error, from a route, the authentication layer, request validation or the request limits, is a
``Problem`` (the members of RFC 9457 problem details): ``status``, ``title`` (the HTTP reason), ``detail`` (one
sentence naming what is wrong and how to fix it) and, for invalid parameters, ``errors`` naming each one.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("northwind_analytics")

DATABASE_UNAVAILABLE = "the serving database is unavailable; retry shortly"


class FieldProblem(BaseModel):
    """One invalid parameter."""

    location: list[str | int] = Field(description='Where the parameter is, e.g. ["query", "start"]')
    message: str


class Problem(BaseModel):
    """An error response (RFC 9457 problem details)."""

    type: str = "about:blank"
    status: int = Field(ge=400, le=599)
    title: str
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list, description="Each invalid parameter (422 only)")


class ApiError(Exception):
    """An error answered as a ``Problem`` with ``status`` and optional response ``headers``."""

    status: int = 500

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthenticated(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class ServiceUnavailable(ApiError):
    status = 503


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None, errors=()) -> JSONResponse:
    """A ``Problem`` as a JSON response."""
    body = Problem(status=status, title=HTTPStatus(status).phrase, detail=detail, errors=list(errors))
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


_DESCRIPTIONS = {
    400: "The parameters are valid one by one but not together (a reversed or too long range, a cursor of "
    "another query).",
    401: "No bearer token, or one that is expired, signed by an unknown key, or for another issuer or audience.",
    403: "The token is valid but lacks the scope this route requires.",
    404: "Nothing with that key.",
    413: "The request has a body; the API takes parameters in the query string only.",
    414: "The request target (path and query) is longer than 2048 bytes.",
    422: "A parameter is missing, malformed or out of its documented range; `errors` names each.",
    431: "The request headers exceed 8192 bytes.",
    503: "The serving database is unavailable, every connection is busy, or the identity provider's keys cannot be "
    "fetched; retry after `Retry-After` seconds.",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer challenge (RFC 6750)", "schema": {"type": "string"}}},
    403: {"WWW-Authenticate": {"description": "Bearer error=insufficient_scope", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting ``statuses`` with the ``Problem`` model."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            **({"headers": _HEADERS[status]} if status in _HEADERS else {}),
        }
        for status in statuses
    }


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, expected or not, with a ``Problem``."""

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return problem_response(error.status, error.detail, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_parameters(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [FieldProblem(location=list(e["loc"]), message=e["msg"]) for e in error.errors()]
        named = ", ".join(".".join(str(part) for part in p.location[1:]) or str(p.location[0]) for p in problems)
        return problem_response(422, f"invalid parameters: {named}; see errors", errors=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = {
            404: f"no route {request.url.path}; the routes are in /openapi.json",
            405: f"{request.method} is not allowed here; the API only reads (GET)",
        }.get(error.status_code, str(error.detail))
        return problem_response(error.status_code, detail, getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(500, "an unexpected error; it is logged, retry or report it")
