"""Usage data from files: a CRM's login-history export and a record export, each validated row
by row, imported all or nothing, and idempotent."""

from datetime import UTC, date, datetime

import pytest

from enablement.models import UploadStatus, UsageEvent, UsageKind, WeeklyMetric
from enablement.services import metrics, usage
from engagements.errors import ApplicationError
from engagements.models import Engagement, Stakeholder
from tests.enablement.adoption_builders import MONDAY, person, with_measures


@pytest.fixture(autouse=True)
def _there_before_the_scenario(world):
    """The files are dated 2025: the engagement started, and its people were added, before them
    (events before the start are refused; nobody is measured before being added)."""
    started = datetime(2025, 1, 1, tzinfo=UTC)
    Engagement.unscoped.update(start_date=started.date())
    Stakeholder.unscoped.update(created_at=started)
    world.engagement.start_date = started.date()


@pytest.fixture
def xylo(firm_a_scope):
    with_measures(firm_a_scope)
    person(firm_a_scope, "Ann Able", email="ann@xylo.example")
    return firm_a_scope


def logins(world, text: str, **options):
    return usage.login_csv_ingest(
        engagement=world.engagement,
        data=text.encode(options.pop("encoding", "utf-8")),
        filename="logins.csv",
        actor=world.consultant,
        **options,
    )


def records(world, text: str, **options):
    return usage.record_export_ingest(
        engagement=world.engagement,
        data=text.encode(),
        filename="opportunities.csv",
        actor=world.consultant,
        object_name=options.pop("object_name", "Opportunity"),
        snapshot_date=options.pop("snapshot_date", date(2025, 3, 7)),
        **options,
    )


SALESFORCE_LOGINS = """Username,Login Time,Status,Application
ann@xylo.example,2025-03-03 08:59:00,Success,Browser
ANN@xylo.example,2025-03-04T09:15:00Z,Success,Browser
ann@xylo.example,2025-03-05 10:00:00,Invalid Password,Browser
"""


def test_a_login_history_becomes_login_events_and_failed_attempts_are_skipped(xylo):
    upload = logins(xylo, SALESFORCE_LOGINS)

    assert upload.status == UploadStatus.ACCEPTED
    assert (upload.received, upload.stored, upload.skipped) == (3, 2, 1)
    assert "Skipped 1 failed login attempt." in upload.notes
    assert list(UsageEvent.objects.values_list("kind", "day", "week")) == [
        (UsageKind.LOGIN, date(2025, 3, 3), MONDAY),
        (UsageKind.LOGIN, date(2025, 3, 4), MONDAY),
    ]


def test_uploading_the_same_export_again_stores_nothing_more(xylo):
    logins(xylo, SALESFORCE_LOGINS)

    again = logins(xylo, SALESFORCE_LOGINS)

    assert (again.stored, again.duplicates) == (0, 2)
    assert UsageEvent.objects.count() == 2


def test_semicolons_another_encoding_and_other_column_names_are_understood(xylo):
    text = "E-mail;Logged in at\nann@xylo.example;2025-03-03 08:00\n".replace("E-mail", "Email")

    upload = logins(xylo, "\ufeff" + text, encoding="utf-16")

    assert upload.stored == 1


def test_every_bad_row_is_reported_by_line_and_nothing_is_stored(xylo):
    text = (
        "Email,Login Time\n"
        "ann@xylo.example,2025-03-03 08:00\n"
        "nobody@xylo.example,2025-03-03 08:00\n"
        "ann@xylo.example,03/33/2025\n"
        ",2025-03-03 08:00\n"
    )

    upload = logins(xylo, text)

    assert upload.status == UploadStatus.REJECTED
    assert upload.errors == [
        {"row": 3, "reason": "nobody@xylo.example is not a stakeholder of this engagement"},
        {"row": 4, "reason": "“03/33/2025” is not a date and time (use ISO 8601, e.g. "
         "2025-03-04T09:15:00Z)"},
        {"row": 5, "reason": "the user's email is missing"},
    ]  # fmt: skip
    assert not UsageEvent.objects.exists()


