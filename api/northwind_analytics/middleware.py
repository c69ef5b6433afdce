"""ASGI middleware in front of every route: request size limits and the security headers of every response.

Plain ASGI rather than ``BaseHTTPMiddleware``: it adds no task or copy per request.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from northwind_analytics.errors import Problem

MAX_TARGET_BYTES = 2048  # path and query string
MAX_HEADER_BYTES = 8192  # all request headers together
MAX_BODY_BYTES = 1024  # the API only reads: no route takes a body

SECURITY_HEADERS = (
    # The load balancer terminates TLS for clients; HSTS tells browsers never to try plain HTTP.
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# Unless the response says otherwise (data responses name their own: northwind_analytics.cache), no browser or
# intermediate cache keeps a copy.
DEFAULT_CACHE_CONTROL = (b"cache-control", b"no-store")


class RequestLimits:
    """Refuses requests larger than an analytics query needs, before any routing or authentication:
    414 for a long target, 431 for large headers, 413 for a body. Answers use the API's error model (and get
    the security headers from ``SecurityHeaders``, which wraps this)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await self._refuse(send, *refusal)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _refusal(scope: Scope) -> tuple[int, str] | None:
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if target > MAX_TARGET_BYTES:
            return 414, f"the request target is longer than {MAX_TARGET_BYTES} bytes; narrow the query"
        headers = scope["headers"]
        if sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES:
            return 431, f"the request headers exceed {MAX_HEADER_BYTES} bytes"
        for name, value in headers:
            if name == b"transfer-encoding" or (
                name == b"content-length" and (not value.isdigit() or int(value) > MAX_BODY_BYTES)
            ):
                return 413, "the API takes no request body; send parameters in the query string"
        return None

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        body = Problem(status=status, title=HTTPStatus(status).phrase, detail=detail).model_dump_json().encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response, and ``Cache-Control: no-store`` to those naming none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), *SECURITY_HEADERS]
                if not any(name == b"cache-control" for name, _ in headers):
                    headers.append(DEFAULT_CACHE_CONTROL)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
