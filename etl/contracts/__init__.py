"""Data contracts (Open Data Contract Standard v3): one YAML file per dataset in this folder.

The contracts are the single source of each dataset's schema, rules, classification, delivery window and
owner: curation validates against them, the infrastructure tags stores from ``dataset_classification`` and
``docs/data-contracts.md`` is rendered from them by ``render_markdown``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from etl.contracts.docs import render_markdown
from etl.contracts.loader import CONTRACTS_DIR, ContractError, contract_names, contract_path, load_contract_file
from etl.contracts.model import (
    Classification,
    ContractField,
    DataContract,
    Derivation,
    ForeignKey,
    LogicalType,
    RawFormat,
    SourceEncoding,
)

__all__ = [
    "Classification",
    "ContractError",
    "ContractField",
    "DataContract",
    "Derivation",
    "ForeignKey",
    "LogicalType",
    "RawFormat",
    "SourceEncoding",
    "all_contracts",
    "dataset_classification",
    "load_contract",
    "parent_key",
    "reference_order",
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


def parent_key(key: ForeignKey, child: str) -> DataContract:
    """The parent contract of ``child``'s foreign key, once checked that its field is the parent's whole primary
    key; a ContractError names the child's contract otherwise."""
    try:
        parent = load_contract(key.parent)
    except ContractError:
        raise ContractError(
            f"{contract_path(child)}: {key.field} references {key.parent}.{key.parent_field}, but there is no "
            f"contract {key.parent!r}"
        ) from None
    if parent.primary_key != (key.parent_field,):
        raise ContractError(
            f"{contract_path(child)}: {key.field} references {key.parent}.{key.parent_field}, which is not the "
            f"primary key of {key.parent} ({', '.join(parent.primary_key)})"
        )
    return parent


def reference_order(datasets: Iterable[str]) -> tuple[str, ...]:
    """``datasets`` with every parent a foreign key names before its children, otherwise in the given order, so
    that curating them in this order checks each reference against freshly curated parents."""
    pending, ordered = list(dict.fromkeys(datasets)), []
    while pending:
        ready = next(
            (name for name in pending if not any(key.parent in pending for key in load_contract(name).foreign_keys)),
            None,
        )
        if ready is None:
            raise ContractError(f"the foreign keys of {', '.join(pending)} form a cycle; no dataset can go first")
        ordered.append(ready)
        pending.remove(ready)
    return tuple(ordered)
