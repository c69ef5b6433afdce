"""CI as a gate: actions pinned by commit, the pull-request checklist naming exactly what CI runs, owners for
every file, and diagrams rendered from their current sources."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scripts.diagrams import DIAGRAMS_DIR, main, source_digest, stale_diagrams, stamp, stamp_of
from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
CODEOWNERS = REPO_ROOT / ".github" / "CODEOWNERS"
TEMPLATE = REPO_ROOT / ".github" / "pull_request_template.md"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
TEAMS = {
    "@northwind/platform-lead",
    "@northwind/data-engineering",
    "@northwind/analytics-engineering",
    "@northwind/application-engineering",
    "@northwind/data-governance",
    "@northwind/devops-sre",
}


def _steps(workflow: Path) -> list[dict]:
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    return [step for job in jobs.values() for step in job["steps"]]


def _make_targets(text: str) -> set[str]:
    return set(re.findall(r"\bmake ([a-z][a-z-]*)", text))


def test_every_action_is_pinned_by_a_full_commit_sha_with_its_tag_in_a_comment():
    assert WORKFLOWS
    for workflow in WORKFLOWS:
        lines = workflow.read_text().splitlines()
        uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
        assert uses, workflow
        for use in uses:
            reference, _, comment = use.partition("#")
            assert PINNED.match(reference.strip()), f"{workflow.name}: {reference.strip()} is not pinned by commit"
            assert re.match(r"^\s*v\d+(\.\d+)*$", comment), f"{workflow.name}: {use} names no tag in a comment"


def test_workflows_read_only_and_keep_no_credentials_in_the_checkout():
    for workflow in WORKFLOWS:
        document = yaml.safe_load(workflow.read_text())
        assert document["permissions"] == {"contents": "read"}
        for step in _steps(workflow):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_the_pull_request_checklist_names_exactly_the_commands_the_gate_runs():
    ran = set().union(*(_make_targets(step.get("run", "")) for w in WORKFLOWS for step in _steps(w)))
    gate_section = TEMPLATE.read_text().split("## The gate", 1)[1].split("\n## ", 1)[0]
    # Each item starts with the command it checks; what follows may name the fix.
    checklist = {m.group(1) for line in gate_section.splitlines() if (m := re.match(r"- \[ \] `make ([a-z-]+)`", line))}
    assert ran == checklist == {"lint", "diagrams-check", "test", "synth"}


def test_ci_run_calls_only_the_readmes_test_command():
    commands = [
        line.strip()
        for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert commands == ["make test"]


def _owner_rules() -> list[tuple[str, list[str]]]:
    rules = []
    for line in CODEOWNERS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    return rules


def _matches(pattern: str, path: str) -> bool:
    if pattern == "*":
        return True
    anchored = pattern.lstrip("/")
    return path.startswith(anchored) if anchored.endswith("/") else path == anchored


def test_every_tracked_file_has_owners_by_directory_beyond_the_default():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    rules = _owner_rules()
    assert rules[0] == ("*", ["@northwind/platform-lead"])
    unowned = [path for path in tracked.splitlines() if not any(_matches(p, path) for p, _ in rules[1:])]
    assert unowned == []


def test_every_owner_rule_names_an_existing_path_and_known_teams():
    for pattern, owners in _owner_rules()[1:]:
        assert (REPO_ROOT / pattern.strip("/")).exists(), f"CODEOWNERS names {pattern}, which does not exist"
        assert owners and set(owners) <= TEAMS, f"{pattern}: unknown owners {set(owners) - TEAMS}"


def test_every_committed_diagram_is_rendered_from_its_current_source():
    assert stale_diagrams(DIAGRAMS_DIR) == []
    assert len(list(DIAGRAMS_DIR.glob("*.puml"))) >= 3


@pytest.fixture
def diagrams(tmp_path) -> Path:
    for path in DIAGRAMS_DIR.glob("delivery.*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_a_source_edited_without_rendering_is_reported_stale(diagrams, capsys):
    source = diagrams / "delivery.puml"
    source.write_text(source.read_text().replace("@enduml", "note: x\n@enduml"))
    assert stale_diagrams(diagrams) == ["delivery.png: rendered from an older delivery.puml"]
    assert main(["check", "--dir", str(diagrams)]) == 1
    assert "run `make diagrams` and commit the PNGs" in capsys.readouterr().err
    stamp(diagrams / "delivery.png", source_digest(source))
    assert stale_diagrams(diagrams) == []
    assert stamp_of(diagrams / "delivery.png") == source_digest(source)


def test_a_png_without_its_stamp_or_its_source_and_a_source_without_its_png_are_reported(diagrams):
    png = diagrams / "delivery.png"
    (diagrams / "orphan.png").write_bytes(png.read_bytes())
    (diagrams / "new.puml").write_text("@startuml\n@enduml\n")
    unstamped = png.read_bytes()
    # Drop the stamp chunk: a PNG rendered by hand, not by `make diagrams`.
    marker = unstamped.index(b"tEXtsource-sha256")
    length = int.from_bytes(unstamped[marker - 4 : marker], "big")
    png.write_bytes(unstamped[: marker - 4] + unstamped[marker + 4 + length + 4 :])
    assert stale_diagrams(diagrams) == [
        "delivery.png: not rendered by `make diagrams` (no source stamp)",
        "new.png: missing; render it from new.puml",
        "orphan.png: has no orphan.puml source",
    ]
