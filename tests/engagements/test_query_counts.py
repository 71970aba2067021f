"""List and portal pages run the same number of queries however many rows they show."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ClientFactory, EngagementFactory, StakeholderFactory


def _queries(http, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


def test_the_dashboard_query_count_does_not_grow_with_engagements(as_consultant, world):
    url = reverse("dashboard")
    few = _queries(as_consultant, url)
    EngagementFactory.create_batch(10, client=world.client_x, lead_consultant=world.consultant)
    assert _queries(as_consultant, url) == few


def test_the_client_list_query_count_does_not_grow_with_clients(as_consultant, world):
    url = reverse("client_list")
    few = _queries(as_consultant, url)
    ClientFactory.create_batch(10, firm=world.firm_a)
    assert _queries(as_consultant, url) == few


def test_the_engagement_page_query_count_does_not_grow_with_stakeholders(as_consultant, world):
    url = reverse("engagement_detail", args=[world.engagement.public_id])
    few = _queries(as_consultant, url)
    StakeholderFactory.create_batch(10, engagement=world.engagement)
    assert _queries(as_consultant, url) == few


def test_the_portal_home_query_count_does_not_grow_with_engagements(as_approver, world):
    url = reverse("portal_home")
    few = _queries(as_approver, url)
    for _ in range(5):
        engagement = EngagementFactory(client=world.client_x, lead_consultant=world.consultant)
        StakeholderFactory(engagement=engagement, user=world.approver, has_portal_access=True)
    assert _queries(as_approver, url) == few


def test_the_portal_engagement_query_count_does_not_grow_with_stakeholders(as_approver, world):
    url = reverse("portal_engagement", args=[world.engagement.public_id])
    few = _queries(as_approver, url)
    StakeholderFactory.create_batch(10, engagement=world.engagement)
    assert _queries(as_approver, url) == few
