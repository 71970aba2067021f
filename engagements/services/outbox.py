"""The email outbox: one row per recipient, committed with the work that wrote it, sent after.

Guarantee: every email is sent at least once (or ends visibly failed with its reason, and a
resend button), and any copy sent more than once carries the same Message-ID, so a mail system
can drop it. It cannot be "exactly once": when a worker dies after the mail server accepted a
message but before we record that, we cannot know the server has it, so we send it again — with
the Message-ID made when the row was written.

States: queued → sending → sent; an attempt that fails goes to retrying, with the time of the
next attempt (EMAIL_RETRY_DELAYS, hours in all), then failed. "sending" is committed on its own
before we talk to the server, so a crash mid-send leaves a row that says so; the sweeper sends
it again once it has been "sending" for OUTBOX_SENDING_STALE_SECONDS.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from engagements.beat import each_firm
from engagements.errors import ApplicationError
from engagements.models import EmailStatus, Firm, OutboundEmail, User

logger = logging.getLogger(__name__)


def _message_id_domain() -> str:
    """The domain part of our Message-IDs: the sender's domain, which is ours."""
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)
    return sender[1].strip(" >") if len(sender) == 2 and sender[1].strip(" >") else "waypoint"


def email_write(
    *,
    firm: Firm,
    dedupe_key: str,
    to: str,
    template: str,
    context: dict,
    attachment: str = "",
    attachment_name: str = "",
) -> tuple[OutboundEmail, bool]:
    """Write the email's row (rendered from `template`) with its Message-ID; an existing row
    for the same `dedupe_key` is returned instead, so one purpose gives one email. Returns
    (row, created). The row commits with the caller's transaction."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                firm=firm,
                dedupe_key=dedupe_key,
                message_id=make_msgid(domain=_message_id_domain()),
                to=to,
                subject=subject,
                body_text=render_to_string(f"{template}.txt", context),
                body_html=render_to_string(f"{template}.html", context),
                attachment=attachment,
                attachment_name=attachment_name,
            )
    except IntegrityError:
        return OutboundEmail.objects.get(dedupe_key=dedupe_key), False
    return email, True


def email_queue(
    *, firm: Firm, dedupe_key: str, to: str, template: str, context: dict
) -> tuple[OutboundEmail, bool]:
    """Write the email's row now and send it after the transaction commits. Returns (row,
    created), as `email_write` does.

    Queuing the same `dedupe_key` twice returns the first row and sends nothing more. If the
    broker cannot be reached the row stays queued and the sweeper sends it.
    """
    from engagements.taskpolicy import enqueue_on_commit
    from engagements.tasks import deliver_email

    email, created = email_write(
        firm=firm, dedupe_key=dedupe_key, to=to, template=template, context=context
    )
    if created:
        enqueue_on_commit(deliver_email, (email.pk, firm.pk))
    return email, created


def _claimable(now) -> Q:
    sending_since = now - timedelta(seconds=settings.OUTBOX_SENDING_STALE_SECONDS)
    return Q(status=EmailStatus.QUEUED) | Q(
        status=EmailStatus.RETRYING, next_attempt_at__lte=now
    ) | Q(status=EmailStatus.SENDING, last_attempt_at__lt=sending_since)  # fmt: skip


def _permanent(error: Exception) -> bool:
    """The server refused for good (5xx on every recipient, or on the sender or the data):
    trying again in an hour would be refused the same way."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        to=[email.to],
        # The same id on every attempt: a copy sent twice is recognisably one message.
        headers={"Message-ID": email.message_id or make_msgid(domain=_message_id_domain())},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if email.attachment:
        with default_storage.open(email.attachment, "rb") as attached:
            message.attach(email.attachment_name, attached.read(), "application/pdf")
    return message


