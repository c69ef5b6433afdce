"""Validation of a lookup before any call."""

from __future__ import annotations

import hashlib

import pytest

from etl.enrich.vehicle_valuation.errors import InvalidLookupError
from etl.enrich.vehicle_valuation.validation import US_STATE_CODES, validate_lookup


def test_plate_is_upper_cased_and_stripped_of_spaces_and_hyphens():
    request = validate_lookup(" 7-abc 123 ", "ca")

    assert request.plate == "7ABC123"
    assert request.state_code == "CA"


def test_plate_sha256_is_the_hash_of_the_normalized_plate():
    request = validate_lookup("7abc-123", "CA")

    assert request.plate_sha256 == hashlib.sha256(b"7ABC123").hexdigest()


def test_the_plate_stays_out_of_the_request_repr():
    request = validate_lookup("7ABC123", "CA", "42000", "90")

    assert "7ABC123" not in repr(request)
    assert "CA" in repr(request)


@pytest.mark.parametrize("plate", ["A", "ABCDEFGHJ", "AB!12", "ÄB123", "", "- -"])
def test_a_plate_outside_2_to_8_letters_or_digits_is_rejected_naming_value_and_rule(plate):
    with pytest.raises(InvalidLookupError) as error:
        validate_lookup(plate, "CA")

    assert repr(plate) in str(error.value)
    assert "2 to 8 letters or digits" in str(error.value)


@pytest.mark.parametrize("state", ["PR", "XX", "C", "", "California"])
def test_a_state_outside_the_50_states_and_dc_is_rejected_naming_value_and_rule(state):
    with pytest.raises(InvalidLookupError) as error:
        validate_lookup("7ABC123", state)

    assert f"state_code {state!r}" in str(error.value)
    assert "50 US states or DC" in str(error.value)


def test_the_state_list_holds_the_50_states_and_dc():
    assert len(US_STATE_CODES) == 51
    assert "DC" in US_STATE_CODES


@pytest.mark.parametrize(
    ("mileage", "period", "named"),
    [("-5", None, "mileage"), ("12k", None, "mileage"), (None, 0, "period"), (None, 366, "period")],
)
def test_mileage_and_period_out_of_range_are_rejected_naming_the_field(mileage, period, named):
    with pytest.raises(InvalidLookupError) as error:
        validate_lookup("7ABC123", "CA", mileage, period)

    assert str(error.value).startswith(f"{named} ")


def test_every_bad_field_is_named_in_one_error():
    with pytest.raises(InvalidLookupError) as error:
        validate_lookup("!", "ZZ")

    assert "plate '!'" in str(error.value)
    assert "state_code 'ZZ'" in str(error.value)


def test_blank_mileage_and_period_mean_not_given():
    request = validate_lookup("7ABC123", "CA", " ", "")

    assert request.query_params() == {"license_plate": "7ABC123", "state_code": "CA"}


def test_query_params_carry_mileage_and_period_when_given():
    request = validate_lookup("7ABC123", "TX", "42000", 90)

    assert request.query_params() == {
        "license_plate": "7ABC123",
        "state_code": "TX",
        "mileage": "42000",
        "period": "90",
    }
