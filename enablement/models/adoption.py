"""Phase 6 — adoption: usage events from the client's new sales system, the weekly metrics
computed from them, the thresholds they are held to, the alerts raised when a stakeholder or a
role stays below, and the per-firm API keys integrations post events with.

`UsageEvent` and `WeeklyMetric` are the high-volume tables. They are keyed firm-first (their
unique constraints and indexes start with `firm`) and nothing points into them, so they can be
distributed by firm (Citus) when one database is outgrown. They are never addressed in URLs,
so they carry no public id: a globally unique index would block that distribution.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from engagements.models import Engagement, Stakeholder, StakeholderRole, TenantModel

__all__ = [
    "METRIC_UNITS",
    "AdoptionAlert",
    "AdoptionSettings",
    "AdoptionThreshold",
    "AlertSeverity",
    "ApiKey",
    "DirtyWeek",
    "KeyFeature",
    "Metric",
    "RequiredField",
    "UploadStatus",
    "UsageEvent",
    "UsageKind",
    "UsageSource",
    "UsageUpload",
    "WeeklyMetric",
    "metric_value_text",
]


class UsageKind(models.TextChoices):
    LOGIN = "login", "Login"
    RECORD_CREATED = "record_created", "Record created"
    RECORD_UPDATED = "record_updated", "Record updated"
    FEATURE_USED = "feature_used", "Feature used"


class UsageSource(models.TextChoices):
    API = "api", "REST API"
    LOGIN_CSV = "login_csv", "Login history (CSV)"
    RECORD_EXPORT = "record_export", "Record export (CSV)"
    DEMO = "demo", "Demo data"


class Metric(models.TextChoices):
    """The weekly adoption metrics a threshold can be set on (see services/metrics.py)."""

    ACTIVE_DAYS = "active_days", "Active days"
    LOGINS = "logins", "Logins"
    COMPLETENESS = "completeness", "Data-entry completeness"
    UTILISATION = "utilisation", "Feature utilisation"
    SCORE = "score", "Adoption score"


METRIC_UNITS = {"active_days": " days", "logins": " logins", "completeness": "%",
                "utilisation": "%", "score": ""}  # fmt: skip


def metric_value_text(metric: str, value: float | None) -> str:
    """A metric's value as people read it: "2 days", "75%", "66.5"."""
    if value is None:
        return "—"
    number = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{number}{METRIC_UNITS.get(metric, '')}"


class ApiKey(TenantModel):
    """A firm's key for posting usage events. Only `prefix` (to find the row) and the SHA-256
    digest of the whole key are stored: the key itself is shown once, when created."""

    name = models.CharField(max_length=120, help_text="What uses it, e.g. “Salesforce sync”")
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AdoptionSettings(TenantModel):
    """Per-engagement adoption settings (created on first edit; until then the defaults)."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="adoption_settings"
    )
    consecutive_weeks = models.PositiveSmallIntegerField(
        "weeks below threshold before an alert",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )

    def __str__(self) -> str:
        return f"Adoption settings of {self.engagement}"


class AdoptionThreshold(TenantModel):
    """The value a role's stakeholders should reach each week on one metric; an override of
    the defaults in services/metrics.py."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="adoption_thresholds"
    )
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    value = models.FloatField(validators=[MinValueValidator(0)])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "role", "metric"], name="adoption_threshold_once"
            )
        ]


class KeyFeature(TenantModel):
    """A feature of the new system a role is expected to use; feature utilisation is the share
    of its role's key features a stakeholder used in the week. `name` is stored normalised
    (trimmed, lower case), as event feature names are."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="key_features"
    )
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["role", "name"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "role", "name"], name="key_feature_once")
        ]

    def __str__(self) -> str:
        return self.name


class RequiredField(TenantModel):
    """A field a record of one object must have filled, e.g. opportunity → Close Date. The
    architecture blueprint records objects and flows but no required fields, so they are kept
    here, per engagement. Names are stored normalised (trimmed, lower case)."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="required_fields"
    )
    object_name = models.CharField("object", max_length=80)
    field_name = models.CharField("field", max_length=120)

    class Meta:
        ordering = ["object_name", "field_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "object_name", "field_name"], name="required_field_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name}.{self.field_name}"


