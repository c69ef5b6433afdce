"""Data contracts (Open Data Contract Standard v3): one YAML file per dataset in this folder.

The contracts are the single source of each dataset's schema, rules, classification, delivery window and
owner: curation validates against them, the infrastructure tags stores from ``dataset_classification`` and
``docs/data-contracts.md`` is rendered from them by ``render_markdown``.
"""

from __future__ import annotations

from functools import cache

from etl.contracts.docs import render_markdown
from etl.contracts.loader import CONTRACTS_DIR, ContractError, contract_names, contract_path, load_contract_file
from etl.contracts.model import (
    Classification,
    ContractField,
    DataContract,
    Derivation,
    LogicalType,
    RawFormat,
)

__all__ = [
    "Classification",
    "ContractError",
    "ContractField",
    "DataContract",
    "Derivation",
    "LogicalType",
    "RawFormat",
    "all_contracts",
    "dataset_classification",
    "load_contract",
    "render_markdown",
]


@cache
def load_contract(dataset: str) -> DataContract:
    """The validated contract of ``dataset`` (``etl/contracts/<dataset>.yaml``)."""
    return load_contract_file(contract_path(dataset), CONTRACTS_DIR)


def all_contracts() -> dict[str, DataContract]:
    """Every contract in the folder, by dataset name, in name order."""
    return {name: load_contract(name) for name in contract_names()}


def dataset_classification(dataset: str) -> str:
    """The dataset's classification: the value of the ``data-classification`` tag of stores holding it."""
    return load_contract(dataset).classification.value
