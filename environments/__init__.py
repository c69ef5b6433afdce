"""Environment definitions: one validated YAML file per environment in this folder.

Adding an environment is adding ``<name>.yaml`` here; nothing else changes.
"""

from __future__ import annotations

from itertools import combinations, pairwise
from pathlib import Path

import yaml
from pydantic import ValidationError

from environments.model import (
    DELIVERY_NAME,
    AccountDefinition,
    DeliveryConfig,
    DeliveryStep,
    EnvironmentConfig,
    NatStrategy,
    Tier,
)

__all__ = [
    "DEFINITIONS_DIR",
    "DELIVERY_DEFINITION",
    "DELIVERY_NAME",
    "AccountDefinition",
    "DeliveryConfig",
    "DeliveryStep",
    "EnvironmentConfig",
    "EnvironmentDefinitionError",
    "NatStrategy",
    "Tier",
    "load_account",
    "load_delivery",
    "load_environment",
    "load_environments",
    "stack_name_of",
]

DEFINITIONS_DIR = Path(__file__).resolve().parent
# The delivery account's definition lives beside the environments, in its own folder so that the
# environments' ``*.yaml`` stay one file per environment.
DELIVERY_DEFINITION = Path("delivery") / "delivery.yaml"


class EnvironmentDefinitionError(ValueError):
    """An environment definition is missing, malformed or inconsistent with the others."""


def _format_validation_error(source: str, error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key; remove it or fix its spelling (see environments/model.py)"
        elif problem["type"] == "string_pattern_mismatch":
            message = f"{problem['input']!r} is not valid: {message}"
        lines.append(f"{source}: {field}: {message}")
    return "\n".join(lines)


def _read_mapping(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EnvironmentDefinitionError(f"{path.name}: missing (expected at {path})") from None
    except yaml.YAMLError as error:
        raise EnvironmentDefinitionError(f"{path.name}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise EnvironmentDefinitionError(f"{path.name}: expected a mapping of settings at the top level")
    return raw


def _load_file(path: Path) -> EnvironmentConfig:
    raw = _read_mapping(path)
    if path.stem == DELIVERY_NAME:
        raise EnvironmentDefinitionError(
            f"{path.name}: '{DELIVERY_NAME}' is the delivery account's name (environments/{DELIVERY_DEFINITION}); "
            "choose another environment name"
        )
    if raw.get("name") != path.stem:
        raise EnvironmentDefinitionError(
            f"{path.name}: name: must equal the file name {path.stem!r} (found {raw.get('name')!r})"
        )
    try:
        return EnvironmentConfig.model_validate(raw)
    except ValidationError as error:
        raise EnvironmentDefinitionError(_format_validation_error(path.name, error)) from None


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


def _check_promotion(delivery: DeliveryConfig, environments: dict[str, EnvironmentConfig], source: str) -> None:
    unknown = [name for name in delivery.promotion if name not in environments]
    if unknown:
        raise EnvironmentDefinitionError(
            f"{source}: promotion: {', '.join(unknown)} not defined; known: {', '.join(sorted(environments))}"
        )
    missing = sorted(set(environments) - set(delivery.promotion))
    if missing:
        raise EnvironmentDefinitionError(
            f"{source}: promotion: {', '.join(missing)} never promoted to; add each environment where it belongs "
            f"in the order (now {', '.join(delivery.promotion)})"
        )
    tiers = [environments[name].tier for name in delivery.promotion]
    for (earlier, later), name in zip(pairwise(tiers), delivery.promotion[1:], strict=True):
        if later.rank < earlier.rank:
            raise EnvironmentDefinitionError(
                f"{source}: promotion: {name} ({later.value}) comes after a {earlier.value} environment; a commit "
                "must reach less critical tiers first"
            )
    shared = sorted(env.name for env in environments.values() if env.account_id == delivery.account_id)
    if shared:
        raise EnvironmentDefinitionError(
            f"{source}: account_id: {delivery.account_id} is also {', '.join(shared)}'s account; the pipeline "
            "lives in an account of its own, so no environment's credentials reach another's"
        )
    state = {(env.state.bucket, env.state.lock_table) for env in environments.values()}
    if (delivery.state.bucket, delivery.state.lock_table) in state:
        raise EnvironmentDefinitionError(f"{source}: state: shares bucket and lock table with an environment")


def load_delivery(
    directory: Path = DEFINITIONS_DIR, environments: dict[str, EnvironmentConfig] | None = None
) -> DeliveryConfig:
    """Load and validate the delivery account's definition against the environments it promotes to."""
    path = directory / DELIVERY_DEFINITION
    source = str(DELIVERY_DEFINITION)
    try:
        delivery = DeliveryConfig.model_validate(_read_mapping(path))
    except ValidationError as error:
        raise EnvironmentDefinitionError(_format_validation_error(source, error)) from None
    _check_promotion(delivery, environments if environments is not None else load_environments(directory), source)
    return delivery


def stack_name_of(name: str, directory: Path = DEFINITIONS_DIR) -> str:
    """The stack of an environment, or of the delivery account for ``delivery``."""
    if name == DELIVERY_NAME:
        return load_delivery(directory).stack_name
    return load_environment(name, directory).stack_name


def load_environment(name: str, directory: Path = DEFINITIONS_DIR) -> EnvironmentConfig:
    """Load one environment by name (all are validated together, so cross-environment rules hold)."""
    environments = load_environments(directory)
    if name not in environments:
        known = ", ".join(sorted(environments))
        raise EnvironmentDefinitionError(f"unknown environment {name!r}; choose one of: {known}")
    return environments[name]


def load_account(name: str, directory: Path = DEFINITIONS_DIR) -> EnvironmentConfig | DeliveryConfig:
    """One account's definition by name: an environment's, or the delivery account's for ``delivery``."""
    if name == DELIVERY_NAME:
        return load_delivery(directory)
    return load_environment(name, directory)
