"""The valuation client's own errors; the CLI turns each into one line for the user."""

from __future__ import annotations


class ValuationError(Exception):
    """Base of every error the valuation client raises on purpose."""


class InvalidLookupError(ValuationError, ValueError):
    """A plate, state code, mileage or period breaks its rule; raised before any call is made."""


class LookupFailedError(ValuationError):
    """One lookup got no valuation (retries exhausted, malformed body, unexpected status); the run goes on."""


class CircuitOpenError(LookupFailedError):
    """The circuit breaker is open after repeated failures: the lookup was short-circuited without a call."""


class RunStoppedError(ValuationError):
    """Calling further in this run would waste money or break a limit; the remaining plates are not looked up."""


class NotSubscribedError(RunStoppedError):
    """The API answered 403: the key is wrong or its subscription is not active. Retrying cannot help."""


class QuotaExhaustedError(RunStoppedError):
    """The monthly request quota of the subscription is used up until it resets."""


class BudgetExhaustedError(RunStoppedError):
    """The run's hard budget of HTTP requests is spent."""
