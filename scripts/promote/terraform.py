"""Running the Terraform CLI in one synthesized stack directory, with each step's time printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


class PromotionError(RuntimeError):
    """A promotion step refuses to go on; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class StateFingerprint:
    """Which state a plan was made against: Terraform bumps ``serial`` on every write, and ``lineage`` names
    the state's history. Both ``None`` before the first apply."""

    serial: int | None
    lineage: str | None

    @classmethod
    def of(cls, state_json: str) -> StateFingerprint:
        if not state_json.strip():
            return cls(None, None)
        state = json.loads(state_json)
        return cls(state.get("serial"), state.get("lineage"))

    def describe(self) -> str:
        return "no state yet" if self.serial is None else f"serial {self.serial}, lineage {self.lineage}"


class Terraform:
    """``terraform`` (or ``$TERRAFORM``) in ``stack_dir``, non-interactive, without colours."""

    def __init__(self, stack_dir: Path, binary: str | None = None) -> None:
        if not (stack_dir / "cdk.tf.json").is_file():
            raise PromotionError(f"{stack_dir} holds no synthesized stack (cdk.tf.json); run `make synth` first")
        self.stack_dir = stack_dir
        self.binary = binary or os.environ.get("TERRAFORM", "terraform")

    def run(self, *args: str, capture: bool = False) -> str:
        """Run one command; its output streams to the log unless ``capture``; a failure is a PromotionError."""
        command = [self.binary, *args]
        started = time.monotonic()
        print(f"==> terraform {' '.join(args)}", flush=True)
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
        try:
            completed = subprocess.run(
                command,
                cwd=self.stack_dir,
                env=env,
                text=True,
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.PIPE if capture else None,
                check=False,
            )
        except FileNotFoundError:
            raise PromotionError(f"{self.binary} not found; install Terraform (see modules/delivery)") from None
        if completed.returncode != 0:
            detail = (completed.stderr or "").strip()[-2000:] if capture else "see the output above"
            raise PromotionError(f"terraform {args[0]} failed (exit {completed.returncode}): {detail}")
        print(f"    done in {time.monotonic() - started:.1f} s", flush=True)
        return completed.stdout or ""

    def init(self) -> None:
        """Initialise the backend and install exactly the providers locked at build time."""
        lock = self.stack_dir / ".terraform.lock.hcl"
        self.run("init", "-input=false", "-no-color", *(["-lockfile=readonly"] if lock.is_file() else []))

    def fingerprint(self) -> StateFingerprint:
        return StateFingerprint.of(self.run("state", "pull", capture=True))


def echo(message: str) -> None:
    print(message, flush=True)


def fail(error: Exception) -> int:
    """One line on stderr, exit code 1: what CodeBuild shows as the step's failure."""
    print(f"error: {error}", file=sys.stderr, flush=True)
    return 1
