"""Reads of the data-migration workbench that pages, the gate and the run job share: the
engagement's target schema as the engine's `TargetObject`s, the uploads runs read, the
deduplication settings and review decisions, and the current dataset."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from engagements.models import Engagement, JobStatus
from engagements.registry import Check
from launch.migration.dedupe import Decisions, DedupeSettings
from launch.migration.schema import FieldType, TargetField, TargetObject
from launch.migration.sources import SourceInfo
from launch.models import (
    DataMigration,
    DuplicatePair,
    MigrationDataset,
    MigrationField,
    MigrationObject,
    MigrationRun,
    PairDecision,
    RunKind,
    SourceStatus,
    SourceUpload,
)


def migration_of(*, engagement: Engagement) -> DataMigration | None:
    return DataMigration.objects.filter(engagement=engagement).first()


def schema_objects(*, engagement: Engagement) -> QuerySet[MigrationObject]:
    """The engagement's target objects with their fields (two queries)."""
    return MigrationObject.objects.filter(engagement=engagement).prefetch_related(
        Prefetch("fields", queryset=MigrationField.objects.order_by("position", "id"))
    )


def target_object(obj: MigrationObject) -> TargetObject:
    """The engine's view of one stored object (its fields prefetched or not)."""
    return TargetObject(
        name=obj.name,
        label=obj.label,
        fields=tuple(
            TargetField(
                name=f.name,
                label=f.label,
                type=FieldType(f.type),
                required=f.required,
                choices=tuple(f.choices),
                reference=f.reference or None,
            )
            for f in obj.fields.all()
        ),
        dedupe=obj.deduplicate,
    )


def target_schema(*, engagement: Engagement) -> tuple[TargetObject, ...]:
    return tuple(target_object(obj) for obj in schema_objects(engagement=engagement))


def schema_to_json(schema: Iterable[TargetObject]) -> list[dict]:
    """The schema as JSON, frozen into a run's inputs."""
    return [
        {
            "name": t.name,
            "label": t.label,
            "dedupe": t.is_deduplicated,
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "type": f.type.value,
                    "required": f.required,
                    "choices": list(f.choices),
                    "reference": f.reference,
                }
                for f in t.fields
            ],
        }
        for t in schema
    ]


def schema_from_json(data: list[dict]) -> tuple[TargetObject, ...]:
    return tuple(
        TargetObject(
            name=t["name"],
            label=t["label"],
            dedupe=t["dedupe"],
            fields=tuple(
                TargetField(
                    name=f["name"],
                    label=f["label"],
                    type=FieldType(f["type"]),
                    required=f["required"],
                    choices=tuple(f["choices"]),
                    reference=f["reference"],
                )
                for f in t["fields"]
            ),
        )
        for t in data
    )


def latest_uploads(*, engagement: Engagement, ready_only: bool = False) -> dict[int, SourceUpload]:
    """Per target object id, its latest upload (of any status, or the latest ready one: the one
    runs read). One query; an engagement has a handful of uploads per object."""
    uploads = SourceUpload.objects.filter(engagement=engagement).order_by("-created_at", "-id")
    if ready_only:
        uploads = uploads.filter(status=SourceStatus.READY)
    latest: dict[int, SourceUpload] = {}
    for upload in uploads.select_related("job"):
        latest.setdefault(upload.target_id, upload)
    return latest


def source_info(upload: SourceUpload) -> SourceInfo:
    """What `inspect_source` found, as stored on the upload: what `iter_rows` needs."""
    return SourceInfo(
        format=upload.format,
        encoding=upload.encoding or None,
        delimiter=upload.delimiter or None,
        headers=tuple(upload.headers),
        preview=tuple(tuple(row) for row in upload.preview),
        row_count=upload.row_count,
    )


def dedupe_settings(migration: DataMigration) -> DedupeSettings:
    return DedupeSettings(
        auto_merge=migration.auto_merge,
        review=migration.review,
        survivorship=dict(migration.survivorship),
        default_rule=migration.default_rule,
        recency_field=migration.recency_field or None,
        source_priority=tuple(migration.source_priority),
        source_field=migration.source_field or None,
    )


def settings_to_json(settings: DedupeSettings) -> dict:
    return {
        "auto_merge": settings.auto_merge,
        "review": settings.review,
        "survivorship": dict(settings.survivorship),
        "default_rule": settings.default_rule,
        "recency_field": settings.recency_field,
        "source_priority": list(settings.source_priority),
        "source_field": settings.source_field,
    }


