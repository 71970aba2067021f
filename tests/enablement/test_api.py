"""The usage API: per-firm keys (unknown, mistyped, revoked and another firm's refused), bulk
posting with every bad event reported, idempotence, and the schema and its offline docs."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from enablement.models import ApiKey, DirtyWeek, UsageEvent, UsageUpload
from enablement.services import api_keys
from engagements.models import Engagement, Role, Stakeholder
from engagements.tenancy import tenant_scope
from tests.conftest import signed_in
from tests.enablement.adoption_builders import MONDAY, feature, login, with_measures
from tests.factories import MembershipFactory, StakeholderFactory


@pytest.fixture(autouse=True)
def _there_before_the_scenario(world):
    """The events are dated 2025: the engagement started, and its people were added, before
    them (events before the start are refused; nobody is measured before being added)."""
    started = datetime(2025, 1, 1, tzinfo=UTC)
    Engagement.unscoped.update(start_date=started.date())
    Stakeholder.unscoped.update(created_at=started)
    world.engagement.start_date = started.date()


@pytest.fixture
def key_a(world) -> str:
    with tenant_scope(world.firm_a):
        _, key = api_keys.api_key_create(firm=world.firm_a, actor=world.consultant, name="CRM")
    return key


@pytest.fixture
def key_b(world) -> str:
    with tenant_scope(world.firm_b):
        _, key = api_keys.api_key_create(firm=world.firm_b, actor=world.consultant_b, name="B")
    return key


def events_url(engagement) -> str:
    return reverse("api_usage_events", args=[engagement.public_id])


def post(url: str, body, key: str | None = None, http: HttpClient | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"} if key else {}
    return (http or HttpClient()).post(
        url, json.dumps(body), content_type="application/json", **headers
    )


def stored(world) -> int:
    return UsageEvent.unscoped.filter(firm=world.firm_a).count()


def test_a_key_posts_events_and_gets_their_counts(world, key_a):
    ray = world.rep_stakeholder
    body = {"events": [login(ray, MONDAY), feature(ray, "pipeline", MONDAY)]}

    response = post(events_url(world.engagement), body, key_a)

    assert response.status_code == 201
    assert response.json() | {"id": None} == {
        "id": None, "status": "accepted", "received": 2, "stored": 2, "duplicates": 0,
        "skipped": 0, "rejected": 0, "errors": [], "notes": [],
    }  # fmt: skip
    assert stored(world) == 2
    upload = UsageUpload.unscoped.get()
    assert upload.api_key.name == "CRM" and upload.firm == world.firm_a


def test_posting_the_same_events_again_stores_nothing_more(world, key_a):
    body = {"events": [login(world.rep_stakeholder, MONDAY, id="sf-1")]}
    post(events_url(world.engagement), body, key_a)

    again = post(events_url(world.engagement), body, key_a)

    assert again.status_code == 201
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 1)
    assert stored(world) == 1


def test_every_bad_event_is_reported_with_its_position_and_nothing_is_stored(world, key_a):
    ray = world.rep_stakeholder
    body = {
        "events": [
            login(ray, MONDAY),
            {"user": "stranger@elsewhere.example", "kind": "login", "timestamp": "2025-03-03"},
            {"user": ray.email, "kind": "clicked", "timestamp": "yesterday-ish"},
            {"user": ray.email, "kind": "feature_used", "timestamp": "2025-03-03T10:00:00Z"},
            {"user": ray.email, "kind": "login", "timestamp": "2999-01-01T00:00:00Z"},
            "not an object",
        ]
    }

    response = post(events_url(world.engagement), body, key_a)

    assert response.status_code == 400
    assert response.json()["status"] == "rejected"
    assert response.json()["errors"] == [
        {"row": 2, "reason": "stranger@elsewhere.example is not a stakeholder of this engagement"},
        {"row": 3, "reason": "kind “clicked” is not one of login, record_created, "
         "record_updated, feature_used; “yesterday-ish” is not a date and time (use ISO 8601, "
         "e.g. 2025-03-04T09:15:00Z)"},
        {"row": 4, "reason": "a feature_used event needs the feature's name"},
        {"row": 5, "reason": "the timestamp 2999-01-01 00:00 UTC is in the future"},
        {"row": 6, "reason": "each event must be an object"},
    ]  # fmt: skip
    assert stored(world) == 0
    assert UsageUpload.unscoped.get().rejected == 5


def test_unknown_users_can_be_skipped_and_counted_instead(world, key_a):
    body = {
        "events": [
            login(world.rep_stakeholder, MONDAY),
            {"user": "integration@xylo.example", "kind": "login", "timestamp": "2025-03-03"},
        ],
        "skip_unknown_users": True,
    }

    response = post(events_url(world.engagement), body, key_a)

    assert response.status_code == 201
    assert (response.json()["stored"], response.json()["skipped"]) == (1, 1)
    assert "integration@xylo.example" in response.json()["notes"][0]


@pytest.mark.parametrize(
    "body",
    [{}, {"events": []}, {"events": "login"}, [1, 2]],
    ids=["no events", "empty", "not a list", "bare list"],
)
def test_a_malformed_body_is_refused_with_what_is_wrong(world, key_a, body):
    response = post(events_url(world.engagement), body, key_a)

    assert response.status_code == 400
    assert response.json()
    assert stored(world) == 0


def test_a_batch_over_the_limit_is_refused_whole(world, key_a, settings):
    from enablement.services import usage

    events = [login(world.rep_stakeholder, MONDAY)] * (usage.MAX_API_EVENTS + 1)

    response = post(events_url(world.engagement), {"events": events}, key_a)

    assert response.status_code == 400
    assert stored(world) == 0


@pytest.mark.parametrize(
    "header",
    [None, "Api-Key ", "Api-Key wp_nope_nope", "Api-Key not-even-the-shape", "Bearer wp_x_y"],
    ids=["no key", "empty key", "unknown key", "malformed key", "unknown bearer"],
)
def test_a_request_without_a_valid_key_gets_401(world, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    body = {"events": [login(world.rep_stakeholder, MONDAY)]}

    response = HttpClient().post(
        events_url(world.engagement), json.dumps(body), content_type="application/json", **headers
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Api-Key")
    assert stored(world) == 0


def test_a_mistyped_key_with_a_real_prefix_gets_401(world, key_a):
    response = post(events_url(world.engagement), {"events": []}, key_a[:-2] + "xx")

    assert response.status_code == 401


def test_a_revoked_key_gets_401_at_once(world, key_a):
    with tenant_scope(world.firm_a):
        api_keys.api_key_revoke(api_key=ApiKey.objects.get(), actor=world.owner)

    response = post(
        events_url(world.engagement), {"events": [login(world.rep_stakeholder, MONDAY)]}, key_a
    )

    assert response.status_code == 401
    assert stored(world) == 0


def test_another_firms_key_gets_404_on_this_firms_engagement_and_stores_nothing(world, key_b):
    body = {"events": [login(world.rep_stakeholder, MONDAY)]}

    posted = post(events_url(world.engagement), body, key_b)
    weekly = HttpClient().get(
        reverse("api_weekly_metrics", args=[world.engagement.public_id]),
        HTTP_AUTHORIZATION=f"Api-Key {key_b}",
    )

    assert posted.status_code == 404
    assert weekly.status_code == 404
    assert stored(world) == 0
    assert "Xylo" not in posted.content.decode() + weekly.content.decode()


def test_a_key_lists_only_its_own_firms_engagements(world, key_a, key_b):
    mine = HttpClient().get(reverse("api_engagements"), HTTP_AUTHORIZATION=f"Api-Key {key_a}")
    theirs = HttpClient().get(reverse("api_engagements"), HTTP_AUTHORIZATION=f"Api-Key {key_b}")

    assert {e["name"] for e in mine.json()["results"]} == {"Xylo sales system", "Yonder rollout"}
    assert [e["name"] for e in theirs.json()["results"]] == ["Beta secret deal"]


def test_the_key_is_stored_only_as_a_digest_and_its_use_is_recorded(world, key_a):
    row = ApiKey.unscoped.get()
    assert key_a not in (row.prefix, row.digest) and len(row.digest) == 64
    assert row.last_used_at is None

    HttpClient().get(reverse("api_engagements"), HTTP_AUTHORIZATION=f"Api-Key {key_a}")

    row.refresh_from_db()
    assert row.last_used_at is not None


def test_a_consultant_can_use_the_api_from_the_browser_session(world):
    http = signed_in(world.consultant)

    response = http.get(reverse("api_engagements"))

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_a_client_user_cannot_use_the_api(world):
    response = signed_in(world.approver).get(reverse("api_engagements"))

    assert response.status_code == 403


def test_weekly_metrics_are_read_back_per_stakeholder_and_week(world, key_a):
    from enablement.services import metrics

    with tenant_scope(world.firm_a):
        with_measures(world)
    post(events_url(world.engagement), {"events": [login(world.rep_stakeholder, MONDAY)]}, key_a)
    with tenant_scope(world.firm_a):
        metrics.metrics_compute(today=MONDAY + timedelta(days=10))
    url = reverse("api_weekly_metrics", args=[world.engagement.public_id])

    response = HttpClient().get(url, {"week": str(MONDAY)}, HTTP_AUTHORIZATION=f"Api-Key {key_a}")
    bad_week = HttpClient().get(url, {"week": "last"}, HTTP_AUTHORIZATION=f"Api-Key {key_a}")

    rows = {r["email"]: r for r in response.json()["results"]}
    assert rows[world.rep_stakeholder.email]["active_days"] == 1
    assert rows[world.approver.email]["active_days"] == 0
    assert bad_week.status_code == 400


def test_the_schema_describes_the_endpoints_and_the_key(world):
    response = HttpClient().get(reverse("api_schema"), HTTP_ACCEPT="application/json")

    schema = json.loads(response.content)
    assert "/api/v1/engagements/{public_id}/usage-events/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["in"] == "header"


def test_the_docs_are_served_from_our_own_static_files(world):
    response = HttpClient().get(reverse("api_docs"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page and "unpkg" not in page


def test_a_session_post_needs_the_csrf_token(world):
    http = HttpClient(enforce_csrf_checks=True)
    member = MembershipFactory(firm=world.firm_a, role=Role.CONSULTANT).user
    http.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
    with tenant_scope(world.firm_a):
        StakeholderFactory(engagement=world.engagement, email="csrf@xylo.example")

    response = post(
        events_url(world.engagement),
        {"events": [{"user": "csrf@xylo.example", "kind": "login", "timestamp": "2025-03-03"}]},
        http=http,
    )

    assert response.status_code == 403
    assert stored(world) == 0


def test_events_before_the_engagement_started_are_rejected_with_the_reason(world, key_a):
    ray = world.rep_stakeholder
    body = {
        "events": [
            login(ray, MONDAY),
            login(ray, date(2024, 12, 31)),
            {"user": ray.email, "kind": "login", "timestamp": "0001-01-01"},
            {"user": ray.email, "kind": "login", "timestamp": "0001-01-01T00:00:00+05:00"},
        ]
    }

    response = post(events_url(world.engagement), body, key_a)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "reason": "the timestamp 2024-12-31 09:00 UTC is before the engagement "
         "started (2025-01-01)"},
        {"row": 3, "reason": "the timestamp 0001-01-01 00:00 UTC is before the engagement "
         "started (2025-01-01)"},
        {"row": 4, "reason": "“0001-01-01T00:00:00+05:00” is out of range"},
    ]  # fmt: skip
    assert stored(world) == 0
    assert not DirtyWeek.unscoped.exists()


def test_without_a_start_date_events_more_than_two_years_old_are_rejected(world, key_a):
    Engagement.unscoped.filter(pk=world.engagement.pk).update(start_date=None)
    today = timezone.now().date()
    old, recent = today - timedelta(days=740), today - timedelta(days=700)
    ray = world.rep_stakeholder

    refused = post(events_url(world.engagement), {"events": [login(ray, old)]}, key_a)
    accepted = post(events_url(world.engagement), {"events": [login(ray, recent)]}, key_a)

    [error] = refused.json()["errors"]
    assert error["reason"] == (
        f"the timestamp {old} 09:00 UTC is more than two years old; set the engagement's "
        "start date to accept older usage"
    )
    assert accepted.status_code == 201
    assert stored(world) == 1


def test_two_integrations_may_use_the_same_event_ids(world, key_a):
    with tenant_scope(world.firm_a):
        _, marketing = api_keys.api_key_create(
            firm=world.firm_a, actor=world.consultant, name="Marketing automation"
        )
    ray, url = world.rep_stakeholder, events_url(world.engagement)
    crm_event = {"events": [login(ray, MONDAY, id="1")]}
    marketing_event = {"events": [feature(ray, "pipeline", MONDAY) | {"id": "1"}]}
    by_hand = {"events": [login(ray, MONDAY, 15, id="1")]}

    crm = post(url, crm_event, key_a)
    other = post(url, marketing_event, marketing)
    session = post(url, by_hand, http=signed_in(world.consultant))
    crm_again = post(url, crm_event, key_a)
    session_again = post(url, by_hand, http=signed_in(world.consultant))

    assert [r.json()["stored"] for r in (crm, other, session)] == [1, 1, 1]
    assert [r.json()["duplicates"] for r in (crm_again, session_again)] == [1, 1]
    assert stored(world) == 3
