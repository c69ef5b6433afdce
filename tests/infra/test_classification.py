"""Classification as data: stores take the most sensitive classification of the datasets they hold."""

from __future__ import annotations

import pytest

from etl.contracts import all_contracts, dataset_classification
from modules.classification import (
    SENSITIVITY_ORDER,
    Classification,
    contract_datasets,
    most_sensitive,
    store_classification,
)


def test_the_sensitivity_order_covers_every_classification_once():
    assert sorted(SENSITIVITY_ORDER) == sorted(Classification)
    assert len(set(SENSITIVITY_ORDER)) == len(SENSITIVITY_ORDER)


def test_pii_outranks_restricted_which_outranks_licensed_which_outranks_internal():
    assert most_sensitive(["internal", "licensed"]) is Classification.LICENSED
    assert most_sensitive(["licensed", "restricted", "internal"]) is Classification.RESTRICTED
    assert most_sensitive(["restricted", "confidential-pii"]) is Classification.CONFIDENTIAL_PII


def test_a_store_takes_the_classification_of_its_datasets_from_the_given_source():
    classes = {"clicks": "internal", "prices": "licensed"}
    assert store_classification(["clicks", "prices"], classify=classes.__getitem__) is Classification.LICENSED


def test_the_contracts_classify_every_dataset_with_a_known_classification():
    assert contract_datasets() == tuple(all_contracts())
    for dataset in contract_datasets():
        assert Classification(dataset_classification(dataset)) in SENSITIVITY_ORDER


def test_an_unknown_classification_names_the_value_and_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown data classification 'secret'; expected one of internal, licensed"):
        most_sensitive(["secret"])


def test_a_store_without_datasets_has_no_classification_to_take():
    with pytest.raises(ValueError, match="at least one dataset"):
        store_classification([], classify=str)
