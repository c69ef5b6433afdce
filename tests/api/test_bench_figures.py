"""How ``make bench-api`` turns its rounds into rows, counts the CPU time behind them, and checks the targets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from scripts.bench_api import Figures, Row, check_targets, cpu_seconds, median_figures, process_tree, round_order

LOAD = (0.5, 0.5, 0.5)


def figures(rps: float, p99_ms: float = 5.0, errors: int = 0) -> Figures:
    return Figures(rps=rps, p50_ms=p99_ms / 2, p99_ms=p99_ms, errors=errors)


def test_each_round_starts_at_another_connection_count_and_measures_every_count_once():
    orders = [round_order([8, 32, 64], index) for index in range(3)]

    assert orders == [[8, 32, 64], [32, 64, 8], [64, 8, 32]]
    assert [order[0] for order in orders] == [8, 32, 64]
    assert round_order([8, 32, 64], 3) == [8, 32, 64]


def test_a_row_is_the_median_of_its_rounds_and_an_error_in_any_round_counts():
    samples = [figures(900, p99_ms=40), figures(1_200, p99_ms=6), figures(1_000, p99_ms=8, errors=2)]

    median = median_figures(samples)

    assert median.rps == 1_000
    assert median.p99_ms == 8
    assert median.errors == 2


def test_one_slow_round_no_longer_decides_whether_more_connections_serve_less():
    # The machine slowed down during the first round at 64 connections only.
    at_8 = [figures(10_000), figures(10_100), figures(9_900)]
    at_64 = [figures(8_000), figures(10_050), figures(9_950)]
    rows = [
        Row("health", "kept", 8, median_figures(at_8), None, LOAD, rounds=at_8),
        Row("health", "kept", 64, median_figures(at_64), None, LOAD, rounds=at_64),
    ]

    check_targets(rows)

    assert [row.problems for row in rows] == [[], []]
    single = [Row("health", "kept", 8, at_8[0], None, LOAD), Row("health", "kept", 64, at_64[0], None, LOAD)]
    check_targets(single)
    assert single[1].problems == ["less than at 8 connections"]


@pytest.mark.parametrize(("database_rps", "share", "missed"), [(3_000, 0.3, True), (6_000, 0.6, False)])
def test_every_pass_is_compared_with_health_and_with_the_pgbench_of_its_route(database_rps, share, missed):
    rows = [
        Row("health", "kept", 8, figures(10_000), None, LOAD),
        Row("sales", "kept", 8, figures(12_000), figures(4_000), LOAD),
        Row("sales", "database", 8, figures(database_rps), None, LOAD),
    ]

    check_targets(rows)

    kept, database = rows[1], rows[2]
    assert kept.share_of_health == pytest.approx(1.2)
    assert kept.problems == []
    assert database.share_of_health == pytest.approx(share)
    assert database.share_of_pgbench == pytest.approx(database_rps / 4_000)
    assert ("< 60% of /health" in database.problems) is missed


def test_a_route_below_its_absolute_targets_at_8_connections_says_which():
    rows = [
        Row("health", "kept", 8, figures(600), None, LOAD),
        Row("customers", "database", 8, figures(450, p99_ms=31, errors=1), None, LOAD),
    ]

    check_targets(rows)

    assert rows[1].problems == ["1 errors", "< 500 rps", "p99 > 30 ms"]


def test_the_cpu_per_request_is_the_median_of_the_rounds_that_measured_it():
    samples = [
        Figures(rps=1_000, p50_ms=1, p99_ms=2, errors=0, api_cpu_us=90, wrk_cpu_us=30),
        Figures(rps=1_100, p50_ms=1, p99_ms=2, errors=0, api_cpu_us=80, wrk_cpu_us=40),
        Figures(rps=1_200, p50_ms=1, p99_ms=2, errors=0, api_cpu_us=70, wrk_cpu_us=None),
    ]

    median = median_figures(samples)

    assert (median.api_cpu_us, median.wrk_cpu_us) == (80, 35)
    assert median_figures([figures(1_000)]).api_cpu_us is None


def test_the_api_processes_are_the_supervisor_and_its_children_and_their_cpu_time_grows_as_they_work():
    # A supervisor that sleeps and one worker that spins, like uvicorn's under load.
    busy = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'while 1: pass']); time.sleep(60)"
    supervisor = subprocess.Popen([sys.executable, "-c", busy])
    try:
        deadline = time.monotonic() + 10
        while len(pids := process_tree(supervisor.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        used = cpu_seconds(pids)
        time.sleep(0.5)

        assert pids[0] == supervisor.pid and len(pids) == 2
        assert cpu_seconds(pids) - used >= 0.2
    finally:
        for pid in process_tree(supervisor.pid)[1:]:
            os.kill(pid, signal.SIGKILL)
        supervisor.kill()
        supervisor.wait()