def email_deliver(*, outbound_email_id: int) -> OutboundEmail:
    """Send the email if it is due (queued, retrying and due, or left "sending" by a crashed
    worker). Safe to call again and from two workers at once: a sent email, one not due yet and
    one another worker is sending are left alone.

    A failed attempt is recorded (retrying with the next attempt's time, or failed when the
    retries are used up or the server refused for good) and not raised: the outbox sweeper, not
    Celery, runs the next attempt. Database errors propagate, for the task policy to retry.
    """
    now = timezone.now()
    # Its own committed step, before we talk to the server: a crash from here on leaves a row
    # that says "sending", which the sweeper sends again (same Message-ID) once it is stale.
    with transaction.atomic(durable=True):
        claimed = OutboundEmail.objects.filter(_claimable(now), pk=outbound_email_id).update(
            status=EmailStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
    email = OutboundEmail.objects.get(pk=outbound_email_id)
    if not claimed:
        return email
    if not email.message_id:  # a row from before Message-IDs: fixed once, then kept
        email.message_id = make_msgid(domain=_message_id_domain())
        OutboundEmail.objects.filter(pk=email.pk).update(message_id=email.message_id)
    try:
        _message(email).send()
    except OSError as error:  # smtplib's errors are OSErrors too
        return _attempt_failed(email, error)
    sent_at = timezone.now()
    OutboundEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=EmailStatus.SENT, sent_at=sent_at, last_error="", updated_at=sent_at
    )
    email.refresh_from_db()
    return email


def _attempt_failed(email: OutboundEmail, error: OSError) -> OutboundEmail:
    delays = settings.EMAIL_RETRY_DELAYS
    now = timezone.now()
    detail = f"{type(error).__name__}: {error}"[:1000]
    if _permanent(error):
        status, next_at = EmailStatus.FAILED, None
        reason = f"The mail server refused it: {detail}"
    elif email.attempts > len(delays):
        status, next_at = EmailStatus.FAILED, None
        span = timedelta(seconds=sum(delays))
        reason = f"Gave up after {email.attempts} attempts over {_span(span)}: {detail}"
    else:
        status = EmailStatus.RETRYING
        next_at = now + timedelta(seconds=delays[email.attempts - 1])
        reason = detail
    logger.warning("Email %s attempt %s failed: %s", email.pk, email.attempts, detail)
    OutboundEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=status, last_error=reason, next_attempt_at=next_at, updated_at=now
    )
    email.refresh_from_db()
    return email


def _span(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours >= 1:
        return f"{hours:.0f} hours" if hours >= 2 else "an hour"
    return f"{max(1, round(span.total_seconds() / 60))} minutes"


def email_resend(*, email: OutboundEmail, actor: User) -> OutboundEmail:
    """A consultant's resend of a failed email: queued again with a fresh retry budget and
    the same Message-ID (if an earlier attempt did arrive, the copy is recognisably the same)."""
    from engagements.taskpolicy import enqueue_on_commit
    from engagements.tasks import deliver_email

    with transaction.atomic():
        updated = OutboundEmail.objects.filter(pk=email.pk, status=EmailStatus.FAILED).update(
            status=EmailStatus.QUEUED,
            attempts=0,
            next_attempt_at=None,
            last_error="",
            updated_at=timezone.now(),
        )
        if not updated:
            raise ApplicationError("Only an email that failed can be sent again.")
        logger.info("Email %s resent by %s", email.pk, actor)
        enqueue_on_commit(deliver_email, (email.pk, email.firm_id))
    email.refresh_from_db()
    return email


def outbox_due() -> list[int]:
    """The firm in scope's emails the sweeper should queue: queued for longer than the grace
    period (their task was lost, or never reached the broker), retrying and due, or left
    "sending" by a worker that died."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.OUTBOX_GRACE_SECONDS)
    due = OutboundEmail.objects.filter(_claimable(now)).exclude(
        status=EmailStatus.QUEUED, updated_at__gte=grace
    )
    return list(due.order_by("pk").values_list("pk", flat=True)[:1000])


def outbox_sweep() -> int:
    """Every OUTBOX_SWEEP_SECONDS (Celery beat): queue each firm's due emails. Queuing one twice
    is harmless (the second attempt finds it claimed or sent). Returns how many were queued."""
    from engagements.taskpolicy import enqueue_now
    from engagements.tasks import deliver_email

    queued = 0
    for firm, due in each_firm(lambda firm: (firm, outbox_due()), "Outbox sweep"):
        for pk in due:
            if enqueue_now(deliver_email, (pk, firm.pk)):
                queued += 1
    return queued
