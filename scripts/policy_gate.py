"""The policy gate: checkov over every synthesized stack, with suppressions from one reviewed file.

checkov's terraform_json framework ignores inline skips, so every deliberate exception lives in
``policy/suppressions.yaml``: check, exact resource address, environments and a written reason. The gate fails
on any unsuppressed failed check, on a parsing error, and on a suppression that matches nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

REPO_ROOT = Path(__file__).resolve().parent.parent
SUPPRESSIONS_FILE = REPO_ROOT / "policy" / "suppressions.yaml"
CHECKOV = REPO_ROOT / "policy" / ".venv" / "bin" / "checkov"
CHECKOV_PYTHON = REPO_ROOT / "policy" / ".venv" / "bin" / "python"
SCAN_WORKER = REPO_ROOT / "policy" / "scan_worker.py"


class PolicyGateError(RuntimeError):
    """The gate could not run (missing scanner, unreadable suppressions, scanner crash)."""


class Suppression(BaseModel):
    """One reviewed exception to a checkov check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: Annotated[str, Field(pattern=r"^CKV2?_[A-Z0-9]+_\d+$")]
    resource: Annotated[str, Field(pattern=r"^[a-z0-9_]+\.[A-Za-z0-9_-]+$")]
    environments: Annotated[tuple[str, ...], Field(min_length=1)]
    reason: Annotated[str, Field(min_length=30)]


class SuppressionFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    suppressions: tuple[Suppression, ...] = ()


def load_suppressions(path: Path = SUPPRESSIONS_FILE, known_environments: set[str] | None = None):
    """Read and validate the suppressions file; errors name the entry and the field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        parsed = SuppressionFile.model_validate(raw)
    except FileNotFoundError:
        raise PolicyGateError(f"{path}: missing; create it with 'suppressions: []'") from None
    except (yaml.YAMLError, ValidationError) as error:
        raise PolicyGateError(f"{path.name}: invalid: {error}") from None
    if known_environments is not None:
        for index, entry in enumerate(parsed.suppressions):
            unknown = set(entry.environments) - known_environments
            if unknown:
                raise PolicyGateError(
                    f"{path.name}: suppressions[{index}] ({entry.check} on {entry.resource}) names unknown "
                    f"environment(s) {sorted(unknown)}; known: {sorted(known_environments)}"
                )
    return parsed.suppressions


@dataclass(frozen=True)
class Finding:
    """One failed check on one resource of one environment's stack."""

    environment: str
    check: str
    resource: str
    name: str


@dataclass
class StackResult:
    """The gate's verdict on one stack."""

    environment: str
    passed: int = 0
    failed: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    parsing_errors: list[str] = field(default_factory=list)


@dataclass
class GateResult:
    stacks: dict[str, StackResult]
    stale_suppressions: list[tuple[Suppression, str]]

    @property
    def ok(self) -> bool:
        return not self.stale_suppressions and all(not s.failed and not s.parsing_errors for s in self.stacks.values())


def _scan_environment() -> dict[str, str]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    env.pop("BC_API_KEY", None)  # never talk to the vendor platform
    return env


def _report(returncode: int, stdout: str, stderr: str) -> list[dict]:
    # checkov exits 1 when checks fail; anything else, or no JSON, is a crash.
    if returncode not in (0, 1):
        raise PolicyGateError(f"checkov failed (exit {returncode}): {stderr.strip()[-500:]}")
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        raise PolicyGateError(f"checkov printed no JSON report: {stderr.strip()[-500:]}") from None
    return report if isinstance(report, list) else [report]


