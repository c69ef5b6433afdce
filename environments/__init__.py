"""Environment definitions: one validated YAML file per environment in this folder.

Adding an environment is adding ``<name>.yaml`` here; nothing else changes.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import yaml
from pydantic import ValidationError

from environments.model import EnvironmentConfig, NatStrategy, Tier

__all__ = [
    "DEFINITIONS_DIR",
    "EnvironmentConfig",
    "EnvironmentDefinitionError",
    "NatStrategy",
    "Tier",
    "load_environment",
    "load_environments",
]

DEFINITIONS_DIR = Path(__file__).resolve().parent


class EnvironmentDefinitionError(ValueError):
    """An environment definition is missing, malformed or inconsistent with the others."""


def _format_validation_error(source: Path, error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key; remove it or fix its spelling (see environments/model.py)"
        elif problem["type"] == "string_pattern_mismatch":
            message = f"{problem['input']!r} is not valid: {message}"
        lines.append(f"{source.name}: {field}: {message}")
    return "\n".join(lines)


def _load_file(path: Path) -> EnvironmentConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise EnvironmentDefinitionError(f"{path.name}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise EnvironmentDefinitionError(f"{path.name}: expected a mapping of settings at the top level")
    if raw.get("name") != path.stem:
        raise EnvironmentDefinitionError(
            f"{path.name}: name: must equal the file name {path.stem!r} (found {raw.get('name')!r})"
        )
    try:
        return EnvironmentConfig.model_validate(raw)
    except ValidationError as error:
        raise EnvironmentDefinitionError(_format_validation_error(path, error)) from None


def _check_across(environments: dict[str, EnvironmentConfig]) -> None:
    for first, second in combinations(environments.values(), 2):
        if first.network.vpc_cidr.overlaps(second.network.vpc_cidr):
            raise EnvironmentDefinitionError(
                f"{second.name}.yaml: network.vpc_cidr: {second.network.vpc_cidr} overlaps "
                f"{first.name}'s {first.network.vpc_cidr}; give each environment its own range so they can peer"
            )
        if first.state.bucket == second.state.bucket and first.state.lock_table == second.state.lock_table:
            raise EnvironmentDefinitionError(
                f"{second.name}.yaml: state: shares bucket and lock table with {first.name}; state must be "
                "separate per environment"
            )


def load_environments(directory: Path = DEFINITIONS_DIR) -> dict[str, EnvironmentConfig]:
    """Load and validate every ``*.yaml`` definition in ``directory``, keyed by environment name."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise EnvironmentDefinitionError(f"no environment definitions (*.yaml) found in {directory}")
    environments, problems = {}, []
    # Every file is checked before failing, so one run lists every mistake.
    for path in paths:
        try:
            environments[path.stem] = _load_file(path)
        except EnvironmentDefinitionError as error:
            problems.append(str(error))
    if problems:
        raise EnvironmentDefinitionError("\n".join(problems))
    _check_across(environments)
    return environments


def load_environment(name: str, directory: Path = DEFINITIONS_DIR) -> EnvironmentConfig:
    """Load one environment by name (all are validated together, so cross-environment rules hold)."""
    environments = load_environments(directory)
    if name not in environments:
        known = ", ".join(sorted(environments))
        raise EnvironmentDefinitionError(f"unknown environment {name!r}; choose one of: {known}")
    return environments[name]
