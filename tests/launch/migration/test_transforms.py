"""Each transform, one by one, and the refusal of bad transform settings."""

import pytest

from launch.migration.transforms import (
    TransformError,
    apply_transforms,
    validate_transform_spec,
    validate_transforms,
)


def one(value: str, *specs: dict) -> str:
    return apply_transforms([value], specs)


def test_trim_strips_and_collapses_inner_spaces_like_a_spreadsheet():
    assert one("  Ann \t  Lee \u00a0", {"op": "trim"}) == "Ann Lee"


@pytest.mark.parametrize(
    ("to", "expected"),
    [("lower", "o'brien-smith"), ("upper", "O'BRIEN-SMITH"), ("title", "O'Brien-Smith")],
)
def test_case(to, expected):
    assert one("o'BRIEN-smith", {"op": "case", "to": to}) == expected


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("John Smith", "John", "Smith"),
        ("Smith, John", "John", "Smith"),
        ("Dr. Mary Ann van der Berg Jr.", "Mary Ann", "van der Berg"),
        ("Cher", "", "Cher"),
        ("  ", "", ""),
    ],
)
def test_split_name(full, first, last):
    assert one(full, {"op": "split_name", "part": "first"}) == first
    assert one(full, {"op": "split_name", "part": "last"}) == last


def test_join_combines_several_columns_skipping_blanks():
    specs = [{"op": "join", "separator": ", "}, {"op": "trim"}]
    assert apply_transforms(["1 High St", "", " Flat 2"], specs) == "1 High St, Flat 2"


def test_several_columns_without_a_join_are_joined_with_a_space():
    assert apply_transforms(["Mary", "Ann"], [{"op": "case", "to": "upper"}]) == "MARY ANN"
    assert apply_transforms(["Mary", "Ann"], []) == "Mary Ann"


def test_date_parses_the_stated_formats_into_iso():
    spec = {"op": "date", "formats": ["%d/%m/%Y", "%d %b %Y"]}
    assert one("31/01/2024", spec) == "2024-01-31"
    assert one("5 Mar 2023", spec) == "2023-03-05"
    assert one("2024-02-29 00:00:00", spec) == "2024-02-29"  # ISO (XLSX) is always accepted
    assert one("", spec) == ""
    with pytest.raises(TransformError, match="“31/02/2024” is not a date in the format dd/mm/yyyy"):
        one("31/02/2024", spec)


@pytest.mark.parametrize(
    "written",
    [
        "020 7946 0018",
        "+44 20 7946 0018",
        "(020) 7946-0018",
        "0044 20 7946 0018",
        "+44 (0)20 79460018",
    ],
)
def test_phone_normalises_to_e164(written):
    assert one(written, {"op": "phone", "region": "GB"}) == "+442079460018"


def test_phone_uses_the_region_for_national_numbers_and_refuses_non_numbers():
    assert one("(415) 555-2671", {"op": "phone", "region": "US"}) == "+14155552671"
    with pytest.raises(TransformError, match="is not a phone number"):
        one("call reception", {"op": "phone", "region": "GB"})
    with pytest.raises(TransformError, match="is not a valid phone number"):
        one("020 12", {"op": "phone", "region": "GB"})


def test_email_is_trimmed_lower_cased_and_validated():
    assert one("  Ann.Lee@Example.COM ", {"op": "email"}) == "ann.lee@example.com"
    assert one("mailto:<bob@x.co.uk>", {"op": "email"}) == "bob@x.co.uk"
    for bad in ("ann@", "ann lee@x.com", "a@@x.com", "ann..lee@x.com", "ann@x"):
        with pytest.raises(TransformError, match="is not a valid email address"):
            one(bad, {"op": "email"})


def test_picklist_maps_values_exactly_then_ignoring_case_and_passes_others_through():
    spec = {"op": "picklist", "map": {"Hot": "negotiation", "Cold Lead": "prospecting"}}
    assert one("Hot", spec) == "negotiation"
    assert one(" cold  lead ", spec) == "prospecting"
    assert one("Won", spec) == "Won"  # validation decides whether it is allowed


def test_transforms_apply_in_order():
    specs = [{"op": "trim"}, {"op": "split_name", "part": "last"}, {"op": "case", "to": "upper"}]
    assert one("  ann   LEE ", *specs) == "LEE"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("trim", "must be an object"),
        ({"op": "shout"}, "Unknown transform “shout”"),
        ({"op": "trim", "to": "x"}, "does not take: to"),
        ({"op": "case", "to": "sideways"}, "lower, upper or title"),
        ({"op": "split_name"}, "first or last"),
        ({"op": "join", "separator": 3}, "separator must be text"),
        ({"op": "date", "formats": []}, "list of formats"),
        ({"op": "date", "formats": ["%m/%Y"]}, "needs a day"),
        ({"op": "phone", "region": "XX"}, "not a known country code"),
        ({"op": "picklist", "map": ["Hot"]}, "map of source value"),
    ],
)
def test_bad_settings_are_refused_with_a_sentence(spec, message):
    with pytest.raises(TransformError, match=message):
        validate_transform_spec(spec)


def test_a_list_of_valid_specs_passes():
    validate_transforms([{"op": "trim"}, {"op": "email"}, {"op": "phone", "region": "us"}])
    with pytest.raises(TransformError, match="must be a list"):
        validate_transforms({"op": "trim"})
