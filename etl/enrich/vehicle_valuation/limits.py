"""Cost and rate limits: the client-side rate limiter, server wait hints, the monthly quota and the run budget.

Counting conventions: a *call* is an HTTP request sent (retries included) and is what the run budget caps; a
*billable* call is one answered with a status other than 403 and 429: those come from RapidAPI's gateway
(refused key, rate limit, quota) before the API is reached, so they are not counted against the subscription.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from pyrate_limiter import Limiter, Rate

from etl.enrich.vehicle_valuation.errors import BudgetExhaustedError, QuotaExhaustedError
from etl.enrich.vehicle_valuation.settings import AUDIT_PREFIX, ClientSettings
from etl.lake import LakeStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC: the default clock (tests inject their own)."""
    return datetime.now(UTC)


def utc_iso(moment: datetime) -> str:
    """``2026-11-29T06:00:00Z``: the form of every time the client writes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


NOT_BILLED_STATUSES = frozenset({403, 429})


def build_rate_limiter(settings: ClientSettings) -> Limiter:
    """At most ``requests_per_window`` requests per ``rate_window_ms``; ``try_acquire`` blocks until allowed."""
    return Limiter(Rate(settings.requests_per_window, settings.rate_window_ms))


def server_wait_hint(headers: Mapping[str, str], now: datetime) -> float:
    """Seconds the server asks us to wait: the larger of ``Retry-After`` and ``x-ratelimit-reset``, else 0.

    ``Retry-After`` is seconds or an HTTP date. ``x-ratelimit-requests-reset`` is not a wait hint: it is the time
    to the monthly quota reset, handled by ``QuotaStatus``.
    """
    hints = [_seconds(headers.get("x-ratelimit-reset"))]
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        seconds = _seconds(retry_after)
        if seconds == 0.0:
            seconds = _seconds_until_http_date(retry_after, now)
        hints.append(seconds)
    return max(hints)


def _seconds(value: str | None) -> float:
    try:
        return max(float(value), 0.0) if value is not None else 0.0
    except ValueError:
        return 0.0


def _seconds_until_http_date(value: str, now: datetime) -> float:
    try:
        return max((parsedate_to_datetime(value) - now).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return 0.0


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class QuotaStatus:
    """The subscription's monthly quota as last reported by ``x-ratelimit-requests-*`` headers."""

    limit: int | None = None
    remaining: int | None = None
    resets_at: datetime | None = None

    def updated(self, headers: Mapping[str, str], now: datetime) -> QuotaStatus:
        """This status with whatever the response's headers report."""
        reset_in = _integer(headers.get("x-ratelimit-requests-reset"))
        return QuotaStatus(
            limit=_integer(headers.get("x-ratelimit-requests-limit")) or self.limit,
            remaining=_first_known(_integer(headers.get("x-ratelimit-requests-remaining")), self.remaining),
            resets_at=now + timedelta(seconds=reset_in) if reset_in is not None else self.resets_at,
        )

    def exhausted(self, now: datetime) -> bool:
        """No request left before the reset (an unknown reset time counts as not yet reached)."""
        return self.remaining is not None and self.remaining <= 0 and (self.resets_at is None or now < self.resets_at)


def _first_known(value: int | None, fallback: int | None) -> int | None:
    return fallback if value is None else value


@dataclass
class MonthlyUsage:
    """Calls of one calendar month (UTC) across runs, persisted in the lake after every call."""

    month: str
    calls_made: int = 0
    billable_calls: int = 0
    quota: QuotaStatus = field(default_factory=QuotaStatus)

    @staticmethod
    def key(month: str) -> str:
        """Lake key of a month's counters, e.g. ``raw/_audit/vehicle_valuations/usage/month=2026-11.json``."""
        return f"{AUDIT_PREFIX}/usage/month={month}.json"

    @classmethod
    def load(cls, store: LakeStore, now: datetime) -> MonthlyUsage:
        """The counters of ``now``'s month, zero when the month has none yet."""
        month = now.strftime("%Y-%m")
        if not store.exists(cls.key(month)):
            return cls(month=month)
        saved = json.loads(store.get_bytes(cls.key(month)))
        quota = saved.get("quota", {})
        resets_at = quota.get("resets_at")
        return cls(
            month=month,
            calls_made=int(saved.get("calls_made", 0)),
            billable_calls=int(saved.get("billable_calls", 0)),
            quota=QuotaStatus(
                limit=quota.get("limit"),
                remaining=quota.get("remaining"),
                resets_at=datetime.fromisoformat(resets_at) if resets_at else None,
            ),
        )

    def save(self, store: LakeStore) -> None:
        """Write the counters back to the lake."""
        quota = asdict(self.quota)
        quota["resets_at"] = self.quota.resets_at.isoformat() if self.quota.resets_at else None
        document = {**asdict(self), "quota": quota}
        store.put_bytes(self.key(self.month), json.dumps(document, indent=2).encode("utf-8"))


@dataclass
class CostControl:
    """The run budget, the monthly quota and the call counters, consulted around every HTTP request."""

    store: LakeStore
    budget: int
    clock: Clock
    usage: MonthlyUsage
    calls_made: int = 0
    billable_calls: int = 0

    @classmethod
    def open(cls, store: LakeStore, budget: int, clock: Clock) -> CostControl:
        """Cost control for a new run, starting from the month's persisted usage and quota."""
        return cls(store=store, budget=budget, clock=clock, usage=MonthlyUsage.load(store, clock()))

    @property
    def quota(self) -> QuotaStatus:
        """The monthly quota as last reported."""
        return self.usage.quota

    def admit(self) -> None:
        """Raise when one more request would break the run budget or the monthly quota."""
        if self.calls_made >= self.budget:
            raise BudgetExhaustedError(
                f"run budget of {self.budget} API call(s) reached; raise --budget to look up the remaining plates"
            )
        if self.quota.exhausted(self.clock()):
            resets = self.quota.resets_at.isoformat() if self.quota.resets_at else "an unknown time"
            raise QuotaExhaustedError(
                f"monthly quota of the RapidAPI subscription is used up (limit {self.quota.limit}); "
                f"it resets at {resets}"
            )

    def record_sent(self) -> None:
        """Count a request as it is sent."""
        self.calls_made += 1
        self.usage.calls_made += 1
        self.usage.save(self.store)

    def record_response(self, status_code: int, headers: Mapping[str, str]) -> None:
        """Count a billable answer and take the quota the headers report."""
        if status_code not in NOT_BILLED_STATUSES:
            self.billable_calls += 1
            self.usage.billable_calls += 1
        self.usage.quota = self.usage.quota.updated(headers, self.clock())
        self.usage.save(self.store)

    def mark_quota_exhausted(self) -> None:
        """Record that the API refused a request for lack of quota, whatever the headers said."""
        self.usage.quota = replace(self.usage.quota, remaining=0)
        self.usage.save(self.store)
