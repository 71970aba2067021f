"""Duplicate finding: scoring of typical duplicates and look-alikes, transitive clusters,
review decisions (a split holds even through a third record), survivorship, big blocks."""

import pytest

from launch.migration.cli import cli_contact_object
from launch.migration.dedupe import (
    CONFLICT_LIMIT,
    MAX_BLOCK,
    Decisions,
    DedupeSettings,
    find_clusters,
    pair_score,
    survive,
)
from launch.migration.schema import DEFAULT_SCHEMA, FieldType, TargetField, schema_object

CONTACT = cli_contact_object()
ACCOUNT = schema_object(DEFAULT_SCHEMA, "account")
SETTINGS = DedupeSettings()


def person(**values: str) -> dict[str, str]:
    base = {name: "" for name in CONTACT.field_names}
    base.update(values)
    return base


ROBERT = person(
    first_name="Robert",
    last_name="Smith",
    email="robert.smith@acme.co.uk",
    phone="+442079460018",
    company="Acme Ltd",
    street="1 High Street",
    city="London",
    postcode="SW1A 1AA",
)


def score(left: dict, right: dict, target=CONTACT) -> float:
    return pair_score(left=left, right=right, target=target).score


def cluster(
    records: list[dict], decisions: Decisions | None = None, settings=SETTINGS, target=CONTACT
):
    ids = [r["id"] for r in records]
    columns = {name: [r.get(name, "") for r in records] for name in target.field_names}
    return find_clusters(
        ids=ids,
        columns=columns,
        target=target,
        settings=settings,
        decisions=decisions or Decisions(),
    )


def groups(records, clustering) -> list[list[str]]:
    found: dict[int, list[str]] = {}
    for index, root in enumerate(clustering.survivor):
        found.setdefault(root, []).append(records[index]["id"])
    return sorted(sorted(group) for group in found.values())


@pytest.mark.parametrize(
    "changes",
    [
        {"first_name": "Bob"},  # nickname
        {"first_name": "Robret"},  # typo
        {"first_name": "Smith", "last_name": "Robert"},  # swapped columns
        {"first_name": "R.", "email": "", "phone": ""},  # initial, no email or phone
        {"first_name": "B."},  # the initial of a nickname
        {"email": "", "company": "ACME LIMITED", "street": "1 High St"},  # other spellings
        {"phone": "", "postcode": "", "city": ""},  # missing fields
    ],
)
def test_typical_duplicates_score_above_auto_merge(changes):
    assert score(ROBERT, {**ROBERT, **changes}) >= SETTINGS.auto_merge


def test_colleagues_sharing_switchboard_and_office_are_not_even_reviewed():
    colleague = {
        **ROBERT,
        "first_name": "Jane",
        "last_name": "Okafor",
        "email": "jane.okafor@acme.co.uk",
    }
    assert score(ROBERT, colleague) <= CONFLICT_LIMIT < SETTINGS.review


def test_a_household_sharing_phone_and_address_is_not_merged():
    spouse = {**ROBERT, "first_name": "Mary", "email": "mary.smith@gmail.com", "company": ""}
    assert score(ROBERT, spouse) < SETTINGS.review


def test_different_names_on_one_personal_email_go_to_review():
    slip = {**ROBERT, "first_name": "Mary"}
    assert SETTINGS.review <= score(ROBERT, slip) < SETTINGS.auto_merge


def test_emails_differing_only_in_digits_are_two_people_not_a_typo():
    numbered = {
        **ROBERT,
        "email": "robert.smith2@acme.co.uk",
        "phone": "",
        "street": "",
        "postcode": "",
    }
    typo = {**numbered, "email": "robert.smtih@acme.co.uk"}
    assert pair_score(left=ROBERT, right=typo, target=CONTACT).score >= SETTINGS.auto_merge
    assert pair_score(left=ROBERT, right=numbered, target=CONTACT).score < SETTINGS.auto_merge


def test_names_alone_never_merge_automatically():
    only_name = person(first_name="Robert", last_name="Smith")
    assert score(person(first_name="Robert", last_name="Smith"), only_name) < SETTINGS.auto_merge


def test_field_scores_explain_the_pair():
    pair = pair_score(
        left=ROBERT, right={**ROBERT, "first_name": "Bob", "phone": ""}, target=CONTACT
    )
    assert pair.field_scores["first_name"] == 1.0  # Bob is Robert
    assert "phone" not in pair.field_scores  # missing on one side: not compared
    assert pair.field_scores["email"] == 1.0


