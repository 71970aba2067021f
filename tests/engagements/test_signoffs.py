"""Phase gates through their services: readiness, requesting, deciding, going stale, read-only
after sign-off, reopening, advancing, the append-only decision log and racing writers."""

import dataclasses
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction

from engagements import registry
from engagements.errors import ApplicationError
from engagements.models import (
    ActivityEvent,
    Decision,
    Engagement,
    PhaseState,
    RequestStatus,
    Role,
    SignoffDecision,
    SignoffRequest,
    StakeholderRole,
    Tool,
)
from engagements.phases import WORKING_PHASES, Phase
from engagements.services import signoffs, stakeholder_create
from engagements.services.charter import charter_item_create, charter_item_delete
from engagements.snapshots import snapshot_diff, snapshot_digest
from engagements.tenancy import tenant_scope
from tests.conftest import requires_postgres
from tests.factories import EngagementFactory, MembershipFactory, StakeholderFactory

ONBOARDING = Phase.ONBOARDING


# --- helpers -----------------------------------------------------------------------------------


def add(world, section: str, **data):
    return charter_item_create(
        engagement=world.engagement, actor=world.consultant, section=section, data=data
    )


def make_ready(world) -> None:
    """Fill the charter through its services until every readiness check passes."""
    add(world, "metrics", name="Win rate", unit="%", baseline=Decimal(18), target=Decimal(25))
    for month, phase in enumerate(WORKING_PHASES, start=1):
        add(world, "milestones", phase=phase, title=phase.label, due_date=date(2030, month, 1))
    add(world, "meetings", name="Weekly sync", cadence="weekly", channel="Zoom")
    for role in (StakeholderRole.MANAGER, StakeholderRole.OPS):
        stakeholder_create(
            engagement=world.engagement, actor=world.consultant, name=f"{role.label} person",
            email=f"{role}@xylo.example", role=role,
        )  # fmt: skip
    add(world, "roles-out-of-scope", role=StakeholderRole.LEADERSHIP, reason="The VP speaks.")


def failing_todos(engagement: Engagement) -> list[str]:
    checks = registry.spec_for(ONBOARDING).readiness(engagement)
    return [check.todo for check in checks if not check.passed]


def second_approver(world):
    user = MembershipFactory(
        firm=world.firm_a, role=Role.CLIENT, client=world.client_x, user__email="cfo@xylo.example"
    ).user
    return StakeholderFactory(
        engagement=world.engagement, name="Carla Finance", email=user.email, user=user,
        is_approver=True, has_portal_access=True, role=StakeholderRole.MANAGER,
    )  # fmt: skip


def request_signoff(world, phase: str = ONBOARDING) -> SignoffRequest:
    return signoffs.signoff_request_create(
        engagement=world.engagement, phase=phase, actor=world.consultant
    )


def live(engagement) -> tuple[dict, str]:
    return signoffs.live_snapshot(engagement=engagement, phase=ONBOARDING)


def live_digest(world) -> str:
    return live(world.engagement)[1]


def approve(request, stakeholder, *, digest: str = "", typed_name: str = "", **extra):
    return signoffs.signoff_decide(
        request=request, stakeholder=stakeholder, decision=Decision.APPROVE,
        reviewed_digest=digest or live(request.engagement)[1],
        typed_name=typed_name or stakeholder.name, **extra,
    )  # fmt: skip


def reject(request, stakeholder, reason: str):
    return signoffs.signoff_decide(
        request=request, stakeholder=stakeholder, decision=Decision.REJECT,
        reviewed_digest=live(request.engagement)[1], comment=reason,
    )  # fmt: skip


def status(world, phase: str = ONBOARDING) -> str:
    return signoffs.phase_state(engagement=world.engagement, phase=phase).status


def kinds(world) -> list[str]:
    return list(
        ActivityEvent.objects.filter(engagement=world.engagement).values_list("kind", flat=True)
    )


def mails(subject_start: str) -> list:
    return [message for message in mail.outbox if message.subject.startswith(subject_start)]


