"""A new environment: the definition written from an existing one, and the first apply's estimate read from the
synthesized stack's dependencies."""

from __future__ import annotations

import shutil

import pytest
import yaml

from environments import DEFINITIONS_DIR, EnvironmentDefinitionError, load_delivery, load_environments
from scripts.apply_estimate import CREATION_SECONDS, creation_time, dependency_graph, estimate_apply
from scripts.new_environment import ScaffoldError, scaffold, with_promotion, with_suppressions
from scripts.policy_gate import SUPPRESSIONS_FILE, load_suppressions


@pytest.fixture
def definitions(tmp_path):
    directory = tmp_path / "environments"
    shutil.copytree(DEFINITIONS_DIR, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(SUPPRESSIONS_FILE, tmp_path / "suppressions.yaml")
    return directory


def _qa(definitions, **changes):
    arguments = {
        "name": "qa",
        "like": "stage",
        "account_id": "555555555555",
        "vpc_cidr": "10.40.0.0/16",
        "hostname": "analytics.qa.northwind.example",
        "after": "dev",
        "suppressions": definitions.parent / "suppressions.yaml",
    } | changes
    return scaffold(definitions, **arguments)


def test_a_new_environment_is_written_from_another_promoted_in_place_and_validated(definitions):
    written, extended = _qa(definitions)
    qa = yaml.safe_load(written.read_text())
    assert (qa["name"], qa["account_id"], qa["network"]["vpc_cidr"]) == ("qa", "555555555555", "10.40.0.0/16")
    assert qa["state"] == {"bucket": "northwind-terraform-state-qa", "lock_table": "northwind-terraform-locks-qa"}
    assert qa["compute"]["certificate_domain"] == "analytics.qa.northwind.example"
    environments = load_environments(definitions)
    assert load_delivery(definitions, environments).promotion == ("dev", "qa", "stage", "prod")
    suppressions = load_suppressions(definitions.parent / "suppressions.yaml", set(environments) | {"delivery"})
    assert extended == sum("stage" in s.environments for s in suppressions) > 0
    assert all(("qa" in s.environments) == ("stage" in s.environments) for s in suppressions)


def test_a_scaffold_that_would_not_validate_leaves_nothing_written(definitions):
    before = (definitions / "delivery" / "delivery.yaml").read_text()
    with pytest.raises(EnvironmentDefinitionError, match=r"network\.vpc_cidr: 10\.20\.0\.0/16 overlaps qa's"):
        _qa(definitions, vpc_cidr="10.20.0.0/16")
    assert not (definitions / "qa.yaml").exists()
    assert (definitions / "delivery" / "delivery.yaml").read_text() == before
    with pytest.raises(ScaffoldError, match=r"stage\.yaml exists already"):
        _qa(definitions, name="stage")
    with pytest.raises(ScaffoldError, match=r"--like uat: no uat\.yaml"):
        _qa(definitions, like="uat")


def test_the_promotion_and_suppression_edits_keep_the_files_as_written():
    text = "# why\npromotion: [dev, stage, prod]\nbranch: main\n"
    assert with_promotion(text, "qa", "stage") == "# why\npromotion: [dev, stage, qa, prod]\nbranch: main\n"
    with pytest.raises(ScaffoldError, match="--after uat: not in the promotion order"):
        with_promotion(text, "qa", "uat")
    suppressions = (
        "  - check: X\n    environments: [dev, stage]\n    reason: >-\n      kept\n"
        "  - check: Y\n    environments: [prod]\n"
    )
    extended, count = with_suppressions(suppressions, "qa", "stage")
    assert count == 1
    assert extended == suppressions.replace("[dev, stage]", "[dev, stage, qa]")


def _chain_seconds(graph, address: str) -> int:
    """The typical time until ``address`` is created: its longest chain of dependencies, itself included."""
    before = max((_chain_seconds(graph, d) for d in graph[address]), default=0)
    return before + creation_time(address.split(".")[0]).typical


def test_the_first_apply_creates_the_database_and_the_instances_side_by_side(synthesized):
    config = synthesized["stage"].config
    estimate = estimate_apply(config)
    types = [address.split(".")[0] for address in estimate.critical_path]
    assert "aws_db_instance" in types and "aws_autoscaling_group" not in types
    graph = dependency_graph(config)
    (group,) = [a for a in graph if a.startswith("aws_autoscaling_group.")]
    (database,) = [a for a in graph if a.startswith("aws_db_instance.")]
    # The fleet's chain ends long before the database's: the two overlap instead of adding up.
    assert _chain_seconds(graph, group) < _chain_seconds(graph, database) <= estimate.critical_path_seconds
    assert estimate.seconds == estimate.critical_path_seconds > estimate.parallel_bound_seconds
    assert estimate.ceiling_path_seconds > estimate.critical_path_seconds
    graph = dependency_graph(synthesized["stage"].config)
    assert all(dependency in graph for dependencies in graph.values() for dependency in dependencies)


def test_the_estimate_adds_creation_times_along_the_longest_chain():
    config = {
        "resource": {
            "aws_vpc": {"v": {"cidr_block": "10.0.0.0/16"}},
            "aws_subnet": {"s": {"vpc_id": "${aws_vpc.v.id}"}},
            "aws_db_instance": {"d": {"subnet": "${aws_subnet.s.id}"}},
            "aws_sns_topic": {"t": {"name": "x", "depends_on": ["aws_vpc.v"]}},
        }
    }
    estimate = estimate_apply(config)
    assert estimate.critical_path == ("aws_vpc.v", "aws_subnet.s", "aws_db_instance.d")
    assert estimate.critical_path_seconds == 5 + 10 + CREATION_SECONDS["aws_db_instance"].typical
    assert dependency_graph(config)["aws_sns_topic.t"] == {"aws_vpc.v"}
