"""Phase 5 rules through its services: waves go one after another with a recorded go/no-go,
the beat jobs escalate late incidents and send planned communications (time moved forward, no
sleeping), two consultants ticking the runbook at once lose nothing, and the gate's readiness."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.template import engines
from freezegun import freeze_time

from engagements import registry
from engagements.errors import ApplicationError
from engagements.models import (
    EmailStatus,
    Engagement,
    OutboundEmail,
    PhaseState,
    PhaseStatus,
    Role,
    SignoffRequest,
    Stakeholder,
    StakeholderRole,
)
from engagements.phases import Phase
from engagements.services import signoffs
from engagements.tenancy import tenant_scope
from launch import gate, services, tasks
from launch.models import (
    Channel,
    Communication,
    DataMigration,
    Escalation,
    EscalationPolicy,
    Incident,
    RollbackStep,
    RunbookStep,
    Wave,
    WaveDecision,
    WaveStatus,
)
from launch.workbench import services as workbench
from tests.conftest import requires_postgres
from tests.factories import MembershipFactory, StakeholderFactory
from tests.launch.test_workbench_services import prepared

START = date(2025, 6, 2)
REPORTED = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
LEAD = "bob@alpha.example"
CTO = "cto@xylo.example"

# --- helpers (also used by the portal tests) ----------------------------------------------------


def enter_launch(world):
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.LAUNCH)
    world.engagement.refresh_from_db()
    return world


def a_wave(world, name="Pilot", members=(), start=START, days=6) -> Wave:
    return services.wave_save(
        engagement=world.engagement,
        actor=world.consultant,
        members=list(members),
        name=name,
        planned_start=start,
        planned_end=start + timedelta(days=days),
        go_criteria="No Sev 1 open; pilot users trained",
    )


def decide(world, wave: Wave, decision="go", reason="Criteria met in the pilot review") -> Wave:
    return services.wave_decide(wave=wave, actor=world.consultant, decision=decision, reason=reason)


def go_live(world, wave: Wave) -> Wave:
    return services.wave_set_status(
        wave=decide(world, wave), actor=world.consultant, status=WaveStatus.LIVE
    )


def an_incident(world, title="Deals not syncing", severity="sev1", reporter=None) -> Incident:
    return services.incident_report(
        engagement=world.engagement,
        reporter=reporter or world.approver,
        title=title,
        description="Deals closed in the CRM do not reach billing.",
        category="data_sync",
        severity=severity,
    )


def write_rollback_plan(world) -> None:
    services.plan_update(
        engagement=world.engagement,
        actor=world.consultant,
        rollback_triggers="Billing sync failing for more than an hour",
    )
    services.item_save(
        engagement=world.engagement,
        actor=world.consultant,
        model=RollbackStep,
        title="Switch billing back to the old CRM",
        owner="Ops lead",
    )


def todos(world) -> list[str]:
    return [check.todo for check in gate.readiness(world.engagement) if check.blocks]


@pytest.fixture(autouse=True)
def _template_engines_loaded_before_time_is_frozen() -> None:
    # Loading the engines imports every template library, and with them psycopg's C module,
    # which refuses to import while freezegun has swapped datetime.date for its fake.
    engines.all()


@pytest.fixture
def launch(firm_a_scope):
    return enter_launch(firm_a_scope)


# --- waves ---------------------------------------------------------------------------------------


def test_a_wave_cannot_get_its_go_before_the_previous_wave_has_its_go(launch):
    pilot, second = a_wave(launch), a_wave(launch, "Wave 2", start=START + timedelta(days=7))

    with pytest.raises(ApplicationError, match="Wave 2 cannot start before Pilot"):
        decide(launch, second)
    second.refresh_from_db()
    assert second.status == WaveStatus.PLANNED and not second.decisions.exists()

    decide(launch, pilot)
    assert decide(launch, second).status == WaveStatus.GO


def test_a_no_go_on_the_previous_wave_still_holds_the_next_one(launch):
    pilot, second = a_wave(launch), a_wave(launch, "Wave 2")
    decide(launch, pilot, "no_go", reason="Trainer ill")

    with pytest.raises(ApplicationError, match="before Pilot"):
        decide(launch, second)


def test_a_cancelled_previous_wave_does_not_hold_the_next_one(launch):
    pilot, second, third = a_wave(launch), a_wave(launch, "Wave 2"), a_wave(launch, "Wave 3")
    go_live(launch, pilot)
    services.wave_set_status(wave=second, actor=launch.consultant, status=WaveStatus.CANCELLED)

    assert decide(launch, third).status == WaveStatus.GO


def test_a_cancelled_first_wave_lets_the_second_have_its_go(launch):
    pilot, second = a_wave(launch), a_wave(launch, "Wave 2")
    services.wave_set_status(wave=pilot, actor=launch.consultant, status=WaveStatus.CANCELLED)

    assert decide(launch, second).status == WaveStatus.GO


def test_a_go_or_no_go_needs_a_reason(launch):
    pilot = a_wave(launch)

    with pytest.raises(ApplicationError) as error:
        decide(launch, pilot, reason="   ")
    assert error.value.field == "reason"
    pilot.refresh_from_db()
    assert pilot.status == WaveStatus.PLANNED and not WaveDecision.objects.exists()


def test_a_decision_records_who_decided_and_why(launch):
    pilot = a_wave(launch)
    decide(launch, pilot, "no_go", reason="  Trainer ill  ")
    decide(launch, pilot, "go", reason="Trainer back")

    assert [(d.decision, d.decided_by, d.reason) for d in pilot.decisions.all()] == [
        ("go", launch.consultant, "Trainer back"),
        ("no_go", launch.consultant, "Trainer ill"),
    ]
    pilot.refresh_from_db()
    assert pilot.status == WaveStatus.GO


def test_a_wave_goes_live_only_after_its_go(launch):
    pilot = a_wave(launch)
    with pytest.raises(ApplicationError, match="only after its go"):
        services.wave_set_status(wave=pilot, actor=launch.consultant, status=WaveStatus.LIVE)

    decide(launch, pilot, "no_go", reason="Not trained yet")
    with pytest.raises(ApplicationError, match="only after its go"):
        services.wave_set_status(wave=pilot, actor=launch.consultant, status=WaveStatus.LIVE)

    assert go_live(launch, pilot).status == WaveStatus.LIVE


def test_wave_members_must_be_stakeholders_of_the_engagement(launch):
    stranger = StakeholderFactory(engagement=launch.engagement_y)

    with pytest.raises(ApplicationError, match="stakeholders of this engagement"):
        a_wave(launch, members=[stranger])


# --- escalation by the beat job ------------------------------------------------------------------


def escalations(incident: Incident) -> list[tuple[int, str]]:
    return [(e.level, e.notified) for e in Escalation.objects.filter(incident=incident)]


def test_an_open_sev1_is_escalated_to_the_lead_consultant_after_30_minutes_once(launch):
    with freeze_time(REPORTED):
        incident = an_incident(launch)

    assert services.incidents_escalate(now=REPORTED + timedelta(minutes=29)) == 0
    assert escalations(incident) == [] and mail.outbox == []

    late = REPORTED + timedelta(minutes=31)
    with freeze_time(late):
        assert services.incidents_escalate(now=late) == 1
        assert escalations(incident) == [(1, LEAD)]
        assert [m.to for m in mail.outbox] == [[LEAD]]
        assert "Escalated (level 1)" in mail.outbox[0].subject

        assert services.incidents_escalate(now=late) == 0
    assert len(mail.outbox) == 1 and escalations(incident) == [(1, LEAD)]
    incident.refresh_from_db()
    assert incident.escalation_level == 1


def test_after_60_minutes_level_2_goes_to_the_policys_first_contact(launch):
    EscalationPolicy.objects.create(
        firm=launch.firm_a,
        engagement=launch.engagement,
        severity="sev1",
        response_minutes=30,
        escalate_to=[CTO, "ceo@xylo.example"],
    )
    with freeze_time(REPORTED):
        incident = an_incident(launch)

    services.incidents_escalate(now=REPORTED + timedelta(minutes=31))
    assert services.incidents_escalate(now=REPORTED + timedelta(minutes=61)) == 1

    assert escalations(incident) == [(1, LEAD), (2, CTO)]
    assert [m.to for m in mail.outbox] == [[LEAD], [CTO]]
    services.incidents_escalate(now=REPORTED + timedelta(minutes=61))
    assert len(mail.outbox) == 2


def test_a_job_that_missed_a_beat_catches_up_every_level(launch):
    EscalationPolicy.objects.create(
        firm=launch.firm_a,
        engagement=launch.engagement,
        severity="sev1",
        response_minutes=30,
        escalate_to=[CTO],
    )
    with freeze_time(REPORTED):
        incident = an_incident(launch)

    assert services.incidents_escalate(now=REPORTED + timedelta(minutes=95)) == 2
    # Level 3 would be the policy's second contact: there is none, so escalation stops at 2.
    assert escalations(incident) == [(1, LEAD), (2, CTO)]


def test_a_responded_incident_is_never_escalated(launch):
    with freeze_time(REPORTED):
        incident = an_incident(launch)
    with freeze_time(REPORTED + timedelta(minutes=10)):
        services.incident_update(incident=incident, actor=launch.consultant, status="responded")

    assert services.incidents_escalate(now=REPORTED + timedelta(hours=5)) == 0
    assert escalations(incident) == [] and mail.outbox == []


def test_a_sev3_waits_for_its_own_longer_target(launch):
    with freeze_time(REPORTED):
        incident = an_incident(launch, severity="sev3")

    assert services.incidents_escalate(now=REPORTED + timedelta(minutes=61)) == 0
    assert services.incidents_escalate(now=REPORTED + timedelta(minutes=481)) == 1
    assert escalations(incident) == [(1, LEAD)]


def test_the_beat_task_escalates_each_firms_late_incidents_once(world):
    enter_launch(world)
    with tenant_scope(world.firm_a), freeze_time(REPORTED):
        incident = an_incident(world)

    with freeze_time(REPORTED + timedelta(minutes=31)):
        tasks.escalate_incidents.apply().get()
        tasks.escalate_incidents.apply().get()

    with tenant_scope(world.firm_a):
        assert escalations(incident) == [(1, LEAD)]
    assert [m.to for m in mail.outbox] == [[LEAD]]


# --- communications ------------------------------------------------------------------------------


def a_communication(world, send_at, roles=("rep",), channel=Channel.EMAIL) -> Communication:
    return services.item_save(
        engagement=world.engagement,
        actor=world.consultant,
        model=Communication,
        audience_roles=list(roles),
        subject="The new CRM goes live on Monday",
        message="Log in with your usual account from 8:00.",
        channel=channel,
        send_at=send_at,
    )


def test_a_due_email_communication_goes_once_to_its_audience_and_not_before(launch):
    StakeholderFactory(
        engagement=launch.engagement, role=StakeholderRole.LEADERSHIP, email="boss@xylo.example"
    )
    communication = a_communication(launch, send_at=REPORTED)
    a_communication(launch, send_at=REPORTED, channel=Channel.MEETING)

    assert services.communications_send_due(now=REPORTED - timedelta(minutes=1)) == 0
    assert mail.outbox == []

    with freeze_time(REPORTED + timedelta(minutes=1)):
        assert services.communications_send_due(now=REPORTED + timedelta(minutes=1)) == 1
        assert services.communications_send_due(now=REPORTED + timedelta(minutes=2)) == 0

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [launch.approver_stakeholder.email, launch.rep_stakeholder.email]
    )
    assert {m.subject for m in mail.outbox} == {"The new CRM goes live on Monday"}
    communication.refresh_from_db()
    assert communication.sent_at == REPORTED + timedelta(minutes=1)


def test_the_beat_task_sends_a_due_communication_once(world):
    enter_launch(world)
    with tenant_scope(world.firm_a):
        a_communication(world, send_at=REPORTED, roles=["rep"])

    with freeze_time(REPORTED - timedelta(seconds=1)):
        tasks.send_due_communications.apply().get()
    assert mail.outbox == []

    with freeze_time(REPORTED):
        tasks.send_due_communications.apply().get()
        tasks.send_due_communications.apply().get()
    assert len(mail.outbox) == 2


# --- runbook ticking ------------------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_consultants_ticking_different_steps_at_once_lose_nothing(world):
    enter_launch(world)
    carol = MembershipFactory(firm=world.firm_a, role=Role.CONSULTANT).user
    with tenant_scope(world.firm_a):
        for title in ("Freeze the old CRM", "Import the deals"):
            services.item_save(
                engagement=world.engagement,
                actor=world.consultant,
                model=RunbookStep,
                title=title,
                owner="Ops",
                planned_at=REPORTED,
            )
        steps = list(RunbookStep.objects.select_related("engagement").order_by("position"))
    barrier, errors = threading.Barrier(2), []

    def tick(step: RunbookStep, actor) -> None:
        try:
            with tenant_scope(world.firm_a):
                barrier.wait(timeout=10)
                services.runbook_tick(step=step, actor=actor, done=True)
        except Exception as error:  # the test reports it
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=tick, args=(steps[0], world.consultant)),
        threading.Thread(target=tick, args=(steps[1], carol)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a ticker hung"
    assert errors == []

    with tenant_scope(world.firm_a):
        ticked = [(s.title, s.done_by, s.done_at is not None) for s in RunbookStep.objects.all()]
    assert ticked == [
        ("Freeze the old CRM", world.consultant, True),
        ("Import the deals", carol, True),
    ]


def test_unticking_a_step_forgets_who_and_when(launch):
    step = services.item_save(
        engagement=launch.engagement, actor=launch.consultant, model=RunbookStep,
        title="Freeze the old CRM", owner="Ops", planned_at=REPORTED,
    )  # fmt: skip
    services.runbook_tick(step=step, actor=launch.consultant, done=True)
    services.runbook_tick(step=step, actor=launch.consultant, done=False)

    step.refresh_from_db()
    assert step.done_at is None and step.done_by is None


# --- gate readiness -------------------------------------------------------------------------------


def test_the_data_migration_check_blocks_until_a_run_is_committed(launch):
    # The workbench's own gate tests (rejected share, notes, failed runs) are in
    # test_workbench_services.py.
    migration = gate.readiness(launch.engagement)[0]

    assert "data migration" in migration.message
    assert migration.available and not migration.passed and migration.blocks


def test_every_wave_must_be_live_or_cancelled(launch):
    assert "Take every wave live or cancel it (plan the pilot wave first)." in todos(launch)

    pilot, second = a_wave(launch), a_wave(launch, "Wave 2")
    assert "Take every wave live or cancel it: not yet Pilot, Wave 2." in todos(launch)

    decide(launch, pilot)
    assert "Take every wave live or cancel it: not yet Pilot, Wave 2." in todos(launch)

    services.wave_set_status(wave=pilot, actor=launch.consultant, status=WaveStatus.LIVE)
    services.wave_set_status(wave=second, actor=launch.consultant, status=WaveStatus.CANCELLED)
    assert not any(t.startswith("Take every wave live") for t in todos(launch))


def test_an_open_sev1_holds_the_gate_until_it_is_resolved(launch):
    an_incident(launch, title="Minor glitch", severity="sev2")
    assert not any(t.startswith("Resolve the open Sev 1") for t in todos(launch))

    incident = an_incident(launch)
    assert "Resolve the open Sev 1 incidents: Deals not syncing." in todos(launch)

    services.incident_update(incident=incident, actor=launch.consultant, status="responded")
    assert "Resolve the open Sev 1 incidents: Deals not syncing." in todos(launch)

    services.incident_update(incident=incident, actor=launch.consultant, status="resolved")
    assert not any(t.startswith("Resolve the open Sev 1") for t in todos(launch))


ROLLBACK_TODO = "Write the rollback plan: its trigger criteria and the ordered rollback steps."


def test_the_rollback_plan_needs_its_triggers_and_at_least_one_step(launch):
    assert ROLLBACK_TODO in todos(launch)

    services.item_save(
        engagement=launch.engagement, actor=launch.consultant, model=RollbackStep,
        title="Switch billing back", owner="Ops",
    )  # fmt: skip
    assert ROLLBACK_TODO in todos(launch)

    services.plan_update(engagement=launch.engagement, actor=launch.consultant,
                         rollback_triggers="   ")  # fmt: skip
    assert ROLLBACK_TODO in todos(launch)

    services.plan_update(
        engagement=launch.engagement, actor=launch.consultant, rollback_triggers="Sync down 1h"
    )
    assert ROLLBACK_TODO not in todos(launch)


def test_triggers_without_a_rollback_step_are_not_a_plan(launch):
    services.plan_update(
        engagement=launch.engagement, actor=launch.consultant, rollback_triggers="Sync down 1h"
    )

    assert ROLLBACK_TODO in todos(launch)


def commit_clean_migration(world) -> None:
    """A committed data-migration dataset under the rejected-rows threshold."""
    prepared(world)
    DataMigration.objects.update(rejected_threshold=50)
    run = workbench.run_request(engagement=world.engagement, actor=world.consultant, kind="commit")
    workbench.run_execute(run_id=run.pk)


def test_sign_off_can_be_requested_once_the_available_checks_pass(launch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert registry.spec_for(Phase.LAUNCH) is gate.SPEC, "launch's gate is not registered"
    with pytest.raises(ApplicationError, match="Not ready for sign-off"):
        signoffs.signoff_request_create(
            engagement=launch.engagement, phase=Phase.LAUNCH, actor=launch.consultant
        )

    go_live(launch, a_wave(launch))
    write_rollback_plan(launch)
    services.incident_update(
        incident=an_incident(launch), actor=launch.consultant, status="resolved"
    )
    assert todos(launch) == ["Set up the data migration and commit a run."]
    commit_clean_migration(launch)
    assert todos(launch) == []

    request = signoffs.signoff_request_create(
        engagement=launch.engagement, phase=Phase.LAUNCH, actor=launch.consultant
    )
    assert SignoffRequest.objects.get() == request
    assert (
        PhaseState.objects.get(engagement=launch.engagement, phase=Phase.LAUNCH).status
        == PhaseStatus.AWAITING_SIGNOFF
    )


def test_reporting_an_incident_is_allowed_whatever_the_gate_says(launch):
    Engagement.unscoped.filter(pk=launch.engagement.pk).update(current_phase=Phase.BUILD)
    launch.engagement.refresh_from_db()

    incident = an_incident(launch, reporter=launch.approver)

    assert incident.reported_by == launch.approver and incident.status == "open"


def test_the_launch_jobs_command_sends_a_due_communication_once(world, capsys):
    from django.core import mail
    from django.core.management import call_command
    from django.utils import timezone

    from engagements.models import Engagement, Stakeholder
    from engagements.tenancy import tenant_scope
    from launch.models import Communication
    from launch.services import item_save

    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase="launch")
    world.engagement.refresh_from_db()
    with tenant_scope(world.firm_a):
        item_save(
            engagement=world.engagement, actor=world.consultant, model=Communication,
            audience_roles=["rep"], subject="Go-live on Monday", message="See you there.",
            channel="email", send_at=timezone.now(),
        )  # fmt: skip
    call_command("launch_jobs")
    call_command("launch_jobs")
    reps = Stakeholder.unscoped.filter(engagement=world.engagement, role="rep")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in reps)
    assert all(m.subject == "Go-live on Monday" for m in mail.outbox)
    assert "up to date" in capsys.readouterr().out


# --- the beat jobs go on past one engagement's failure ------------------------------------------

REFUSED = {"ray.refused@xylo.example", LEAD}


class RefusingInbox:
    """A real SMTP server that refuses mail to the addresses in REFUSED (a full mailbox, a
    typo in a domain) and keeps the rest."""

    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in REFUSED:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.delivered.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def refusing_smtp(settings):
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = RefusingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        yield inbox
    finally:
        controller.stop()


def _communications_in_three_engagements(world) -> None:
    enter_launch(world)
    Engagement.unscoped.filter(pk__in=[world.engagement_y.pk, world.engagement_b.pk]).update(
        current_phase=Phase.LAUNCH
    )
    with tenant_scope(world.firm_a):
        Stakeholder.objects.filter(pk=world.rep_stakeholder.pk).update(
            email="ray.refused@xylo.example"
        )
        a_communication(world, send_at=REPORTED, roles=["rep"])  # Xylo, firm A
        StakeholderFactory(engagement=world.engagement_y, role="rep", email="yan@yonder.example")
        services.item_save(
            engagement=Engagement.objects.get(pk=world.engagement_y.pk),
            actor=world.consultant, model=Communication,
            audience_roles=["rep"], subject="Yonder goes live", message="Monday.",
            channel=Channel.EMAIL, send_at=REPORTED,
        )  # fmt: skip
    with tenant_scope(world.firm_b):
        StakeholderFactory(
            engagement=world.engagement_b, role="rep", email="bo@beta-client.example"
        )
        services.item_save(
            engagement=Engagement.objects.get(pk=world.engagement_b.pk),
            actor=world.consultant_b, model=Communication,
            audience_roles=["rep"], subject="Beta goes live", message="Monday.",
            channel=Channel.EMAIL, send_at=REPORTED,
        )  # fmt: skip


def test_a_refused_recipient_of_a_communication_is_failed_and_the_others_are_sent(
    world, refusing_smtp
):
    _communications_in_three_engagements(world)

    with freeze_time(REPORTED + timedelta(minutes=1)):
        tasks.send_due_communications.apply(throw=True)

    assert sorted(refusing_smtp.delivered) == [
        "bo@beta-client.example", "rep@yonder.example", "vp@xylo.example", "yan@yonder.example",
    ]  # fmt: skip
    refused = OutboundEmail.unscoped.get(to="ray.refused@xylo.example")
    assert refused.status == EmailStatus.FAILED  # a 5xx refusal is permanent: no retry
    assert "Mailbox unavailable" in refused.last_error
    assert Communication.unscoped.filter(sent_at__isnull=False).count() == 3


def test_one_engagement_whose_communications_fail_does_not_stop_the_others(
    world, refusing_smtp, caplog, monkeypatch
):
    _communications_in_three_engagements(world)
    real = services.communications_send_due

    def fails_for_xylo(*, engagement=None, now=None):
        if engagement.pk == world.engagement.pk:
            raise RuntimeError("the template is broken")
        return real(engagement=engagement, now=now)

    monkeypatch.setattr(services, "communications_send_due", fails_for_xylo)
    with freeze_time(REPORTED + timedelta(minutes=1)), caplog.at_level("ERROR"):
        tasks.send_due_communications.apply(throw=True)

    assert sorted(refusing_smtp.delivered) == [
        "bo@beta-client.example", "rep@yonder.example", "yan@yonder.example",
    ]  # fmt: skip
    assert "Launch communications failed for engagement" in caplog.text
    assert "Xylo sales system" in caplog.text
    unsent = Communication.unscoped.get(engagement=world.engagement)
    assert unsent.sent_at is None  # the next run tries it again


def test_an_escalation_that_fails_in_one_firm_does_not_stop_the_other_firms(
    world, refusing_smtp, caplog, monkeypatch
):
    enter_launch(world)
    Engagement.unscoped.filter(pk=world.engagement_b.pk).update(
        lead_consultant=world.consultant_b, current_phase=Phase.LAUNCH
    )
    with tenant_scope(world.firm_a), freeze_time(REPORTED):
        an_incident(world)
    with tenant_scope(world.firm_b), freeze_time(REPORTED):
        services.incident_report(
            engagement=Engagement.objects.get(pk=world.engagement_b.pk),
            reporter=world.consultant_b, title="Quotes lost", description="Since 9:00.",
            category="data_sync", severity="sev1",
        )  # fmt: skip
    real = services.incidents_escalate

    def fails_for_xylo(*, engagement=None, now=None):
        if engagement.pk == world.engagement.pk:
            raise RuntimeError("the policy is broken")
        return real(engagement=engagement, now=now)

    monkeypatch.setattr(services, "incidents_escalate", fails_for_xylo)
    with freeze_time(REPORTED + timedelta(minutes=31)), caplog.at_level("ERROR"):
        tasks.escalate_incidents.apply(throw=True)

    assert refusing_smtp.delivered == ["charlie@beta.example"]
    assert "Incident escalation failed for engagement" in caplog.text
    assert "Xylo sales system" in caplog.text