def test_accounts_match_on_name_variants_and_website():
    acme = {"name": "Acme Ltd", "website": "https://www.acme.co.uk/", "city": "London"}
    assert score(acme, {"name": "ACME Limited", "website": "acme.co.uk"}, ACCOUNT) >= 0.92
    other = {"name": "Apex Foods plc", "website": "apexfoods.com"}
    assert score(acme, other, ACCOUNT) < 0.5


# --- clusters and decisions -----------------------------------------------------------------

A = {**ROBERT, "id": "A", "phone": ""}  # email, no phone
B = {**ROBERT, "id": "B", "first_name": "Bob"}  # email and phone
C = {**ROBERT, "id": "C", "email": "bob@gmail.com", "street": "", "postcode": "", "company": ""}


def test_clusters_are_transitive():
    assert score(A, C) < SETTINGS.auto_merge  # A and C share nothing but a name and a city...
    assert score(A, B) >= SETTINGS.auto_merge and score(B, C) >= SETTINGS.auto_merge
    clustering = cluster([A, B, C])
    assert groups([A, B, C], clustering) == [["A", "B", "C"]]  # ...and still end up together
    assert clustering.survivor[2] == 0  # the survivor is the earliest row


def test_a_split_holds_even_where_transitivity_would_join_the_two():
    decisions = Decisions(split={frozenset({"A", "C"})})
    clustering = cluster([A, B, C], decisions)
    found = groups([A, B, C], clustering)
    assert len(found) == 2
    assert not any({"A", "C"} <= set(group) for group in found)
    assert clustering.kept_apart == 1


def test_a_confirmed_merge_joins_records_whatever_their_score():
    stranger = person(id="Z", first_name="Zed", last_name="Zulu", email="zed@zulu.example")
    records = [A, stranger]
    assert groups(records, cluster(records)) == [["A"], ["Z"]]
    merged = cluster(records, Decisions(merge={frozenset({"A", "Z"})}))
    assert groups(records, merged) == [["A", "Z"]]
    assert merged.confirmed_pairs == 1


def test_a_split_beats_a_confirmed_merge_that_would_join_it_through_a_third():
    decisions = Decisions(
        merge={frozenset({"A", "B"}), frozenset({"B", "C"})}, split={frozenset({"A", "C"})}
    )
    found = groups([A, B, C], cluster([A, B, C], decisions))
    assert not any({"A", "C"} <= set(group) for group in found)


def test_pairs_between_the_thresholds_form_the_review_queue_until_decided():
    slip = {**ROBERT, "id": "M", "first_name": "Mary"}
    records = [{**ROBERT, "id": "R"}, slip]
    clustering = cluster(records)
    assert groups(records, clustering) == [["M"], ["R"]]
    (pair,) = clustering.review_pairs
    assert (pair.left_id, pair.right_id) == ("R", "M")
    assert SETTINGS.review <= pair.score < SETTINGS.auto_merge
    assert pair.field_scores["email"] == 1.0
    assert cluster(records, Decisions(split={frozenset({"R", "M"})})).review_pairs == []
    confirmed = cluster(records, Decisions(merge={frozenset({"R", "M"})}))
    assert confirmed.review_pairs == [] and groups(records, confirmed) == [["M", "R"]]


def test_the_review_queue_shows_one_pair_per_two_clusters():
    slip = {**ROBERT, "id": "M", "first_name": "Mary"}
    records = [{**ROBERT, "id": "R"}, {**ROBERT, "id": "R2", "first_name": "Bob"}, slip]
    clustering = cluster(records)
    assert groups(records, clustering) == [["M"], ["R", "R2"]]
    assert len(clustering.review_pairs) == 1


def test_thresholds_are_settings():
    records = [B, C]
    assert score(B, C) == 0.9997
    assert groups(records, cluster(records)) == [["B", "C"]]
    strict = cluster(records, settings=DedupeSettings(auto_merge=0.9999, review=0.9))
    assert groups(records, strict) == [["B"], ["C"]]
    assert [(p.left_id, p.right_id, p.score) for p in strict.review_pairs] == [("B", "C", 0.9997)]
    assert cluster(records, settings=DedupeSettings(auto_merge=1.0, review=1.0)).review_pairs == []


def test_names_alone_stay_below_auto_merge_whatever_the_thresholds():
    records = [{**A, "phone": "", "email": ""}, C]
    eager = DedupeSettings(auto_merge=0.3, review=0.1)
    assert groups(records, cluster(records, settings=eager)) == [["A"], ["C"]]