def settings_from_json(data: dict) -> DedupeSettings:
    return DedupeSettings(
        auto_merge=data["auto_merge"],
        review=data["review"],
        survivorship=dict(data["survivorship"]),
        default_rule=data["default_rule"],
        recency_field=data["recency_field"],
        source_priority=tuple(data["source_priority"]),
        source_field=data["source_field"],
    )


def decided_pairs(*, engagement: Engagement) -> dict[str, dict[str, list[list[str]]]]:
    """The consultant's review decisions as JSON: object name → {"merge": [[a, b]…], "split": …},
    sorted, so a run's frozen inputs are the same for the same decisions."""
    found: dict[str, dict[str, list[list[str]]]] = {}
    rows = (
        DuplicatePair.objects.filter(engagement=engagement)
        .exclude(decision=PairDecision.PENDING)
        .order_by("object_name", "left_id", "right_id")
        .values_list("object_name", "decision", "left_id", "right_id")
    )
    for object_name, decision, left, right in rows:
        lists = found.setdefault(object_name, {"merge": [], "split": []})
        lists[decision].append([left, right])
    return found


def decisions_from_json(data: dict[str, dict[str, list[list[str]]]]) -> dict[str, Decisions]:
    return {
        name: Decisions(
            merge={frozenset(pair) for pair in lists.get("merge", [])},
            split={frozenset(pair) for pair in lists.get("split", [])},
        )
        for name, lists in data.items()
    }


def pending_pairs(*, engagement: Engagement) -> QuerySet[DuplicatePair]:
    return DuplicatePair.objects.filter(engagement=engagement, decision=PairDecision.PENDING)


def pair_counts(*, engagement: Engagement) -> dict[str, int]:
    counts = DuplicatePair.objects.filter(engagement=engagement).aggregate(
        pending=Count("id", filter=Q(decision=PairDecision.PENDING)),
        merge=Count("id", filter=Q(decision=PairDecision.MERGE)),
        split=Count("id", filter=Q(decision=PairDecision.SPLIT)),
    )
    return {key: value or 0 for key, value in counts.items()}


def datasets(*, engagement: Engagement) -> QuerySet[MigrationDataset]:
    return MigrationDataset.objects.filter(engagement=engagement).select_related(
        "run", "note_by", "rolled_back_by"
    )


def current_dataset(*, engagement: Engagement) -> MigrationDataset | None:
    """The latest dataset not rolled back: what the new CRM is to be loaded with."""
    return (
        datasets(engagement=engagement).filter(rolled_back_at__isnull=True).order_by("-number")
    ).first()


def latest_commit_run(*, engagement: Engagement) -> MigrationRun | None:
    return (
        MigrationRun.objects.filter(engagement=engagement, kind=RunKind.COMMIT)
        .select_related("job")
        .order_by("-number")
        .first()
    )


def runs(*, engagement: Engagement) -> QuerySet[MigrationRun]:
    return MigrationRun.objects.filter(engagement=engagement).select_related(
        "job", "requested_by", "dataset"
    )


def share_text(share: float) -> str:
    return f"{share * 100:.1f}%"


def readiness_check(*, engagement: Engagement) -> Check:
    """For the launch gate: the latest commit run produced the current dataset (every row
    validated, nothing half-written), and its rejected share is under the engagement's
    threshold or a consultant explained it in a note."""
    label = "The latest data-migration run is committed and validated."
    migration = migration_of(engagement=engagement)
    if migration is None:
        return Check(False, label, "Set up the data migration and commit a run.")
    latest = latest_commit_run(engagement=engagement)
    if latest is not None and not latest.succeeded:
        if latest.job.status == JobStatus.FAILED:
            todo = f"Commit run #{latest.number} failed: fix what it reports and commit again."
        else:
            todo = f"Wait for commit run #{latest.number} to finish."
        return Check(False, label, todo)
    # After a rollback the current dataset is an earlier, validated one: a conscious choice.
    current = current_dataset(engagement=engagement)
    if current is None:
        todo = "Commit a data-migration run (a dry run is not enough)."
        if latest is not None:
            todo = "Every dataset is rolled back: commit the data again."
        return Check(False, label, todo)
    threshold = Decimal(migration.rejected_threshold) / 100
    share = current.rejected_share
    if Decimal(str(share)) > threshold and not current.note.strip():
        return Check(
            False,
            label,
            f"Dataset v{current.number} rejected {share_text(share)} of the rows, over the "
            f"{float(migration.rejected_threshold):g}% allowed: fix the data and commit again, or "
            "explain the rejected rows in a note.",
        )
    return Check(
        True,
        f"Data migration: dataset v{current.number} is committed and validated "
        f"({share_text(share)} rejected"
        + (", explained" if Decimal(str(share)) > threshold else "")
        + ").",
        "",
    )
