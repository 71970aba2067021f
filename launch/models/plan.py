"""Phase 5 — Launch & Deployment: the launch plan (cutover runbook, communications, monitoring,
rollback), the staged rollout in waves with go/no-go decisions, and hypercare incidents."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from engagements.models import DocumentVersion, Engagement, Stakeholder, TenantModel


class LaunchPlan(TenantModel):
    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="launch_plan"
    )
    cutover_start = models.DateTimeField(null=True, blank=True)
    cutover_end = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=60, default="UTC")
    rollback_triggers = models.TextField("rollback trigger criteria", blank=True)

    def __str__(self) -> str:
        return f"Launch plan of {self.engagement}"


class RunbookStep(TenantModel):
    """One ordered, owned, timed step of the cutover, ticked off live."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="runbook")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    owner = models.CharField(max_length=120)
    planned_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=15)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    EMAIL = "email", "Email (sent by Waypoint)"
    MEETING = "meeting", "Meeting"
    CHAT = "chat", "Chat"
    OTHER = "other", "Other"


class Communication(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="communications"
    )
    audience_roles = models.JSONField(default=list)
    subject = models.CharField(max_length=200)
    message = models.TextField()
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["send_at", "id"]

    def __str__(self) -> str:
        return self.subject


class MonitoringCheck(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="monitoring")
    description = models.CharField("check", max_length=300)
    owner = models.CharField(max_length=120, blank=True)
    frequency = models.CharField(max_length=120, blank=True, help_text="e.g. hourly on launch day")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description


class RollbackStep(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="rollback_steps"
    )
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    owner = models.CharField(max_length=120)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class WaveStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    GO = "go", "Go"
    NO_GO = "no_go", "No-go"
    LIVE = "live", "Live"
    CANCELLED = "cancelled", "Cancelled"


class Wave(TenantModel):
    """A rollout wave: the pilot first, then further waves of users of the new system."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="waves")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    members: models.ManyToManyField[Stakeholder, WaveMember] = models.ManyToManyField(
        Stakeholder, through="WaveMember", related_name="+", blank=True
    )
    planned_start = models.DateField()
    planned_end = models.DateField()
    go_criteria = models.TextField("go/no-go criteria")
    status = models.CharField(max_length=10, choices=WaveStatus.choices, default=WaveStatus.PLANNED)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class WaveMember(TenantModel):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE)
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "stakeholder"], name="wave_member_once")
        ]


class WaveDecision(TenantModel):
    """A go/no-go decision on a wave: who decided, and why. Never edited."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=10, choices=[("go", "Go"), ("no_go", "No-go")])
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]


class PilotFeedback(TenantModel):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="feedback")
    text = models.TextField()
    source = models.CharField(max_length=120, blank=True, help_text="Who said it")
    fix = models.CharField("linked fix", max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class IncidentCategory(models.TextChoices):
    DATA_SYNC = "data_sync", "Data sync"
    AUTOMATION = "automation", "Automation failure"
    USER_ERROR = "user_error", "User error"
    ADOPTION = "adoption", "Adoption"
    ACCESS = "access", "Access"


class IncidentSeverity(models.TextChoices):
    SEV1 = "sev1", "Sev 1 — critical"
    SEV2 = "sev2", "Sev 2 — major"
    SEV3 = "sev3", "Sev 3 — minor"
    SEV4 = "sev4", "Sev 4 — question"


DEFAULT_RESPONSE_MINUTES = {"sev1": 30, "sev2": 120, "sev3": 480, "sev4": 1440}


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESPONDED = "responded", "Responded"
    RESOLVED = "resolved", "Resolved"


class Incident(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=IncidentCategory.choices)
    severity = models.CharField(max_length=10, choices=IncidentSeverity.choices)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["firm", "status", "severity"])]

    def __str__(self) -> str:
        return self.title


class EscalationPolicy(TenantModel):
    """Per severity: the response-time target, and who is told, level by level, when missed."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="escalation_policies"
    )
    severity = models.CharField(max_length=10, choices=IncidentSeverity.choices)
    response_minutes = models.PositiveIntegerField()
    escalate_to = models.JSONField(default=list, help_text="Emails, one per escalation level")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "severity"], name="one_policy_per_severity"
            )
        ]


class Escalation(TenantModel):
    """An escalation recorded on the incident: the level reached and who was notified."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    notified = models.EmailField()

    class Meta:
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "level"], name="escalate_once_per_level")
        ]


class LaunchPlanVersion(DocumentVersion):
    """One rendered launch plan PDF: v1, v2, …"""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="launch_plan_versions"
    )

    filename_stem = "launch-plan"

    class Meta(DocumentVersion.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "number"], name="launch_plan_version_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"Launch plan v{self.number}"
