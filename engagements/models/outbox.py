from django.db import models

from engagements.models.base import TenantModel


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmail(TenantModel):
    """One email to one recipient, written before it is sent.

    The unique (firm, dedupe_key) row is what makes a retried task send at most once: the task
    sends only while the row is pending, and marks it sent in the same transaction.
    """

    dedupe_key = models.CharField(max_length=200)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    attachment = models.CharField(
        max_length=500, blank=True, help_text="Name of a file in the default storage to attach."
    )
    attachment_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "dedupe_key"], name="outbound_email_once")
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
