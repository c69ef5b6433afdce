"""What the steps after the build need from the build: pinned Python requirements and locked providers."""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

from scripts.promote.terraform import PromotionError, Terraform

# What the steps after the build import: boto3 (the smoke test, the wheelhouse publisher), and for the
# publisher, which reads the environment definitions, pydantic, PyYAML, typer and rich.
STEP_PACKAGES = ("boto3", "pydantic", "pyyaml", "rich", "typer")
PROVIDER_PLATFORM = "linux_amd64"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(*packages: str) -> list[str]:
    """``packages`` and everything they need at run time on this platform, from the installed distributions'
    metadata (requirements whose markers exclude this platform, or that belong to an extra, are left out).
    Runs in the application's environment, where ``packaging`` is installed."""
    from packaging.requirements import Requirement

    found: dict[str, None] = {}
    pending = list(packages)
    while pending:
        name = _canonical(pending.pop())
        if name in found:
            continue
        found[name] = None
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return sorted(found)


def hashed_requirements(lock: dict, packages: list[str]) -> str:
    """``name==version --hash=...`` lines for ``packages``, exactly as Pipfile.lock pins them."""
    pinned = {_canonical(name): entry for name, entry in lock.get("default", {}).items()}
    lines = []
    for name in packages:
        entry = pinned.get(name)
        if entry is None or not entry.get("hashes"):
            raise PromotionError(f"{name} is not pinned with hashes in Pipfile.lock; run `pipenv lock`")
        hashes = " ".join(f"--hash={h}" for h in entry["hashes"])
        lines.append(f"{name}{entry['version']} {hashes}")
    return "\n".join(lines) + "\n"


def write_requirements(lock_file: Path, out: Path) -> list[str]:
    """The later steps' requirements, hash-pinned from the lock, for ``pip install --require-hashes``."""
    packages = dependency_closure(*STEP_PACKAGES)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(hashed_requirements(json.loads(lock_file.read_text(encoding="utf-8")), packages), encoding="utf-8")
    return packages


def lock_providers(stacks_dir: Path) -> list[str]:
    """Write each stack's ``.terraform.lock.hcl`` once, at build time, so plan and apply install the same
    provider builds (``terraform init -lockfile=readonly``)."""
    locked = []
    for stack_dir in sorted(p for p in stacks_dir.iterdir() if (p / "cdk.tf.json").is_file()):
        Terraform(stack_dir).run("providers", "lock", f"-platform={PROVIDER_PLATFORM}")
        locked.append(stack_dir.name)
    if not locked:
        raise PromotionError(f"no synthesized stacks under {stacks_dir}; run `make synth` first")
    return locked
