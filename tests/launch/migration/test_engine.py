"""The whole run: every row accounted for exactly once, reference order, merged references,
decisions per object, and refusal of unusable schemas and mappings before reading anything."""

import dataclasses
import itertools
import json

import pytest

from launch.migration.dedupe import Decisions, DedupeSettings
from launch.migration.engine import CLEAN, MERGED, REJECTED, MigrationError, run_migration
from launch.migration.mapping import (
    FieldMapping,
    ObjectMapping,
    mapping_problems,
    suggest_mapping,
    suggested_object_mapping,
)
from launch.migration.schema import DEFAULT_SCHEMA, FieldType, TargetField, schema_object

TRIM = ({"op": "trim"},)
ACCOUNTS = ObjectMapping(
    "account",
    "Id",
    (
        FieldMapping("name", ("Company",), TRIM),
        FieldMapping("website", ("Web",), TRIM),
        FieldMapping("phone", ("Tel",), ({"op": "phone", "region": "GB"},)),
    ),
)
CONTACTS = ObjectMapping(
    "contact",
    "Contact ID",
    (
        FieldMapping("first_name", ("Name",), (*TRIM, {"op": "split_name", "part": "first"})),
        FieldMapping("last_name", ("Name",), (*TRIM, {"op": "split_name", "part": "last"})),
        FieldMapping("email", ("Email",), ({"op": "email"},)),
        FieldMapping("phone", ("Phone",), ({"op": "phone", "region": "GB"},)),
        FieldMapping("account", ("Account",), TRIM),
    ),
)
ACCOUNT_ROWS = [
    (2, {"Id": "A1", "Company": "Acme Ltd", "Web": "acme.co.uk", "Tel": "020 7946 0018"}),
    (3, {"Id": "A2", "Company": "ACME Limited", "Web": "www.acme.co.uk", "Tel": ""}),
    (4, {"Id": "A3", "Company": "", "Web": "nameless.example", "Tel": ""}),
    (5, {"Id": "A4", "Company": "Apex Foods", "Web": "apex.example", "Tel": ""}),
]
CONTACT_ROWS = [
    (
        2,
        {
            "Contact ID": "C1",
            "Name": "Robert Smith",
            "Email": "rob@acme.co.uk",
            "Phone": "020 7946 0001",
            "Account": "A1",
        },
    ),
    (
        3,
        {
            "Contact ID": "C2",
            "Name": "Smith, Bob",
            "Email": "ROB@ACME.CO.UK",
            "Phone": "",
            "Account": "A2",
        },
    ),
    (
        4,
        {
            "Contact ID": "C3",
            "Name": "Jane Doe",
            "Email": "jane@nameless.example",
            "Phone": "",
            "Account": "A3",
        },
    ),
    (
        5,
        {
            "Contact ID": "C4",
            "Name": "Joe Bloggs",
            "Email": "joe@nowhere.example",
            "Phone": "",
            "Account": "A9",
        },
    ),
    (
        6,
        {
            "Contact ID": "C5",
            "Name": "Ann Lee",
            "Email": "ann@apex.example",
            "Phone": "",
            "Account": "",
        },
    ),
    (7, {"Contact ID": "", "Name": "No Id", "Email": "", "Phone": "", "Account": ""}),
    (8, {"Contact ID": "C5", "Name": "Ann Again", "Email": "bad@", "Phone": "", "Account": "A4"}),
]


def run(**overrides):
    arguments = {
        "sources": {"contact": list(CONTACT_ROWS), "account": list(ACCOUNT_ROWS)},
        "mappings": {"contact": CONTACTS, "account": ACCOUNTS},
        "schema": DEFAULT_SCHEMA,
        "settings": DedupeSettings(),
        "decisions": Decisions(),
    }
    arguments.update(overrides)
    return run_migration(**arguments)