class Scanners:
    """checkov processes started ahead of their input, one per core: each imports checkov (most of a scan's
    time) while the stacks are still being synthesized, then scans the stack files ``scan`` gives it.

    Use as a context manager; processes not given any files are stopped on exit.
    """

    def __init__(self, count: int | None = None, python: Path = CHECKOV_PYTHON) -> None:
        if not python.exists():
            raise PolicyGateError(f"checkov not installed at {python.parent}; run 'make bootstrap' to install it")
        self._processes = [
            subprocess.Popen(
                [str(python), str(SCAN_WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_scan_environment(),
            )
            for _ in range(count or os.cpu_count() or 1)
        ]

    def __enter__(self) -> Scanners:
        return self

    def __exit__(self, *_exc) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    def scan(self, stack_files: list[Path]) -> list[dict]:
        """checkov's reports on ``stack_files``, shared out by size so the processes finish together."""
        shares: list[list[Path]] = [[] for _ in self._processes]
        sizes = [0] * len(shares)
        for path in sorted(stack_files, key=lambda p: p.stat().st_size if p.exists() else 0, reverse=True):
            smallest = sizes.index(min(sizes))
            shares[smallest].append(path)
            sizes[smallest] += path.stat().st_size if path.exists() else 0
        started = []
        for process, share in zip(self._processes, shares, strict=True):
            if share:
                process.stdin.write(json.dumps([str(path) for path in share]) + "\n")
                process.stdin.flush()
                started.append(process)
        reports = []
        for process in started:
            stdout, stderr = process.communicate()
            reports += _report(process.returncode, stdout, stderr)
        return reports


def _environment_of(file_path: str, stack_environments: dict[str, str]) -> str:
    # checkov reports "/northwind-dev/cdk.tf.json" for checks and absolute paths for parsing errors.
    for part in Path(file_path).parts:
        if part in stack_environments:
            return stack_environments[part]
    raise PolicyGateError(f"checkov reported a file outside the known stacks: {file_path}")


def resource_types(stack_config: dict) -> dict[str, str]:
    """Logical id -> resource type for one synthesized stack."""
    return {
        name: resource_type for resource_type, by_name in stack_config.get("resource", {}).items() for name in by_name
    }


def _address(check: dict, types: dict[str, str]) -> str:
    # terraform_json reports "resource.<logical id>"; reviewers read "<type>.<logical id>".
    kind, _, name = check["resource"].partition(".")
    if kind == "resource" and name in types:
        return f"{types[name]}.{name}"
    return check["resource"]


def evaluate(
    reports: list[dict],
    stack_environments: dict[str, str],
    suppressions,
    stack_resource_types: dict[str, dict[str, str]] | None = None,
) -> GateResult:
    """Apply the suppressions to checkov's reports.

    ``stack_environments`` maps stack folder -> environment; ``stack_resource_types`` maps environment ->
    (logical id -> resource type), used to report addresses as ``<type>.<logical id>``.
    """
    stacks = {env: StackResult(env) for env in stack_environments.values()}
    types_by_env = stack_resource_types or {}
    used: Counter[tuple[int, str]] = Counter()
    for report in reports:
        results = report.get("results", {})
        for check in results.get("passed_checks", []):
            stacks[_environment_of(check["file_path"], stack_environments)].passed += 1
        for check in results.get("failed_checks", []):
            env = _environment_of(check["file_path"], stack_environments)
            address = _address(check, types_by_env.get(env, {}))
            finding = Finding(env, check["check_id"], address, check.get("check_name", ""))
            match = next(
                (
                    index
                    for index, s in enumerate(suppressions)
                    if s.check == finding.check and s.resource == finding.resource and env in s.environments
                ),
                None,
            )
            if match is None:
                stacks[env].failed.append(finding)
            else:
                used[(match, env)] += 1
                stacks[env].suppressed.append(finding)
        for path in results.get("parsing_errors", []):
            stacks[_environment_of(str(path), stack_environments)].parsing_errors.append(str(path))
    stale = [
        (s, env)
        for index, s in enumerate(suppressions)
        for env in s.environments
        if env in stacks and not used[(index, env)]
    ]
    return GateResult(stacks, stale)


def run_gate(
    stacks_dir: Path,
    stack_environments: dict[str, str],
    suppressions_file: Path = SUPPRESSIONS_FILE,
    known_environments: set[str] | None = None,
    scanners: Scanners | None = None,
):
    """Scan every stack folder under ``stacks_dir`` and judge it; see ``evaluate``.

    ``known_environments`` (default: the scanned ones) are the names a suppression may list, so scanning one
    environment still accepts entries for the others. ``scanners`` are checkov processes started earlier (see
    ``Scanners``); without them the gate starts its own.
    """
    suppressions = load_suppressions(suppressions_file, known_environments or set(stack_environments.values()))
    types, stack_files = {}, []
    for stack, env in stack_environments.items():
        config_path = stacks_dir / stack / "cdk.tf.json"
        stack_files.append(config_path)
        try:
            types[env] = resource_types(json.loads(config_path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            types[env] = {}  # checkov reports the parsing error for this stack
    if scanners is None:
        with Scanners(min(len(stack_files), os.cpu_count() or 1)) as own:
            reports = own.scan(stack_files)
    else:
        reports = scanners.scan(stack_files)
    return evaluate(reports, stack_environments, suppressions, types)
