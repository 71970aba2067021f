"""Phase 5 — the data-migration workbench: the target schema of the new CRM per engagement,
the legacy exports uploaded per object, the saved mappings, dry and commit runs, the review
queue of suggested duplicates, and the versioned clean datasets with their files.

The engine that does the work (`launch.migration`) is pure Python; these tables keep its inputs
and what it produced. Rejected rows are the one high-volume table: firm first in its index and no
foreign key points into it, so it can be distributed by firm like the other bulk tables."""

from django.conf import settings
from django.db import models

from engagements.models import Engagement, Job, JobStatus, TenantModel


class FieldKind(models.TextChoices):
    """The type of a target field; the values are `launch.migration.schema.FieldType`'s."""

    TEXT = "text", "Text"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    DATE = "date", "Date"
    NUMBER = "number", "Number"
    CURRENCY = "currency", "Currency"
    PICKLIST = "picklist", "Picklist"
    REFERENCE = "reference", "Reference"


class SurvivorshipRule(models.TextChoices):
    MOST_COMPLETE = "most_complete", "Most complete value"
    MOST_RECENT = "most_recent", "Most recent record"
    SOURCE_PRIORITY = "source_priority", "Source priority"


class DataMigration(TenantModel):
    """The engagement's migration settings: deduplication thresholds, survivorship, and the
    share of rejected rows the launch gate accepts without an explanation."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="data_migration"
    )
    auto_merge = models.FloatField(
        "auto-merge at", default=0.92, help_text="Pairs scoring at least this merge (0–1)."
    )
    review = models.FloatField(
        "review from",
        default=0.80,
        help_text="Pairs scoring from this up to the auto-merge score go to the review queue.",
    )
    default_rule = models.CharField(
        "survivorship rule",
        max_length=20,
        choices=SurvivorshipRule.choices,
        default=SurvivorshipRule.MOST_COMPLETE,
        help_text="Which value a merged record keeps, for fields without a rule of their own.",
    )
    survivorship = models.JSONField(default=dict, blank=True, help_text="Field name → rule.")
    recency_field = models.CharField(
        max_length=60,
        blank=True,
        help_text="The date field that says which record is most recent (e.g. updated_on).",
    )
    source_field = models.CharField(
        max_length=60,
        blank=True,
        help_text="The field that names each record's source system, for the source-priority rule.",
    )
    source_priority = models.JSONField(
        default=list, blank=True, help_text="Source systems, best first."
    )
    phone_region = models.CharField(
        "default phone region",
        max_length=2,
        default="GB",
        help_text="Country of phone numbers written without a country code (ISO code, e.g. GB).",
    )
    rejected_threshold = models.DecimalField(
        "rejected share allowed (%)",
        max_digits=5,
        decimal_places=2,
        default=2,
        help_text="The launch gate accepts a commit whose rejected rows stay under this share; "
        "above it, a note must explain them.",
    )

    def __str__(self) -> str:
        return f"Data migration of {self.engagement}"

    @property
    def threshold_text(self) -> str:
        return f"{float(self.rejected_threshold):g}%"


class MigrationObject(TenantModel):
    """An object of the new CRM (account, contact, deal, activity, …) for this engagement."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="migration_objects"
    )
    name = models.SlugField(max_length=40, help_text="Lower case, no spaces, e.g. contact.")
    label = models.CharField(max_length=80)
    deduplicate = models.BooleanField(
        default=False, help_text="Look for duplicate records of this object and merge them."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "name"], name="migration_object_once")
        ]

    def __str__(self) -> str:
        return self.label


class MigrationField(TenantModel):
    target = models.ForeignKey(MigrationObject, on_delete=models.CASCADE, related_name="fields")
    name = models.SlugField(max_length=60)
    label = models.CharField(max_length=120)
    type = models.CharField(max_length=10, choices=FieldKind.choices, default=FieldKind.TEXT)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True, help_text="Allowed picklist values.")
    reference = models.CharField(
        max_length=40, blank=True, help_text="The object a reference field points to."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "name"], name="migration_field_once")
        ]

    def __str__(self) -> str:
        return self.label


class SourceStatus(models.TextChoices):
    INSPECTING = "inspecting", "Inspecting"
    READY = "ready", "Ready"
    FAILED = "failed", "Refused"


