"""Chasing late approvers: a reminder before the due date, an overdue notice after it, an
escalation later still — each once per request, approver and kind, with time moved forward."""

import threading
from datetime import date, timedelta

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from engagements.errors import ApplicationError
from engagements.models import (
    ActivityEvent,
    ActivityKind,
    OutboundEmail,
    SignoffRequest,
    StakeholderRole,
)
from engagements.services import signoffs
from engagements.services.reminders import signoff_reminders_send
from engagements.tasks import send_signoff_reminders
from engagements.tenancy import tenant_scope
from tests.conftest import requires_postgres
from tests.engagements.test_signoffs import approve, make_ready, reject, second_approver
from tests.factories import StakeholderFactory

MONDAY = "2026-12-07 09:00"  # requested then, due five business days later: Monday 14 December
DUE = date(2026, 12, 14)


@pytest.fixture
def requested(firm_a_scope, committed):
    world = firm_a_scope
    make_ready(world)
    with freeze_time(MONDAY), committed():
        world.request = signoffs.signoff_request_create(
            engagement=world.engagement, phase="onboarding", actor=world.consultant
        )
    mail.outbox.clear()
    return world


def chase_on(day: str, committed) -> list:
    """Run the beat job on `day` and return the emails it sent."""
    before = len(mail.outbox)
    with freeze_time(f"{day} 08:00"), committed():
        send_signoff_reminders()
    return mail.outbox[before:]


def subjects(emails) -> list[str]:
    return [email.subject for email in emails]


def test_a_request_is_due_five_business_days_later_by_default(requested):
    assert requested.request.due_date == DUE


def test_nothing_is_sent_while_the_due_date_is_far(requested, committed):
    assert chase_on("2026-12-10", committed) == []


def test_the_approver_is_reminded_the_day_before_once(requested, committed):
    sent = chase_on("2026-12-13", committed)

    assert [email.to for email in sent] == [["vp@xylo.example"]]
    assert sent[0].subject.startswith("Reminder: your sign-off of Onboarding & Alignment")
    assert "Monday 14 December" in sent[0].subject
    html = sent[0].alternatives[0][0]
    assert "/portal/engagements/" in html and "#decide" in html
    assert chase_on("2026-12-13", committed) == []
    assert chase_on("2026-12-14", committed) == []


def test_an_overdue_notice_then_an_escalation_to_the_lead_and_the_sponsor(requested, committed):
    StakeholderFactory(
        engagement=requested.engagement,
        name="Sam Sponsor",
        email="sam@xylo.example",
        role=StakeholderRole.LEADERSHIP,
        is_approver=False,
    )  # fmt: skip — not an approver, so not a sponsor who hears of it
    chase_on("2026-12-13", committed)

    overdue = chase_on("2026-12-15", committed)
    assert [(e.to, e.subject.split(":")[0]) for e in overdue] == [(["vp@xylo.example"], "Overdue")]
    assert chase_on("2026-12-16", committed) == []

    escalated = chase_on("2026-12-17", committed)
    assert [e.to for e in escalated] == [["bob@alpha.example"]]
    assert "Vera Vice has not decided" in escalated[0].subject
    assert "3 days overdue" in escalated[0].subject
    assert chase_on("2026-12-21", committed) == []


def test_an_escalation_reaches_a_leadership_approver_but_never_the_late_one(requested, committed):
    sponsor = second_approver(requested)
    sponsor.role = StakeholderRole.LEADERSHIP
    sponsor.save()
    requested.request.approver_ids.append(sponsor.pk)
    requested.request.save()
    approve(requested.request, sponsor)
    mail.outbox.clear()

    escalated = chase_on("2026-12-18", committed)

    assert sorted(e.to[0] for e in escalated if e.subject.startswith("Escalation")) == [
        "bob@alpha.example",
        "cfo@xylo.example",
    ]
    assert all("Vera Vice" in e.subject for e in escalated if e.subject.startswith("Escalation"))


def test_nothing_is_sent_once_the_approver_has_approved(requested, committed):
    with freeze_time("2026-12-11 10:00"), committed():
        approve(requested.request, requested.approver_stakeholder)
    mail.outbox.clear()

    assert chase_on("2026-12-13", committed) == []
    assert chase_on("2026-12-18", committed) == []


def test_nothing_is_sent_for_a_rejected_request(requested, committed):
    with committed():
        reject(requested.request, requested.approver_stakeholder, "The metrics are wrong.")
    mail.outbox.clear()

    assert chase_on("2026-12-18", committed) == []


def test_only_the_approvers_who_have_not_decided_are_chased(requested, committed):
    carla = second_approver(requested)
    requested.request.approver_ids.append(carla.pk)
    requested.request.save()
    approve(requested.request, requested.approver_stakeholder)
    mail.outbox.clear()

    sent = chase_on("2026-12-15", committed)

    assert [e.to for e in sent] == [["cfo@xylo.example"]]


def test_a_firm_that_turns_a_notice_off_sends_none_of_that_kind(requested, committed):
    signoffs.gate_settings_update(
        firm=requested.firm_a, actor=requested.owner,
        reminder_enabled=False, escalation_enabled=False,
    )  # fmt: skip

    assert chase_on("2026-12-13", committed) == []
    assert subjects(chase_on("2026-12-25", committed))[0].startswith("Overdue")
    assert chase_on("2026-12-28", committed) == []