def test_every_input_row_ends_as_exactly_one_outcome():
    result = run()
    for name, rows in (("account", ACCOUNT_ROWS), ("contact", CONTACT_ROWS)):
        outcomes = list(result[name].outcomes)
        assert [o.row for o in outcomes] == [row for row, _ in rows]
        rec = result[name].reconciliation
        assert rec.rows_in == len(rows) == rec.clean + rec.merged + rec.rejected
        assert rec.clean == len(result[name].clean)
        assert sum(o.status == MERGED for o in outcomes) == rec.merged
        assert (
            sum(o.status == REJECTED for o in outcomes)
            == rec.rejected
            == len(result[name].rejected)
        )


def test_objects_run_in_reference_order_and_references_follow_merges():
    result = run()
    assert list(result.objects) == ["account", "contact"]
    accounts = result["account"]
    assert [(o.legacy_id, o.status, o.survivor_id) for o in accounts.outcomes] == [
        ("A1", CLEAN, "A1"),
        ("A2", MERGED, "A1"),
        ("A3", REJECTED, None),
        ("A4", CLEAN, "A4"),
    ]
    contacts = {o.legacy_id + f"@{o.row}": o for o in result["contact"].outcomes}
    assert contacts["C2@3"].status == MERGED and contacts["C2@3"].survivor_id == "C1"
    (robert, *_) = result["contact"].clean
    assert robert.source_ids == ("C1", "C2")
    assert robert.values["account"] == "A1"  # C2's account A2 was merged into A1
    assert robert.values["first_name"] == "Robert"


def test_each_bad_row_is_explained():
    contacts = {o.row: o for o in run()["contact"].outcomes}
    assert contacts[4].reasons[0].message == (
        "Account: the account “A3” was rejected (row 4 of its file)."
    )
    assert contacts[5].reasons[0].message == "Account: no account has the id “A9”."
    assert contacts[7].reasons[0].code == "missing_id"
    assert [r.code for r in contacts[8].reasons] == ["duplicate_id", "invalid"]
    assert contacts[8].reasons[0].message == "The id “C5” is already used on row 6."
    rejected = run()["contact"].rejected
    assert rejected[-1].values["Name"] == "Ann Again"  # the original values are kept


def test_reconciliation_counts_rows_per_reason():
    rec = run()["contact"].reconciliation
    assert {(r.label, r.rows) for r in rec.by_reason} == {
        ("Account: broken reference", 2),
        ("Missing id", 1),
        ("Duplicate id", 1),
        ("Email: invalid value", 1),
    }
    assert rec.by_reason[0].label == "Account: broken reference"


def test_a_reference_to_an_object_without_a_source_is_broken():
    result = run(
        sources={"contact": list(CONTACT_ROWS[:1])},
        mappings={"contact": CONTACTS},
    )
    (outcome,) = result["contact"].outcomes
    assert outcome.reasons[0].message == (
        "Account: there is no account source in this run to find “A1” in."
    )


def test_decisions_can_be_given_per_object():
    split = {"contact": Decisions(split={frozenset({"C1", "C2"})})}
    result = run(decisions=split)
    assert result["contact"].reconciliation.merged == 0
    assert result["account"].reconciliation.merged == 1
    assert result["contact"].reconciliation.kept_apart == 0  # never joined: nothing blocked


def test_record_gives_the_values_of_a_row_for_a_review_page():
    result = run()
    assert result["contact"].record("C2")["email"] == "rob@acme.co.uk"
    assert result["contact"].record("C4") is None  # rejected


