"""The response cache: answered only after authentication and authorization, dropped when a serving table
changes, bounded, validated with ETags, never holding an error."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import psycopg
import pytest
from fastapi.testclient import TestClient
from northwind_analytics.api import create_app
from northwind_analytics.auth import Permission
from northwind_analytics.cache import (
    ENTRY_OVERHEAD_BYTES,
    CachedResponses,
    Entry,
    ResponseCache,
    follow_serving_versions,
)
from northwind_analytics.errors import ServiceUnavailable

from etl.erase.serving import erase_from_serving
from tests.api.conftest import ALL_SCOPES

CUSTOMERS = "/v1/customers/lifetime-value"
FUNNEL = "/v1/funnel/daily?start=1997-01-01&end=1997-01-31"


def _owner(settings) -> psycopg.Connection:
    conninfo = f"host={settings.db_host} port={settings.db_port} dbname={settings.db_name} user=postgres"
    return psycopg.connect(conninfo, autocommit=True)


@contextmanager
def started(settings, **changes) -> Iterator[TestClient]:
    """The app with the versions read every 0.1 s, once they have been read a first time."""
    app = create_app(settings.model_copy(update={"response_cache_refresh_seconds": 0.1, **changes}))
    with TestClient(app) as client:
        deadline = time.monotonic() + 5
        while not app.state.cache.serving and time.monotonic() < deadline:
            time.sleep(0.02)
        yield client


def _bearer(identity_provider, scopes=ALL_SCOPES, **token) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity_provider.token(scopes, **token)}"}


def test_a_kept_response_is_answered_only_to_callers_with_the_routes_scope(serving_settings, identity_provider):
    with started(serving_settings) as client:
        cache = client.app.state.cache
        everything = _bearer(identity_provider)
        first = client.get(CUSTOMERS, headers=everything)
        again = client.get(CUSTOMERS, headers=everything)
        assert first.status_code == again.status_code == 200 and again.content == first.content
        assert (cache.misses, cache.hits) == (1, 1)

        # A token this worker has verified (on a route it may read), without the customer-level scope.
        analyst = _bearer(identity_provider, [Permission.ANALYTICS.value])
        assert client.get(FUNNEL, headers=analyst).status_code == 200
        aggregates_only = client.get(CUSTOMERS, headers=analyst)
        assert aggregates_only.status_code == 403
        assert "customers.read" in aggregates_only.json()["detail"]
        assert client.get(CUSTOMERS).status_code == 401
        expired = client.get(CUSTOMERS, headers=_bearer(identity_provider, lifetime_seconds=-120))
        assert expired.status_code == 401
        # The 304 too is only for an authorized caller: a matching ETag from another caller is still a 403.
        etag = first.headers["etag"]
        assert client.get(CUSTOMERS, headers={**analyst, "If-None-Match": etag}).status_code == 403
        assert cache.hits == 1


def test_a_matching_etag_is_answered_304_without_a_body(serving_settings, identity_provider):
    with started(serving_settings) as client:
        client.headers.update(_bearer(identity_provider))
        first = client.get(FUNNEL)
        etag = first.headers["etag"]
        assert etag.startswith('"') and first.headers["cache-control"] == "private, no-cache"
        for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            validated = client.get(FUNNEL, headers={"If-None-Match": if_none_match})
            assert validated.status_code == 304 and validated.content == b""
            assert validated.headers["etag"] == etag and validated.headers["cache-control"] == "private, no-cache"
        assert client.get(FUNNEL, headers={"If-None-Match": '"other"'}).status_code == 200
        # Also when the response is not kept (no cache): the tag is the body's, whoever produced it.
    with started(serving_settings, response_cache_bytes=0) as uncached:
        uncached.headers.update(_bearer(identity_provider))
        assert uncached.get(FUNNEL, headers={"If-None-Match": etag}).status_code == 304


def test_a_change_to_a_serving_table_drops_the_kept_responses(serving_settings, identity_provider):
    with started(serving_settings) as client, _owner(serving_settings) as owner:
        client.headers.update(_bearer(identity_provider))
        before = client.get(FUNNEL).json()["items"][0]["sessions"]
        owner.execute("UPDATE serving.clickstream_funnel_daily SET sessions = sessions + 1")
        deadline = time.monotonic() + 5
        while client.get(FUNNEL).json()["items"][0]["sessions"] == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get(FUNNEL).json()["items"][0]["sessions"] == before + 1
        assert client.app.state.cache.invalidations >= 1


def test_an_erasure_drops_the_erased_customers_kept_value(serving_settings, identity_provider):
    with started(serving_settings) as client, _owner(serving_settings) as owner:
        client.headers.update(_bearer(identity_provider))
        assert client.get("/v1/customers/ALFKI/lifetime-value").status_code == 200
        erase_from_serving(owner, "ALFKI")
        deadline = time.monotonic() + 5
        while client.get("/v1/customers/ALFKI/lifetime-value").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/v1/customers/ALFKI/lifetime-value").status_code == 404


def test_errors_are_never_kept(serving_settings, identity_provider):
    with started(serving_settings) as client:
        client.headers.update(_bearer(identity_provider))
        for path in (
            "/v1/customers/NOBODY/lifetime-value",  # 404
            "/v1/funnel/daily?start=1997-02-01&end=1997-01-01",  # 400
            "/v1/funnel/daily?start=0&end=1997-01-01",  # 422
        ):
            for _ in range(2):
                response = client.get(path)
                assert response.status_code >= 400 and "etag" not in response.headers
                assert response.headers["cache-control"] == "no-store"
        cache = client.app.state.cache
        assert (cache.hits, cache.misses, cache.state().entries) == (0, 0, 0)


def test_readiness_reports_the_cache(serving_settings, identity_provider):
    with started(serving_settings) as client:
        client.headers.update(_bearer(identity_provider))
        client.get(FUNNEL)
        client.get(FUNNEL)
        reported = client.get("/health/database").json()["response_cache"]
        assert reported["hits"] == 1 and reported["misses"] == 1 and reported["entries"] == 1
        assert 0 < reported["bytes"] <= reported["max_bytes"] and reported["version_age_seconds"] < 5


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _entry(size: int) -> Entry:
    return Entry(b"x" * size, b'"tag"', Permission.ANALYTICS)


def test_the_cache_holds_at_most_its_bound_in_bytes_dropping_the_least_recently_used():
    cache = ResponseCache(max_bytes=16 * 4096, stale_seconds=10, clock=Clock())
    cache.observe((("serving.daily_sales", 1),))
    for number in range(100):
        cache.put(("/v1/sales/daily", (("page", str(number)),)), _entry(1024), cache.version)
        assert cache.state().bytes <= cache.max_bytes
    kept = cache.state().entries
    assert kept == cache.max_bytes // (1024 + ENTRY_OVERHEAD_BYTES)
    assert cache.get(("/v1/sales/daily", (("page", "99"),))) is not None
    assert cache.get(("/v1/sales/daily", (("page", "0"),))) is None
    # A body larger than a sixteenth of the bound is answered but not kept.
    cache.put(("/v1/sales/daily", (("page", "huge"),)), _entry(4096), cache.version)
    assert cache.get(("/v1/sales/daily", (("page", "huge"),))) is None


def test_nothing_kept_is_answered_once_the_versions_went_unread_too_long_or_changed_meanwhile():
    clock = Clock()
    cache = ResponseCache(max_bytes=1 << 20, stale_seconds=10, clock=clock)
    key = ("/v1/funnel/daily", ())
    cache.put(key, _entry(10), None)
    assert cache.get(key) is None  # never read: nothing kept
    cache.observe((("serving.clickstream_funnel_daily", 1),))
    cache.put(key, _entry(10), cache.version)
    assert cache.get(key) is not None
    clock.now = 10.5
    assert cache.get(key) is None  # the database did not answer the last reads
    cache.observe((("serving.clickstream_funnel_daily", 1),))
    assert cache.get(key) is not None
    # A response read before a change and finished after it is not kept.
    started_at = cache.version
    cache.observe((("serving.clickstream_funnel_daily", 2),))
    cache.put(key, _entry(10), started_at)
    assert cache.get(key) is None
    assert ResponseCache(max_bytes=0, stale_seconds=10).serving is False


def test_every_serving_table_raises_its_version_when_it_changes(serving_settings):
    with _owner(serving_settings) as owner:
        tables = [
            name
            for (name,) in owner.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'serving' AND tablename <> 'table_versions'"
            )
        ]
        triggered = {
            name
            for (name,) in owner.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'raise_table_version' AND NOT t.tgisinternal"
            )
        }
        assert tables and set(tables) == triggered, "a serving table without the version trigger: add it"
        versions = dict(owner.execute("SELECT table_name, version FROM serving.table_versions").fetchall())
        owner.execute("DELETE FROM serving.daily_sales WHERE country = 'France'")
        after = dict(owner.execute("SELECT table_name, version FROM serving.table_versions").fetchall())
        assert after["daily_sales"] == versions["daily_sales"] + 1
        assert {k: v for k, v in after.items() if k != "daily_sales"} == {
            k: v for k, v in versions.items() if k != "daily_sales"
        }


@pytest.mark.parametrize("role", ["analytics_service"])
def test_the_api_role_reads_the_versions_and_cannot_change_them(serving_settings, role):
    conninfo = f"host={serving_settings.db_host} port={serving_settings.db_port} dbname={serving_settings.db_name}"
    with psycopg.connect(f"{conninfo} user={role}", autocommit=True) as connection:
        assert connection.execute("SELECT count(*) FROM serving.table_versions").fetchone()[0] >= 5
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("UPDATE serving.table_versions SET version = 0")


def test_without_readable_versions_nothing_is_kept_and_the_cause_is_logged_once(
    serving_settings, identity_provider, caplog
):
    with _owner(serving_settings) as owner:
        owner.execute("DROP TABLE serving.table_versions CASCADE")  # a database the migration has not reached
    app = create_app(serving_settings.model_copy(update={"response_cache_refresh_seconds": 0.05}))
    with caplog.at_level("ERROR", logger="northwind_analytics.cache"), TestClient(app) as client:
        client.headers.update(_bearer(identity_provider))
        for _ in range(3):
            assert client.get(FUNNEL).status_code == 200
            time.sleep(0.1)
        assert (app.state.cache.hits, app.state.cache.state().entries) == (0, 0)
    unreadable = [r for r in caplog.records if "serving versions unreadable" in r.getMessage()]
    assert len(unreadable) == 1


def test_the_version_reader_stops_even_when_a_cancellation_is_lost():
    # asyncio.wait_for (Python 3.11) can swallow a cancellation that arrives as the query completes; the reader
    # must still end when the worker shuts down, or the shutdown waits forever.
    async def scenario() -> None:
        started = asyncio.Event()

        async def fetch_swallowing_cancellation(_sql: str) -> list[dict]:
            started.set()
            # What a lost cancellation looks like to the caller: the query just returns.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(10)
            return [{"table_name": "daily_sales", "version": 1}]

        stop = asyncio.Event()
        cache = ResponseCache(max_bytes=1 << 20, stale_seconds=10)
        reader = asyncio.create_task(follow_serving_versions(fetch_swallowing_cancellation, cache, 60, stop))
        await started.wait()
        stop.set()
        reader.cancel()
        done, _ = await asyncio.wait({reader}, timeout=2)
        assert reader in done

    asyncio.run(scenario())


def _versions_reader(outcomes: list, every_seconds: float, retry_seconds: float):
    """Runs the version reader over ``outcomes`` (rows, an exception, or ("slow", seconds, rows)) and returns the
    cache and the monotonic time each read started."""

    async def scenario() -> tuple[ResponseCache, list[float]]:
        starts: list[float] = []
        stop = asyncio.Event()
        cache = ResponseCache(max_bytes=1 << 20, stale_seconds=2 * every_seconds)

        async def fetch(_sql: str) -> list[dict]:
            starts.append(time.monotonic())
            outcome = outcomes[min(len(starts), len(outcomes)) - 1]
            if len(starts) >= len(outcomes):
                stop.set()
            if isinstance(outcome, Exception):
                raise outcome
            if isinstance(outcome, tuple):
                await asyncio.sleep(outcome[1])
                outcome = outcome[2]
            return outcome

        reader = asyncio.create_task(follow_serving_versions(fetch, cache, every_seconds, stop, retry_seconds))
        await asyncio.wait_for(reader, timeout=5)
        return cache, starts

    return asyncio.run(scenario())


VERSIONS = [{"table_name": "daily_sales", "version": 1}]


def test_a_failed_read_of_the_versions_is_retried_before_the_kept_responses_age_out():
    # One read past its deadline (a 503 from the database module) must not stop the cache: without a prompt
    # retry the next read comes a whole refresh later, after what is kept has aged out, and every request of the
    # worker goes to the database at once.
    lost = ServiceUnavailable("the database did not answer", {"Retry-After": "5"})
    cache, starts = _versions_reader([lost, VERSIONS], every_seconds=30, retry_seconds=0.05)
    assert len(starts) == 2 and starts[1] - starts[0] < 1
    assert cache.serving and cache.version == (("daily_sales", 1),)


def test_reads_of_the_versions_start_every_refresh_however_long_one_took():
    cache, starts = _versions_reader([("slow", 0.3, VERSIONS), VERSIONS], every_seconds=0.4, retry_seconds=0.05)
    assert len(starts) == 2 and 0.35 < starts[1] - starts[0] < 0.55
    assert cache.serving


FUNNEL_TEMPLATE = "/v1/funnel/daily"


class CountingRoute:
    """An ASGI app standing in for the routes: answers after a pause, counting the requests it was given."""

    def __init__(self, status: int = 200, pause: float = 0.2) -> None:
        self.status, self.pause, self.calls = status, pause, 0

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        scope["route"] = SimpleNamespace(path=FUNNEL_TEMPLATE)
        await asyncio.sleep(self.pause)
        await send({"type": "http.response.start", "status": self.status, "headers": [(b"content-type", b"x")]})
        await send({"type": "http.response.body", "body": f"answer {self.calls}".encode()})


class KnownCallers:
    """Stands in for the token verifier: every token names the scopes it grants, comma-separated."""

    def known(self, token: str):
        return SimpleNamespace(permissions={Permission(scope) for scope in token.split(",")})


def _coalescing(route: CountingRoute) -> tuple[CachedResponses, ResponseCache]:
    cache = ResponseCache(max_bytes=1 << 20, stale_seconds=60)
    cache.observe((("clickstream_funnel_daily", 1),))
    return CachedResponses(route, cache, KnownCallers(), {FUNNEL_TEMPLATE: Permission.ANALYTICS}), cache


async def _get(app, path: str, scopes: str) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {scopes}".encode())],
    }
    await app(scope, None, send)
    return sent[0]["status"], sent[-1]["body"]


def _at_once(app, *requests: tuple[str, str]) -> list[tuple[int, bytes]]:
    async def all_of_them():
        return await asyncio.gather(*(_get(app, path, scopes) for path, scopes in requests))

    return asyncio.run(all_of_them())


def test_concurrent_misses_of_one_response_go_to_the_database_once():
    route = CountingRoute()
    app, cache = _coalescing(route)
    answers = _at_once(app, *[(FUNNEL_TEMPLATE, Permission.ANALYTICS.value)] * 8)
    assert route.calls == 1
    assert answers == [(200, b"answer 1")] * 8
    assert (cache.misses, cache.hits, cache.coalesced) == (1, 7, 7)
    # Concurrent misses of different keys each go through the route.
    _at_once(app, *((f"{FUNNEL_TEMPLATE}/{part}", Permission.ANALYTICS.value) for part in ("x", "y")))
    assert route.calls == 3


def test_waiting_callers_get_nothing_that_was_not_kept_or_that_they_may_not_read():
    failing = CountingRoute(status=503)
    app, cache = _coalescing(failing)
    answers = _at_once(app, *[(FUNNEL_TEMPLATE, Permission.ANALYTICS.value)] * 3)
    # The error is not kept: each waiting caller went through the route itself, after the first.
    assert failing.calls == 3 and [status for status, _ in answers] == [503] * 3
    assert cache.coalesced == 0

    route = CountingRoute()
    app, cache = _coalescing(route)
    answers = _at_once(
        app, (FUNNEL_TEMPLATE, Permission.ANALYTICS.value), (FUNNEL_TEMPLATE, Permission.CUSTOMERS.value)
    )
    # The caller without the route's scope waited, then went through the route, which decides what it gets.
    assert route.calls == 2 and cache.coalesced == 0 and answers[0] == (200, b"answer 1")
