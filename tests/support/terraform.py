"""Real Terraform (the machine's CLI) on configurations that need no provider download: ``terraform_data``
is built into Terraform, so plans, saved plans, applies and stale-plan checks run here for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def terraform_cli(monkeypatch) -> str:
    """The Terraform CLI, with no CLI configuration file and no check-in; a missing CLI fails the test."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.fail("the terraform CLI (1.11.x) is not on PATH; install it from HashiCorp's releases and retry")
    for name, value in _ENV.items():
        monkeypatch.setenv(name, value)
    return binary


# No CLI configuration file and no check-in with HashiCorp.
_ENV = {"TF_CLI_CONFIG_FILE": "/dev/null", "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}


def data_config(**resources: dict) -> dict:
    """A stack of ``terraform_data`` resources, name -> arguments."""
    return {"resource": {"terraform_data": resources}} if resources else {}


def write_stack(stack_dir: Path, config: dict) -> Path:
    stack_dir.mkdir(parents=True, exist_ok=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(config))
    return stack_dir


def terraform(stack_dir: Path, *args: str) -> str:
    completed = subprocess.run(
        ["terraform", *args], cwd=stack_dir, capture_output=True, text=True, check=True, env={**os.environ, **_ENV}
    )
    return completed.stdout


def applied(stack_dir: Path, config: dict) -> None:
    """Bring the stack's local state to ``config``."""
    write_stack(stack_dir, config)
    terraform(stack_dir, "init", "-input=false", "-no-color")
    terraform(stack_dir, "apply", "-auto-approve", "-input=false", "-no-color")


def plan_json(stack_dir: Path, config: dict) -> tuple[dict, str]:
    """The JSON plan from the current state to ``config``, and Terraform's own one-line plan count."""
    write_stack(stack_dir, config)
    terraform(stack_dir, "init", "-input=false", "-no-color")
    printed = terraform(stack_dir, "plan", "-input=false", "-no-color", "-out=tfplan")
    line = next((ln.strip() for ln in printed.splitlines() if ln.strip().startswith(("Plan:", "No changes."))), "")
    return json.loads(terraform(stack_dir, "show", "-json", "tfplan")), line
