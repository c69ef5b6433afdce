"""How ``make bench-api`` answers options it cannot use and a server that does not start: one line each."""

from __future__ import annotations

import subprocess
import sys

import pytest

from etl.pipeline import REPO_ROOT
from scripts import bench_api
from scripts.bench_api import option_problems, wait_until_serving

API_DIR = REPO_ROOT / "api"


def test_the_default_options_have_no_problem():
    assert option_problems([8, 32, 64], 6, 3, ["kept", "database"], list(bench_api.DATA_ROUTES), API_DIR) == []


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"counts": []}, "--connections"),
        ({"counts": [0, 8]}, "--connections"),
        ({"seconds": 0}, "--seconds"),
        ({"rounds": 0}, "--rounds"),
        ({"passes": ["cold"]}, "--passes needs some of kept, database"),
        ({"routes": ["customers", "orders"]}, "not orders"),
        ({"api_dir": REPO_ROOT}, f"--api-dir {REPO_ROOT} holds no northwind_analytics package"),
    ],
)
def test_each_unusable_option_is_named_with_what_to_give(options, named):
    given = {"counts": [8], "seconds": 6, "rounds": 3, "passes": ["kept"], "routes": [], "api_dir": API_DIR, **options}

    problems = option_problems(**given)

    assert len(problems) == 1
    assert named in problems[0]


def test_an_api_that_exits_at_start_is_reported_with_its_log(tmp_path):
    log = tmp_path / "api-kept.log"
    server = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    server.wait()

    with pytest.raises(RuntimeError, match=rf"exited with status 3; its log: {log}$"):
        wait_until_serving("https://127.0.0.1:9/health", server, log, seconds=5)


def test_a_failing_tool_ends_the_command_with_one_line_and_status_1(monkeypatch, capsys):
    def failing_app():
        raise RuntimeError("pgbench failed: connection refused")

    monkeypatch.setattr(bench_api, "app", failing_app)

    with pytest.raises(SystemExit) as ended:
        bench_api.run()

    assert ended.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == ["error: pgbench failed: connection refused"]
