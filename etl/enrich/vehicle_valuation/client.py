"""HTTP access to ``GET /vmv``: timeouts, retries with backoff and jitter, a client-side rate limit and a breaker.

Retries (tenacity) cover 429 rate limits, 5xx answers, connection errors and timeouts; each wait is the
exponential backoff or the server's ``Retry-After`` / ``x-ratelimit-reset`` hint, whichever is longer, capped.
403 and an exhausted monthly quota stop at once. The breaker (pybreaker) counts 5xx, connection failures,
timeouts and malformed bodies; a 429 is the server pacing us, not failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pybreaker
import requests
from pydantic import SecretStr
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base

from etl.enrich.vehicle_valuation.errors import (
    CircuitOpenError,
    LookupFailedError,
    NotSubscribedError,
    QuotaExhaustedError,
)
from etl.enrich.vehicle_valuation.limits import CostControl, build_rate_limiter, server_wait_hint
from etl.enrich.vehicle_valuation.settings import ClientSettings
from etl.enrich.vehicle_valuation.validation import LookupRequest

logger = logging.getLogger(__name__)

ENDPOINT = "/vmv"
_LIMITER_ITEM = "vmv"


class TransientFailureError(Exception):
    """An attempt worth retrying (5xx, connection error, timeout); ``wait_hint_s`` is the server's ask."""

    def __init__(self, description: str, wait_hint_s: float = 0.0) -> None:
        super().__init__(description)
        self.wait_hint_s = wait_hint_s


class RateLimitedError(TransientFailureError):
    """A 429 for the per-second rate limit: retried after the server's hint, not a breaker failure."""


class UnexpectedStatusError(LookupFailedError):
    """A 4xx other than 403/429: the request is wrong for the API; neither retried nor a breaker failure."""


class WaitForServerHint(wait_base):
    """The longer of a fallback backoff and the failure's server hint, capped at ``cap_s``."""

    def __init__(self, fallback: wait_base, cap_s: float) -> None:
        self.fallback = fallback
        self.cap_s = cap_s

    def __call__(self, retry_state: RetryCallState) -> float:
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        hint = failure.wait_hint_s if isinstance(failure, TransientFailureError) else 0.0
        return min(self.cap_s, max(self.fallback(retry_state), hint))


@dataclass(frozen=True)
class ApiAnswer:
    """A 200 answer with a JSON body, as received."""

    status_code: int
    body: object


class ValuationApiClient:
    """Calls ``GET /vmv`` for validated lookups, within the cost limits of ``cost``.

    ``sleep`` is what waits between retries (tests pass a recorder instead of sleeping).
    """

    def __init__(
        self,
        settings: ClientSettings,
        api_key: str,
        cost: CostControl,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._api_key = SecretStr(api_key)
        self._cost = cost
        self._session = requests.Session()
        self._limiter = build_rate_limiter(settings)
        self._sleep = sleep
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=settings.breaker_failure_threshold,
            reset_timeout=settings.breaker_reset_s,
            exclude=[RateLimitedError, UnexpectedStatusError, NotSubscribedError, QuotaExhaustedError],
            name="vehicle-market-value",
        )

    def __repr__(self) -> str:
        return f"ValuationApiClient(base_url={self._settings.base_url!r}, breaker={self._breaker.current_state!r})"

    @property
    def breaker_state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        return str(self._breaker.current_state)

    def fetch(self, request: LookupRequest) -> ApiAnswer:
        """The 200 answer for ``request``, retrying transient failures; raises a ``ValuationError`` otherwise."""
        settings = self._settings
        retrying = Retrying(
            retry=retry_if_exception_type(TransientFailureError),
            stop=stop_after_attempt(settings.max_attempts),
            wait=WaitForServerHint(
                wait_exponential_jitter(
                    multiplier=settings.backoff_initial_s, max=settings.backoff_max_s, jitter=settings.backoff_jitter_s
                ),
                cap_s=settings.max_wait_s,
            ),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, request)
        except TransientFailureError as failure:
            raise LookupFailedError(
                f"no valuation after {settings.max_attempts} attempts; last failure: {failure}"
            ) from None
        except pybreaker.CircuitBreakerError:
            raise CircuitOpenError(
                f"circuit breaker open after {settings.breaker_failure_threshold} consecutive failed requests; "
                f"calls are short-circuited for {settings.breaker_reset_s:g} s"
            ) from None

    def _attempt(self, request: LookupRequest) -> ApiAnswer:
        self._cost.admit()
        self._limiter.try_acquire(_LIMITER_ITEM)
        return self._breaker.call(self._send, request)

    def _send(self, request: LookupRequest) -> ApiAnswer:
        settings = self._settings
        self._cost.record_sent()
        try:
            response = self._session.get(
                settings.base_url.rstrip("/") + ENDPOINT,
                params=request.query_params(),
                headers={"x-rapidapi-host": settings.api_host, "x-rapidapi-key": self._api_key.get_secret_value()},
                timeout=(settings.connect_timeout_s, settings.read_timeout_s),
            )
        # The exceptions' own text holds the URL with the plate, so only their kind is kept.
        except requests.Timeout as error:
            raise TransientFailureError(f"request timed out ({type(error).__name__})") from None
        except requests.ConnectionError as error:
            raise TransientFailureError(f"connection failed ({type(error).__name__})") from None
        self._cost.record_response(response.status_code, response.headers)
        return self._answer(response)

    def _answer(self, response: requests.Response) -> ApiAnswer:
        status = response.status_code
        if status == 200:
            try:
                return ApiAnswer(status_code=200, body=response.json())
            except ValueError:
                raise LookupFailedError("the API answered 200 with a body that is not valid JSON") from None
        message = _api_message(response)
        if status == 403:
            raise NotSubscribedError(
                f"the API answered 403 {message!r}: the key is wrong or its RapidAPI subscription is not active; "
                "check the secret and the subscription (retrying cannot help)"
            )
        if status == 429 and (self._cost.quota.remaining == 0 or "quota" in message.lower()):
            self._cost.mark_quota_exhausted()
            raise QuotaExhaustedError(f"the API answered 429 {message!r}: the monthly quota is used up")
        hint = server_wait_hint(response.headers, self._cost.clock())
        if status == 429:
            raise RateLimitedError(f"rate limited (429 {message!r})", wait_hint_s=hint)
        if status >= 500:
            raise TransientFailureError(f"server error {status}", wait_hint_s=hint)
        raise UnexpectedStatusError(f"the API answered {status} {message!r}")


def _api_message(response: requests.Response) -> str:
    """The ``message`` of a JSON error body, else the start of the text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, Mapping) and "message" in body:
        return str(body["message"])
    return response.text[:200]


def _log_retry(retry_state: RetryCallState) -> None:
    failure = retry_state.outcome.exception() if retry_state.outcome else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    logger.warning(
        "valuation request attempt %d failed (%s); retrying in %.2f s", retry_state.attempt_number, failure, wait
    )
