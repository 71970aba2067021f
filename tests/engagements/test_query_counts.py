"""List and portal pages run the same number of queries however many rows they show."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagements.models import Milestone, RaciAssignment, SuccessMetric, Tool
from engagements.phases import WORKING_PHASES
from engagements.services import signoffs
from engagements.tenancy import tenant_scope
from tests.builders import ready_charter
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


def _grow_the_charter(world) -> None:
    """10 tools, metrics and milestones, and 5 more stakeholders with a RACI row each phase."""
    engagement, firm = world.engagement, world.firm_a
    for n in range(10):
        Tool.unscoped.create(firm=firm, engagement=engagement, name=f"Tool {n}", category="crm")
        SuccessMetric.unscoped.create(
            firm=firm, engagement=engagement, name=f"Metric {n}", baseline=n, target=n + 1
        )
        Milestone.unscoped.create(
            firm=firm,
            engagement=engagement,
            phase=WORKING_PHASES[n % len(WORKING_PHASES)],
            title=f"Milestone {n}",
            due_date=date(2030, 1, n + 1),
        )
    for stakeholder in [
        world.approver_stakeholder,
        *StakeholderFactory.create_batch(5, engagement=engagement),
    ]:
        for phase in WORKING_PHASES:
            RaciAssignment.unscoped.create(
                firm=firm,
                engagement=engagement,
                stakeholder=stakeholder,
                phase=phase,
                responsibility="C",
            )


def test_the_onboarding_page_query_count_does_not_grow_with_the_charter(as_consultant, world):
    url = reverse("onboarding", args=[world.engagement.public_id])
    _queries(as_consultant, url)  # the first view creates the phase's state row
    few = _queries(as_consultant, url)
    _grow_the_charter(world)
    assert _queries(as_consultant, url) == few


def test_the_portal_onboarding_query_count_does_not_grow_with_the_charter(as_approver, world):
    url = reverse("portal_onboarding", args=[world.engagement.public_id])
    _queries(as_approver, url)
    few = _queries(as_approver, url)
    _grow_the_charter(world)
    assert _queries(as_approver, url) == few


def test_the_onboarding_pages_query_counts_do_not_grow_with_the_changes_to_review(
    as_consultant, as_approver, world
):
    """With sign-off open, each page shows every change since the request."""
    ready_charter(world)
    as_consultant.post(reverse("signoff_request", args=[world.engagement.public_id, "onboarding"]))
    urls = [
        (as_consultant, reverse("onboarding", args=[world.engagement.public_id])),
        (as_approver, reverse("portal_onboarding", args=[world.engagement.public_id])),
    ]
    few = [_queries(http, url) for http, url in urls]
    _grow_the_charter(world)
    with tenant_scope(world.firm_a):
        signoffs.signoff_refresh_staleness(engagement=world.engagement, actor=world.consultant)
    assert "Added: Tool 9" in as_approver.get(urls[1][1]).content.decode()
    assert [_queries(http, url) for http, url in urls] == few
