"""Adoption pages in the workspace and the portal: the dashboard and its empty state, uploads
through the page, settings that keep what was typed, API keys shown once and revoked after a
confirmation, the recompute job, and query counts that do not grow with the rows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enablement.models import AdoptionThreshold, ApiKey, KeyFeature, UsageEvent, UsageUpload
from enablement.services import api_keys, metrics
from enablement.services.usage import week_of
from engagements.models import Engagement, Job, JobStatus, Stakeholder, StakeholderRole
from engagements.tenancy import tenant_scope
from tests.conftest import signed_in
from tests.enablement.adoption_builders import feature, login, person, send, with_measures
from tests.enablement.training_builders import client_user


@pytest.fixture(autouse=True)
def _there_before_the_scenario(world):
    """Some uploads are dated 2025: the engagement started, and its people were added, before
    them (events before the start are refused; nobody is measured before being added)."""
    started = datetime(2025, 1, 1, tzinfo=UTC)
    Engagement.unscoped.update(start_date=started.date())
    Stakeholder.unscoped.update(created_at=started)
    world.engagement.start_date = started.date()


def url(name: str, world, *args) -> str:
    return reverse(name, args=[world.engagement.public_id, *args])


def weeks_of_usage(world, people: int = 2, weeks: int = 3) -> None:
    """`people` more reps, with logins and a key feature in each of the last `weeks` weeks."""
    with tenant_scope(world.firm_a):
        with_measures(world)
        have = Stakeholder.objects.filter(email__startswith="rep").count()
        for n in range(have, have + people):
            person(world, f"Rep {n}", email=f"rep{n}@xylo.example")
        everyone = [world.rep_stakeholder, *Stakeholder.objects.filter(email__startswith="rep")]
        last = week_of(timezone.localdate()) - timedelta(days=7)
        for w in range(weeks):
            monday = last - timedelta(days=7 * w)
            for index, who in enumerate(everyone):
                send(world.engagement, login(who, monday), feature(who, "pipeline", monday))
                if index % 2:
                    send(world.engagement, login(who, monday + timedelta(days=1)))
        metrics.metrics_compute()


def queries(http, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(path).status_code == 200
    return len(captured)


# --- dashboard -----------------------------------------------------------------------------------


def test_the_dashboard_says_what_to_do_before_any_usage_arrives(world):
    page = signed_in(world.consultant).get(url("adoption", world)).content.decode()

    assert "No adoption metrics yet" in page
    assert "No open alerts" in page
    assert reverse("adoption_data", args=[world.engagement.public_id]) in page


def test_the_dashboard_shows_trends_the_weakest_people_features_and_training(world):
    weeks_of_usage(world)

    response = signed_in(world.consultant).get(url("adoption", world), {"weeks": 8})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="adoption-chart"') == 4
    assert "Adoption score per role and week" in page
    assert "Ray Rep" in page and "Vera Vice" in page
    assert "activity logging" in page  # a key feature nobody used, listed first
    assert "Training beside adoption" in page
    assert '<option value="8" selected>' in page


def test_the_dashboard_queries_do_not_grow_with_people_weeks_or_events(world):
    http = signed_in(world.consultant)
    weeks_of_usage(world, people=1, weeks=1)
    few = queries(http, url("adoption", world))

    weeks_of_usage(world, people=12, weeks=6)
    many = queries(http, url("adoption", world))

    assert few == many


@pytest.mark.parametrize("name", ["adoption_data", "adoption_alerts", "adoption_settings"])
def test_the_other_adoption_pages_query_a_fixed_number_of_times(world, name):
    http = signed_in(world.consultant)
    weeks_of_usage(world, people=1, weeks=1)
    few = queries(http, url(name, world))

    weeks_of_usage(world, people=10, weeks=4)
    many = queries(http, url(name, world))

    assert few == many


def test_recompute_now_runs_the_job_and_the_dashboard_shows_it_done(world, committed):
    weeks_of_usage(world, people=0, weeks=1)
    with tenant_scope(world.firm_a):
        send(world.engagement, login(world.rep_stakeholder, timezone.localdate()))
    http = signed_in(world.consultant)

    with committed():
        response = http.post(url("adoption_recompute", world))

    assert response.status_code == 302
    job = Job.unscoped.get(kind="adoption_metrics")
    assert job.status == JobStatus.SUCCEEDED
    page = http.get(url("adoption", world)).content.decode()
    assert "received new events since" not in page


# --- usage data in ------------------------------------------------------------------------------


LOGINS = "Email,Login Time\n{email},2025-03-03 09:00\n"


def upload(http, world, form: str, text: str, name: str = "export.csv", **fields):
    data = {"form": form, f"{form}-file": SimpleUploadedFile(name, text.encode())}
    data |= {f"{form}-{key}": value for key, value in fields.items()}
    return http.post(url("adoption_data", world), data)


def test_a_login_history_upload_is_stored_and_its_counts_shown(world):
    http = signed_in(world.consultant)

    response = upload(http, world, "logins", LOGINS.format(email=world.rep_stakeholder.email))

    upload_row = UsageUpload.unscoped.get()
    assert response.status_code == 302
    assert response.url == url("adoption_upload", world, upload_row.public_id)
    page = http.get(response.url).content.decode()
    assert "1 new events stored" in page and "Accepted" in page
    assert UsageEvent.unscoped.count() == 1


def test_a_rejected_upload_lists_each_bad_row_and_stores_nothing(world):
    http = signed_in(world.consultant)
    text = LOGINS.format(email="nobody@xylo.example") + "ray@x,not a time\n"

    response = upload(http, world, "logins", text)

    page = http.get(response.url).content.decode()
    assert "was not imported: 2 rows have problems" in page
    assert "nobody@xylo.example is not a stakeholder of this engagement" in page
    assert "“not a time” is not a date and time" in page
    assert not UsageEvent.unscoped.exists()


def test_a_spreadsheet_instead_of_a_csv_is_refused_on_the_form(world):
    import io
    import zipfile

    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>" * 50)
    data = {
        "form": "logins",
        "logins-file": SimpleUploadedFile("logins.xlsx", workbook.getvalue()),
        "logins-skip_unknown_users": "on",
    }

    response = signed_in(world.consultant).post(url("adoption_data", world), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "The file is not readable text. Export it from the CRM as CSV." in page
    checkbox = page.split('name="logins-skip_unknown_users"')[1].split(">")[0]
    assert "checked" in checkbox


def test_a_record_export_for_an_object_without_required_fields_keeps_what_was_typed(world):
    response = upload(
        signed_in(world.consultant), world, "records",
        "Id,Owner Email,Amount\n1,ray@x,5\n", object_name="Invoice", snapshot_date="2025-03-07",
    )  # fmt: skip

    assert response.status_code == 400
    page = response.content.decode()
    assert "No required fields are set for “Invoice”" in page
    assert 'value="Invoice"' in page and 'value="2025-03-07"' in page


def test_an_upload_without_a_file_says_so(world):
    response = signed_in(world.consultant).post(url("adoption_data", world), {"form": "logins"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_the_rejected_rows_of_a_large_upload_are_paginated(world):
    http = signed_in(world.consultant)
    text = "Email,Login Time\n" + "".join(f"x{n}@nowhere.example,2025-03-03\n" for n in range(120))

    page_one = http.get(upload(http, world, "logins", text).url).content.decode()
    upload_row = UsageUpload.unscoped.get()
    page_three = http.get(url("adoption_upload", world, upload_row.public_id), {"page": 3})

    assert "Page 1 of 3" in page_one and "x0@nowhere.example" in page_one
    assert "x119@nowhere.example" in page_three.content.decode()


# --- settings -----------------------------------------------------------------------------------


def thresholds_post(world, **changes) -> dict:
    with tenant_scope(world.firm_a):
        from enablement.services import alerts

        values = alerts.thresholds_for(engagement=world.engagement)
    data = {f"t-{role}-{metric}": value for (role, metric), value in values.items()}
    data["settings-consecutive_weeks"] = 2
    return data | changes


def test_thresholds_are_saved(world):
    response = signed_in(world.consultant).post(
        url("adoption_settings", world), thresholds_post(world, **{"t-rep-active_days": "4"})
    )

    assert response.status_code == 302
    saved = AdoptionThreshold.unscoped.get(role="rep", metric="active_days")
    assert saved.value == 4


def test_an_impossible_threshold_is_refused_and_what_was_typed_is_kept(world):
    data = thresholds_post(world, **{"t-rep-active_days": "9", "t-ops-score": "55"})

    response = signed_in(world.consultant).post(url("adoption_settings", world), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 7" in page
    assert 'name="t-ops-score" value="55"' in page
    assert not AdoptionThreshold.unscoped.exists()


def test_key_features_are_added_one_by_one_or_from_the_suggestions(world):
    http = signed_in(world.consultant)

    http.post(url("adoption_feature_add", world), {"suggested": "rep"})
    http.post(url("adoption_feature_add", world), {"feature-role": "rep", "feature-name": " CPQ "})
    duplicate = http.post(
        url("adoption_feature_add", world), {"feature-role": "rep", "feature-name": "cpq"}
    )

    names = set(KeyFeature.unscoped.filter(role="rep").values_list("name", flat=True))
    assert names == {"pipeline", "activity logging", "search", "cpq"}
    assert duplicate.status_code == 400
    assert "“cpq” is already a key feature of Rep." in duplicate.content.decode()


def test_a_key_feature_is_removed(world):
    http = signed_in(world.consultant)
    http.post(url("adoption_feature_add", world), {"suggested": "manager"})
    forecast = KeyFeature.unscoped.get(name="forecast")

    response = http.post(url("adoption_feature_delete", world, forecast.public_id))

    assert response.status_code == 302
    assert not KeyFeature.unscoped.filter(name="forecast").exists()


def test_required_fields_are_added_and_removed(world):
    http = signed_in(world.consultant)
    http.post(url("adoption_field_add", world), {"suggested": "1"})
    http.post(
        url("adoption_field_add", world),
        {"field-object_name": "Opportunity", "field-field_name": "Lead Source"},
    )
    from enablement.models import RequiredField

    fields = set(RequiredField.unscoped.values_list("object_name", "field_name"))
    assert ("opportunity", "lead source") in fields and len(fields) == 5
    stage = RequiredField.unscoped.get(field_name="stage")
    http.post(url("adoption_field_delete", world, stage.public_id))
    assert not RequiredField.unscoped.filter(field_name="stage").exists()


# --- API keys -----------------------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_stored_only_as_a_digest(world):
    http = signed_in(world.consultant)

    created = http.post(reverse("api_keys"), {"name": "Salesforce sync"})
    listed = http.get(reverse("api_keys"))

    key = ApiKey.unscoped.get()
    page = created.content.decode()
    shown = page.split('id="new-key-value" type="text" readonly value="')[1].split('"')[0]
    assert shown.startswith(f"wp_{key.prefix}_")
    assert created["Cache-Control"] == "no-store"
    assert shown not in listed.content.decode()
    assert api_keys.api_key_authenticate(key=shown) == key


def test_a_key_name_is_required_and_unique_among_active_keys(world):
    http = signed_in(world.consultant)
    http.post(reverse("api_keys"), {"name": "Sync"})

    empty = http.post(reverse("api_keys"), {"name": ""})
    twice = http.post(reverse("api_keys"), {"name": "sync"})

    assert empty.status_code == twice.status_code == 400
    assert "An active key named “sync” already exists." in twice.content.decode()
    assert ApiKey.unscoped.count() == 1


def test_revoking_a_key_asks_first_then_refuses_the_key(world):
    with tenant_scope(world.firm_a):
        key, secret = api_keys.api_key_create(firm=world.firm_a, actor=world.owner, name="Sync")
    http = signed_in(world.consultant)
    revoke = reverse("api_key_revoke", args=[key.public_id])

    confirm = http.get(revoke)
    assert "stops working at once" in confirm.content.decode()
    assert ApiKey.unscoped.get().revoked_at is None

    response = http.post(revoke)

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == world.consultant
    assert api_keys.api_key_authenticate(key=secret) is None
    assert "Revoked" in http.get(reverse("api_keys")).content.decode()


def test_the_key_list_is_paginated_with_fixed_queries(world):
    http = signed_in(world.consultant)
    with tenant_scope(world.firm_a):
        api_keys.api_key_create(firm=world.firm_a, actor=world.owner, name="First")
    few = queries(http, reverse("api_keys"))
    with tenant_scope(world.firm_a):
        for n in range(30):
            api_keys.api_key_create(firm=world.firm_a, actor=world.owner, name=f"Key {n}")

    assert queries(http, reverse("api_keys")) == few
    assert "Page 1 of 2" in http.get(reverse("api_keys")).content.decode()


# --- portal -------------------------------------------------------------------------------------


def test_the_approver_sees_the_teams_adoption_in_the_portal(world):
    weeks_of_usage(world, people=2)

    page = signed_in(world.approver).get(url("portal_adoption", world)).content.decode()

    assert "Lowest adoption" in page
    assert "Ray Rep" in page and "Rep 1" in page


def test_a_rep_sees_only_their_own_figures_in_the_portal(world):
    weeks_of_usage(world, people=2)
    with tenant_scope(world.firm_a):
        user, me = client_user(world, name="Rita Rep", email="rita@xylo.example")
        send(world.engagement, login(me, week_of(timezone.localdate()) - timedelta(days=7)))
        metrics.metrics_compute()
    page = signed_in(user).get(url("portal_adoption", world)).content.decode()

    assert "Your adoption" in page and "Rita Rep" in page
    assert "Ray Rep" not in page and "Rep 1" not in page


def test_the_portal_dashboard_queries_do_not_grow_with_rows(world):
    http = signed_in(world.approver)
    weeks_of_usage(world, people=1, weeks=1)
    few = queries(http, url("portal_adoption", world))

    weeks_of_usage(world, people=10, weeks=5)

    assert queries(http, url("portal_adoption", world)) == few


def test_a_manager_in_the_portal_sees_the_team_view(world):
    with tenant_scope(world.firm_a):
        user, _ = client_user(world, name="Max Manager", email="max@xylo.example",
                              role=StakeholderRole.MANAGER)  # fmt: skip
    weeks_of_usage(world, people=1)

    page = signed_in(user).get(url("portal_adoption", world)).content.decode()

    assert "Lowest adoption" in page and "Ray Rep" in page


def test_many_open_alerts_are_paginated_and_the_dashboard_shows_the_first_ten(world):
    from enablement.models import AdoptionAlert

    with tenant_scope(world.firm_a):
        for n in range(25):
            who = person(world, f"Quiet {n:02d}", email=f"quiet{n}@xylo.example")
            AdoptionAlert.objects.create(
                firm=world.firm_a, engagement=world.engagement, subject=f"stakeholder:{who.pk}",
                stakeholder=who, role="rep", metric="active_days", severity="warning",
                title=f"Quiet {n:02d}: active days below 3 days for 2 weeks", threshold=3,
                value=0, weeks_below=2, first_week=timezone.localdate(),
                last_week=timezone.localdate(),
            )  # fmt: skip
    http = signed_in(world.consultant)

    dashboard = http.get(url("adoption", world)).content.decode()
    second = http.get(url("adoption_alerts", world), {"open": 2}).content.decode()

    assert dashboard.count('class="alert-warning"') == 10
    assert "See all 25 open alerts" in dashboard
    assert "Page 2 of 2" in second and second.count('class="alert-warning"') == 5
