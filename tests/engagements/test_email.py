import smtplib

import pytest
from django.core import mail

from engagements import services
from engagements.models import EmailStatus, OutboundEmail
from engagements.tasks import deliver_email


def _queue(world, key: str = "welcome:1") -> OutboundEmail:
    return services.email_queue(
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


def test_an_email_is_written_before_it_is_sent_and_sent_after_commit(firm_a_scope, committed):
    world = firm_a_scope
    with committed():
        email = _queue(world)
        assert mail.outbox == []
        assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.PENDING
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


def test_a_failed_delivery_is_recorded_and_raised_for_retry(firm_a_scope, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    email = _queue(firm_a_scope, key="will-fail")
    with pytest.raises((OSError, smtplib.SMTPException)):
        services.email_deliver(outbound_email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 1)
    assert email.last_error
