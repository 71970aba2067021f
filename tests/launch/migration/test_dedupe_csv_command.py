"""`manage.py dedupe_csv`: one line per input row with its id and cluster id."""

import csv

import pytest
from django.core.management import CommandError, call_command

CONTACTS = (
    "Id,First Name,Last Name,E-mail,Telephone,Company,Postcode\r\n"
    "1,Robert,Smith,rob.smith@acme.co.uk,020 7946 0018,Acme Ltd,SW1A 1AA\r\n"
    "2,Bob,Smith,ROB.SMITH@ACME.CO.UK,+44 20 7946 0018,ACME,SW1A1AA\r\n"
    "3,Smith,Robert,,02079460018,Acme,\r\n"
    "4,Jane,Okafor,jane@acme.co.uk,020 7946 0018,Acme Ltd,SW1A 1AA\r\n"
    "5,Alice,Jones,not-an-email,,,\r\n"
    "6,Alicia,Brown,alicia@example.org,,,\r\n"
)
MAP = [
    "First Name:first_name",
    "Last Name:last_name",
    "E-mail:email",
    "Telephone:phone",
    "Company:company",
    "Postcode:postcode",
]


@pytest.fixture
def contacts(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS, encoding="utf-8", newline="")
    return path


def clusters(path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["id", "cluster_id"]
        return [tuple(row) for row in reader]


def test_it_writes_each_rows_id_and_cluster_id(contacts, tmp_path, capsys):
    out = tmp_path / "clusters.csv"
    call_command("dedupe_csv", str(contacts), "--id-column", "Id", "--map", *MAP, "--out", str(out))
    assert clusters(out) == [
        ("1", "1"),
        ("2", "1"),  # nickname, case, other phone format
        ("3", "1"),  # swapped names
        ("4", "4"),  # a colleague on the same switchboard: not a duplicate
        ("5", "5"),  # rejected (bad email): its own cluster
        ("6", "6"),
    ]
    printed = capsys.readouterr().out
    assert "6 rows → 4 clusters (2 rows merged, 1 rejected, 0 pairs to review)" in printed
    assert "Use --rejected FILE" in printed


def test_map_options_can_repeat_and_columns_can_be_left_out(contacts, tmp_path):
    out = tmp_path / "clusters.csv"
    call_command(
        "dedupe_csv", str(contacts), "--id-column", "Id",
        "--map", "E-mail:email", "--map", "Last Name:last_name", "--out", str(out),
    )  # fmt: skip
    assert [cluster for _, cluster in clusters(out)] == ["1", "1", "3", "4", "5", "6"]


def test_rejected_and_review_files_on_request(contacts, tmp_path):
    rejected, review = tmp_path / "rejected.csv", tmp_path / "review.csv"
    call_command(
        "dedupe_csv", str(contacts), "--id-column", "Id", "--map", *MAP,
        "--out", str(tmp_path / "c.csv"), "--rejected", str(rejected), "--review", str(review),
    )  # fmt: skip
    lines = rejected.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("6,5,Email: “not-an-email” is not a valid email address.")
    assert review.read_text(encoding="utf-8").startswith("left_id,right_id,score")


def test_the_same_file_gives_the_same_bytes(contacts, tmp_path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    for out in (one, two):
        call_command(
            "dedupe_csv", str(contacts), "--id-column", "Id", "--map", *MAP, "--out", str(out)
        )
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--id-column", "Nope", "--map", "E-mail:email"], "contacts.csv has no column “Nope”"),
        (["--id-column", "Id", "--map", "E-mail:mail"], "“mail” is not a target field"),
        (["--id-column", "Id", "--map", "E-mail"], "is not SOURCE:TARGET"),
    ],
)
def test_bad_options_get_a_clear_message(contacts, tmp_path, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("dedupe_csv", str(contacts), *arguments, "--out", str(tmp_path / "c.csv"))


def test_a_bad_file_gets_the_engines_message(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("Id,Email\n1,a@x.com\n2,b@x.com,extra\n", encoding="utf-8")
    with pytest.raises(CommandError, match="the header has 2, but row 3 has 3"):
        call_command(
            "dedupe_csv",
            str(ragged),
            "--id-column",
            "Id",
            "--map",
            "Email:email",
            "--out",
            str(tmp_path / "c.csv"),
        )
    with pytest.raises(CommandError, match="is not a file"):
        call_command(
            "dedupe_csv",
            str(tmp_path / "missing.csv"),
            "--id-column",
            "Id",
            "--map",
            "Email:email",
            "--out",
            str(tmp_path / "c.csv"),
        )


def test_an_id_a_spreadsheet_would_run_is_neutralised_in_the_clusters_file(tmp_path):
    source = tmp_path / "hostile.csv"
    source.write_text(
        "Id,First Name,Last Name,E-mail\r\n"
        "=HYPERLINK(1),Ann,Lee,ann@x.com\r\n"
        "@SUM(A1),Bo,Ray,bo@x.com\r\n"
        "-7,Cy,Orr,cy@x.com\r\n",
        encoding="utf-8",
        newline="",
    )
    out = tmp_path / "clusters.csv"
    call_command(
        "dedupe_csv", str(source), "--id-column", "Id",
        "--map", "First Name:first_name", "Last Name:last_name", "E-mail:email",
        "--out", str(out),
    )  # fmt: skip
    assert clusters(out) == [
        ("'=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("'@SUM(A1)", "'@SUM(A1)"),
        ("-7", "-7"),  # a plain number is inert and stays importable
    ]
