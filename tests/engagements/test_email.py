import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from engagements import services
from engagements.errors import ApplicationError
from engagements.models import EmailStatus, OutboundEmail
from engagements.services import outbox
from engagements.tasks import deliver_email


def _queue(world, key: str = "welcome:1") -> OutboundEmail:
    email, _ = services.email_queue(
        firm=world.firm_a,
        dedupe_key=key,
        to="someone@xylo.example",
        template="emails/invitation",
        context={
            "invitation": {"role": "client", "expires_at": None},
            "link": "http://x/invitations/t/",
            "inviter": "Bob",
            "firm": world.firm_a,
        },
    )
    return email


def test_an_email_is_written_before_it_is_sent_and_sent_after_commit(firm_a_scope, committed):
    world = firm_a_scope
    with committed():
        email = _queue(world)
        assert mail.outbox == []
        assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.QUEUED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.SENT


def test_queuing_the_same_email_twice_sends_it_once(firm_a_scope, committed):
    with committed():
        first = _queue(firm_a_scope)
        second = _queue(firm_a_scope)
    assert first.pk == second.pk
    assert len(mail.outbox) == 1


def test_a_retried_delivery_of_a_sent_email_sends_nothing(firm_a_scope, committed):
    with committed():
        email = _queue(firm_a_scope)
    deliver_email.apply(args=[email.pk, firm_a_scope.firm_a.pk])
    assert len(mail.outbox) == 1


def test_a_failed_attempt_waits_to_retry_and_says_when(firm_a_scope, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    email = _queue(firm_a_scope, key="will-fail")
    before = timezone.now()

    services.email_deliver(outbound_email_id=email.pk)

    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.RETRYING, 1)
    assert email.last_error
    first_delay = timedelta(seconds=settings.EMAIL_RETRY_DELAYS[0])
    assert before + first_delay <= email.next_attempt_at <= timezone.now() + first_delay


def test_an_email_not_due_yet_is_not_sent_early(firm_a_scope):
    email = _queue(firm_a_scope)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.RETRYING, attempts=1, next_attempt_at=timezone.now() + timedelta(hours=1)
    )

    services.email_deliver(outbound_email_id=email.pk)

    assert mail.outbox == []
    assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.RETRYING


def test_retries_go_on_for_hours_then_the_email_fails_with_its_reason(firm_a_scope, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    assert sum(settings.EMAIL_RETRY_DELAYS) >= 8 * 3600  # the default budget: hours, not minutes
    email = _queue(firm_a_scope, key="will-fail")
    for _ in settings.EMAIL_RETRY_DELAYS:
        services.email_deliver(outbound_email_id=email.pk)
        assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.RETRYING
        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())

    services.email_deliver(outbound_email_id=email.pk)

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == len(settings.EMAIL_RETRY_DELAYS) + 1
    assert email.last_error.startswith(f"Gave up after {email.attempts} attempts over 16 hours")


def test_every_attempt_carries_the_message_id_made_with_the_row(firm_a_scope, committed):
    with committed():
        email = _queue(firm_a_scope)
    assert email.message_id.startswith("<") and email.message_id.endswith(">")
    # A crash after the server accepted it: the row still says "sending", long ago.
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING, last_attempt_at=timezone.now() - timedelta(hours=1)
    )

    services.email_deliver(outbound_email_id=email.pk)

    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [email.message_id] * 2
    assert [m.message()["Message-ID"] for m in mail.outbox] == [email.message_id] * 2
    assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.SENT


def test_an_email_another_worker_is_sending_is_left_to_it(firm_a_scope):
    email = _queue(firm_a_scope)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING, last_attempt_at=timezone.now()
    )

    services.email_deliver(outbound_email_id=email.pk)

    assert mail.outbox == []


def test_the_sweeper_sends_an_email_whose_task_never_reached_the_broker(firm_a_scope, settings):
    email = _queue(firm_a_scope)  # never committed here: its task was never queued
    assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.QUEUED
    assert outbox.outbox_sweep() == 0  # within the grace period its own task may still come

    OutboundEmail.objects.filter(pk=email.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.OUTBOX_GRACE_SECONDS + 1)
    )
    assert outbox.outbox_sweep() == 1

    assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_a_failed_email_can_be_resent_with_the_same_message_id(firm_a_scope, committed):
    world = firm_a_scope
    email = _queue(world)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.FAILED, attempts=9, last_error="Gave up"
    )
    with committed():
        services.email_resend(email=email, actor=world.consultant)

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 1, "")
    assert mail.outbox[0].extra_headers["Message-ID"] == email.message_id


def test_only_a_failed_email_can_be_resent(firm_a_scope):
    email = _queue(firm_a_scope)
    with pytest.raises(ApplicationError, match="Only an email that failed"):
        services.email_resend(email=email, actor=firm_a_scope.consultant)


def test_a_recipient_refused_for_good_fails_at_once(firm_a_scope, monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"x@xylo.example": (550, b"No such user")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    email = _queue(firm_a_scope)

    services.email_deliver(outbound_email_id=email.pk)

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.last_error.startswith("The mail server refused it")
