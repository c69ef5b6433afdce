"""Plan to a file, and apply exactly that file once approved (docs/adr/0091-apply-the-approved-saved-plan.md).

The plan step records the state it planned against (serial and lineage, read *before* planning, so a write
that slips in between can only make the apply refuse, never pass), the plan file's sha256, its JSON and a
summary. The apply step refuses a plan file whose hash is not the approved one, and a state that moved since;
Terraform itself refuses a stale saved plan as a second line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path

from scripts.promote.summary import PlanSummary, summarise
from scripts.promote.terraform import PromotionError, StateFingerprint, Terraform, echo

PLAN_FILE = "tfplan"
PLAN_JSON = "plan.json"
STATE_FILE = "state.json"
SUMMARY_FILE = "summary.md"
EXPORTED_FILE = "exported.env"
OUTPUTS_FILE = "outputs.json"
LOCK_TIMEOUT = "-lock-timeout=10m"


@dataclass(frozen=True)
class SavedPlan:
    """What the plan step leaves for the approval and the apply."""

    sha256: str
    fingerprint: StateFingerprint
    summary: PlanSummary


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_plan(terraform: Terraform, out_dir: Path) -> SavedPlan:
    """``terraform plan -out`` in the stack directory, with the state fingerprint, JSON plan and summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_file = (out_dir / PLAN_FILE).resolve()
    terraform.init()
    fingerprint = terraform.fingerprint()
    terraform.run("plan", "-input=false", "-no-color", LOCK_TIMEOUT, f"-out={plan_file}")
    plan_json = terraform.run("show", "-json", str(plan_file), capture=True)
    (out_dir / PLAN_JSON).write_text(plan_json, encoding="utf-8")
    (out_dir / STATE_FILE).write_text(json.dumps(asdict(fingerprint)), encoding="utf-8")
    digest = sha256_of(plan_file)
    summary = summarise(json.loads(plan_json), terraform.stack_dir.name)
    rendered = summary.render(digest)
    (out_dir / SUMMARY_FILE).write_text(rendered, encoding="utf-8")
    exported = {
        "PLAN_SHA256": digest,
        "PLAN_HEADLINE": summary.headline(),
        "PLAN_BUILD_ID": os.environ.get("CODEBUILD_BUILD_ID", "local"),
    }
    (out_dir / EXPORTED_FILE).write_text(
        "".join(f"{key}={shlex.quote(value)}\n" for key, value in exported.items()), encoding="utf-8"
    )
    echo(rendered)
    echo(f"plan of {terraform.stack_dir.name} saved: sha256 {digest}, against {fingerprint.describe()}")
    return SavedPlan(digest, fingerprint, summary)


def apply_plan(terraform: Terraform, plan_dir: Path, approved_sha256: str, out_dir: Path) -> StateFingerprint:
    """Apply the saved plan in ``plan_dir`` if it is the approved one and the state has not moved."""
    plan_file = plan_dir / PLAN_FILE
    if not plan_file.is_file():
        raise PromotionError(f"no saved plan at {plan_file}; the plan step's artifact is missing")
    if not approved_sha256:
        raise PromotionError("no approved plan hash given (APPROVED_PLAN_SHA256); refusing to apply an unseen plan")
    actual = sha256_of(plan_file)
    if actual != approved_sha256:
        raise PromotionError(
            f"the saved plan's sha256 is {actual}, but {approved_sha256} was approved; nothing applied. "
            "Retry the stage: it plans again and asks for a new approval"
        )
    recorded = StateFingerprint(**json.loads((plan_dir / STATE_FILE).read_text(encoding="utf-8")))
    terraform.init()
    current = terraform.fingerprint()
    if current != recorded:
        raise PromotionError(
            f"the state of {terraform.stack_dir.name} moved since the plan was made (planned against "
            f"{recorded.describe()}, now {current.describe()}); nothing applied. Find who applied in between, "
            "then retry the stage to plan again and approve the new plan"
        )
    terraform.run("apply", "-input=false", "-no-color", LOCK_TIMEOUT, str(plan_file.resolve()))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / OUTPUTS_FILE).write_text(terraform.run("output", "-json", capture=True), encoding="utf-8")
    after = terraform.fingerprint()
    echo(f"applied the approved plan {actual} to {terraform.stack_dir.name}: now {after.describe()}")
    return after