def refused(call, *words: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    for word in words:
        assert word in caught.value.message
    return caught.value


@pytest.fixture
def ready(firm_a_scope):
    make_ready(firm_a_scope)
    return firm_a_scope


@pytest.fixture
def signed_off(ready):
    approve(request_signoff(ready), ready.approver_stakeholder)
    return ready


# --- 1. readiness ------------------------------------------------------------------------------


def test_with_an_empty_charter_every_check_fails_and_says_what_to_do_in_plain_words(firm_a_scope):
    engagement = EngagementFactory(client=firm_a_scope.client_x, name="Empty")
    todos = failing_todos(engagement)
    assert len(todos) == len(registry.spec_for(ONBOARDING).readiness(engagement)) == 5
    text = " ".join(todos)
    assert "approver" in text and "baseline and a target" in text
    assert "communication rhythm" in text
    assert "missing leadership, manager, rep, ops" in text
    assert all(phase.label in text for phase in WORKING_PHASES)


def test_missing_roles_are_listed_and_a_role_exclusion_covers_its_role(firm_a_scope):
    world = firm_a_scope
    assert "missing leadership, manager, ops." in " ".join(failing_todos(world.engagement))
    add(world, "roles-out-of-scope", role=StakeholderRole.OPS, reason="No ops team yet.")
    assert "missing leadership, manager." in " ".join(failing_todos(world.engagement))


def test_sign_off_cannot_be_requested_until_every_check_passes(firm_a_scope):
    world = firm_a_scope
    todos = failing_todos(world.engagement)
    error = refused(lambda: request_signoff(world), "Not ready for sign-off")
    assert all(todo in error.message for todo in todos)
    assert not SignoffRequest.objects.exists()
    make_ready(world)
    assert failing_todos(world.engagement) == []


# --- 2. requesting -----------------------------------------------------------------------------


def test_a_request_freezes_the_charter_and_emails_each_approver_a_portal_link(ready, committed):
    world = ready
    with committed():
        request = request_signoff(world)
    assert request.digest == snapshot_digest(request.snapshot) == live_digest(world)
    assert len(request.digest) == 64 and all(c in "0123456789abcdef" for c in request.digest)
    assert request.snapshot["success_metrics"][0]["name"] == "Win rate"
    assert status(world) == "awaiting_signoff"
    assert "signoff_requested" in kinds(world)
    [email] = mails("Please review and sign off")
    assert email.to == [world.approver_stakeholder.email]
    assert "Onboarding" in email.subject and "Xylo sales system" in email.subject
    link = f"http://127.0.0.1:8000/portal/engagements/{world.engagement.public_id}/onboarding/"
    assert link in email.body


def request_due(world):
    return signoffs.open_request(engagement=world.engagement, phase=ONBOARDING).due_date


def test_email_subjects_show_the_phase_name_as_written(ready, committed):
    with committed():
        request_signoff(ready)
    [email] = mails("Please review")
    due = request_due(ready)
    assert email.subject == (
        f"Please review and sign off: Onboarding & Alignment for Xylo sales system, "
        f"by {due.day} {due:%b}"
    )


def test_an_approver_without_an_account_is_also_invited_to_the_portal(ready, committed):
    world = ready
    stakeholder_create(
        engagement=world.engagement, actor=world.consultant, name="Nora New",
        email="nora@xylo.example", role=StakeholderRole.MANAGER, is_approver=True,
    )  # fmt: skip
    with committed():
        request_signoff(world)
    to_nora = [message for message in mail.outbox if message.to == ["nora@xylo.example"]]
    assert len(to_nora) == 2
    assert any("/invitations/" in message.body for message in to_nora)
    assert any(message.subject.startswith("Please review") for message in to_nora)


def test_a_second_request_while_one_is_open_is_refused(ready):
    request_signoff(ready)
    refused(lambda: request_signoff(ready), "already waiting for sign-off")
    assert SignoffRequest.objects.count() == 1


def test_a_phase_that_has_not_started_cannot_be_put_up_for_sign_off(ready, monkeypatch):
    # Every phase is registered now: the last one, taken out of the registry, stands for a phase
    # whose app is not built.
    unregistered = WORKING_PHASES[-1]
    monkeypatch.delitem(registry._specs, unregistered)
    refused(lambda: request_signoff(ready, unregistered), "not available yet")
    spec = dataclasses.replace(registry.spec_for(ONBOARDING), phase=unregistered)
    monkeypatch.setitem(registry._specs, unregistered, spec)
    refused(lambda: request_signoff(ready, unregistered), "has not started yet")
    assert not SignoffRequest.objects.exists()


# --- 3. deciding -------------------------------------------------------------------------------


def test_approving_needs_the_approvers_typed_full_name(ready):
    request = request_signoff(ready)
    error = refused(
        lambda: approve(request, ready.approver_stakeholder, typed_name="Vera"), "full name"
    )
    assert error.field == "typed_name"
    assert not SignoffDecision.objects.exists()
    approve(request, ready.approver_stakeholder, typed_name="  vera   VICE ")
    assert status(ready) == "signed_off"


def test_rejecting_needs_a_reason(ready):
    request = request_signoff(ready)
    error = refused(lambda: reject(request, ready.approver_stakeholder, "   "), "Say why")
    assert error.field == "comment"
    assert not SignoffDecision.objects.exists() and status(ready) == "awaiting_signoff"


def test_a_decision_on_content_other_than_the_live_charter_is_refused(ready):
    request = request_signoff(ready)
    refused(lambda: approve(request, ready.approver_stakeholder, digest="0" * 64), "changed")
    assert not SignoffDecision.objects.exists() and status(ready) == "awaiting_signoff"


def test_the_phase_is_signed_off_only_when_every_approver_has_approved(ready, committed):
    world = ready
    carla = second_approver(world)
    request = request_signoff(world)
    approve(request, world.approver_stakeholder, ip_address="203.0.113.9", user_agent="Firefox/130")
    request.refresh_from_db()
    assert (request.status, status(world)) == (RequestStatus.OPEN, "awaiting_signoff")
    decision = SignoffDecision.objects.get()
    assert (decision.ip_address, decision.user_agent) == ("203.0.113.9", "Firefox/130")
    assert (decision.typed_name, decision.reviewed_digest) == ("Vera Vice", request.digest)
    with committed():
        approve(request, carla)
    request.refresh_from_db()
    assert (request.status, request.approved_digest) == (RequestStatus.APPROVED, request.digest)
    assert status(world) == "signed_off"
    assert kinds(world).count("phase_signed_off") == 1
    recipients = {message.to[0] for message in mails("Signed off: Onboarding")}
    assert recipients == {world.consultant.email, world.approver.email, carla.email}


def test_a_rejection_sends_the_phase_back_to_work_and_tells_the_consultant_why(ready, committed):
    world = ready
    request = request_signoff(world)
    with committed():
        reject(request, world.approver_stakeholder, "The win-rate target is too low.")
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.rejection_reason == "The win-rate target is too low."
    assert status(world) == "in_progress" and "signoff_rejected" in kinds(world)
    [email] = mails("Rejected: Onboarding")
    assert email.to == [world.consultant.email]
    assert "The win-rate target is too low." in email.body
    assert request_signoff(world).status == RequestStatus.OPEN


# --- 4. going stale ----------------------------------------------------------------------------


def test_an_edit_under_an_open_request_makes_it_stale_and_tells_approvers_once(ready, committed):
    world = ready
    request = request_signoff(world)
    with committed():
        tool = add(world, "tools", name="Salesforce", category="crm")
        add(world, "tools", name="Gong", category="engagement")
    request.refresh_from_db()
    assert request.is_stale and kinds(world).count("signoff_stale") == 1
    [email] = mails("Changed since you were asked to sign off")
    assert email.to == [world.approver_stakeholder.email]
    changes = snapshot_diff(request.snapshot, live(world.engagement)[0])
    assert [(c.section, sorted(c.added)) for c in changes] == [("tools", ["Gong", "Salesforce"])]
    charter_item_delete(item=Tool.objects.get(name="Gong"), actor=world.consultant)
    charter_item_delete(item=tool, actor=world.consultant)
    request.refresh_from_db()
    assert not request.is_stale and live_digest(world) == request.digest


def test_an_approval_given_before_an_edit_no_longer_counts(ready):
    world = ready
    carla = second_approver(world)
    request = request_signoff(world)
    approve(request, world.approver_stakeholder)
    add(world, "tools", name="Salesforce", category="crm")
    refused(lambda: approve(request, carla, digest=request.digest), "changed")
    approve(request, carla)
    assert status(world) == "awaiting_signoff"  # Vera approved the old content only
    approve(request, world.approver_stakeholder, digest=live_digest(world))
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and not request.is_stale
    assert request.approved_digest == live_digest(world) != request.digest
    assert request.approved_snapshot["tools"][0]["name"] == "Salesforce"


# --- 5. read-only and reopening ----------------------------------------------------------------


def test_a_signed_off_charter_is_read_only_until_reopened_with_a_reason(signed_off):
    world = signed_off
    refused(lambda: add(world, "tools", name="Salesforce", category="crm"), "read-only")
    reopen = lambda reason: signoffs.phase_reopen(  # noqa: E731
        engagement=world.engagement, phase=ONBOARDING, actor=world.consultant, reason=reason
    )
    assert refused(lambda: reopen("  "), "why").field == "reason"
    assert status(world) == "signed_off"
    reopen("The client added a sales team.")
    assert status(world) == "in_progress" and "phase_reopened" in kinds(world)
    add(world, "tools", name="Salesforce", category="crm")
    assert request_signoff(world).status == RequestStatus.OPEN


def test_reopening_a_phase_asks_later_signed_off_phases_to_be_reconfirmed(signed_off):
    world = signed_off
    later = PhaseState.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, phase=Phase.DIAGNOSTIC, status="signed_off"
    )
    signoffs.phase_reopen(
        engagement=world.engagement, phase=ONBOARDING, actor=world.consultant, reason="Scope"
    )
    later.refresh_from_db()
    assert later.needs_reconfirmation and later.status == "signed_off"
    assert "phase_needs_reconfirmation" in kinds(world)


