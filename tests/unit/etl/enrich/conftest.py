"""Fixtures of the valuation client tests: the RapidAPI stub on loopback, a local lake, a fake clock and sleep."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from etl.enrich.vehicle_valuation.enricher import ValuationEnricher
from etl.enrich.vehicle_valuation.settings import ClientSettings
from etl.lake import LocalLakeStore
from tests.support.rapidapi_stub import RapidApiStub

API_KEY = "test-rapidapi-key-5f1d0c9e"
START = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class SleepRecorder:
    """Stands in for time.sleep between retries: records each wait instead of sleeping."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def stub() -> Iterator[RapidApiStub]:
    """The stub API on 127.0.0.1, accepting API_KEY."""
    with RapidApiStub(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def lake(tmp_path: Path) -> LocalLakeStore:
    return LocalLakeStore(tmp_path / "lake")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


def fast_settings(base_url: str, **overrides: object) -> ClientSettings:
    """Settings with tiny backoffs and timeouts, so a test never waits for real seconds."""
    values: dict[str, object] = {
        "base_url": base_url,
        # Generous against a loaded machine: a spurious timeout would retry and shift the scripted replies.
        "read_timeout_s": 3.0,
        "connect_timeout_s": 3.0,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "backoff_jitter_s": 0.0,
        "max_wait_s": 5.0,
        "requests_per_window": 1000,
        "run_budget": 50,
    }
    values.update(overrides)
    return ClientSettings(**values)


@pytest.fixture
def open_enricher(stub: RapidApiStub, lake: LocalLakeStore, clock: FakeClock, sleeps: SleepRecorder):
    """Builds an enricher against the stub: ``open_enricher(**settings_overrides)``."""

    def build(api_key: str = API_KEY, **overrides: object) -> ValuationEnricher:
        return ValuationEnricher.open(
            lake, fast_settings(stub.base_url, **overrides), api_key, clock=clock, sleep=sleeps, run_id="test"
        )

    return build
