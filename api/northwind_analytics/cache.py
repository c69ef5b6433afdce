"""Responses kept in memory per worker, answered again only to callers allowed to read them
(docs/adr/0110-analytics-api-response-cache.md).

The serving tables change only when the serving load (or an erasure) writes them, and every such change raises
the table's row in ``serving.table_versions`` in the same transaction. Each worker keeps the serialized bodies of
its successful data responses, keyed by the route's path and its canonical query, in a least-recently-used map
bounded in bytes; it reads the versions every ``refresh_seconds`` and drops everything when one changed. While
the versions cannot be read (the database is down) nothing is answered from memory after ``stale_seconds``, so
no answer is older than the last version read by more than that.

Concurrent misses of one key by verified callers are answered by one trip to the database: the first goes
through the route, the others wait for it and are answered what it kept (after a change of the serving tables
empties the cache, a burst of the same request costs the database one query, not one per request).

The cache sits behind authentication: a body is answered from memory only to a caller whose token this worker
has verified, is not expired, and grants the scope of the route that produced the body. Anyone else goes through
the routes as if nothing were kept: 401/403 are decided there, and errors are never kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import cachetools
import psycopg
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from northwind_analytics.auth import Caller, Permission, TokenVerifier, bearer_token
from northwind_analytics.errors import ServiceUnavailable

log = logging.getLogger("northwind_analytics.cache")

VERSIONS_SQL = "SELECT table_name, version FROM serving.table_versions ORDER BY table_name"
# A body larger than this share of the bound is answered but not kept: a few huge pages must not evict the rest.
LARGEST_SHARE = 16
# After a failed read of the versions, the next one comes this soon rather than a whole refresh later: kept
# responses are answered for two refreshes after the last read, so one lost read still leaves time for another.
RETRY_SECONDS = 1.0
# Bytes an entry costs beyond its body (key, headers, bookkeeping), so many tiny entries still count.
ENTRY_OVERHEAD_BYTES = 512
# Customer-level and per-plate data: no cache anywhere keeps it. Aggregates: only the caller's own cache, and it
# asks again before every use (a 304 after this service authorized the caller again). Never a shared cache.
CACHE_CONTROL = {
    Permission.ANALYTICS: b"private, no-cache",
    Permission.CUSTOMERS: b"private, no-store",
    Permission.VALUATIONS: b"private, no-store",
}
# The headers of a response answered from memory, besides its validators and length.
JSON_HEADERS = [(b"content-type", b"application/json")]


@dataclass(frozen=True)
class Entry:
    """A kept 200 response: its body, strong entity tag, and the scope the route that produced it requires."""

    body: bytes
    etag: bytes
    permission: Permission


class CacheState(BaseModel):
    """The response cache of one worker process, as readiness reports it."""

    worker: int
    max_bytes: int
    bytes: int
    entries: int
    hits: int
    misses: int
    coalesced: int
    invalidations: int
    version_age_seconds: float | None


class ResponseCache:
    """The bounded map of kept responses and the serving version they were read at."""

    def __init__(self, max_bytes: int, stale_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self.stale_seconds = stale_seconds
        self.clock = clock
        self._entries: cachetools.LRUCache = cachetools.LRUCache(
            maxsize=max(max_bytes, 1), getsizeof=lambda entry: len(entry.body) + ENTRY_OVERHEAD_BYTES
        )
        self.version: tuple | None = None
        self._version_read_at: float | None = None
        self.hits = self.misses = self.coalesced = self.invalidations = 0

    @property
    def serving(self) -> bool:
        """True while the versions were read recently enough to trust what is kept."""
        read_at = self._version_read_at
        return self.max_bytes > 0 and read_at is not None and self.clock() - read_at <= self.stale_seconds

    def observe(self, version: tuple) -> None:
        """The versions as just read from the database: everything kept is dropped when they changed."""
        if version != self.version:
            if self.version is not None:
                self.invalidations += 1
            self._entries.clear()
            self.version = version
        self._version_read_at = self.clock()

    def get(self, key: tuple) -> Entry | None:
        """The kept response for ``key``, or None (also while the versions are not known to be current)."""
        return self._entries.get(key) if self.serving else None

    def put(self, key: tuple, entry: Entry, read_at_version: tuple | None) -> None:
        """Keep ``entry`` unless the versions changed since the request began (its rows may be older)."""
        if not self.serving or read_at_version != self.version:
            return
        if len(entry.body) + ENTRY_OVERHEAD_BYTES > self.max_bytes // LARGEST_SHARE:
            return
        self._entries[key] = entry

    def state(self) -> CacheState:
        """What is kept now and how it served."""
        read_at = self._version_read_at
        return CacheState(
            worker=os.getpid(),
            max_bytes=self.max_bytes,
            bytes=int(self._entries.currsize),
            entries=len(self._entries),
            hits=self.hits,
            misses=self.misses,
            coalesced=self.coalesced,
            invalidations=self.invalidations,
            version_age_seconds=None if read_at is None else round(self.clock() - read_at, 3),
        )


async def follow_serving_versions(
    fetch,
    cache: ResponseCache,
    every_seconds: float,
    stop: asyncio.Event,
    retry_seconds: float = RETRY_SECONDS,
) -> None:
    """Read ``serving.table_versions`` every ``every_seconds`` until ``stop`` is set (a task of the worker).

    Reads start every ``every_seconds`` however long one took, and a read that failed (or outlived its deadline)
    is retried after ``retry_seconds``: one slow read must not age everything kept out, which would send every
    request of the worker to the database at once.

    Stopped by the event rather than by cancelling alone: a cancellation arriving as a query completes can be
    lost inside ``asyncio.wait_for`` (Python 3.11), and the worker's shutdown must not wait on it.
    """
    failing = False
    while not stop.is_set():
        began, read = time.monotonic(), False
        try:
            rows = await fetch(VERSIONS_SQL)
        except ServiceUnavailable:
            pass  # the database module logs an outage once; the kept responses age out meanwhile
        except psycopg.Error as error:
            if not failing:
                log.error("serving versions unreadable (%s); answering without the response cache", error)
            failing = True
        else:
            if failing:
                log.warning("serving versions readable again; the response cache is in use")
            failing, read = False, True
            cache.observe(tuple((row["table_name"], row["version"]) for row in rows))
        pause = every_seconds - (time.monotonic() - began) if read else min(retry_seconds, every_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(pause, 0.0))


def cache_key(scope: Scope) -> tuple:
    """The route's path and its query parameters in a canonical order (repeated names keep their order)."""
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return scope["path"], tuple(sorted(query, key=lambda pair: pair[0]))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    # Weak comparison (RFC 9110 13.1.2): a "W/" prefix does not matter for If-None-Match.
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return b"*" in tags or etag in tags


