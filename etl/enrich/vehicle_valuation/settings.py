"""Typed, validated settings of the valuation client; every default is documented beside its field."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_BASE_URL = "https://vehicle-market-value.p.rapidapi.com"
API_HOST = "vehicle-market-value.p.rapidapi.com"
LOCAL_KEY_ENV_VAR = "RAPIDAPI_KEY"
DATASET = "vehicle_valuations"
# Audit trail and usage counters live beside the raw data but outside the dataset's own prefix.
AUDIT_PREFIX = f"raw/_audit/{DATASET}"


class ClientSettings(BaseModel):
    """How the client calls the API, retries, limits itself and caches."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(DEFAULT_BASE_URL, pattern=r"^https?://", description="Root of the API (default RapidAPI).")
    api_host: str = Field(API_HOST, description="Value of the x-rapidapi-host header (default the RapidAPI host).")
    connect_timeout_s: float = Field(3.05, gt=0, description="TCP connect timeout (default 3.05 s).")
    read_timeout_s: float = Field(15.0, gt=0, description="Wait for the response (default 15 s).")
    max_attempts: int = Field(4, ge=1, le=10, description="HTTP attempts per lookup, first included (default 4).")
    backoff_initial_s: float = Field(0.5, ge=0, description="First exponential backoff step (default 0.5 s).")
    backoff_max_s: float = Field(8.0, ge=0, description="Largest exponential backoff step (default 8 s).")
    backoff_jitter_s: float = Field(0.5, ge=0, description="Random jitter added to each backoff (default 0.5 s).")
    max_wait_s: float = Field(
        60.0, ge=0, description="Cap on any wait before a retry, server hints included (default 60 s)."
    )
    requests_per_window: int = Field(5, ge=1, description="Client-side rate limit: requests per window (default 5).")
    rate_window_ms: int = Field(1000, ge=1, description="Window of the client-side rate limit (default 1000 ms).")
    breaker_failure_threshold: int = Field(
        5, ge=1, description="Consecutive failed requests that open the circuit breaker (default 5)."
    )
    breaker_reset_s: float = Field(120.0, gt=0, description="Time the breaker stays open (default 120 s).")
    cache_ttl: timedelta = Field(
        timedelta(days=7), description="A cached valuation younger than this is reused (default 7 days)."
    )
    run_budget: int = Field(100, ge=0, description="Hard cap on HTTP requests in one run (default 100).")