def test_the_firm_sets_the_default_time_to_decide_and_when_to_remind(requested, committed):
    signoffs.gate_settings_update(
        firm=requested.firm_a, actor=requested.owner,
        due_business_days=10, reminder_days_before=3, escalation_days_after_due=1,
    )  # fmt: skip
    assert signoffs.signoff_default_due_date(firm=requested.firm_a, today=date(2026, 12, 7)) == (
        date(2026, 12, 21)
    )

    assert subjects(chase_on("2026-12-11", committed))[0].startswith("Reminder")
    overdue_and_escalated = subjects(chase_on("2026-12-15", committed))
    assert [s.split(":")[0] for s in overdue_and_escalated] == ["Overdue", "Escalation"]


def test_gate_settings_out_of_range_are_refused_with_the_field(requested):
    with pytest.raises(ApplicationError) as refused:
        signoffs.gate_settings_update(
            firm=requested.firm_a, actor=requested.owner, due_business_days=0
        )
    assert refused.value.field == "due_business_days"
    assert refused.value.message.startswith("Default time to decide (business days): ")
    assert signoffs.gate_settings_get(firm=requested.firm_a).due_business_days == 5


def test_an_approver_who_chose_the_daily_digest_gets_no_separate_reminder(requested, committed):
    requested.approver.wants_daily_digest = True
    requested.approver.save()

    assert chase_on("2026-12-13", committed) == []
    assert chase_on("2026-12-15", committed) == []
    escalated = chase_on("2026-12-18", committed)
    assert [e.to for e in escalated] == [["bob@alpha.example"]]


def test_each_notice_is_recorded_in_the_consultants_timeline_only(requested, committed):
    chase_on("2026-12-13", committed)
    chase_on("2026-12-13", committed)

    chased = ActivityEvent.objects.filter(kind=ActivityKind.SIGNOFF_CHASED)
    assert [(e.message.split(":")[0], e.visible_to_client) for e in chased] == [
        ("Reminded Vera Vice", False)
    ]


def test_a_request_made_inside_the_reminder_window_gets_no_reminder_on_top(firm_a_scope, committed):
    make_ready(firm_a_scope)
    with freeze_time(MONDAY), committed():
        signoffs.signoff_request_create(
            engagement=firm_a_scope.engagement, phase="onboarding",
            actor=firm_a_scope.consultant, due_date=date(2026, 12, 8),
        )  # fmt: skip
    mail.outbox.clear()

    assert chase_on("2026-12-07", committed) == []
    assert subjects(chase_on("2026-12-09", committed))[0].startswith("Overdue")


def test_a_due_date_in_the_past_is_refused_and_nothing_is_requested(firm_a_scope):
    make_ready(firm_a_scope)
    with freeze_time(MONDAY), pytest.raises(ApplicationError) as refused:
        signoffs.signoff_request_create(
            engagement=firm_a_scope.engagement, phase="onboarding",
            actor=firm_a_scope.consultant, due_date=date(2026, 12, 4),
        )  # fmt: skip
    assert "in the past" in refused.value.message
    assert refused.value.field == "due_date"
    assert signoffs.open_request(engagement=firm_a_scope.engagement, phase="onboarding") is None


def test_one_firms_failure_does_not_stop_the_others(requested, committed, monkeypatch):
    from engagements.services import reminders

    real = reminders.signoff_reminders_send

    def fails_for_xylo(*, engagement, today=None):
        if engagement.pk == requested.engagement.pk:
            raise RuntimeError("boom")
        return real(engagement=engagement, today=today)

    monkeypatch.setattr(reminders, "signoff_reminders_send", fails_for_xylo)
    chase_on("2026-12-13", committed)  # logged, not raised
    monkeypatch.setattr(reminders, "signoff_reminders_send", real)

    assert subjects(chase_on("2026-12-13", committed))[0].startswith("Reminder")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_at_once_send_each_notice_once(world):
    with tenant_scope(world.firm_a):
        make_ready(world)
        with freeze_time(MONDAY):
            request = signoffs.signoff_request_create(
                engagement=world.engagement, phase="onboarding", actor=world.consultant
            )
    barrier = threading.Barrier(2)
    results = []

    def beat() -> None:
        # `today` is passed, not frozen: freezegun patches the whole process, and two threads
        # entering and leaving it at once corrupt its state for every later test.
        try:
            with tenant_scope(world.firm_a):
                barrier.wait()
                results.append(
                    signoff_reminders_send(engagement=world.engagement, today=date(2026, 12, 15))
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1]
    chased = OutboundEmail.unscoped.filter(dedupe_key__startswith="chase:")
    assert [row.dedupe_key.split(":")[1] for row in chased] == ["overdue"]
    assert str(request.public_id) in chased[0].dedupe_key


def test_through_the_real_worker_two_beat_runs_send_the_overdue_notice_once(
    celery_worker_thread, world
):
    from tests.engagements.test_worker import _wait_for

    with tenant_scope(world.firm_a):
        make_ready(world)
        request = signoffs.signoff_request_create(
            engagement=world.engagement, phase="onboarding", actor=world.consultant
        )
    SignoffRequest.unscoped.filter(pk=request.pk).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )
    mail.outbox.clear()

    finished = []
    record = lambda task_id, **kwargs: finished.append(task_id)  # noqa: E731
    task_postrun.connect(record, weak=False)
    try:
        runs = {send_signoff_reminders.delay().id, send_signoff_reminders.delay().id}
        assert _wait_for(lambda: runs <= set(finished)), "the worker never ran both beat runs"
        assert _wait_for(lambda: any(m.subject.startswith("Overdue") for m in mail.outbox))
        assert _wait_for(lambda: len(finished) >= 3)  # the two runs and the one delivery
    finally:
        task_postrun.disconnect(record)
    overdue = [m for m in mail.outbox if m.subject.startswith("Overdue")]
    assert [m.to for m in overdue] == [["vp@xylo.example"]]
