"""Lookups with cache, cost control and audit, one at a time or as a batch run.

A lookup first tries the raw-zone cache (free), then the API. When the run must stop calling (budget spent,
quota exhausted, key refused), later plates are still served from the cache and the others are reported as
not looked up, each with the reason; nothing is dropped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from etl.enrich.vehicle_valuation.audit import AuditLog, AuditRecord
from etl.enrich.vehicle_valuation.cache import ValuationCache
from etl.enrich.vehicle_valuation.client import ValuationApiClient
from etl.enrich.vehicle_valuation.errors import (
    BudgetExhaustedError,
    LookupFailedError,
    NotSubscribedError,
    QuotaExhaustedError,
    RunStoppedError,
)
from etl.enrich.vehicle_valuation.limits import Clock, CostControl, utc_iso, utc_now
from etl.enrich.vehicle_valuation.settings import ClientSettings
from etl.enrich.vehicle_valuation.validation import LookupRequest
from etl.lake import LakeStore


class Outcome(StrEnum):
    """What became of one lookup."""

    FETCHED = "fetched"
    CACHED = "cached"
    FAILED = "failed"
    NOT_LOOKED_UP = "not_looked_up"


class StopReason(StrEnum):
    """Why a run stopped calling the API."""

    BUDGET = "budget"
    QUOTA = "quota"
    NOT_SUBSCRIBED = "not_subscribed"


_STOP_REASONS = {
    BudgetExhaustedError: StopReason.BUDGET,
    QuotaExhaustedError: StopReason.QUOTA,
    NotSubscribedError: StopReason.NOT_SUBSCRIBED,
}


@dataclass(frozen=True)
class LookupResult:
    """One lookup's result; ``document`` is the raw-zone document when a valuation was fetched or cached."""

    plate_sha256: str
    state_code: str
    outcome: Outcome
    status_code: int | None = None
    calls: int = 0
    message: str | None = None
    document: dict[str, object] | None = None
    stop_reason: StopReason | None = None

    @property
    def retries(self) -> int:
        """Requests beyond the first."""
        return max(self.calls - 1, 0)


@dataclass
class RunSummary:
    """Figures of one batch run."""

    results: list[LookupResult] = field(default_factory=list)
    invalid_inputs: list[str] = field(default_factory=list)
    stop_reason: StopReason | None = None
    stop_message: str | None = None
    calls_made: int = 0
    billable_calls: int = 0
    month_billable_calls: int = 0
    quota_remaining: int | None = None
    quota_limit: int | None = None

    def count(self, outcome: Outcome) -> int:
        """Lookups that ended with ``outcome``."""
        return sum(1 for result in self.results if result.outcome is outcome)

    @property
    def retries(self) -> int:
        """Retried requests over the run."""
        return sum(result.retries for result in self.results)

    @property
    def budget_stops(self) -> int:
        """Plates not looked up because the run budget was spent."""
        return sum(1 for result in self.results if result.stop_reason is StopReason.BUDGET)


@dataclass
class ValuationEnricher:
    """Looks plates up through the cache and the API, auditing every lookup."""

    client: ValuationApiClient
    cache: ValuationCache
    cost: CostControl
    audit: AuditLog
    clock: Clock

    @classmethod
    def open(
        cls,
        store: LakeStore,
        settings: ClientSettings,
        api_key: str,
        *,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        run_id: str | None = None,
    ) -> ValuationEnricher:
        """An enricher for one run over ``store``: its cost control, cache, audit file and API client."""
        cost = CostControl.open(store, settings.run_budget, clock)
        return cls(
            client=ValuationApiClient(settings, api_key, cost, sleep=sleep),
            cache=ValuationCache(store, settings.cache_ttl),
            cost=cost,
            audit=AuditLog(store, run_id or uuid.uuid4().hex[:12], clock().date()),
            clock=clock,
        )

    def lookup(self, request: LookupRequest) -> LookupResult:
        """The valuation of ``request`` from the cache, else from the API."""
        return self._resolve(request, self._from_api)

    def lookup_cached_only(self, request: LookupRequest, reason: StopReason, message: str) -> LookupResult:
        """The cached valuation of ``request``, else a not-looked-up result giving the run's stop ``reason``."""

        def not_looked_up(request: LookupRequest, _: datetime) -> LookupResult:
            return _result(request, Outcome.NOT_LOOKED_UP, message=message, stop_reason=reason)

        return self._resolve(request, not_looked_up)

    def run(
        self,
        requests: Iterable[LookupRequest],
        invalid_inputs: Iterable[str] = (),
        on_result: Callable[[LookupResult], None] | None = None,
    ) -> RunSummary:
        """Look every request up in order; once the run must stop calling, serve the rest from the cache only.

        ``on_result`` sees each result as it happens (the CLI prints progress with it).
        """
        summary = RunSummary(invalid_inputs=list(invalid_inputs))
        for request in requests:
            if summary.stop_reason is None:
                result = self.lookup(request)
                if result.stop_reason is not None:
                    summary.stop_reason, summary.stop_message = result.stop_reason, result.message
            else:
                result = self.lookup_cached_only(request, summary.stop_reason, summary.stop_message or "")
            summary.results.append(result)
            if on_result is not None:
                on_result(result)
        summary.calls_made = self.cost.calls_made
        summary.billable_calls = self.cost.billable_calls
        summary.month_billable_calls = self.cost.usage.billable_calls
        summary.quota_remaining = self.cost.quota.remaining
        summary.quota_limit = self.cost.quota.limit
        return summary

    def _resolve(
        self, request: LookupRequest, on_cache_miss: Callable[[LookupRequest, datetime], LookupResult]
    ) -> LookupResult:
        started = time.perf_counter()
        requested_at = self.clock()
        cached = self.cache.find(request, requested_at)
        if cached is not None:
            result = _result(request, Outcome.CACHED, status_code=200, document=cached)
        else:
            result = on_cache_miss(request, requested_at)
        self.audit.append(
            AuditRecord(
                requested_at=utc_iso(requested_at),
                plate_sha256=result.plate_sha256,
                state_code=result.state_code,
                outcome=result.outcome.value,
                status_code=result.status_code,
                latency_ms=round((time.perf_counter() - started) * 1000),
                cache_hit=result.outcome is Outcome.CACHED,
                calls=result.calls,
                retries=result.retries,
                quota_remaining=self.cost.quota.remaining,
                message=result.message,
            )
        )
        return result

    def _from_api(self, request: LookupRequest, requested_at: datetime) -> LookupResult:
        calls_before = self.cost.calls_made
        try:
            answer = self.client.fetch(request)
        except LookupFailedError as error:
            result = _result(request, Outcome.FAILED, message=str(error))
        except RunStoppedError as error:
            result = _result(request, Outcome.NOT_LOOKED_UP, message=str(error), stop_reason=_STOP_REASONS[type(error)])
        else:
            document = self.cache.save(request, requested_at, answer.body)
            result = _result(request, Outcome.FETCHED, status_code=answer.status_code, document=document)
        return replace(result, calls=self.cost.calls_made - calls_before)


def _result(request: LookupRequest, outcome: Outcome, **details: Any) -> LookupResult:
    return LookupResult(plate_sha256=request.plate_sha256, state_code=request.state_code, outcome=outcome, **details)
