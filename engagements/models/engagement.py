from django.conf import settings
from django.db import models
from django.utils import timezone

from engagements.models.accounts import Client
from engagements.models.base import TenantModel
from engagements.phases import Phase, phase_steps


class EngagementStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Engagement(TenantModel):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="engagements")
    name = models.CharField(max_length=200)
    lead_consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    current_phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.ONBOARDING)
    status = models.CharField(
        max_length=20, choices=EngagementStatus.choices, default=EngagementStatus.ACTIVE
    )
    start_date = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    phase_entered_at = models.DateTimeField(
        default=timezone.now, help_text="When the engagement reached its current phase."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["firm", "client"]),
            models.Index(fields=["firm", "current_phase"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(target_date__gte=models.F("start_date")),
                name="engagement_target_not_before_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phase_steps(self) -> list[dict]:
        return phase_steps(self.current_phase)


class StakeholderRole(models.TextChoices):
    LEADERSHIP = "leadership", "Leadership"
    MANAGER = "manager", "Manager"
    REP = "rep", "Rep"
    OPS = "ops", "Ops"


class Stakeholder(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="stakeholders"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()
    title = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    is_approver = models.BooleanField("approver", default=False)
    has_portal_access = models.BooleanField("portal access", default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stakeholder_roles",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "email"], name="stakeholder_email_unique_per_engagement"
            )
        ]
        indexes = [models.Index(fields=["firm", "user"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ActivityKind(models.TextChoices):
    ENGAGEMENT_CREATED = "engagement_created", "Engagement created"
    ENGAGEMENT_UPDATED = "engagement_updated", "Engagement updated"
    STAKEHOLDER_ADDED = "stakeholder_added", "Stakeholder added"
    STAKEHOLDER_UPDATED = "stakeholder_updated", "Stakeholder updated"
    STAKEHOLDER_REMOVED = "stakeholder_removed", "Stakeholder removed"
    PORTAL_INVITATION_SENT = "portal_invitation_sent", "Portal invitation sent"
    PORTAL_INVITATION_ACCEPTED = "portal_invitation_accepted", "Portal invitation accepted"
    CHARTER_CHANGED = "charter_changed", "Charter changed"
    SIGNOFF_REQUESTED = "signoff_requested", "Sign-off requested"
    SIGNOFF_APPROVED = "signoff_approved", "Sign-off approved"
    SIGNOFF_REJECTED = "signoff_rejected", "Sign-off rejected"
    SIGNOFF_STALE = "signoff_stale", "Sign-off request went stale"
    SIGNOFF_CHASED = "signoff_chased", "Approver reminded or escalated"
    PHASE_SIGNED_OFF = "phase_signed_off", "Phase signed off"
    PHASE_REOPENED = "phase_reopened", "Phase reopened"
    PHASE_NEEDS_RECONFIRMATION = "phase_needs_reconfirmation", "Phase needs re-confirmation"
    PHASE_ADVANCED = "phase_advanced", "Engagement advanced"


class ActivityEvent(TenantModel):
    """One line of an engagement's timeline. Written by services, never edited."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40, choices=ActivityKind.choices)
    message = models.CharField(max_length=500)
    visible_to_client = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["firm", "engagement", "-created_at"])]

    def __str__(self) -> str:
        return self.message
