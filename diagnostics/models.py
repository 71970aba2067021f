"""Phase 2 — Diagnostic Workshops: structured sessions, the evidence they produce, and the
diagnostic report that turns it into "what is" and "what should be"."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from engagements.models import (
    DocumentVersion,
    Engagement,
    Stakeholder,
    StakeholderRole,
    TenantModel,
    Tool,
)


class WorkshopGroup(models.TextChoices):
    REP = "rep", "Reps"
    MANAGER = "manager", "Managers"
    OPS = "ops", "Ops"
    LEADERSHIP = "leadership", "Leadership"
    MIXED = "mixed", "Mixed"


class PromptTemplate(TenantModel):
    """The firm's library of capture-sheet prompts, per stakeholder group; editable by the firm."""

    group = models.CharField(max_length=20, choices=WorkshopGroup.choices)
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "position", "id"]

    def __str__(self) -> str:
        return self.text


class WorkshopStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Workshop(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="workshops")
    title = models.CharField(max_length=200)
    group = models.CharField(max_length=20, choices=WorkshopGroup.choices)
    objective = models.CharField(max_length=500)
    scope = models.TextField(blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=WorkshopStatus.choices, default=WorkshopStatus.PLANNED
    )
    attendees: models.ManyToManyField[Stakeholder, WorkshopAttendee] = models.ManyToManyField(
        Stakeholder, through="WorkshopAttendee", related_name="workshops", blank=True
    )
    notes = models.TextField(blank=True)
    decisions = models.TextField(blank=True)

    class Meta:
        ordering = ["scheduled_at", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def roles(self) -> set[str]:
        """The stakeholder roles this session speaks for."""
        if self.group == WorkshopGroup.MIXED:
            return {s.role for s in self.attendees.all()}
        return {self.group}


class WorkshopAttendee(TenantModel):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE)
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workshop", "stakeholder"], name="attend_once")
        ]


class AgendaItem(TenantModel):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="agenda")
    title = models.CharField(max_length=200)
    minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(480)]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class WorkshopPrompt(TenantModel):
    """A prompt on one session's capture sheet, copied from the library when the session is
    planned, so later library edits do not rewrite what was asked."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="prompts")
    group = models.CharField(max_length=20, choices=WorkshopGroup.choices)
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)
    answer = models.TextField("answer captured in the session", blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class PreworkAnswer(TenantModel):
    """A client stakeholder's answer to a prompt, given in the portal before the session."""

    prompt = models.ForeignKey(WorkshopPrompt, on_delete=models.CASCADE, related_name="prework")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prompt", "stakeholder"], name="one_prework_answer")
        ]


class FindingCategory(models.TextChoices):
    PROCESS = "process", "Process friction"
    VISIBILITY = "visibility", "Visibility gap"
    DATA = "data", "Data integrity"
    TOOLING = "tooling", "Tooling"
    METRICS = "metrics", "Metrics & reporting"


class FindingSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_ORDER = ["critical", "high", "medium", "low"]


class ProcessView(models.TextChoices):
    ACTUAL = "actual", "How it actually works"
    SUPPOSED = "supposed", "How it is supposed to work"


class Finding(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="findings")
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=FindingCategory.choices)
    severity = models.CharField(max_length=10, choices=FindingSeverity.choices)
    quote = models.TextField("evidence (a quote)", blank=True)
    workshop = models.ForeignKey(
        Workshop, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    affected_roles = models.JSONField(default=list, blank=True)
    affected_tools: models.ManyToManyField[Tool, FindingTool] = models.ManyToManyField(
        Tool, through="FindingTool", related_name="+", blank=True
    )
    process_view = models.CharField(
        max_length=10, choices=ProcessView.choices, default=ProcessView.ACTUAL
    )

    class Meta:
        ordering = ["category", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def affected_role_labels(self) -> str:
        labels = dict(StakeholderRole.choices)
        return ", ".join(labels.get(role, role) for role in self.affected_roles)


class FindingTool(TenantModel):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE)
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["finding", "tool"], name="finding_tool_once")
        ]


class DataSource(TenantModel):
    """Where data lives: the data landscape."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="data_sources"
    )
    system = models.CharField(max_length=120)
    objects_held = models.CharField(
        "objects", max_length=300, help_text="e.g. accounts, contacts, deals"
    )
    owner = models.CharField(max_length=120, blank=True)
    record_count = models.PositiveIntegerField("approximate records", null=True, blank=True)
    quality_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["system", "id"]

    def __str__(self) -> str:
        return self.system


class ToolAssessment(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="tool_assessments"
    )
    tool = models.OneToOneField(Tool, on_delete=models.CASCADE, related_name="assessment")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    complexity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    overlaps: models.ManyToManyField[Tool, ToolOverlap] = models.ManyToManyField(
        Tool, through="ToolOverlap", related_name="+", blank=True
    )
    active_seats = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["tool__name", "id"]

    def __str__(self) -> str:
        return f"Assessment of {self.tool}"

    @property
    def cost_per_active_seat(self):
        if self.tool.monthly_cost is None or not self.active_seats:
            return None
        return (self.tool.monthly_cost / self.active_seats).quantize(self.tool.monthly_cost)


class ToolOverlap(TenantModel):
    assessment = models.ForeignKey(ToolAssessment, on_delete=models.CASCADE)
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "tool"], name="overlap_once")]


class ReportDraft(TenantModel):
    """The consultant's synthesis, edited in the workspace and frozen into each report version."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="report_draft"
    )
    executive_summary = models.TextField(blank=True)
    current_state = models.TextField(blank=True)
    gaps = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Report draft of {self.engagement}"


class Recommendation(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="recommendations"
    )
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    findings: models.ManyToManyField[Finding, RecommendationFinding] = models.ManyToManyField(
        Finding, through="RecommendationFinding", related_name="recommendations", blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class RecommendationFinding(TenantModel):
    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE)
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "finding"], name="recommendation_finding_once"
            )
        ]


class ReportVersion(DocumentVersion):
    """One rendered diagnostic report: v1, v2, … Its job record carries the progress."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="report_versions"
    )

    filename_stem = "diagnostic-report"

    class Meta(DocumentVersion.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "number"], name="report_version_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename_stem.replace('-', ' ').capitalize()} v{self.number}"
