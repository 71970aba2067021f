"""Phase 4 — Build, Test & Optimize: sprints with deliverables and check-ins, end-to-end workflow
scenarios and their test runs, and user acceptance testing by the client's own people."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from architecture.models import Integration, ReportingItem, Stage
from engagements.models import Engagement, Stakeholder, StakeholderRole, TenantModel


class Focus(models.TextChoices):
    CRM = "crm", "CRM configuration"
    INTEGRATIONS = "integrations", "Integrations"
    AUTOMATION = "automation", "Automation & workflows"
    REPORTING = "reporting", "Reporting"
    DATA = "data", "Data"


class SprintStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    DONE = "done", "Done"


class Sprint(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="sprints")
    name = models.CharField(max_length=120)
    focus = models.CharField(max_length=20, choices=Focus.choices)
    goal = models.CharField(max_length=500)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=SprintStatus.choices, default=SprintStatus.PLANNED
    )

    class Meta:
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="sprint_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DeliverableStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DEFERRED = "deferred", "Deferred"


class Deliverable(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="deliverables"
    )
    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="deliverables")
    title = models.CharField(max_length=200)
    owner = models.CharField(max_length=120, blank=True)
    acceptance_criteria = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=DeliverableStatus.choices, default=DeliverableStatus.TODO
    )
    done_at = models.DateField(null=True, blank=True)
    stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporting_item = models.ForeignKey(
        ReportingItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="report",
    )  # fmt: skip

    class Meta:
        ordering = ["sprint", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def builds(self) -> str:
        """The blueprint item it builds, in words."""
        item = self.stage or self.integration or self.reporting_item
        return str(item) if item else ""


class CheckIn(TenantModel):
    sprint = models.ForeignKey(Sprint, on_delete=models.CASCADE, related_name="check_ins")
    date = models.DateField()
    progress = models.TextField()
    blockers = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"Check-in {self.date}"


class Scenario(TenantModel):
    """A workflow that walks a record through the blueprint's stages, end to end.

    `changed_at` moves whenever the scenario or one of its steps changes: a run counts for the
    gate only if it started after the last change."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="scenarios")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_critical = models.BooleanField("critical", default=True)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class ScenarioStep(TenantModel):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    action = models.CharField(max_length=300)
    expected_result = models.CharField(max_length=300)
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    systems = models.CharField("systems touched", max_length=200, blank=True)
    stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.action


class UatRound(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="uat_rounds")
    name = models.CharField(max_length=120)
    participants: models.ManyToManyField[Stakeholder, UatParticipant] = models.ManyToManyField(
        Stakeholder, through="UatParticipant", related_name="+"
    )
    scenarios: models.ManyToManyField[Scenario, UatScenario] = models.ManyToManyField(
        Scenario, through="UatScenario", related_name="+"
    )
    is_open = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class UatParticipant(TenantModel):
    uat_round = models.ForeignKey(UatRound, on_delete=models.CASCADE)
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["uat_round", "stakeholder"], name="uat_participant_once"
            )
        ]


class UatScenario(TenantModel):
    uat_round = models.ForeignKey(UatRound, on_delete=models.CASCADE)
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["uat_round", "scenario"], name="uat_scenario_once")
        ]


class RunOutcome(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    BLOCKED = "blocked", "Blocked"


class TestRun(TenantModel):
    """One walk through a scenario; passed only if every step passed."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uat_round = models.ForeignKey(
        UatRound, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices)

    __test__ = False  # not a pytest test class

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Run of {self.scenario}: {self.get_outcome_display()}"


class StepResult(TenantModel):
    run = models.ForeignKey(TestRun, on_delete=models.CASCADE, related_name="results")
    step = models.ForeignKey(ScenarioStep, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=RunOutcome.choices)
    notes = models.TextField(blank=True)
    evidence = models.CharField(
        max_length=500, blank=True, help_text="Name in the default storage."
    )
    evidence_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["step__position", "id"]


class FeedbackCategory(models.TextChoices):
    FIELD_NAME = "field_name", "Confusing field name"
    REQUIRED_FIELD = "required_field", "Unnecessary required field"
    FRICTION = "friction", "Workflow friction"
    BUG = "bug", "Bug"
    MISSING = "missing", "Missing capability"


class FeedbackSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    BLOCKER = "blocker", "Blocker"


class Triage(models.TextChoices):
    OPEN = "open", "Awaiting triage"
    ACCEPTED = "accepted", "Accepted into a sprint"
    WONT_FIX = "wont_fix", "Won't fix"
    DUPLICATE = "duplicate", "Duplicate"


class Feedback(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="uat_feedback"
    )
    uat_round = models.ForeignKey(UatRound, on_delete=models.CASCADE, related_name="feedback")
    scenario = models.ForeignKey(
        Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=FeedbackCategory.choices)
    severity = models.CharField(max_length=10, choices=FeedbackSeverity.choices)
    location = models.CharField("where it happened", max_length=300)
    description = models.TextField("what happened")
    expected = models.TextField("what you expected")
    triage = models.CharField(max_length=10, choices=Triage.choices, default=Triage.OPEN)
    triage_reason = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deliverable = models.ForeignKey(
        Deliverable, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.location}"