def test_a_very_common_name_is_compared_in_a_window_not_all_to_all():
    many = [
        person(
            id=f"S{n}",
            first_name="John",
            last_name="Smith",
            email=f"john.smith{n}@example.com",
            phone=f"+4420794{n:05d}",
            postcode=f"E{n % 20} 1AA",
        )
        for n in range(MAX_BLOCK * 6)
    ]
    twin = {**many[123], "id": "TWIN", "first_name": "Jon"}
    records = [*many, twin]
    clustering = cluster(records)
    n = len(records)
    assert clustering.candidate_pairs < n * (n - 1) // 10
    merged = [group for group in groups(records, clustering) if len(group) > 1]
    assert merged == [["S123", "TWIN"]]


def test_clustering_is_deterministic():
    records = [A, B, C, {**ROBERT, "id": "M", "first_name": "Mary"}]
    first, second = cluster(records), cluster(records)
    assert list(first.survivor) == list(second.survivor)
    assert first.review_pairs == second.review_pairs


# --- survivorship -----------------------------------------------------------------------------

TARGET = CONTACT.__class__(
    name="contact",
    label="Contact",
    fields=(
        *CONTACT.fields,
        TargetField("updated", "Updated", FieldType.DATE),
        TargetField("system", "Source system"),
    ),
)


def columns_of(records):
    return {name: [r.get(name, "") for r in records] for name in TARGET.field_names}


OLD_FULL = person(
    first_name="Robert", last_name="Smith", email="old@acme.co.uk", phone="+442079460018",
    company="Acme", title="Buyer", updated="2021-01-01", system="Salesforce",
)  # fmt: skip
NEW_SPARSE = person(
    first_name="Bob", last_name="Smith", email="new@acme.co.uk", title="Head of Buying",
    updated="2024-06-30", system="Hubspot",
)  # fmt: skip
UNDATED = person(first_name="R.", last_name="Smith", city="Leeds", system="Spreadsheet")


def test_most_complete_takes_each_value_from_the_fullest_record_and_fills_gaps():
    merged = survive([0, 1, 2], columns_of([OLD_FULL, NEW_SPARSE, UNDATED]), TARGET, SETTINGS)
    assert merged["email"] == "old@acme.co.uk"
    assert merged["title"] == "Buyer"
    assert merged["city"] == "Leeds"  # only one record has it: never lose a value


def test_most_complete_prefers_the_longer_value_between_equally_full_records():
    a = person(first_name="R.", last_name="Smith")
    b = person(first_name="Robert", last_name="Smith")
    assert survive([0, 1], columns_of([a, b]), TARGET, SETTINGS)["first_name"] == "Robert"


def test_most_recent_uses_the_recency_field_and_counts_undated_as_oldest():
    settings = DedupeSettings(
        survivorship={"email": "most_recent", "title": "most_recent", "city": "most_recent"},
        recency_field="updated",
    )
    merged = survive([0, 1, 2], columns_of([OLD_FULL, NEW_SPARSE, UNDATED]), TARGET, settings)
    assert (merged["email"], merged["title"]) == ("new@acme.co.uk", "Head of Buying")
    assert merged["city"] == "Leeds"
    assert merged["phone"] == "+442079460018"  # default rule for fields not listed


def test_most_recent_without_a_recency_field_prefers_later_rows():
    settings = DedupeSettings(default_rule="most_recent")
    merged = survive([0, 1], columns_of([OLD_FULL, NEW_SPARSE]), TARGET, settings)
    assert merged["email"] == "new@acme.co.uk"


def test_source_priority_follows_the_named_systems_then_completeness():
    settings = DedupeSettings(
        default_rule="source_priority",
        source_field="system",
        source_priority=("hubspot", "Salesforce"),
    )
    merged = survive([0, 1, 2], columns_of([OLD_FULL, NEW_SPARSE, UNDATED]), TARGET, settings)
    assert merged["email"] == "new@acme.co.uk"  # Hubspot first
    assert merged["phone"] == "+442079460018"  # Hubspot has none: Salesforce next
    assert merged["city"] == "Leeds"  # unlisted systems last


def test_settings_problems_are_sentences():
    assert DedupeSettings().problems(TARGET) == []
    problems = DedupeSettings(
        auto_merge=0.7, review=0.9, default_rule="best", survivorship={"nope": "most_recent"},
        recency_field="email",
    ).problems(TARGET)  # fmt: skip
    assert len(problems) == 4
    assert problems[0].startswith("The thresholds must satisfy")