class SourceUpload(TenantModel):
    """One legacy export uploaded for an object. The latest ready upload of an object is the one
    runs read; earlier ones stay for the record."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="migration_sources"
    )
    target = models.ForeignKey(MigrationObject, on_delete=models.CASCADE, related_name="sources")
    file = models.CharField(max_length=500, help_text="Name in the default storage.")
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=SourceStatus.choices, default=SourceStatus.INSPECTING
    )
    error = models.TextField(blank=True)
    format = models.CharField(max_length=10, blank=True)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    headers = models.JSONField(default=list)
    preview = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.OneToOneField(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename


class MigrationMapping(TenantModel):
    """How an object's target fields are filled from its source columns: the id column, and
    per field the source columns and transforms (`ObjectMapping.to_json()`). Saved once and
    reused by every run."""

    target = models.OneToOneField(MigrationObject, on_delete=models.CASCADE, related_name="mapping")
    id_column = models.CharField(max_length=255)
    fields = models.JSONField(default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Mapping of {self.target}"


class RunKind(models.TextChoices):
    DRY = "dry", "Dry run"
    COMMIT = "commit", "Commit run"


class RejectedShare:
    """The share of input rows rejected, of a run or of the dataset it stored (both keep
    `rows_in` and `rejected_count`): what the launch gate compares with its threshold."""

    rows_in: int
    rejected_count: int

    @property
    def rejected_share(self) -> float:
        return self.rejected_count / self.rows_in if self.rows_in else 0.0

    @property
    def rejected_percent(self) -> str:
        return f"{self.rejected_share * 100:.1f}%"


class MigrationRun(RejectedShare, TenantModel):
    """A dry run (report only) or a commit run (a new dataset version) as a background job.

    `inputs` freezes what the run reads (uploads, mappings, schema, settings, decisions) when
    it is requested, so a retried job computes the same result as the first attempt."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="migration_runs"
    )
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=RunKind.choices)
    job = models.OneToOneField(Job, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    inputs = models.JSONField(default=dict)
    reconciliation = models.JSONField(default=dict, blank=True)
    rows_in = models.PositiveIntegerField(default=0)
    clean_count = models.PositiveIntegerField(default=0)
    merged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    review_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "number"], name="migration_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.number}"

    @property
    def succeeded(self) -> bool:
        return self.job.status == JobStatus.SUCCEEDED


class RejectedRow(TenantModel):
    """One input row a run rejected, with its reasons and its original values."""

    run = models.ForeignKey(MigrationRun, on_delete=models.CASCADE, related_name="rejected_rows")
    object_name = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0, help_text="The object's order.")
    row_number = models.PositiveIntegerField()
    legacy_id = models.CharField(max_length=255, blank=True)
    reasons = models.JSONField(default=list)
    values = models.JSONField(default=dict)

    class Meta:
        ordering = ["position", "row_number"]
        indexes = [
            models.Index(fields=["firm", "run", "position", "row_number"], name="rejected_row_page")
        ]


class PairDecision(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    MERGE = "merge", "Same record: merge"
    SPLIT = "split", "Different records: keep apart"


class DuplicatePair(TenantModel):
    """A pair of legacy records a run found alike, but not alike enough to merge on its own.
    The consultant's decision is kept per engagement and fed to every later run."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="duplicate_pairs"
    )
    object_name = models.CharField(max_length=40)
    left_id = models.CharField(max_length=255)
    right_id = models.CharField(max_length=255)
    score = models.FloatField()
    field_scores = models.JSONField(default=dict)
    left_values = models.JSONField(default=dict)
    right_values = models.JSONField(default=dict)
    decision = models.CharField(
        max_length=10, choices=PairDecision.choices, default=PairDecision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(
        MigrationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-score", "object_name", "left_id", "right_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "object_name", "left_id", "right_id"],
                name="duplicate_pair_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name} {self.left_id} ~ {self.right_id}"


class MigrationDataset(RejectedShare, TenantModel):
    """A clean dataset a commit run produced: v1, v2, … The current one is the latest not rolled
    back; rolling back the current one makes the one before current again. Created in one
    transaction with its files once they are all stored, so a half-written dataset never exists."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="migration_datasets"
    )
    number = models.PositiveIntegerField()
    run = models.OneToOneField(MigrationRun, on_delete=models.PROTECT, related_name="dataset")
    rows_in = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    note = models.TextField(
        "explanation of the rejected rows",
        blank=True,
        help_text="Why the rejected rows may stay behind (e.g. test records the client retired).",
    )
    note_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rollback_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "number"], name="migration_dataset_once")
        ]

    def __str__(self) -> str:
        return f"Dataset v{self.number}"


class DatasetFileKind(models.TextChoices):
    CLEAN = "clean", "Import file"
    REJECTED = "rejected", "Rejected rows"
    OUTCOMES = "outcomes", "Every row's outcome"
    RECONCILIATION = "reconciliation", "Reconciliation"


class DatasetFile(TenantModel):
    dataset = models.ForeignKey(MigrationDataset, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=20, choices=DatasetFileKind.choices)
    object_name = models.CharField(max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    file = models.CharField(max_length=500, help_text="Name in the default storage.")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=60, default="text/csv")
    size = models.PositiveBigIntegerField(default=0)
    digest = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.filename