def _entity_tag(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'


class CachedResponses:
    """ASGI middleware answering kept responses to authorized callers and keeping new successful ones.

    Every data response (kept or not) gets a strong ``ETag``, its data class's ``Cache-Control`` and
    ``Vary: Authorization``; a request whose ``If-None-Match`` matches gets a 304, only once the caller passed
    the same checks. ``permissions`` maps each cacheable route (by its path template) to the scope it requires.
    """

    def __init__(
        self, app: ASGIApp, cache: ResponseCache, verifier: TokenVerifier, permissions: dict[str, Permission]
    ) -> None:
        self.app, self.cache, self.verifier, self.permissions = app, cache, verifier, permissions
        # Misses of these paths (the cacheable routes' fixed beginnings) wait for one of the same key in flight.
        self._coalesced_paths = tuple(sorted({template.split("{", 1)[0] for template in permissions}))
        self._in_flight: dict[tuple, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = cache_key(scope)
        token = bearer_token(_header(scope, b"authorization"))
        caller = self.verifier.known(token) if token else None
        # Looked up only for a caller already verified here; its scopes are checked against the kept route's.
        if caller is not None and await self._answer_kept(scope, send, key, caller):
            return
        if caller is None or not self.cache.serving or not key[0].startswith(self._coalesced_paths):
            await self._through_app(scope, receive, send, key)
            return
        leader = self._in_flight.get(key)
        if leader is None:
            await self._lead(scope, receive, send, key)
            return
        # The request in flight ends within its route's deadline, answered or not: the wait is bounded by it.
        await leader.wait()
        if await self._answer_kept(scope, send, key, caller):
            self.cache.coalesced += 1
            return
        # Nothing was kept (an error, a body too large, a change of the tables meanwhile): through the route.
        await self._through_app(scope, receive, send, key)

    async def _answer_kept(self, scope: Scope, send: Send, key: tuple, caller: Caller) -> bool:
        """Answer the response kept for ``key`` if there is one and ``caller`` may read its route's data."""
        entry = self.cache.get(key)
        if entry is None or entry.permission not in caller.permissions:
            return False
        self.cache.hits += 1
        await _answer(send, entry, _header(scope, b"if-none-match"), JSON_HEADERS)
        return True

    async def _lead(self, scope: Scope, receive: Receive, send: Send, key: tuple) -> None:
        done = self._in_flight[key] = asyncio.Event()
        try:
            await self._through_app(scope, receive, send, key)
        finally:
            del self._in_flight[key]
            done.set()

    async def _through_app(self, scope: Scope, receive: Receive, send: Send, key: tuple) -> None:
        version = self.cache.version
        start: Message | None = None
        permission: Permission | None = None
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start, permission
            if message["type"] == "http.response.start":
                permission = self.permissions.get(getattr(scope.get("route"), "path", None))
                if message["status"] == 200 and permission is not None:
                    start = message  # held until the body is complete: the ETag goes in the headers
                    return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            entry = Entry(body, _entity_tag(body), permission)
            self.cache.misses += 1
            self.cache.put(key, entry, version)
            await _answer(send, entry, _header(scope, b"if-none-match"), start.get("headers", ()))

        await self.app(scope, receive, keep)


async def _answer(send: Send, entry: Entry, if_none_match: bytes | None, headers) -> None:
    validators = [
        (b"etag", entry.etag),
        (b"cache-control", CACHE_CONTROL[entry.permission]),
        (b"vary", b"authorization"),
    ]
    if _matches(if_none_match, entry.etag):
        await send({"type": "http.response.start", "status": 304, "headers": validators})
        await send({"type": "http.response.body", "body": b""})
        return
    kept = [(name, value) for name, value in headers if name not in (b"content-length", *(n for n, _ in validators))]
    length = (b"content-length", str(len(entry.body)).encode())
    await send({"type": "http.response.start", "status": 200, "headers": [*kept, *validators, length]})
    await send({"type": "http.response.body", "body": entry.body})
