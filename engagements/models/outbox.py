from django.db import models

from engagements.models.base import TenantModel


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


class OutboundEmail(TenantModel):
    """One email to one recipient: a transactional outbox row, committed with the work that
    wrote it and sent afterwards.

    The unique (firm, dedupe_key) row means one purpose gives one email. `message_id` is made
    when the row is written and used on every attempt, so if a crash after the mail server
    accepted the message makes us send it again, the copy carries the same Message-ID and any
    mail system can drop it: delivery is at least once, deduplicable by Message-ID.

    queued → sending (committed before we talk to SMTP) → sent; a failed attempt goes to
    retrying (with `next_attempt_at`) until EMAIL_RETRY_DELAYS are used up, then failed. The
    outbox sweeper queues rows left queued past a grace period, retrying rows that are due, and
    rows left "sending" by a crashed worker.
    """

    dedupe_key = models.CharField(max_length=200)
    message_id = models.CharField(max_length=255, blank=True)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    attachment = models.CharField(
        max_length=500, blank=True, help_text="Name of a file in the default storage to attach."
    )
    attachment_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "dedupe_key"], name="outbound_email_once")
        ]
        indexes = [models.Index(fields=["firm", "status"], name="outbound_email_status")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
