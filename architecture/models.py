"""Phase 3 — Systems Architecture: what happens to every tool, how data flows from first touch
to renewal, and which vendor to choose, scored so the recommendation is defensible."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from diagnostics.models import Finding
from engagements.models import (
    DocumentVersion,
    Engagement,
    Stakeholder,
    SuccessMetric,
    TenantModel,
    Tool,
)


class Decision(models.TextChoices):
    KEEP = "keep", "Keep"
    RETIRE = "retire", "Retire"
    CONSOLIDATE = "consolidate", "Consolidate into another tool"
    REPLACE = "replace", "Replace"


class ToolDecision(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="tool_decisions"
    )
    tool = models.OneToOneField(Tool, on_delete=models.CASCADE, related_name="decision")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    consolidate_into = models.ForeignKey(
        Tool, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_by = models.ForeignKey(
        "architecture.Capability",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
    )
    rationale = models.TextField()
    findings: models.ManyToManyField[Finding, ToolDecisionFinding] = models.ManyToManyField(
        Finding, through="ToolDecisionFinding", related_name="+", blank=True
    )

    class Meta:
        ordering = ["tool__name", "id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.tool}"


class ToolDecisionFinding(TenantModel):
    tool_decision = models.ForeignKey(ToolDecision, on_delete=models.CASCADE)
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tool_decision", "finding"], name="decision_finding_once"
            )
        ]


class Capability(TenantModel):
    """A new capability to add (usually a new tool), with the gaps it closes."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="capabilities"
    )
    name = models.CharField(max_length=200, help_text="e.g. Conversation intelligence")
    tool_name = models.CharField("proposed tool", max_length=120, blank=True)
    monthly_cost = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    seats = models.PositiveIntegerField(null=True, blank=True)
    is_new_tool = models.BooleanField(
        "adds a new tool", default=True, help_text="A new tool needs a completed vendor evaluation."
    )
    findings: models.ManyToManyField[Finding, CapabilityFinding] = models.ManyToManyField(
        Finding, through="CapabilityFinding", related_name="+", blank=True
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return self.tool_name or self.name


class CapabilityFinding(TenantModel):
    capability = models.ForeignKey(Capability, on_delete=models.CASCADE)
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["capability", "finding"], name="capability_finding_once"
            )
        ]


DEFAULT_STAGES = [
    "Lead capture", "Qualification", "Opportunity", "Proposal", "Negotiation", "Closed-won",
    "Onboarding", "Renewal",
]  # fmt: skip


class Stage(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    system_of_record = models.CharField(max_length=120, blank=True)
    roles = models.JSONField(default=list, blank=True)
    automated_steps = models.TextField(blank=True)
    manual_steps = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    ONE_WAY = "one_way", "One way"
    TWO_WAY = "two_way", "Two way"


class Integration(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="integrations"
    )
    source_system = models.CharField(max_length=120)
    target_system = models.CharField(max_length=120)
    objects_carried = models.CharField("objects", max_length=300)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.ONE_WAY
    )
    trigger = models.CharField("trigger or frequency", max_length=200)
    is_automated = models.BooleanField("automated", default=True)
    owner = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["source_system", "target_system", "id"]

    def __str__(self) -> str:
        return f"{self.source_system} → {self.target_system}"


class ReportingItem(TenantModel):
    """A dashboard or metric of the reporting layer, where its data comes from, and the Phase 1
    success metric it tracks."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="reporting_items"
    )
    name = models.CharField(max_length=200)
    sources = models.CharField(
        max_length=300, help_text="Systems the data comes from, comma-separated"
    )
    success_metric = models.ForeignKey(
        SuccessMetric, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


# --- vendor evaluation --------------------------------------------------------------------------

DEFAULT_CRITERIA = [
    ("Fit for the team's size", 25),
    ("Technical maturity", 15),
    ("Budget (total cost of ownership)", 20),
    ("Integration requirements", 25),
    ("Growth trajectory", 15),
]
MUST_HAVE_MINIMUM = 3
"""A vendor whose mean score on a must-have criterion is below this is disqualified."""


class Evaluation(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="evaluations")
    title = models.CharField(max_length=200, help_text="e.g. CRM platform")
    capability = models.ForeignKey(
        Capability, null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluations"
    )
    evaluators: models.ManyToManyField[Stakeholder, EvaluationEvaluator] = models.ManyToManyField(
        Stakeholder, through="EvaluationEvaluator", related_name="+", blank=True
    )
    recommendation = models.TextField("written recommendation", blank=True)
    recommended_vendor = models.ForeignKey(
        "architecture.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class EvaluationEvaluator(TenantModel):
    """A client stakeholder invited to score this evaluation in the portal."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE)
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "stakeholder"], name="evaluator_once")
        ]


class Criterion(TenantModel):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=200)
    weight = models.DecimalField(
        "weight (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_must_have = models.BooleanField("must-have", default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return self.name


class Vendor(TenantModel):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="vendors")
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "name"], name="vendor_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class Score(TenantModel):
    """One evaluator's score of one vendor on one criterion."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor", "criterion", "evaluator"], name="score_once")
        ]


class BlueprintVersion(DocumentVersion):
    """One rendered architecture blueprint PDF: v1, v2, …"""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="blueprint_versions"
    )

    filename_stem = "architecture-blueprint"

    class Meta(DocumentVersion.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "number"], name="blueprint_version_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename_stem.replace('-', ' ').capitalize()} v{self.number}"
