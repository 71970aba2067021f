from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from engagements.models.base import TenantModel
from engagements.models.engagement import Engagement, Stakeholder
from engagements.phases import Phase


class PhaseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting sign-off"
    SIGNED_OFF = "signed_off", "Signed off"


class PhaseState(TenantModel):
    """Where one phase of one engagement stands in its gate.

    `needs_reconfirmation` is set on a signed-off phase when an earlier phase is reopened: it
    stays signed off, but its approvers are asked to confirm it again.
    """

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="phase_states"
    )
    phase = models.CharField(max_length=20, choices=Phase.choices)
    status = models.CharField(
        max_length=20, choices=PhaseStatus.choices, default=PhaseStatus.IN_PROGRESS
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    needs_reconfirmation = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "phase"], name="one_state_per_phase")
        ]

    def __str__(self) -> str:
        return f"{self.engagement} · {self.get_phase_display()} · {self.get_status_display()}"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class SignoffRequest(TenantModel):
    """A consultant's request that the client approve a phase, with the frozen snapshot of its
    artifacts and that snapshot's SHA-256 digest."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="signoff_requests"
    )
    phase = models.CharField(max_length=20, choices=Phase.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot = models.JSONField()
    digest = models.CharField(max_length=64)
    approver_ids = models.JSONField(help_text="Stakeholder ids whose approval is required.")
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    due_date = models.DateField(
        null=True, blank=True, help_text="When the approvers are asked to have decided."
    )
    is_stale = models.BooleanField(default=False)
    is_reconfirmation = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    approved_snapshot = models.JSONField(
        null=True,
        blank=True,
        help_text="What the approvers approved, if it changed after the request.",
    )
    approved_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "phase"],
                condition=models.Q(status="open"),
                name="one_open_request_per_phase",
            )
        ]

    def __str__(self) -> str:
        return f"Sign-off of {self.get_phase_display()} for {self.engagement}"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"


class SignoffDecision(TenantModel):
    """One approver's decision on a request. Append-only: on PostgreSQL a trigger refuses UPDATE
    and DELETE, so the record of who agreed to what can never be rewritten."""

    request = models.ForeignKey(SignoffRequest, on_delete=models.PROTECT, related_name="decisions")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    typed_name = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    reviewed_digest = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.typed_name or self.user}"


class GateSettings(TenantModel):
    """A firm's rules for chasing sign-off: the default due date and which notices go out.

    Each notice goes to every approver who has not decided, once per request: a reminder some
    days before the due date, an overdue notice the day after it, and an escalation to the lead
    consultant and the client sponsor some days later still.
    """

    due_business_days = models.PositiveSmallIntegerField(
        "default time to decide (business days)",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    reminder_enabled = models.BooleanField("send reminders", default=True)
    reminder_days_before = models.PositiveSmallIntegerField(
        "days before the due date",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    overdue_enabled = models.BooleanField("send overdue notices", default=True)
    escalation_enabled = models.BooleanField("escalate", default=True)
    escalation_days_after_due = models.PositiveSmallIntegerField(
        "days after the due date",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm"], name="one_gate_settings_per_firm")]

    def __str__(self) -> str:
        return f"Gate settings of {self.firm}"