def test_progress_reaches_the_total():
    seen = []
    run(progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (22, 22)  # (7 contacts + 4 accounts) × (read + deduplicate)
    assert all(a <= b for (a, _), (b, _) in itertools.pairwise(seen))


def test_deals_and_activities_are_validated_but_never_merged():
    deals = ObjectMapping(
        "deal",
        "Id",
        (
            FieldMapping("name", ("Name",)),
            FieldMapping("account", ("Account",)),
            FieldMapping("stage", ("Stage",), ({"op": "picklist", "map": {"Won": "closed_won"}},)),
        ),
    )
    rows = [
        (n, {"Id": f"D{n}", "Name": "Renewal", "Account": "A1", "Stage": "Won"}) for n in (2, 3)
    ]
    result = run(
        sources={"account": list(ACCOUNT_ROWS), "deal": rows},
        mappings={"account": ACCOUNTS, "deal": deals},
    )
    assert [o.status for o in result["deal"].outcomes] == [CLEAN, CLEAN]
    assert result["deal"].clean[0].values["stage"] == "closed_won"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mappings": {"lead": CONTACTS}}, "names an object the schema does not have"),
        ({"sources": {"account": []}}, "There is no source file for Contact."),
        (
            {
                "mappings": {
                    "account": dataclasses.replace(ACCOUNTS, fields=(FieldMapping("nope", ("X",)),))
                }
            },
            "Account has no field “nope”",
        ),
        (
            {
                "mappings": {
                    "account": dataclasses.replace(
                        ACCOUNTS, fields=(FieldMapping("name", ("C",), ({"op": "x"},)),)
                    )
                }
            },
            "Unknown transform “x”",
        ),
        ({"settings": DedupeSettings(auto_merge=0.5, review=0.9)}, "The thresholds must satisfy"),
    ],
)
def test_unusable_runs_are_refused_before_reading(overrides, message):
    with pytest.raises(MigrationError, match=message):
        run(**overrides)


def test_a_schema_with_a_reference_cycle_is_refused():
    contact = schema_object(DEFAULT_SCHEMA, "contact")
    account = schema_object(DEFAULT_SCHEMA, "account")
    looped = dataclasses.replace(
        account,
        fields=(
            *account.fields,
            TargetField("owner", "Owner", FieldType.REFERENCE, reference="contact"),
        ),
    )
    with pytest.raises(MigrationError, match="refer to each other in a cycle"):
        run(schema=(looped, contact))


# --- mappings: suggestions and storage ---------------------------------------------------------

HEADERS = [
    "Contact ID", "First Name", "Surname", "E-mail Address", "Mobile", "Organisation", "Zip",
    "Job Title", "Account Ref", "Town", "Notes",
]  # fmt: skip


def test_mapping_suggestions_follow_names_and_synonyms():
    contact = schema_object(DEFAULT_SCHEMA, "contact")
    assert suggest_mapping(HEADERS, contact) == {
        "first_name": "First Name",
        "last_name": "Surname",
        "email": "E-mail Address",
        "phone": "Mobile",
        "company": "Organisation",
        "title": "Job Title",
        "street": None,
        "city": "Town",
        "postcode": "Zip",
        "region": None,
        "country": None,
        "account": "Account Ref",
    }
    mapping = suggested_object_mapping(HEADERS, contact)
    assert mapping.id_column == "Contact ID"
    assert mapping.field_mapping("phone").transforms == (
        {"op": "trim"},
        {"op": "phone", "region": "GB"},
    )
    assert mapping_problems(mapping, contact, HEADERS) == []


def test_a_mapping_survives_storage_as_json():
    stored = json.loads(json.dumps(CONTACTS.to_json()))
    assert ObjectMapping.from_json(stored) == CONTACTS


def test_mapping_problems_are_sentences():
    contact = schema_object(DEFAULT_SCHEMA, "contact")
    mapping = ObjectMapping(
        "contact",
        "Missing",
        (
            FieldMapping("email", ("Gone",), ({"op": "email", "x": 1},)),
            FieldMapping("email", ("Surname",)),
        ),
    )
    assert mapping_problems(mapping, contact, HEADERS) == [
        "The id column “Missing” is not in the file.",
        "Email: the column “Gone” is not in the file.",
        "Email: The email transform does not take: x.",
        "Email is mapped twice.",
        "Last name is required but no column is mapped to it.",
    ]
