"""What waits on whom: each kind of item appears for the person who can act on it, on the
portal pages (client users) and on My work and the engagement overview (consultants), and is
gone once they have acted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from architecture.models import Criterion, Evaluation, EvaluationEvaluator, Vendor
from architecture.services import scores_save
from diagnostics.models import Workshop, WorkshopAttendee, WorkshopPrompt
from enablement.models import AdoptionAlert, TrainingAssignment, TrainingModule
from engagements.models import Engagement, PhaseState, PhaseStatus, Role, SignoffRequest
from engagements.phases import Phase
from engagements.services import charter as charter_services
from engagements.services import signoffs
from engagements.tenancy import tenant_scope
from engagements.waiting import READINESS_LIMIT, waiting_for_client, waiting_for_staff
from engagements.work import GROUP_LIMIT
from launch.models import EscalationPolicy, Incident, RunbookStep
from launch.services import incident_update
from sprints.models import (
    Deliverable,
    DeliverableStatus,
    RunOutcome,
    Scenario,
    ScenarioStep,
    Sprint,
    UatParticipant,
    UatRound,
    UatScenario,
)
from sprints.services import run_record
from tests.builders import ready_charter
from tests.conftest import signed_in
from tests.factories import EngagementFactory, MembershipFactory, StakeholderFactory


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def portal_home(user) -> str:
    return text(signed_in(user).get(reverse("portal_home")))


def portal_page(user, engagement: Engagement) -> str:
    return text(signed_in(user).get(reverse("portal_engagement", args=[engagement.public_id])))


def my_work(user, query: str = "") -> str:
    return text(signed_in(user).get(reverse("my_work") + query))


def overview(user, engagement: Engagement) -> str:
    return text(signed_in(user).get(reverse("engagement_detail", args=[engagement.public_id])))


def in_phase(engagement: Engagement, phase: str) -> None:
    """The engagement moved on to `phase`, every earlier phase signed off."""
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=phase)
    order = list(Phase)
    for earlier in order[: order.index(Phase(phase))]:
        PhaseState.unscoped.update_or_create(
            engagement=engagement,
            phase=earlier,
            defaults={"status": PhaseStatus.SIGNED_OFF},
            create_defaults={"firm": engagement.firm, "status": PhaseStatus.SIGNED_OFF},
        )
    engagement.refresh_from_db()


def request_signoff(world, phase: str = Phase.ONBOARDING) -> SignoffRequest:
    with tenant_scope(world.firm_a):
        return signoffs.signoff_request_create(
            engagement=world.engagement,
            phase=phase,
            actor=world.consultant,
            due_date=timezone.localdate() + timedelta(days=2),
        )


def approve_in_the_portal(world) -> None:
    with tenant_scope(world.firm_a):
        _, digest = signoffs.live_snapshot(engagement=world.engagement, phase=Phase.ONBOARDING)
    response = signed_in(world.approver).post(
        reverse("portal_signoff_decide", args=[world.engagement.public_id, Phase.ONBOARDING]),
        {
            "decision": "approve",
            "approve-typed_name": "Vera Vice",
            "approve-reviewed_digest": digest,
        },
    )
    assert response.status_code == 302


def rep_user(world, email: str = "rita@xylo.example", engagement: Engagement | None = None):
    user = MembershipFactory(
        firm=world.firm_a,
        role=Role.CLIENT,
        client=world.client_x,
        user__email=email,
        user__full_name="Rita Rep",
    ).user
    stakeholder = StakeholderFactory(
        engagement=engagement or world.engagement,
        name="Rita Rep",
        email=email,
        user=user,
        has_portal_access=True,
    )
    return user, stakeholder


# --- client users: sign-off ------------------------------------------------------------------


def test_the_approver_sees_the_decision_to_give_at_the_top_of_the_portal_until_they_approve(world):
    ready_charter(world)
    request_signoff(world)

    home = portal_home(world.approver)
    assert home.index("Waiting on you") < home.index('id="engagements-heading"')
    assert "Sign off Onboarding &amp; Alignment" in home
    assert "Xylo sales system" in home
    due = (timezone.localdate() + timedelta(days=2)).strftime("%Y-%m-%d")
    assert f'<time datetime="{due}">' in home
    decide = reverse("portal_onboarding", args=[world.engagement.public_id]) + "#decide"
    assert f'href="{decide}"' in home
    assert "Review and decide" in home
    page = signed_in(world.approver).get(decide.split("#")[0]).content.decode()
    assert 'id="decide"' in page  # the anchor lands on the decision form
    assert "Sign off Onboarding" in portal_page(world.approver, world.engagement)

    approve_in_the_portal(world)

    home = portal_home(world.approver)
    assert "Sign off Onboarding" not in home
    assert "Nothing is waiting on you right now" in home
    assert "Nothing is waiting on you on this engagement" in portal_page(
        world.approver, world.engagement
    )


def test_a_stale_request_says_what_changed_and_links_to_the_changes(world):
    ready_charter(world)
    request_signoff(world)
    with tenant_scope(world.firm_a):
        charter_services.charter_item_create(
            engagement=world.engagement,
            actor=world.consultant,
            section="tools",
            data={"name": "Gong", "category": "other"},
        )

    home = portal_home(world.approver)
    assert "It changed after you were asked" in home
    assert "What changed since you were asked:" in home
    assert "added Gong" in home
    assert "#signoff-heading" in home


def test_an_approval_of_the_old_content_does_not_take_the_card_away_once_it_changed(world):
    """Two approvers: Vera approves, then the charter changes; her approval no longer counts."""
    ready_charter(world)
    StakeholderFactory(engagement=world.engagement, name="Sam Sponsor", is_approver=True)
    request_signoff(world)
    approve_in_the_portal(world)
    assert "Sign off Onboarding" not in portal_home(world.approver)
    with tenant_scope(world.firm_a):
        charter_services.charter_item_create(
            engagement=world.engagement,
            actor=world.consultant,
            section="tools",
            data={"name": "Gong", "category": "other"},
        )
    assert "Sign off Onboarding" in portal_home(world.approver)


def test_a_stakeholder_who_is_not_an_approver_has_no_decision_to_give(world):
    ready_charter(world)
    request_signoff(world)
    rita, _ = rep_user(world)
    assert "Sign off" not in portal_home(rita)


# --- client users: the phases' asks ------------------------------------------------------------


def _module(world, title: str = "Log your calls") -> TrainingModule:
    return TrainingModule.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, role="rep", title=title, minutes=15
    )


def test_a_rep_sees_training_assigned_until_they_complete_it_and_no_one_else_sees_it(world):
    in_phase(world.engagement, Phase.ENABLEMENT)
    rita, rita_stakeholder = rep_user(world)
    module = _module(world)
    TrainingAssignment.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, module=module, stakeholder=rita_stakeholder
    )

    home = portal_home(rita)
    assert "Take “Log your calls”" in home
    take = reverse("portal_training_module", args=[world.engagement.public_id, module.public_id])
    assert f'href="{take}"' in home
    assert "Log your calls" not in portal_home(world.approver)  # another stakeholder's training

    signed_in(rita).post(take, {"action": "complete"})

    assert "Log your calls" not in portal_home(rita)


def test_training_does_not_wait_before_the_phase_opens_or_once_it_is_signed_off(world):
    rita, rita_stakeholder = rep_user(world)
    TrainingAssignment.unscoped.create(
        firm=world.firm_a,
        engagement=world.engagement,
        module=_module(world),
        stakeholder=rita_stakeholder,
    )
    assert "Log your calls" not in portal_home(rita)  # still in onboarding
    in_phase(world.engagement, Phase.ENABLEMENT)
    assert "Log your calls" in portal_home(rita)
    PhaseState.unscoped.create(
        firm=world.firm_a,
        engagement=world.engagement,
        phase=Phase.ENABLEMENT,
        status=PhaseStatus.SIGNED_OFF,
    )
    assert "Log your calls" not in portal_home(rita)


def _workshop(world, **fields) -> Workshop:
    workshop = Workshop.unscoped.create(
        firm=world.firm_a,
        engagement=world.engagement,
        title="Rep pipeline workshop",
        group="rep",
        objective="Find where deals stall.",
        scheduled_at=timezone.now() + timedelta(days=3),
        **fields,
    )
    WorkshopAttendee.unscoped.create(
        firm=world.firm_a, workshop=workshop, stakeholder=world.approver_stakeholder
    )
    return workshop


def test_an_attendee_sees_the_workshop_questions_until_they_answer_them(world):
    in_phase(world.engagement, Phase.DIAGNOSTIC)
    workshop = _workshop(world)
    prompt = WorkshopPrompt.unscoped.create(
        firm=world.firm_a, workshop=workshop, group="rep", text="Where do deals stall?"
    )
    WorkshopPrompt.unscoped.create(
        firm=world.firm_a, workshop=workshop, group="manager", text="Not for reps"
    )

    home = portal_home(world.approver)
    assert "Answer 1 question before “Rep pipeline workshop”" in home
    assert reverse("portal_diagnostic", args=[world.engagement.public_id]) in home

    signed_in(world.approver).post(
        reverse("portal_prework", args=[world.engagement.public_id, prompt.public_id]),
        {"text": "At the proposal stage."},
    )

    assert "Rep pipeline workshop" not in portal_home(world.approver)


def test_a_workshop_that_took_place_asks_nothing_more(world):
    workshop = _workshop(world, status="completed")
    WorkshopPrompt.unscoped.create(firm=world.firm_a, workshop=workshop, group="rep", text="Q?")
    assert "Rep pipeline workshop" not in portal_home(world.approver)


def _uat(world) -> tuple[UatRound, Scenario]:
    in_phase(world.engagement, Phase.BUILD)
    scenario = Scenario.unscoped.create(
        firm=world.firm_a,
        engagement=world.engagement,
        title="Log a call end to end",
        changed_at=timezone.now(),
    )
    ScenarioStep.unscoped.create(
        firm=world.firm_a,
        scenario=scenario,
        action="Log a call",
        expected_result="It is logged",
        role="rep",
    )
    uat_round = UatRound.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, name="UAT round 1"
    )
    UatParticipant.unscoped.create(
        firm=world.firm_a, uat_round=uat_round, stakeholder=world.approver_stakeholder
    )
    UatScenario.unscoped.create(firm=world.firm_a, uat_round=uat_round, scenario=scenario)
    return uat_round, scenario


def test_a_participant_sees_the_uat_scenarios_to_run_until_they_run_them(world):
    uat_round, scenario = _uat(world)

    home = portal_home(world.approver)
    assert "Test 1 scenario in UAT round 1" in home
    assert "Log a call end to end" in home

    with tenant_scope(world.firm_a):
        step = scenario.steps.get()
        run_record(
            scenario=scenario,
            runner=world.approver,
            results={step.pk: {"status": RunOutcome.PASSED}},
            uat_round=uat_round,
        )
    assert "UAT round 1" not in portal_home(world.approver)

    # The scenario changes: the run no longer counts, it waits again.
    Scenario.unscoped.filter(pk=scenario.pk).update(
        changed_at=timezone.now() + timedelta(seconds=1)
    )
    assert "UAT round 1" in portal_home(world.approver)
    UatRound.unscoped.filter(pk=uat_round.pk).update(is_open=False)
    assert "UAT round 1" not in portal_home(world.approver)


def test_an_evaluator_sees_the_vendors_to_score_until_every_score_is_given(world):
    in_phase(world.engagement, Phase.ARCHITECTURE)
    evaluation = Evaluation.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, title="CRM platform"
    )
    criteria = [
        Criterion.unscoped.create(firm=world.firm_a, evaluation=evaluation, name=n, weight=50)
        for n in ("Fit", "Cost")
    ]
    vendor = Vendor.unscoped.create(firm=world.firm_a, evaluation=evaluation, name="HubSpot")
    EvaluationEvaluator.unscoped.create(
        firm=world.firm_a, evaluation=evaluation, stakeholder=world.approver_stakeholder
    )

    home = portal_home(world.approver)
    assert "Score the vendors of “CRM platform”" in home
    assert "0 of 2 scores given" in home
    assert f"#score-{evaluation.public_id}" in home

    with tenant_scope(world.firm_a):
        scores_save(
            evaluation=evaluation,
            evaluator=world.approver,
            scores={(vendor.pk, criteria[0].pk): (4, "")},
        )
    assert "1 of 2 scores given" in portal_home(world.approver)
    with tenant_scope(world.firm_a):
        scores_save(
            evaluation=evaluation,
            evaluator=world.approver,
            scores={(vendor.pk, criteria[1].pk): (3, "")},
        )
    assert "CRM platform" not in portal_home(world.approver)


# --- client users see only their own --------------------------------------------------------


def test_a_client_user_sees_only_their_own_items_never_another_clients_or_firms(world):
    in_phase(world.engagement, Phase.ENABLEMENT)
    module = _module(world, "Xylo only module")
    TrainingAssignment.unscoped.create(
        firm=world.firm_a,
        engagement=world.engagement,
        module=module,
        stakeholder=world.approver_stakeholder,
    )
    # The other client's user is a stakeholder of Yonder's engagement only.
    assert "Xylo only module" not in portal_home(world.other_client_user)
    # A client user of another client who is (wrongly) also linked on Xylo's engagement.
    StakeholderFactory(
        engagement=world.engagement,
        email=world.other_client_user.email,
        user=world.other_client_user,
        has_portal_access=True,
    )
    assert "Xylo only module" not in portal_home(world.other_client_user)
    # A stakeholder record without portal access sees nothing.
    rita, rita_stakeholder = rep_user(world)
    rita_stakeholder.has_portal_access = False
    rita_stakeholder.save()
    TrainingAssignment.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, module=module, stakeholder=rita_stakeholder
    )
    with tenant_scope(world.firm_a):
        assert waiting_for_client(membership=rita.membership) == []
        mine = waiting_for_client(membership=world.approver.membership)
    assert [item.title for item in mine] == ["Take “Xylo only module”"]
    # Firm B's tenant scope never yields firm A's items.
    with tenant_scope(world.firm_b):
        assert waiting_for_client(membership=world.approver.membership) == []


def test_the_portal_engagement_page_shows_only_that_engagements_items(world):
    ready_charter(world)
    request_signoff(world)
    second = EngagementFactory(client=world.client_x, name="Xylo second project")
    StakeholderFactory(
        engagement=second, user=world.approver, email=world.approver.email, has_portal_access=True
    )
    assert "Sign off Onboarding" not in portal_page(world.approver, second)
    assert "Sign off Onboarding" in portal_page(world.approver, world.engagement)


# --- consultants ------------------------------------------------------------------------------


def test_my_work_shows_failing_readiness_of_the_current_phase_until_it_is_ready(world):
    body = my_work(world.consultant)
    assert "Readiness to finish" in body
    assert "4 of 5 readiness checks to finish" in body
    assert "Name at least one stakeholder as approver" not in body  # Vera is an approver
    assert "Add at least one success metric" in body
    assert "4 of 5 readiness checks" in overview(world.consultant, world.engagement)

    ready_charter(world)

    assert "readiness checks to finish" not in my_work(world.consultant)
    assert "Nothing is waiting" in overview(world.consultant, world.engagement)


def test_an_open_request_shows_who_has_not_decided_until_they_approve(world):
    ready_charter(world)
    request_signoff(world)
    body = my_work(world.consultant)
    assert "Sign-offs awaiting the client" in body
    assert "Waiting on Vera Vice" in body
    assert "Requested today · 0 of 1 approved" in body
    SignoffRequest.unscoped.filter(engagement=world.engagement).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    assert "Requested 3 days ago" in overview(world.consultant, world.engagement)

    approve_in_the_portal(world)

    assert "Waiting on Vera Vice" not in my_work(world.consultant)


def test_deliverables_due_show_until_they_are_done(world):
    in_phase(world.engagement, Phase.BUILD)
    today = timezone.localdate()
    sprint = Sprint.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, name="Sprint 1", focus="crm",
        goal="Pipeline", start_date=today - timedelta(days=10), end_date=today + timedelta(days=2),
    )  # fmt: skip
    due = Deliverable.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, sprint=sprint, title="Deal stages",
        owner="Bob",
    )  # fmt: skip
    later = Sprint.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, name="Sprint 2", focus="crm",
        goal="Reports", start_date=today, end_date=today + timedelta(days=30),
    )  # fmt: skip
    Deliverable.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, sprint=later, title="Win-rate report"
    )

    body = my_work(world.consultant)
    assert "Deliverables due" in body and "Deal stages" in body and "owner Bob" in body
    assert ">Win-rate report</h3>" not in body  # its sprint ends in a month

    Deliverable.unscoped.filter(pk=due.pk).update(status=DeliverableStatus.DONE)
    assert "Deal stages" not in my_work(world.consultant)


def test_runbook_steps_due_show_until_they_are_ticked_off(world):
    in_phase(world.engagement, Phase.LAUNCH)
    step = RunbookStep.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, title="Freeze the old CRM",
        owner="Olga", planned_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    RunbookStep.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, title="Next week's step",
        owner="Olga", planned_at=timezone.now() + timedelta(days=7),
    )  # fmt: skip
    body = my_work(world.consultant)
    assert "Runbook steps due" in body and "Step 1: Freeze the old CRM" in body
    assert "Next week&#x27;s step" not in body

    signed_in(world.consultant).post(
        reverse("runbook_tick", args=[world.engagement.public_id, step.public_id]), {"done": "1"}
    )
    assert "Freeze the old CRM" not in my_work(world.consultant)


def test_incidents_past_their_response_target_show_until_someone_responds(world):
    late = Incident.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, title="Sync is down", category="data_sync",
        severity="sev1", reported_by=world.approver,
    )  # fmt: skip
    Incident.unscoped.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(hours=2))
    Incident.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, title="Fresh question",
        category="user_error", severity="sev4", reported_by=world.approver,
    )  # fmt: skip
    body = my_work(world.consultant)
    assert "Incidents past their response target" in body
    assert "Sync is down" in body and "the target is 30 min" in body
    assert "Fresh question" not in body

    with tenant_scope(world.firm_a):
        incident_update(incident=late, actor=world.consultant, status="responded")
    assert "Sync is down" not in my_work(world.consultant)


def test_open_adoption_alerts_show_until_they_close(world):
    today = timezone.localdate()
    alert = AdoptionAlert.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, subject="role:rep", role="rep",
        metric="login_rate", severity="critical", title="Reps rarely log in",
        intervention="Pair each rep with a champion.", threshold=0.8, value=0.4, weeks_below=3,
        first_week=today - timedelta(days=21), last_week=today - timedelta(days=7),
    )  # fmt: skip
    body = my_work(world.consultant)
    assert "Open adoption alerts" in body and "Reps rarely log in" in body
    assert "Pair each rep with a champion." in body
    AdoptionAlert.unscoped.filter(pk=alert.pk).update(closed_at=timezone.now())
    assert "Reps rarely log in" not in my_work(world.consultant)


def test_a_consultant_sees_only_the_engagements_they_lead_and_an_owner_sees_all(world):
    other = EngagementFactory(client=world.client_y, name="Yonder CRM", lead_consultant=world.owner)
    del other
    consultant = my_work(world.consultant)
    assert "Xylo sales system" in consultant and "Yonder CRM" not in consultant
    owner = my_work(world.owner)
    assert "Xylo sales system" in owner and "Yonder CRM" in owner
    only_mine = my_work(world.owner, "?mine=1")
    assert "Yonder CRM" in only_mine and "Xylo sales system" not in only_mine
    assert "checked" in only_mine  # the filter shows its state
    assert "Beta secret deal" not in owner
    Engagement.unscoped.filter(pk=world.engagement_b.pk).update(lead_consultant=world.consultant_b)
    firm_b = my_work(world.consultant_b)
    assert "Beta secret deal" in firm_b and "Xylo sales system" not in firm_b


def test_my_work_caps_each_group_and_links_to_the_rest(world):
    for n in range(9):
        EngagementFactory(
            client=world.client_x, name=f"Project {n:02}", lead_consultant=world.owner
        )
    body = my_work(world.owner)
    # 11 engagements (Xylo, Yonder and 9 projects) need readiness; GROUP_LIMIT are shown.
    assert f"And {11 - GROUP_LIMIT} more: show all 11" in body
    assert body.count('class="waiting-card') == GROUP_LIMIT
    everything = my_work(world.owner, "?kind=readiness")
    assert everything.count('class="waiting-card') == 11


def test_readiness_is_checked_for_a_bounded_number_of_engagements(world):
    for n in range(READINESS_LIMIT + 3):
        EngagementFactory(
            client=world.client_x, name=f"Project {n:02}", lead_consultant=world.owner
        )
    with tenant_scope(world.firm_a):
        items = waiting_for_staff(user=world.owner, membership=world.owner.membership)
    assert len([i for i in items if i.kind == "readiness"]) == READINESS_LIMIT
    # Xylo, Yonder and the projects: 2 + READINESS_LIMIT + 3 engagements in onboarding.
    assert items.readiness_unchecked == 5
    assert "5 more engagements show their checks on their own overview" in my_work(world.owner)


def test_the_empty_states_say_nothing_is_waiting(world):
    ready_charter(world)
    assert "Nothing is waiting" in my_work(world.consultant)
    assert "Nothing is waiting on you: you lead no active engagement." in my_work(
        world.consultant_b
    )
    assert "Nothing is waiting on you right now" in portal_home(world.approver)


def test_my_work_is_in_the_workspace_navigation_and_not_in_the_portal(world):
    assert f'href="{reverse("my_work")}"' in text(
        signed_in(world.consultant).get(reverse("dashboard"))
    )
    assert reverse("my_work") not in portal_home(world.approver)
    assert signed_in(world.approver).get(reverse("my_work")).status_code == 404


@pytest.mark.parametrize("status", ["on_hold", "completed"])
def test_an_engagement_not_active_waits_on_nobody(world, status):
    Engagement.unscoped.filter(pk=world.engagement.pk).update(status=status)
    assert "Xylo sales system" not in my_work(world.consultant)
    assert "Nothing is waiting: this engagement is" in overview(world.consultant, world.engagement)


def test_an_engagements_own_response_target_decides_when_an_incident_is_late(world):
    EscalationPolicy.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, severity="sev3", response_minutes=10
    )
    incident = Incident.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, title="Reports are slow",
        category="data_sync", severity="sev3", reported_by=world.approver,
    )  # fmt: skip
    Incident.unscoped.filter(pk=incident.pk).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    body = my_work(world.consultant)
    assert "Reports are slow" in body  # the default target for sev3 is 8 hours
    assert "the target is 10 min" in body