def test_a_file_without_the_needed_columns_is_refused_with_what_it_has(xylo):
    with pytest.raises(ApplicationError, match="No column with the login time found") as error:
        logins(xylo, "Email,Browser\nann@xylo.example,Firefox\n")

    assert "The file's columns are: email, browser." in error.value.message


def test_an_empty_file_is_refused(xylo):
    with pytest.raises(ApplicationError, match="empty"):
        logins(xylo, "")


def test_a_file_with_only_a_header_is_rejected_as_having_no_events(xylo):
    upload = logins(xylo, "Email,Login Time\n")

    assert upload.status == UploadStatus.REJECTED
    assert upload.errors == [{"row": 0, "reason": "there are no events in it"}]


OPPORTUNITIES = """Id,Owner Email,Amount,Close Date,Stage,Next Step,Last Modified Date
OPP-1,ann@xylo.example,5000,2025-04-01,Proposal,Demo,2025-03-04
OPP-2,ann@xylo.example,,2025-04-15,Qualification,,2025-03-05
OPP-3,ann@xylo.example,1200,2025-05-01,Negotiation,Call,
"""


def test_a_record_export_measures_completeness_against_the_required_fields(xylo):
    upload = records(xylo, OPPORTUNITIES)
    metrics.metrics_compute(today=date(2025, 3, 20))

    ann = WeeklyMetric.objects.get(stakeholder__email="ann@xylo.example", week=MONDAY)
    assert (upload.stored, ann.records) == (3, 3)
    # 4 + 2 + 4 of 12 required fields filled
    assert (ann.required_filled, ann.required_total, ann.completeness) == (10, 12, 83.3)
    snapshot = UsageEvent.objects.get(record_id="OPP-3")
    assert snapshot.day == date(2025, 3, 7)  # no last-modified date: the export date


def test_the_same_records_unchanged_are_duplicates_and_a_changed_one_is_new(xylo):
    records(xylo, OPPORTUNITIES)
    changed = OPPORTUNITIES.replace(",,2025-04-15,Qualification,,2025-03-05",
                                    ",900,2025-04-15,Qualification,Call,2025-03-06")  # fmt: skip

    again = records(xylo, changed)

    assert (again.stored, again.duplicates) == (1, 2)


def test_a_record_export_needs_required_fields_for_its_object(xylo):
    with pytest.raises(ApplicationError, match="No required fields are set for “Account”"):
        records(xylo, OPPORTUNITIES, object_name="Account")


def test_a_record_export_missing_a_required_column_is_refused(xylo):
    text = "Id,Owner Email,Amount,Stage\nOPP-1,ann@xylo.example,5,Won\n"

    with pytest.raises(ApplicationError, match="“close date”, “next step”"):
        records(xylo, text)


def test_rows_of_unknown_owners_can_be_skipped(xylo):
    text = OPPORTUNITIES + "OPP-9,admin@xylo.example,1,2025-01-01,Won,None,2025-03-04\n"

    refused = records(xylo, text)
    accepted = records(xylo, text, skip_unknown_users=True)

    assert refused.status == UploadStatus.REJECTED and refused.rejected == 1
    assert (accepted.stored, accepted.skipped) == (3, 1)
    assert "admin@xylo.example" in accepted.notes[0]


def test_demo_events_go_through_the_same_ingestion_and_are_idempotent(xylo):
    first = usage.demo_events(engagement=xylo.engagement, weeks=3)
    again = usage.demo_events(engagement=xylo.engagement, weeks=3)

    assert first.status == UploadStatus.ACCEPTED and first.stored > 0
    assert again.stored == 0


def test_a_login_dated_before_the_engagement_started_is_a_bad_row(xylo):
    upload = logins(
        xylo,
        "Email,Login Time\nann@xylo.example,2025-03-03 08:00\nann@xylo.example,0001-01-01 08:00\n",
    )

    assert upload.status == UploadStatus.REJECTED
    assert upload.errors == [
        {"row": 3, "reason": "the timestamp 0001-01-01 08:00 UTC is before the engagement "
         "started (2025-01-01)"},
    ]  # fmt: skip
    assert not UsageEvent.objects.exists()