# --- 6. advancing ------------------------------------------------------------------------------


def advance(world) -> Engagement:
    return signoffs.engagement_advance(engagement=world.engagement, actor=world.consultant)


def test_the_engagement_moves_on_only_after_its_phase_is_signed_off(ready):
    world = ready
    refused(lambda: advance(world), "Onboarding & Alignment must be signed off")
    approve(request_signoff(world), world.approver_stakeholder)
    assert advance(world).current_phase == Phase.DIAGNOSTIC
    world.engagement.refresh_from_db()
    assert world.engagement.current_phase == Phase.DIAGNOSTIC and "phase_advanced" in kinds(world)


def test_the_engagement_does_not_move_on_while_an_earlier_phase_is_reopened(signed_off):
    world = signed_off
    advance(world)
    PhaseState.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, phase=Phase.DIAGNOSTIC, status="signed_off"
    )
    signoffs.phase_reopen(
        engagement=world.engagement, phase=ONBOARDING, actor=world.consultant, reason="Scope"
    )
    error = refused(lambda: advance(world), "Onboarding & Alignment")
    assert "Diagnostic" not in error.message
    world.engagement.refresh_from_db()
    assert world.engagement.current_phase == Phase.DIAGNOSTIC


# --- 7. append-only decisions ------------------------------------------------------------------


