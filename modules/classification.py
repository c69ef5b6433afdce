"""Data classifications, their order of sensitivity, and the classification of a store from what it holds.

The classification of each dataset is defined once, in the ETL's data contracts
(``etl.contracts.dataset_classification``); a store that holds several datasets carries the most sensitive of
their classifications. Infrastructure never types a classification by hand for data it stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum


class Classification(StrEnum):
    """The brief's classifications, as the ``data-classification`` tag and Lake Formation tag values."""

    INTERNAL = "internal"
    LICENSED = "licensed"
    RESTRICTED = "restricted"
    CONFIDENTIAL_PII = "confidential-pii"


# Least to most sensitive, the one place this order is defined. Licensed third-party data carries contractual
# limits beyond internal data; restricted data is internal but need-to-know; PII is regulated.
SENSITIVITY_ORDER: tuple[Classification, ...] = (
    Classification.INTERNAL,
    Classification.LICENSED,
    Classification.RESTRICTED,
    Classification.CONFIDENTIAL_PII,
)

# What a store that holds no dataset (job code, access logs) is classified as.
OPERATIONAL = Classification.INTERNAL


def most_sensitive(classifications: Iterable[str]) -> Classification:
    """The most sensitive of ``classifications``; an unknown value or an empty set is an error."""
    found = []
    for value in classifications:
        try:
            found.append(Classification(value))
        except ValueError:
            known = ", ".join(c.value for c in SENSITIVITY_ORDER)
            raise ValueError(f"unknown data classification {value!r}; expected one of {known}") from None
    if not found:
        raise ValueError("a data store must hold at least one dataset to take its classification from")
    return max(found, key=SENSITIVITY_ORDER.index)


def _contract_classification(dataset: str) -> str:
    from etl.contracts import dataset_classification

    return dataset_classification(dataset)


def store_classification(
    datasets: Iterable[str], classify: Callable[[str], str] = _contract_classification
) -> Classification:
    """The classification of a store holding ``datasets``: the most sensitive of the datasets' own.

    ``classify`` defaults to the data contracts' ``dataset_classification``.
    """
    return most_sensitive(classify(dataset) for dataset in datasets)


def contract_datasets() -> tuple[str, ...]:
    """Every dataset with a data contract: what the lake's zones hold."""
    from etl.contracts import all_contracts

    return tuple(all_contracts())


def pii_free_datasets() -> tuple[str, ...]:
    """Datasets whose curated data holds no PII: not classified confidential-PII and no field marked PII in the
    contract (pseudonymized fields are still personal data). Only these may be read by S3 prefix, where nothing
    filters columns."""
    from etl.contracts import all_contracts, load_contract

    return tuple(
        dataset
        for dataset in all_contracts()
        if (contract := load_contract(dataset)).classification.value != Classification.CONFIDENTIAL_PII.value
        and not contract.pii_fields
    )
