"""Validation rules one by one: type checks per field type, picklists, required values and
references (the last two through the engine, which owns them)."""

import pytest

from launch.migration.dedupe import Decisions, DedupeSettings
from launch.migration.engine import REJECTED, run_migration
from launch.migration.mapping import FieldMapping, ObjectMapping
from launch.migration.schema import DEFAULT_SCHEMA, FieldType, TargetField
from launch.migration.validation import INVALID, PICKLIST, FieldError, validate_value


def field(kind: FieldType, **kwargs) -> TargetField:
    return TargetField(name="f", label="F", type=kind, **kwargs)


def refused(kind: FieldType, value: str, **kwargs) -> FieldError:
    with pytest.raises(FieldError) as caught:
        validate_value(field(kind, **kwargs), value)
    return caught.value


def test_empty_values_are_valid_for_every_type():
    for kind in FieldType:
        assert validate_value(field(kind, choices=("a",)), "") == ""


def test_text_and_reference_values_pass_as_they_are():
    assert validate_value(field(FieldType.TEXT), " =odd ") == " =odd "
    assert validate_value(field(FieldType.REFERENCE, reference="account"), "A-1") == "A-1"


def test_email_must_be_an_address():
    assert validate_value(field(FieldType.EMAIL), "Ann@X.com") == "ann@x.com"
    assert refused(FieldType.EMAIL, "ann at x").code == INVALID


def test_phone_must_be_e164():
    assert validate_value(field(FieldType.PHONE), "+442079460018") == "+442079460018"
    error = refused(FieldType.PHONE, "020 7946 0018")
    assert error.code == INVALID and "add the phone transform" in error.message


def test_date_must_be_iso():
    assert validate_value(field(FieldType.DATE), "2024-02-29") == "2024-02-29"
    assert "add a date transform" in refused(FieldType.DATE, "29/02/2024").message
    assert refused(FieldType.DATE, "2023-02-29").code == INVALID


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("12", "12"),
        ("-3.50", "-3.50"),
        ("1,234,567.8", "1234567.8"),
        ("1 000", "1000"),
        (".5", "0.5"),
    ],
)
def test_numbers(written, canonical):
    assert validate_value(field(FieldType.NUMBER), written) == canonical


@pytest.mark.parametrize("bad", ["12a", "1,23", "1e5", "--1", "1.2.3"])
def test_not_numbers(bad):
    assert refused(FieldType.NUMBER, bad).message == f"“{bad}” is not a number."


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("£1,200", "1200.00"),
        ("1200 GBP", "1200.00"),
        ("-$5", "-5.00"),
        ("(12.5)", "-12.50"),
        ("€0", "0.00"),
    ],
)
def test_currency_amounts(written, canonical):
    assert validate_value(field(FieldType.CURRENCY), written) == canonical


def test_currency_refuses_words_and_fractions_of_pennies():
    assert "not an amount of money" in refused(FieldType.CURRENCY, "lots").message
    assert "more than two decimals" in refused(FieldType.CURRENCY, "1.234").message


def test_picklist_values_must_be_allowed_and_are_spelt_as_the_schema_spells_them():
    allowed = ("closed_won", "closed_lost")
    assert validate_value(field(FieldType.PICKLIST, choices=allowed), "Closed_Won") == "closed_won"
    error = refused(FieldType.PICKLIST, "won", choices=allowed)
    assert error.code == PICKLIST
    assert error.message == "“won” is not one of the allowed values (closed_won, closed_lost)."


def run(sources, mappings):
    return run_migration(
        sources=sources,
        mappings=mappings,
        schema=DEFAULT_SCHEMA,
        settings=DedupeSettings(),
        decisions=Decisions(),
    )


def test_a_required_value_missing_rejects_the_row_with_every_reason():
    mapping = ObjectMapping(
        "deal",
        "Id",
        (
            FieldMapping("name", ("Name",), ({"op": "trim"},)),
            FieldMapping("stage", ("Stage",)),
            FieldMapping("amount", ("Amount",)),
        ),
    )
    accounts = ObjectMapping("account", "Id", (FieldMapping("name", ("Name",)),))
    result = run(
        {
            "account": [],
            "deal": [(2, {"Id": "D1", "Name": "  ", "Stage": "won", "Amount": "lots"})],
        },
        {"account": accounts, "deal": mapping},
    )
    outcome = result["deal"].outcomes[0]
    assert outcome.status == REJECTED
    assert [(r.code, r.field) for r in outcome.reasons] == [
        ("picklist", "stage"),
        ("invalid", "amount"),
        ("required", "name"),
        ("required", "account"),
    ]
    assert outcome.reasons[2].message == "Deal name is required but empty."


def test_a_reference_to_a_missing_account_is_a_broken_reference():
    result = run(
        {
            "account": [(2, {"Id": "A1", "Name": "Acme"})],
            "contact": [
                (2, {"Id": "C1", "Last": "Lee", "Account": "A1"}),
                (3, {"Id": "C2", "Last": "Kim", "Account": "A9"}),
            ],
        },
        {
            "account": ObjectMapping("account", "Id", (FieldMapping("name", ("Name",)),)),
            "contact": ObjectMapping(
                "contact",
                "Id",
                (FieldMapping("last_name", ("Last",)), FieldMapping("account", ("Account",))),
            ),
        },
    )
    good, broken = result["contact"].outcomes
    assert good.status == "clean"
    assert broken.status == REJECTED
    assert broken.reasons[0].code == "reference"
    assert broken.reasons[0].message == "Account: no account has the id “A9”."
