"""Concurrent curation keeps the order the foreign keys need and isolates a failing dataset.

The curation itself is replaced by a recorder (these tests are about scheduling, not Spark); the datasets and
their foreign keys are the real contracts'.
"""

from __future__ import annotations

import threading
import time

import pytest

from etl.curate.concurrent import CurationOutcome, curate_concurrently, run_parents

DATASETS = ("orders", "order_lines", "customers", "products", "clickstream_events", "market_indicators")


class Recorder:
    """Records when each dataset's curation starts and ends, and how many run at once."""

    def __init__(self, hold: float = 0.02, fail: frozenset[str] = frozenset()) -> None:
        self.hold, self.fail = hold, fail
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []
        self.running = self.most_running = 0

    def __call__(self, dataset: str) -> str:
        with self.lock:
            self.events.append(("start", dataset))
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            time.sleep(self.hold)
            if dataset in self.fail:
                raise RuntimeError(f"{dataset} broke")
            return f"report of {dataset}"
        finally:
            with self.lock:
                self.running -= 1
                self.events.append(("end", dataset))

    def at(self, kind: str, dataset: str) -> int:
        return self.events.index((kind, dataset))


def test_the_contracts_parents_are_the_run_parents_among_the_requested_datasets():
    parents = run_parents(DATASETS)

    assert parents == {
        "customers": frozenset(),
        "orders": frozenset({"customers"}),
        "order_lines": frozenset({"orders"}),
        "products": frozenset(),
        "clickstream_events": frozenset({"products"}),
        "market_indicators": frozenset(),
    }
    # A parent that is not requested is not waited for (its curated rows are read as they are).
    assert run_parents(("order_lines",)) == {"order_lines": frozenset()}


@pytest.mark.parametrize("parallelism", [1, 2, 3, 6])
def test_every_dataset_starts_after_the_parents_its_foreign_keys_name_have_ended(parallelism):
    recorder = Recorder()

    outcomes = list(curate_concurrently(DATASETS, recorder, parallelism))

    assert sorted(o.dataset for o in outcomes) == sorted(DATASETS)
    assert all(o.report == f"report of {o.dataset}" and o.error is None for o in outcomes)
    for child, parents in run_parents(DATASETS).items():
        for parent in parents:
            assert recorder.at("end", parent) < recorder.at("start", child), (child, parent, recorder.events)
    assert recorder.most_running <= parallelism


def test_datasets_without_a_foreign_key_between_them_are_curated_at_the_same_time():
    together = threading.Barrier(3, timeout=10)
    recorder = Recorder()

    def curate(dataset: str) -> str:
        if dataset in ("customers", "products", "market_indicators"):
            together.wait()  # breaks (and fails the dataset) unless all three run at once
        return recorder(dataset)

    outcomes = {o.dataset: o for o in curate_concurrently(DATASETS, curate, parallelism=3)}

    assert all(o.error is None for o in outcomes.values()), outcomes


def test_one_by_one_the_datasets_run_in_reference_order():
    recorder = Recorder(hold=0)

    list(curate_concurrently(DATASETS, recorder, parallelism=1))

    assert [d for kind, d in recorder.events if kind == "start"] == [
        "customers",
        "orders",
        "order_lines",
        "products",
        "clickstream_events",
        "market_indicators",
    ]


def test_a_failing_dataset_leaves_the_others_results_and_only_its_dependants_are_not_run():
    recorder = Recorder(fail=frozenset({"customers"}))

    outcomes = {o.dataset: o for o in curate_concurrently(DATASETS, recorder, parallelism=2)}

    assert str(outcomes["customers"].error) == "customers broke" and outcomes["customers"].report is None
    assert outcomes["orders"] == CurationOutcome("orders", blocked_by="customers")
    assert outcomes["order_lines"] == CurationOutcome("order_lines", blocked_by="orders")
    assert {d: outcomes[d].report for d in ("products", "clickstream_events", "market_indicators")} == {
        d: f"report of {d}" for d in ("products", "clickstream_events", "market_indicators")
    }
    started = {d for kind, d in recorder.events if kind == "start"}
    assert started == {"customers", "products", "clickstream_events", "market_indicators"}


def test_a_parallelism_below_one_is_refused():
    with pytest.raises(ValueError, match="parallelism must be 1 or more, got 0"):
        list(curate_concurrently(DATASETS, Recorder(), parallelism=0))
