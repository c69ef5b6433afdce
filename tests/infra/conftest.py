"""Synthesize every environment once per test session; infrastructure tests read the JSON.

Importing the AWS provider costs most of a synth, so the app is built and synthesized a single time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# Node 22 from package.json, so jsii starts faster and quietly.
os.environ["PATH"] = f"{REPO_ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"


@dataclass(frozen=True)
class SynthesizedStack:
    """One synthesized stack: its Terraform JSON and lookups over it."""

    name: str
    path: Path
    config: dict

    def resources(self, resource_type: str) -> dict[str, dict]:
        """Resources of one type, keyed by their Terraform name."""
        return self.config.get("resource", {}).get(resource_type, {})

    def one(self, resource_type: str) -> dict:
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type} in {self.name}, found {sorted(found)}"
        return next(iter(found.values()))

    def all_resources(self):
        """(type, name, config) for every resource in the stack."""
        for resource_type, by_name in self.config.get("resource", {}).items():
            for name, body in by_name.items():
                yield resource_type, name, body


def synthesize(environments, outdir: Path, delivery=None) -> dict[str, SynthesizedStack]:
    """Build and synthesize the app for ``environments`` (and the delivery account, ``delivery`` or the shipped
    definition) into ``outdir``; keyed by environment name, the delivery stack under ``delivery``. The delivery
    stack is built only when every environment it promotes to is among ``environments``."""
    from environments import load_delivery
    from main import build_app

    delivery = delivery or load_delivery()
    with_delivery = set(delivery.promotion) <= set(environments)
    names = [*environments, *([delivery.name] if with_delivery else [])]
    build_app(environments, outdir, delivery=delivery, only=set(names)).synth()
    stacks = {}
    for name in names:
        stack_name = delivery.stack_name if name == delivery.name else environments[name].stack_name
        path = outdir / "stacks" / stack_name / "cdk.tf.json"
        stacks[name] = SynthesizedStack(stack_name, path, json.loads(path.read_text()))
    return stacks


@pytest.fixture(scope="session")
def environments():
    from environments import load_environments

    return load_environments()


@pytest.fixture(scope="session")
def delivery(environments):
    from environments import load_delivery

    return load_delivery(environments=environments)


@pytest.fixture(scope="session")
def synthesized(environments, delivery, tmp_path_factory) -> dict[str, SynthesizedStack]:
    """Every synthesized stack: each environment's by its name, the delivery account's as ``delivery``."""
    return synthesize(environments, tmp_path_factory.mktemp("cdktf.out"), delivery)


@pytest.fixture(scope="session")
def environment_stacks(synthesized) -> dict[str, SynthesizedStack]:
    """The environments' stacks only, keyed by environment name (the delivery account's has its own tests)."""
    return {name: stack for name, stack in synthesized.items() if name != "delivery"}


@pytest.fixture(scope="session")
def delivery_stack(synthesized) -> SynthesizedStack:
    return synthesized["delivery"]


@pytest.fixture(scope="session", params=["dev", "stage", "prod"])
def stack(request, synthesized) -> SynthesizedStack:
    """Each shipped environment's stack in turn."""
    return synthesized[request.param]


@pytest.fixture(scope="session", params=["dev", "stage", "prod", "delivery"])
def any_stack(request, synthesized) -> SynthesizedStack:
    """Every synthesized stack in turn, the delivery account's too: for rules that hold for every stack."""
    return synthesized[request.param]


@pytest.fixture
def aws_double(monkeypatch):
    """moto stands in for AWS (AWS itself cannot be reached from tests); its default account is 123456789012."""
    from moto import mock_aws

    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        import boto3

        yield boto3.Session(region_name="eu-west-2")
