"""The pages that say what waits on whom run the same number of queries at one engagement and at
many, with one item of each kind and with many."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from architecture.models import Criterion, Evaluation, EvaluationEvaluator, Vendor
from diagnostics.models import Workshop, WorkshopAttendee, WorkshopPrompt
from enablement.models import AdoptionAlert, TrainingAssignment, TrainingModule
from engagements.models import (
    Engagement,
    PhaseState,
    PhaseStatus,
    SignoffRequest,
    Stakeholder,
)
from engagements.phases import Phase
from engagements.waiting import READINESS_LIMIT
from launch.models import Incident, RunbookStep
from sprints.models import (
    Deliverable,
    Scenario,
    ScenarioStep,
    Sprint,
    UatParticipant,
    UatRound,
    UatScenario,
)
from tests.factories import EngagementFactory, StakeholderFactory


def _queries(http, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


def loaded(
    world, phase: str, *, items: int = 1, engagement: Engagement | None = None, tag: str = ""
):
    """An engagement of Xylo led by the consultant, in `phase` (the earlier phases reached but
    not signed off, so each still takes input) with its sign-off open, awaiting the approver,
    and `items` of every other kind waiting on the approver and on the consultant."""
    firm = world.firm_a
    engagement = engagement or EngagementFactory(
        client=world.client_x, lead_consultant=world.consultant
    )
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=phase)
    me = Stakeholder.unscoped.filter(engagement=engagement, user=world.approver).first()
    me = me or StakeholderFactory(
        engagement=engagement,
        user=world.approver,
        email=world.approver.email,
        name="Vera Vice",
        is_approver=True,
        has_portal_access=True,
    )
    if not PhaseState.unscoped.filter(engagement=engagement, phase=phase).exists():
        PhaseState.unscoped.create(
            firm=firm, engagement=engagement, phase=phase, status=PhaseStatus.AWAITING_SIGNOFF
        )
        SignoffRequest.unscoped.create(
            firm=firm, engagement=engagement, phase=phase, snapshot={}, digest="0" * 64,
            approver_ids=[me.pk], due_date=timezone.localdate() + timedelta(days=2),
        )  # fmt: skip
    now, today = timezone.now(), timezone.localdate()
    sprint = Sprint.unscoped.create(
        firm=firm, engagement=engagement, name="Sprint", focus="crm", goal="Goal",
        start_date=today, end_date=today,
    )  # fmt: skip
    uat_round = UatRound.unscoped.create(firm=firm, engagement=engagement, name="UAT")
    UatParticipant.unscoped.create(firm=firm, uat_round=uat_round, stakeholder=me)
    evaluation = Evaluation.unscoped.create(firm=firm, engagement=engagement, title="CRM")
    EvaluationEvaluator.unscoped.create(firm=firm, evaluation=evaluation, stakeholder=me)
    Criterion.unscoped.create(firm=firm, evaluation=evaluation, name="Fit", weight=100)
    for n in range(items):
        module = TrainingModule.unscoped.create(
            firm=firm, engagement=engagement, role="rep", title=f"Module {n}{tag}"
        )
        TrainingAssignment.unscoped.create(
            firm=firm, engagement=engagement, module=module, stakeholder=me
        )
        workshop = Workshop.unscoped.create(
            firm=firm, engagement=engagement, title=f"Workshop {n}", group="rep", objective="O"
        )
        WorkshopAttendee.unscoped.create(firm=firm, workshop=workshop, stakeholder=me)
        WorkshopPrompt.unscoped.create(firm=firm, workshop=workshop, group="rep", text="Q?")
        scenario = Scenario.unscoped.create(
            firm=firm, engagement=engagement, title=f"Scenario {n}", changed_at=now
        )
        ScenarioStep.unscoped.create(
            firm=firm, scenario=scenario, action="Do", expected_result="Done", role="rep"
        )
        UatScenario.unscoped.create(firm=firm, uat_round=uat_round, scenario=scenario)
        Vendor.unscoped.create(firm=firm, evaluation=evaluation, name=f"Vendor {n}{tag}")
        Deliverable.unscoped.create(
            firm=firm, engagement=engagement, sprint=sprint, title=f"Deliverable {n}"
        )
        RunbookStep.unscoped.create(
            firm=firm, engagement=engagement, title=f"Step {n}", owner="Bob", planned_at=now
        )
        incident = Incident.unscoped.create(
            firm=firm, engagement=engagement, title=f"Incident {n}", category="access",
            severity="sev1", reported_by=world.approver,
        )  # fmt: skip
        Incident.unscoped.filter(pk=incident.pk).update(created_at=now - timedelta(hours=3))
        AdoptionAlert.unscoped.create(
            firm=firm, engagement=engagement, subject=f"role:rep:{n}{tag}", role="rep",
            metric="login_rate", severity="warning", title=f"Alert {n}", threshold=0.8,
            value=0.2, weeks_below=2, first_week=today, last_week=today,
        )  # fmt: skip
    return engagement


STAFF_PHASES = (Phase.BUILD, Phase.LAUNCH, Phase.ENABLEMENT)
"""Deliverables wait in the build phase, runbook steps in the launch phase."""


def test_the_portal_home_query_count_does_not_grow_with_engagements_or_items(as_approver, world):
    loaded(world, Phase.ENABLEMENT, engagement=world.engagement)
    url = reverse("portal_home")
    one = _queries(as_approver, url)
    body = as_approver.get(url).content.decode()
    for words in ("Sign off", "Take “Module 0”", "Workshop 0", "Test 1 scenario", "Score the"):
        assert words in body
    for _ in range(4):
        loaded(world, Phase.ENABLEMENT, items=5)
    assert as_approver.get(url).content.decode().count('class="waiting-card') == 5 + 4 * (
        1 + 5 + 5 + 1 + 1
    )
    assert _queries(as_approver, url) == one


def test_the_portal_engagement_query_count_does_not_grow_with_items(as_approver, world):
    loaded(world, Phase.ENABLEMENT, engagement=world.engagement)
    url = reverse("portal_engagement", args=[world.engagement.public_id])
    one = _queries(as_approver, url)
    loaded(world, Phase.ENABLEMENT, engagement=world.engagement, items=6, tag="b")
    assert _queries(as_approver, url) == one


def test_my_work_query_count_does_not_grow_with_engagements_or_items(as_consultant, world):
    for phase in STAFF_PHASES:
        loaded(world, phase)
    url = reverse("my_work")
    one = _queries(as_consultant, url)
    for _ in range(4):
        for phase in STAFF_PHASES:
            loaded(world, phase, items=4)
    body = as_consultant.get(url).content.decode()
    for words in ("Deliverable 3", "Step 3", "Incident 3", "Alert 3", "Waiting on Vera Vice"):
        assert words in body
    assert _queries(as_consultant, url) == one


def test_my_work_readiness_costs_no_more_past_its_limit(as_owner, world):
    for _ in range(READINESS_LIMIT):
        EngagementFactory(client=world.client_x)
    url = reverse("my_work")
    at_limit = _queries(as_owner, url)
    EngagementFactory.create_batch(20, client=world.client_x)
    assert _queries(as_owner, url) == at_limit


def test_the_engagement_overview_query_count_does_not_grow_with_items(as_consultant, world):
    loaded(world, Phase.LAUNCH, engagement=world.engagement)
    url = reverse("engagement_detail", args=[world.engagement.public_id])
    one = _queries(as_consultant, url)
    loaded(world, Phase.LAUNCH, engagement=world.engagement, items=6, tag="b")
    assert _queries(as_consultant, url) == one