@requires_postgres
def test_the_database_refuses_to_rewrite_or_erase_a_decision(signed_off):
    decision = SignoffDecision.unscoped.get()
    rows = SignoffDecision.unscoped.filter(pk=decision.pk)
    for attempt in (lambda: rows.update(comment="x"), rows.delete):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    decision.refresh_from_db()
    assert decision.comment == "" and SignoffDecision.unscoped.count() == 1


# --- 8. racing writers on two real connections -------------------------------------------------


def race(firm, *actions) -> list:
    """Run each action in its own thread and connection, released together; return results or
    the exceptions raised."""
    barrier, outcomes = threading.Barrier(len(actions)), [None] * len(actions)

    def run(index: int, action) -> None:
        try:
            with tenant_scope(firm):
                barrier.wait(timeout=10)
                outcomes[index] = action()
        except Exception as error:  # the test inspects it
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return outcomes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_approving_at_once_both_count_and_sign_off_once(ready):
    world = ready
    carla = second_approver(world)
    request = request_signoff(world)
    outcomes = race(
        world.firm_a,
        lambda: approve(request, world.approver_stakeholder, digest=request.digest),
        lambda: approve(request, carla, digest=request.digest),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert SignoffDecision.objects.filter(request=request).count() == 2
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert kinds(world).count("phase_signed_off") == 1
    assert status(world) == "signed_off"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_an_edit_racing_an_approval_never_lets_both_through_unnoticed(ready):
    world = ready
    request = request_signoff(world)
    edit, decision = race(
        world.firm_a,
        lambda: add(world, "tools", name="Salesforce", category="crm"),
        lambda: approve(request, world.approver_stakeholder, digest=request.digest),
    )
    request.refresh_from_db()
    edited = Tool.objects.filter(name="Salesforce").exists()
    if request.status == RequestStatus.APPROVED:  # the approval went first
        assert isinstance(edit, ApplicationError) and "read-only" in edit.message
        assert not edited and status(world) == "signed_off"
        assert live_digest(world) == request.approved_digest
    else:  # the edit went first
        assert isinstance(decision, ApplicationError) and "changed" in decision.message, decision
        assert edited and request.is_stale and request.status == RequestStatus.OPEN
        assert status(world) == "awaiting_signoff" and not SignoffDecision.objects.exists()


# --- 7. closing: the last phase's approval --------------------------------------------------------


@pytest.fixture
def in_last_phase(ready, monkeypatch):
    """The engagement in its last phase with every earlier phase signed off; the later phases'
    specs stand in with no readiness checks, so only the gate's own rules are at work."""
    world = ready
    last = WORKING_PHASES[-1]
    for phase in WORKING_PHASES[1:]:
        spec = dataclasses.replace(
            registry.spec_for(phase), readiness=lambda engagement: [], snapshot=lambda e: {}
        )
        monkeypatch.setitem(registry._specs, phase, spec)
    for phase in WORKING_PHASES[:-1]:
        PhaseState.objects.create(
            firm=world.firm_a, engagement=world.engagement, phase=phase, status="signed_off"
        )
    Engagement.objects.filter(pk=world.engagement.pk).update(current_phase=last)
    world.engagement.refresh_from_db()
    return world


def approve_phase(world, phase: str) -> None:
    request = request_signoff(world, phase)
    signoffs.signoff_decide(
        request=request, stakeholder=world.approver_stakeholder, decision=Decision.APPROVE,
        reviewed_digest=signoffs.live_snapshot(engagement=world.engagement, phase=phase)[1],
        typed_name=world.approver_stakeholder.name,
    )  # fmt: skip


def engagement_state(world) -> tuple[str, str]:
    engagement = Engagement.objects.get(pk=world.engagement.pk)
    return engagement.current_phase, engagement.status


def test_the_last_phases_approval_closes_the_engagement(in_last_phase):
    world = in_last_phase

    approve_phase(world, WORKING_PHASES[-1])

    assert engagement_state(world) == (Phase.CLOSED, "completed")
    assert "closed" in ActivityEvent.objects.filter(engagement=world.engagement).first().message


def test_a_reopened_earlier_phase_keeps_the_engagement_open_until_it_is_signed_off_again(
    in_last_phase,
):
    world = in_last_phase
    launch = WORKING_PHASES[-2]
    PhaseState.objects.filter(engagement=world.engagement, phase=launch).update(
        status="in_progress"
    )

    approve_phase(world, WORKING_PHASES[-1])
    assert engagement_state(world) == (WORKING_PHASES[-1], "active")

    approve_phase(world, launch)
    assert engagement_state(world) == (Phase.CLOSED, "completed")


def test_a_closed_engagement_reopened_early_closes_only_once_every_phase_is_reconfirmed(
    in_last_phase,
):
    world = in_last_phase
    approve_phase(world, WORKING_PHASES[-1])
    diagnostic = Phase.DIAGNOSTIC
    signoffs.phase_reopen(
        engagement=world.engagement, phase=diagnostic, actor=world.consultant, reason="New team"
    )
    world.engagement.refresh_from_db()
    assert engagement_state(world) == (WORKING_PHASES[-1], "active")

    # Re-confirming the last phase first is not enough: the diagnostic is still reopened and
    # the phases after it wait for re-confirmation.
    approve_phase(world, WORKING_PHASES[-1])
    assert engagement_state(world)[1] == "active"
    approve_phase(world, diagnostic)
    for phase in WORKING_PHASES[2:-1]:
        assert engagement_state(world)[1] == "active"
        approve_phase(world, phase)

    assert engagement_state(world) == (Phase.CLOSED, "completed")