class UsageEvent(TenantModel):
    """One thing a stakeholder did in the new system. Written only by services/usage.py.

    `week` (the Monday of the event's ISO week, in UTC) is stored at ingestion so metrics group
    by a plain column on every database. `dedupe_key` is a digest of what identifies the event
    (its source id if it has one, else its content): the same event sent twice is stored once.
    Record events carry how many of their object's required fields were filled.
    """

    public_id = None  # type: ignore[assignment]  # never addressed in a URL; see the module docstring
    updated_at = None  # type: ignore[assignment]  # events are never edited

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="+")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=UsageKind.choices)
    feature = models.CharField(max_length=120, blank=True)
    object_name = models.CharField("object", max_length=80, blank=True)
    record_id = models.CharField(max_length=120, blank=True)
    occurred_at = models.DateTimeField()
    day = models.DateField()
    week = models.DateField()
    required_total = models.PositiveSmallIntegerField(null=True, blank=True)
    required_filled = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=UsageSource.choices)
    dedupe_key = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "dedupe_key"], name="usage_event_once")
        ]
        indexes = [
            models.Index(
                fields=["firm", "engagement", "week", "stakeholder"], name="usage_event_week"
            )
        ]


class WeeklyMetric(TenantModel):
    """One stakeholder's adoption in one ISO week, recomputed whenever the week receives events.

    `completeness` and `utilisation` are percentages (0–100), null when there was nothing to
    measure (no record with required fields; no key feature for the role); `score` is 0–100.
    """

    public_id = None  # type: ignore[assignment]  # never addressed in a URL; see the module docstring

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="+")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    week = models.DateField()
    events = models.PositiveIntegerField(default=0)
    logins = models.PositiveIntegerField(default=0)
    active_days = models.PositiveSmallIntegerField(default=0)
    records = models.PositiveIntegerField(default=0)
    required_filled = models.PositiveIntegerField(default=0)
    required_total = models.PositiveIntegerField(default=0)
    completeness = models.FloatField(null=True, blank=True)
    features_used = models.PositiveSmallIntegerField(default=0)
    features_expected = models.PositiveSmallIntegerField(default=0)
    utilisation = models.FloatField(null=True, blank=True)
    score = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "engagement", "week", "stakeholder"], name="weekly_metric_once"
            )
        ]


class DirtyWeek(TenantModel):
    """A week of an engagement that received events since its metrics were last computed.

    Ingestion upserts the row (moving `marked_at`); the metrics job recomputes the week and
    deletes the row only if `marked_at` did not move meanwhile, so events that arrive during a
    run are never lost to it.
    """

    public_id = None  # type: ignore[assignment]  # no public id: see the module docstring

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "engagement", "week"], name="dirty_week_once")
        ]


class UploadStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class UsageUpload(TenantModel):
    """One batch received (an API post or a CSV upload) and what became of it: how many rows
    were stored, already known (duplicates), skipped, and each rejected row with its reason."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=UsageSource.choices)
    filename = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=UploadStatus.choices)
    received = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="[{row, reason}], the first 1,000 rejected rows"
    )
    notes = models.JSONField(default=list, blank=True, help_text="Why rows were skipped")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["firm", "engagement", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()} upload of {self.created_at:%Y-%m-%d %H:%M}"


class AlertSeverity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AdoptionAlert(TenantModel):
    """A stakeholder (or a whole role) below a metric's threshold for N consecutive completed
    weeks. Open while `closed_at` is null; the alerts job closes it when the metric recovers.
    `subject` is "stakeholder:<id>" or "role:<role>": at most one open alert per subject and
    metric. Severity rule: see services/alerts.py."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="adoption_alerts"
    )
    subject = models.CharField(max_length=60)
    stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    title = models.CharField(max_length=300)
    intervention = models.TextField(blank=True)
    threshold = models.FloatField()
    value = models.FloatField(help_text="The metric in the latest week below the threshold.")
    weeks_below = models.PositiveSmallIntegerField()
    first_week = models.DateField()
    last_week = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["closed_at", "-created_at", "-id"]
        indexes = [models.Index(fields=["firm", "engagement", "closed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "engagement", "subject", "metric"],
                condition=models.Q(closed_at__isnull=True),
                name="adoption_alert_open_once",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def value_text(self) -> str:
        return metric_value_text(self.metric, self.value)

    @property
    def threshold_text(self) -> str:
        return metric_value_text(self.metric, self.threshold)
