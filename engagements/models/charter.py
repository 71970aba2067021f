"""Phase 1 — Onboarding & Alignment: the alignment charter.

The tools inventory and the pain points are what the diagnostic and architecture phases build
on: their apps reference `Tool` and `PainPoint` by foreign key.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from engagements.models.base import TenantModel
from engagements.models.documents import DocumentVersion
from engagements.models.engagement import Engagement, Stakeholder, StakeholderRole
from engagements.phases import Phase


class SalesMotion(models.TextChoices):
    INBOUND = "inbound", "Inbound-led"
    OUTBOUND = "outbound", "Outbound-led"
    PRODUCT_LED = "product_led", "Product-led"
    PARTNER = "partner", "Partner / channel"
    MIXED = "mixed", "Mixed"


class Charter(TenantModel):
    """The charter's prose: current state, what success means, and what the project is about."""

    engagement = models.OneToOneField(Engagement, on_delete=models.CASCADE, related_name="charter")
    current_process = models.TextField("how the sales process works today", blank=True)
    sales_motion = models.CharField(max_length=20, choices=SalesMotion.choices, blank=True)
    goals = models.TextField("goals", blank=True)
    project_purpose = models.TextField(
        "what this project is really about",
        blank=True,
        help_text="Redesigning how the team sells — not “fixing the CRM”.",
    )
    scope_in = models.TextField("in scope", blank=True)
    scope_out = models.TextField("out of scope", blank=True)

    def __str__(self) -> str:
        return f"Charter of {self.engagement}"


class HeadcountLine(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="headcount")
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    team = models.CharField(max_length=120, blank=True, help_text="e.g. West, SMB, EMEA")
    headcount = models.PositiveIntegerField(validators=[MaxValueValidator(100000)])

    class Meta:
        ordering = ["role", "team", "id"]

    def __str__(self) -> str:
        return f"{self.headcount} × {self.get_role_display()}"


class ToolCategory(models.TextChoices):
    CRM = "crm", "CRM"
    ENGAGEMENT = "engagement", "Sales engagement"
    DATA = "data", "Data & enrichment"
    COMMUNICATION = "communication", "Communication"
    REPORTING = "reporting", "Reporting & BI"
    CPQ = "cpq", "Quoting & contracts"
    SPREADSHEET = "spreadsheet", "Spreadsheets"
    OTHER = "other", "Other"


class Tool(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="tools")
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=ToolCategory.choices)
    monthly_cost = models.DecimalField(
        "monthly cost",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    seats = models.PositiveIntegerField(null=True, blank=True)
    owner = models.CharField(max_length=120, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        "satisfaction (1–5)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    is_system_of_record = models.BooleanField("system of record", default=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "name"], name="tool_name_unique_per_engagement"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class PainPoint(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="pain_points")
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    description = models.CharField(max_length=500)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)

    class Meta:
        ordering = ["role", "id"]

    def __str__(self) -> str:
        return self.description


class SuccessMetric(TenantModel):
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="success_metrics"
    )
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True, help_text="e.g. %, days, $")
    baseline = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    measurement = models.CharField("how it is measured", max_length=300, blank=True)
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Milestone(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="milestones")
    phase = models.CharField(
        max_length=20, choices=[(p.value, p.label) for p in Phase if p != Phase.CLOSED]
    )
    title = models.CharField(max_length=200)
    due_date = models.DateField()

    class Meta:
        ordering = ["due_date", "id"]
        # The portfolio asks, for each engagement, for its next and its late milestones.
        indexes = [models.Index(fields=["firm", "engagement", "due_date"])]

    def __str__(self) -> str:
        return self.title


class Cadence(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"
    PER_PHASE = "per_phase", "Once per phase"


class Meeting(TenantModel):
    """A communication rhythm: a recurring meeting or update."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="meetings")
    name = models.CharField(max_length=200)
    attendee_roles = models.JSONField(default=list)
    cadence = models.CharField(max_length=20, choices=Cadence.choices)
    channel = models.CharField(max_length=120, help_text="e.g. Zoom, Slack #proj-sales, on site")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def attendee_role_labels(self) -> str:
        labels = dict(StakeholderRole.choices)
        return ", ".join(labels.get(role, role) for role in self.attendee_roles)


class RoleExclusion(TenantModel):
    """A stakeholder role deliberately left out of scope, and why."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="role_exclusions"
    )
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "role"], name="one_exclusion_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} out of scope"


class Responsibility(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


class RaciAssignment(TenantModel):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="raci")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="raci")
    phase = models.CharField(
        max_length=20, choices=[(p.value, p.label) for p in Phase if p != Phase.CLOSED]
    )
    responsibility = models.CharField(max_length=1, choices=Responsibility.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stakeholder", "phase"], name="one_raci_per_stakeholder_phase"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder.name}: {self.responsibility} in {self.phase}"


class CharterVersion(DocumentVersion):
    """One rendered alignment charter PDF: v1, v2, … Its job record carries the progress."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="charter_versions"
    )

    filename_stem = "alignment-charter"

    class Meta(DocumentVersion.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "number"], name="charter_version_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"Alignment charter v{self.number}"
