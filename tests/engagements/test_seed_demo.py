"""The demo data `make run` shows: what each printed account sees after signing in, in the
workspace and the portal, down to the Phase 5 data migration and the Phase 6 training, adoption
and handoff; and that running the command again creates nothing."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from enablement.models import (
    AdoptionAlert,
    QuizAttempt,
    QuizChoice,
    TrainingAssignment,
    TrainingModule,
    UsageEvent,
    WeeklyMetric,
)
from engagements.management.commands.seed_demo import (
    APPROVER_EMAIL,
    CONSULTANT_EMAIL,
    DEMO_PASSWORD,
    OWNER_EMAIL,
    REP_EMAIL,
)
from engagements.models import (
    Engagement,
    Firm,
    OutboundEmail,
    RequestStatus,
    SignoffRequest,
    Stakeholder,
    User,
)
from engagements.phases import Phase
from launch.models import DuplicatePair, MigrationRun, RejectedRow, RunbookStep, SourceUpload, Wave
from tests.conftest import signed_in


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def demo(db, capsys):
    call_command("seed_demo")
    return capsys.readouterr().out


def sign_in(email: str):
    """A browser signed in the way a person would: through the login form."""
    browser = signed_in(None)
    response = browser.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, email
    return browser


def engagement(name: str) -> Engagement:
    return Engagement.unscoped.get(name=name)


def page(browser, name: str, *args) -> str:
    response = browser.get(reverse(name, args=args))
    assert response.status_code == 200, name
    return response.content.decode()


def _counts() -> tuple[int, ...]:
    return (
        Firm.objects.count(),
        User.objects.count(),
        Engagement.unscoped.count(),
        Stakeholder.unscoped.count(),
        SourceUpload.unscoped.count(),
        MigrationRun.unscoped.count(),
        DuplicatePair.unscoped.count(),
        TrainingAssignment.unscoped.count(),
        QuizAttempt.unscoped.count(),
        UsageEvent.unscoped.count(),
        AdoptionAlert.unscoped.count(),
        OutboundEmail.unscoped.count(),
    )


def test_seed_demo_creates_a_firm_with_engagements_in_five_phases(demo):
    engagements = Engagement.unscoped.all()
    assert {e.current_phase for e in engagements} == {
        Phase.ONBOARDING,
        Phase.DIAGNOSTIC,
        Phase.ARCHITECTURE,
        Phase.LAUNCH,
        Phase.ENABLEMENT,
    }
    for each in engagements:
        stakeholders = Stakeholder.unscoped.filter(engagement=each)
        assert stakeholders.count() == 6
        assert stakeholders.filter(is_approver=True).count() == 1
    for email in (CONSULTANT_EMAIL, OWNER_EMAIL, APPROVER_EMAIL, REP_EMAIL, DEMO_PASSWORD):
        assert email in demo


def test_running_seed_demo_again_creates_nothing_new(demo, capsys):
    before = _counts()
    call_command("seed_demo")
    assert _counts() == before
    out = capsys.readouterr().out
    assert "nothing created" in out
    assert REP_EMAIL in out  # the sign-in details are printed again


def test_the_printed_demo_accounts_can_sign_in_to_their_pages(demo):
    consultant, approver, rep = (
        sign_in(CONSULTANT_EMAIL),
        sign_in(APPROVER_EMAIL),
        sign_in(REP_EMAIL),
    )
    workspace = consultant.get("/workspace/").content.decode()
    assert "Field sales CRM migration" in workspace and "Inside sales rollout" in workspace
    assert "Sales system redesign" in approver.get("/portal/").content.decode()
    # The rep is in the portal of the Phase 6 engagement only.
    mine = rep.get("/portal/").content.decode()
    assert "Inside sales rollout" in mine and "Sales system redesign" not in mine


def test_the_phase_5_engagement_has_a_launch_plan_and_a_pilot_wave_that_went_live(demo):
    launch = engagement("Field sales CRM migration")
    consultant = sign_in(CONSULTANT_EMAIL)

    plan = page(consultant, "launch", launch.public_id)
    assert "Freeze edits in the old CRM" in plan
    assert "Go-live briefing for the field team" in plan
    assert RunbookStep.unscoped.filter(engagement=launch).count() == 6
    waves = page(consultant, "waves", launch.public_id)
    assert "Pilot: West team" in waves and "Everyone else" in waves
    assert Wave.unscoped.get(engagement=launch, position=0).status == "live"


def test_the_phase_5_migration_shows_a_dry_run_its_review_queue_and_reconciliation(demo):
    launch = engagement("Field sales CRM migration")
    consultant = sign_in(CONSULTANT_EMAIL)

    overview = page(consultant, "migration", launch.public_id)
    assert "legacy-accounts.csv" in overview and "legacy-contacts.csv" in overview
    assert "2 pairs waiting" in overview
    assert "Dry run #1" in overview and "43 rows: 38 clean, 3 merged, 2 rejected" in overview

    run = MigrationRun.unscoped.get(engagement=launch)
    detail = page(consultant, "migration_run", launch.public_id, run.public_id)
    assert "Reconciliation" in detail
    assert "Last name: required value missing" in detail
    assert "Account: broken reference" in detail
    assert "ACC-047" in detail  # the account the orphan contact points at
    assert set(RejectedRow.unscoped.filter(run=run).values_list("legacy_id", flat=True)) == {
        "CON-031",
        "CON-032",
    }

    review = page(consultant, "migration_review", launch.public_id)
    assert "Nakamura" in review and "Petrov" in review
    assert "Same record: merge" in review


def test_the_phase_6_dashboard_shows_adoption_and_an_alert(demo):
    rollout = engagement("Inside sales rollout")
    consultant = sign_in(CONSULTANT_EMAIL)

    dashboard = page(consultant, "adoption", rollout.public_id)
    assert WeeklyMetric.unscoped.filter(engagement=rollout).exists()
    assert "No adoption metrics yet" not in dashboard
    assert dashboard.count('class="adoption-chart"') == 4
    # The rep who drifts away after training is caught, with what to do about it.
    assert "Aisha Okafor: active days below 3 days" in dashboard
    assert "Re-training" in dashboard
    assert AdoptionAlert.unscoped.filter(engagement=rollout, closed_at__isnull=True).exists()


def test_the_phase_6_training_is_assigned_by_role_and_part_completed(demo):
    rollout = engagement("Inside sales rollout")
    consultant = sign_in(CONSULTANT_EMAIL)

    matrix = page(consultant, "training_matrix", rollout.public_id)
    assert "Manage your pipeline" in matrix and "Run the forecast" in matrix
    assert "Rep: 3 of 4 assignments completed" in matrix
    assert "best 50%, 1 attempt" in matrix  # Priya's failed forecast quiz
    assert TrainingModule.unscoped.filter(engagement=rollout).exclude(suggestion="").count() == 6


def test_the_phase_6_gate_shows_what_is_left_of_the_handoff(demo):
    rollout = engagement("Inside sales rollout")
    consultant = sign_in(CONSULTANT_EMAIL)

    handoff = page(consultant, "handoff", rollout.public_id)
    assert "3 of 6 items done" in handoff
    assert "Resolve or hand over the open items: Lead routing for the new Midwest territory." in (
        handoff
    )
    assert "Transfer the documentation to the client: not yet CRM admin guide." in handoff
    assert "Choose the ongoing support model agreed with the client." in handoff
    assert "Resolve the open critical adoption alerts" in handoff


def test_the_approver_sees_their_training_and_the_team_s_in_the_portal(demo):
    rollout = engagement("Inside sales rollout")
    approver = sign_in(APPROVER_EMAIL)

    portal = page(approver, "portal_enablement", rollout.public_id)
    assert "Read the sales system at a glance" in portal
    assert "1 of 1 module completed" in portal
    # The team's completion by role, which the approver signs off (the chart's description).
    assert "Rep: 75% (3 of 4 modules completed)" in portal


def test_the_rep_takes_their_open_module_in_the_portal(demo):
    rollout = engagement("Inside sales rollout")
    rep = sign_in(REP_EMAIL)
    assert "1 of 2 modules completed" in page(rep, "portal_enablement", rollout.public_id)
    module = TrainingModule.unscoped.get(engagement=rollout, suggestion="rep-activities")

    reading = page(rep, "portal_training_module", rollout.public_id, module.public_id)
    assert "Log your activities" in reading
    right = {
        f"question-{choice.question.public_id}": str(choice.public_id)
        for choice in QuizChoice.unscoped.filter(question__module=module, is_correct=True)
    }
    done = rep.post(
        reverse("portal_training_module", args=[rollout.public_id, module.public_id]),
        {"action": "quiz", **right},
        follow=True,
    )

    assert "is completed" in done.content.decode()
    assert "2 of 2 modules completed" in page(rep, "portal_enablement", rollout.public_id)


def test_the_demo_approver_has_one_request_due_in_two_days_and_one_overdue(demo):
    today = date.today()
    open_requests = {
        r.engagement.name: r
        for r in SignoffRequest.unscoped.filter(status=RequestStatus.OPEN).select_related(
            "engagement"
        )
    }

    assert sorted(open_requests) == ["APAC expansion", "EMEA team onboarding"]
    assert open_requests["EMEA team onboarding"].due_date == today + timedelta(days=2)
    assert open_requests["APAC expansion"].due_date < today
    stalled = Engagement.unscoped.get(name="APAC expansion")
    assert (timezone.now() - stalled.phase_entered_at).days >= 35
