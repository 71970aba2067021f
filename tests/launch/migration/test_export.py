"""Files out of a run: clean import file, rejected rows, reconciliation — neutralised against
formula injection, and byte-identical when the same input and settings run again."""

import csv
import io
import json

from launch.migration.dedupe import Decisions, DedupeSettings
from launch.migration.engine import run_migration
from launch.migration.export import (
    write_clean_csv,
    write_outcomes_csv,
    write_reconciliation,
    write_rejected_csv,
    write_review_csv,
)
from launch.migration.mapping import FieldMapping, ObjectMapping, default_transforms
from launch.migration.schema import DEFAULT_SCHEMA, schema_object

CONTACT = schema_object(DEFAULT_SCHEMA, "contact")


def contact_mapping() -> ObjectMapping:
    columns = {
        "first_name": "First",
        "last_name": "Last",
        "email": "Email",
        "phone": "Phone",
        "title": "Title",
    }
    return ObjectMapping(
        "contact",
        "Id",
        tuple(
            FieldMapping(target, (source,), default_transforms(CONTACT.field(target)))
            for target, source in columns.items()
        ),
    )


ROWS = [
    (
        2,
        {
            "Id": "1",
            "First": "Robert",
            "Last": "Smith",
            "Email": "rob@acme.co.uk",
            "Phone": "020 7946 0018",
            "Title": "=1+1",
        },
    ),
    (
        3,
        {
            "Id": "2",
            "First": "Bob",
            "Last": "Smith",
            "Email": "ROB@acme.co.uk",
            "Phone": "+44 20 7946 0018",
            "Title": "@Buyer",
        },
    ),
    (
        4,
        {
            "Id": "3",
            "First": "Mary",
            "Last": "Smith",
            "Email": "rob@acme.co.uk",
            "Phone": "020 7946 0018",
            "Title": "",
        },
    ),
    (5, {"Id": "=4", "First": "Ann", "Last": "", "Email": "nope", "Phone": "", "Title": "-x"}),
]


def run():
    contact = CONTACT.__class__(
        name="contact",
        label="Contact",
        fields=tuple(f for f in CONTACT.fields if f.name != "account"),
    )
    result = run_migration(
        sources={"contact": iter(ROWS)},
        mappings={"contact": contact_mapping()},
        schema=(contact,),
        settings=DedupeSettings(),
        decisions=Decisions(),
    )
    return result, contact


def files() -> dict[str, str]:
    result, contact = run()
    contacts = result["contact"]
    out = {}
    for name, write in (
        ("clean", lambda f: write_clean_csv(contacts, contact, f)),
        ("rejected", lambda f: write_rejected_csv(contacts, f)),
        ("outcomes", lambda f: write_outcomes_csv(contacts, f)),
        ("review", lambda f: write_review_csv(contacts, f)),
        ("reconciliation.csv", lambda f: write_reconciliation(result, f)),
        ("reconciliation.json", lambda f: write_reconciliation(result, f, format="json")),
    ):
        buffer = io.StringIO(newline="")
        write(buffer)
        out[name] = buffer.getvalue()
    return out


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_clean_file_is_ready_for_an_importer():
    header, *records = rows_of(files()["clean"])
    assert header == [
        "legacy_id",
        *[f for f in CONTACT.field_names if f != "account"],
        "source_ids",
    ]
    assert len(records) == 2
    robert = dict(zip(header, records[0], strict=True))
    assert robert["legacy_id"] == "1"
    assert robert["source_ids"] == "1|2"
    assert robert["phone"] == "+442079460018"  # a plain number: not neutralised
    assert robert["title"] == "'@Buyer"  # the longer title of the two; neutralised


def test_the_rejected_file_keeps_every_original_value_and_every_reason_neutralised():
    header, *records = rows_of(files()["rejected"])
    assert header == [
        "row",
        "legacy_id",
        "reasons",
        "Id",
        "First",
        "Last",
        "Email",
        "Phone",
        "Title",
    ]
    assert records == [
        [
            "5",
            "'=4",
            "Email: “nope” is not a valid email address.; Last name is required but empty.",
            "'=4",
            "Ann",
            "",
            "nope",
            "",
            "'-x",
        ]
    ]


def test_the_outcomes_file_explains_every_row():
    _header, *records = rows_of(files()["outcomes"])
    assert [r[:4] for r in records] == [
        ["2", "1", "clean", "1"],
        ["3", "2", "merged", "1"],
        ["4", "3", "clean", "3"],
        ["5", "'=4", "rejected", ""],
    ]


def test_the_review_file_lists_the_pairs_left_to_decide():
    header, *records = rows_of(files()["review"])
    assert header[:3] == ["left_id", "right_id", "score"]
    assert [r[:2] for r in records] == [["1", "3"]]


def test_the_reconciliation_counts_rows_in_clean_merged_rejected_and_reasons():
    text = files()
    assert rows_of(text["reconciliation.csv"]) == [
        ["object", "measure", "reason", "rows"],
        ["contact", "rows_in", "", "4"],
        ["contact", "clean", "", "2"],
        ["contact", "merged", "", "1"],
        ["contact", "rejected", "", "1"],
        ["contact", "review_pairs", "", "1"],
        ["contact", "rejected_by_reason", "Last name: required value missing", "1"],
        ["contact", "rejected_by_reason", "Email: invalid value", "1"],
    ]
    data = json.loads(text["reconciliation.json"])
    assert data["totals"] == {"rows_in": 4, "clean": 2, "merged": 1, "rejected": 1}
    assert data["objects"][0]["rejected_share"] == 0.25


def test_the_same_input_and_settings_give_byte_identical_files():
    assert files() == files()


def test_files_are_identical_across_processes(tmp_path):
    # Hash seeds differ between processes: nothing may depend on set or dict hash order.
    import subprocess
    import sys

    script = (
        "import json, sys; sys.path.insert(0, '.');"
        "from tests.launch.migration.test_export import files;"
        "print(json.dumps(files()))"
    )
    outputs = {
        subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
