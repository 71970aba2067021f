"""Every write of the data-migration workbench: setting the migration up, the target schema,
uploads, mappings, runs, review decisions, rollback.

Runs are Celery jobs (`launch.tasks.migration_run`). A run freezes its inputs when it is
requested; executing it is safe to repeat: a finished run is left as it is, and a commit run
writes its files first (under its own folder, unreferenced) and creates its dataset version and
file rows in one transaction at the end, so a worker killed part-way leaves no dataset behind
and the retried job builds the same one once.

A run given up on is over for good: once its job has failed (a newer run replaced it as lost, or
it failed on its own), a late or repeated delivery of its task neither restarts it nor stores
anything, so a dataset built from older inputs never becomes current over a newer one. Every way
a run can end leaves its job finished with the reason on the page: data problems and database
errors that a retry cannot fix fail it at once; database errors a retry may fix are retried by
the task, which fails the job through `run_give_up` when the retries are used up.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from engagements.errors import ApplicationError
from engagements.models import Engagement, Job, JobStatus, User
from engagements.phases import Phase
from engagements.services import activity_record
from engagements.services.jobs import (
    JobAbandoned,
    job_create,
    job_enqueue,
    job_fail,
    job_progress,
    job_start,
    job_succeed,
)
from engagements.services.signoffs import phase_edit
from engagements.uploads import upload_name
from launch.migration.mapping import FieldMapping, ObjectMapping, mapping_problems
from launch.migration.schema import DEFAULT_SCHEMA, SchemaError, TargetObject, validate_schema
from launch.migration.sources import SourceError, inspect_source, iter_rows
from launch.models import (
    DataMigration,
    DatasetFile,
    DuplicatePair,
    FieldKind,
    MigrationDataset,
    MigrationField,
    MigrationMapping,
    MigrationObject,
    MigrationRun,
    PairDecision,
    RejectedRow,
    RunKind,
    SourceStatus,
    SourceUpload,
)
from launch.workbench import results, selectors

logger = logging.getLogger(__name__)

LAUNCH = Phase.LAUNCH
# Files up to this size are inspected while the consultant waits; bigger ones in a job.
INLINE_INSPECT_BYTES = 5 * 1024 * 1024
# 256 MB is about 2.5 million rows of a typical export, which a run gets through well within
# the broker's visibility timeout (an hour), after which an unfinished task is delivered again.
UPLOAD_MAX_BYTES = getattr(settings, "MIGRATION_UPLOAD_MAX_BYTES", 256 * 1024 * 1024)
UPLOAD_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
BULK = 2000


def _storage_folder(engagement: Engagement) -> str:
    return f"migrations/{engagement.public_id}"


@contextlib.contextmanager
def local_path(name: str) -> Iterator[Path]:
    """A local file path of a stored file, for the engine (which reads paths as streams).
    Local storage gives its own path; object storage is copied to a temporary file first."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        path = None
    if path is not None:
        yield Path(path)
        return
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as copy:
        with default_storage.open(name, "rb") as stored:
            shutil.copyfileobj(stored, copy, 1024 * 1024)
        copy.flush()
        yield Path(copy.name)


# --- setting up -------------------------------------------------------------------------------


def migration_start(*, engagement: Engagement, actor: User) -> DataMigration:
    """Set the engagement's migration up, with the target schema seeded from the default
    account/contact/deal/activity schema. Starting twice changes nothing."""
    with phase_edit(engagement=engagement, phase=LAUNCH, actor=actor) as locked:
        migration, created = DataMigration.objects.get_or_create(
            engagement=locked, defaults={"firm": locked.firm}
        )
        if created and not MigrationObject.objects.filter(engagement=locked).exists():
            for position, target in enumerate(DEFAULT_SCHEMA):
                _object_create(locked, target, position)
            activity_record(
                engagement=locked,
                actor=actor,
                kind="migration",
                message="Data migration set up with the default CRM schema.",
            )
    return migration


def _object_create(engagement: Engagement, target: TargetObject, position: int) -> MigrationObject:
    obj = MigrationObject.objects.create(
        firm=engagement.firm,
        engagement=engagement,
        name=target.name,
        label=target.label,
        deduplicate=target.is_deduplicated,
        position=position,
    )
    MigrationField.objects.bulk_create(
        MigrationField(
            firm=engagement.firm,
            target=obj,
            name=f.name,
            label=f.label,
            type=f.type.value,
            required=f.required,
            choices=list(f.choices),
            reference=f.reference or "",
            position=index,
        )
        for index, f in enumerate(target.fields)
    )
    return obj


def _require_migration(engagement: Engagement) -> DataMigration:
    migration = selectors.migration_of(engagement=engagement)
    if migration is None:
        raise ApplicationError("Set up the data migration first.")
    return migration


RULES = ("most_complete", "most_recent", "source_priority")


def migration_settings_update(
    *,
    engagement: Engagement,
    actor: User,
    auto_merge: float,
    review: float,
    default_rule: str,
    survivorship: dict[str, str],
    recency_field: str,
    source_field: str,
    source_priority: list[str],
    phone_region: str,
    rejected_threshold,
) -> DataMigration:
    if not 0 < review <= auto_merge <= 1:
        raise ApplicationError(
            "The review score must be above 0 and at most the auto-merge score, which is at "
            "most 1.",
            field="review",
        )
    bad = sorted(rule for rule in [default_rule, *survivorship.values()] if rule not in RULES)
    if bad:
        raise ApplicationError(
            f"Unknown survivorship rule: {', '.join(bad)}.", field="survivorship"
        )
    if (default_rule == "source_priority" or "source_priority" in survivorship.values()) and not (
        source_field and source_priority
    ):
        raise ApplicationError(
            "The source-priority rule needs the source field and the systems in order.",
            field="source_priority",
        )
    with phase_edit(engagement=engagement, phase=LAUNCH, actor=actor):
        migration = _require_migration(engagement)
        fields = {
            "auto_merge": auto_merge,
            "review": review,
            "default_rule": default_rule,
            "survivorship": survivorship,
            "recency_field": recency_field,
            "source_field": source_field,
            "source_priority": source_priority,
            "phone_region": phone_region.upper(),
            "rejected_threshold": rejected_threshold,
        }
        for key, value in fields.items():
            setattr(migration, key, value)
        migration.save()
    return migration


# --- the target schema ------------------------------------------------------------------------


def _check_schema(engagement: Engagement) -> None:
    """Refuse a change that leaves the schema unusable (the engine's own rules)."""
    try:
        validate_schema(selectors.target_schema(engagement=engagement))
    except SchemaError as error:
        raise ApplicationError(error.message) from error


def schema_object_add(
    *, engagement: Engagement, actor: User, name: str, label: str, deduplicate: bool
) -> MigrationObject:
    with phase_edit(engagement=engagement, phase=LAUNCH, actor=actor) as locked:
        _require_migration(locked)
        if MigrationObject.objects.filter(engagement=locked, name=name).exists():
            raise ApplicationError(f"There is already an object named “{name}”.", field="name")
        obj = MigrationObject.objects.create(
            firm=locked.firm,
            engagement=locked,
            name=name,
            label=label,
            deduplicate=deduplicate,
            position=MigrationObject.objects.filter(engagement=locked).count(),
        )
    return obj


def schema_field_save(
    *,
    target: MigrationObject,
    actor: User,
    field: MigrationField | None = None,
    name: str = "",
    label: str,
    type: str,
    required: bool,
    choices: Sequence[str],
    reference: str,
) -> MigrationField:
    """Add a field to an object, or edit one (its name stays: mappings refer to it)."""
    choices = [c for c in dict.fromkeys(choice.strip() for choice in choices) if c]
    if type == FieldKind.PICKLIST and not choices:
        raise ApplicationError("A picklist needs its allowed values.", field="choices")
    if type == FieldKind.REFERENCE and not reference:
        raise ApplicationError("Choose the object a reference field points to.", field="reference")
    with phase_edit(engagement=target.engagement, phase=LAUNCH, actor=actor):
        if field is None:
            if MigrationField.objects.filter(target=target, name=name).exists():
                raise ApplicationError(
                    f"{target.label} already has a field named “{name}”.", field="name"
                )
            field = MigrationField(
                firm=target.firm,
                target=target,
                name=name,
                position=MigrationField.objects.filter(target=target).count(),
            )
        field.label = label
        field.type = type
        field.required = required
        field.choices = choices if type == FieldKind.PICKLIST else []
        field.reference = reference if type == FieldKind.REFERENCE else ""
        field.save()
        _check_schema(target.engagement)
    return field


def schema_field_delete(*, field: MigrationField, actor: User) -> None:
    """Remove a field, and its line from the object's saved mapping."""
    target = field.target
    with phase_edit(engagement=target.engagement, phase=LAUNCH, actor=actor):
        mapping = MigrationMapping.objects.filter(target=target).first()
        if mapping is not None:
            mapping.fields = [m for m in mapping.fields if m.get("target") != field.name]
            mapping.save(update_fields=["fields", "updated_at"])
        field.delete()
        _check_schema(target.engagement)


# --- sources ----------------------------------------------------------------------------------


def source_upload(
    *, engagement: Engagement, actor: User, target: MigrationObject, uploaded: UploadedFile
) -> SourceUpload:
    """Store an uploaded legacy export for `target` (streamed to storage chunk by chunk) and
    inspect it: now when it is small, in a background job when it is big. A refused file keeps
    its row with the reason; its bytes are not kept."""
    filename = upload_name(uploaded.name, max_length=255)
    if not filename.lower().endswith(UPLOAD_EXTENSIONS):
        raise ApplicationError(
            f"“{filename}” is not a CSV or XLSX file. Export the data as CSV (or XLSX) and "
            "upload that.",
            field="file",
        )
    if not uploaded.size:
        raise ApplicationError(f"“{filename}” is empty.", field="file")
    if uploaded.size > UPLOAD_MAX_BYTES:
        raise ApplicationError(
            f"“{filename}” is over the {UPLOAD_MAX_BYTES // (1024 * 1024)} MB upload limit. "
            "Split it, or leave out columns the new CRM does not need.",
            field="file",
        )
    _require_migration(engagement)
    name = default_storage.save(
        f"{_storage_folder(engagement)}/sources/{uuid.uuid4().hex}{Path(filename).suffix.lower()}",
        uploaded,
    )
    inline = uploaded.size <= INLINE_INSPECT_BYTES
    try:
        with phase_edit(engagement=engagement, phase=LAUNCH, actor=actor) as locked:
            upload = SourceUpload.objects.create(
                firm=locked.firm,
                engagement=locked,
                target=target,
                file=name,
                filename=filename,
                size=uploaded.size,
                uploaded_by=actor,
                job=None if inline else job_create(engagement=locked, kind="migration_source"),
            )
            if not inline:
                from launch import tasks

                job_enqueue(
                    job=upload.job,
                    task=tasks.migration_inspect_source,
                    args=(upload.pk, locked.firm_id),
                )
    except BaseException:
        default_storage.delete(name)
        raise
    if inline:
        source_inspect(upload_id=upload.pk)
        upload.refresh_from_db()
    return upload


def source_inspect(*, upload_id: int) -> SourceUpload:
    """Check a stored upload whole and keep what was found. Safe to run again."""
    upload = SourceUpload.objects.select_related("job").get(pk=upload_id)
    if upload.status != SourceStatus.INSPECTING:
        return upload
    if upload.job:
        job_start(job=upload.job)
        job_progress(job=upload.job, percent=10, step="Reading the whole file")
    try:
        with local_path(upload.file) as path:
            info = inspect_source(path, filename=upload.filename)
    except SourceError as error:
        _source_refuse(upload, error.message)
    except Exception:
        # A file the engine did not foresee must not leave the page waiting for ever.
        logger.exception("Inspecting upload %s (%s) failed", upload.pk, upload.filename)
        _source_refuse(upload, _unreadable(upload.filename))
    else:
        SourceUpload.objects.filter(pk=upload.pk).update(
            status=SourceStatus.READY,
            format=info.format,
            encoding=info.encoding or "",
            delimiter=info.delimiter or "",
            headers=list(info.headers),
            preview=[list(row) for row in info.preview],
            row_count=info.row_count,
            updated_at=timezone.now(),
        )
        if upload.job:
            job_succeed(job=upload.job, step=f"{info.row_count} rows")
    upload.refresh_from_db()
    return upload


def _unreadable(filename: str) -> str:
    return (
        f"“{filename}” could not be checked: reading it failed in a way we did not expect (the "
        "error is logged for support). Check that the file opens, save it again as CSV (UTF-8) "
        "or .xlsx, and upload it again."
    )


def _source_refuse(upload: SourceUpload, reason: str) -> None:
    SourceUpload.objects.filter(pk=upload.pk).update(
        status=SourceStatus.FAILED, error=reason, updated_at=timezone.now()
    )
    default_storage.delete(upload.file)
    if upload.job:
        job_fail(job=upload.job, error=reason)


def source_give_up(*, upload_id: int, error: BaseException) -> None:
    """The inspection task gave up (its retries of a database error are used up, or an error
    escaped `source_inspect`): refuse the upload with a reason instead of leaving its page
    waiting. An upload already checked is left alone."""
    upload = SourceUpload.objects.select_related("job").filter(pk=upload_id).first()
    if upload is None or upload.status != SourceStatus.INSPECTING:
        return
    logger.error("Inspecting upload %s gave up: %r", upload_id, error)
    _source_refuse(upload, _unreadable(upload.filename))


def source_job_failed(job: Job) -> None:
    """The watchdog failed an inspection job (its worker was lost too often): refuse the upload
    with the reason instead of leaving its page checking the file for ever."""
    upload = SourceUpload.objects.filter(job=job, status=SourceStatus.INSPECTING).first()
    if upload is not None:
        _source_refuse(upload, f"“{upload.filename}” could not be checked. {job.error}")


# --- mappings ---------------------------------------------------------------------------------


def mapping_save(
    *,
    target: MigrationObject,
    actor: User,
    id_column: str,
    fields: Sequence[FieldMapping],
    headers: Sequence[str] | None,
) -> tuple[MigrationMapping, list[str]]:
    """Save the object's mapping; returns it with the warnings that do not stop a run (required
    fields left unmapped reject every row, which a dry run may be meant to show)."""
    mapping = ObjectMapping(object_name=target.name, id_column=id_column, fields=tuple(fields))
    schema_target = selectors.target_object(target)
    problems = mapping_problems(mapping, schema_target, headers)
    blocking = [p for p in problems if "is required but" not in p]
    if blocking:
        raise ApplicationError(" ".join(blocking))
    with phase_edit(engagement=target.engagement, phase=LAUNCH, actor=actor):
        stored, _ = MigrationMapping.objects.update_or_create(
            target=target,
            defaults={
                "id_column": id_column,
                "fields": mapping.to_json()["fields"],
                "updated_by": actor,
            },
            create_defaults={
                "firm": target.firm,
                "id_column": id_column,
                "fields": mapping.to_json()["fields"],
                "updated_by": actor,
            },
        )
    return stored, [p for p in problems if p not in blocking]


# --- runs -------------------------------------------------------------------------------------


def run_request(*, engagement: Engagement, actor: User, kind: str) -> MigrationRun:
    """Freeze what the run reads (the latest ready upload and the saved mapping of every object
    that has both, the schema, the settings and the review decisions) and queue it."""
    if kind not in RunKind.values:
        raise ApplicationError("Choose a dry run or a commit run.")
    with phase_edit(engagement=engagement, phase=LAUNCH, actor=actor) as locked:
        migration = _require_migration(locked)
        busy = (
            MigrationRun.objects.filter(engagement=locked)
            .exclude(job__status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED))
            .select_related("job")
            .first()
        )
        if busy is not None:
            if not busy.job.is_stalled:
                raise ApplicationError(f"{busy} is still running; wait for it to finish.")
            # No heartbeat for JOB_STALE_AFTER: its worker was lost (the watchdog would re-queue
            # or fail it shortly). Give up on it, so the consultant is not locked out.
            job_fail(
                job=busy.job,
                error="Stopped: no heartbeat for minutes; the worker running it was lost.",
            )
        objects = list(selectors.schema_objects(engagement=locked).select_related("mapping"))
        schema = tuple(selectors.target_object(obj) for obj in objects)
        try:
            validate_schema(schema)
        except SchemaError as error:
            raise ApplicationError(error.message) from error
        uploads = selectors.latest_uploads(engagement=locked, ready_only=True)
        included: dict[str, dict] = {}
        skipped: list[str] = []
        for obj, target in zip(objects, schema, strict=True):
            upload = uploads.get(obj.pk)
            stored = getattr(obj, "mapping", None)
            if upload is None or stored is None:
                if upload is not None or stored is not None:
                    skipped.append(
                        f"{obj.label}: {'no mapping saved' if upload else 'no file uploaded'}"
                    )
                continue
            mapping = ObjectMapping(
                object_name=obj.name,
                id_column=stored.id_column,
                fields=tuple(FieldMapping.from_json(f) for f in stored.fields),
            )
            blocking = [
                p
                for p in mapping_problems(mapping, target, upload.headers)
                if "is required but" not in p
            ]
            if blocking:
                raise ApplicationError(
                    f"The {obj.label} mapping does not fit {upload.filename}: " + " ".join(blocking)
                )
            included[obj.name] = {
                "upload": upload.pk,
                "filename": upload.filename,
                "rows": upload.row_count,
                "mapping": mapping.to_json(),
            }
        if not included:
            raise ApplicationError(
                "Nothing to run yet: upload a file for an object and save its mapping."
            )
        dedupe = selectors.dedupe_settings(migration)
        last = MigrationRun.objects.filter(engagement=locked).order_by("-number").first()
        run = MigrationRun.objects.create(
            firm=locked.firm,
            engagement=locked,
            number=(last.number if last else 0) + 1,
            kind=kind,
            requested_by=actor,
            job=job_create(engagement=locked, kind=f"migration_{kind}"),
            inputs={
                "objects": included,
                "skipped": skipped,
                "schema": selectors.schema_to_json(schema),
                "settings": selectors.settings_to_json(dedupe),
                "decisions": selectors.decided_pairs(engagement=locked),
            },
        )
        from launch import tasks

        job_enqueue(job=run.job, task=tasks.migration_run, args=(run.pk, locked.firm_id))
    return run


class _RunOver(Exception):
    """The run was given up on or overtaken while it worked: nothing of it may be stored.
    `message` is the reason to record on its job ("" when its job already failed with one)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


def _overtaken(run: MigrationRun) -> str:
    """Why a run may no longer store anything ("" when it may): a later-numbered run exists
    (one is only requested once this one finished or was given up on)."""
    later = (
        MigrationRun.objects.filter(engagement_id=run.engagement_id, number__gt=run.number)
        .order_by("number")
        .first()
    )
    if later is None:
        return ""
    return f"Stopped: {later} replaced it; nothing of this run was kept."


def _job_claim(job: Job) -> bool:
    """Mark the job running for this attempt (`job_start`), unless it is finished: a failed job
    never runs again (a late delivery of a run given up on stays given up on), nor does one
    another live worker runs, nor one that was lost with its worker too often."""
    try:
        job_start(job=job)
    except JobAbandoned:
        return False
    return True


def run_execute(*, run_id: int) -> MigrationRun:
    """Execute a requested run (the job's body). A finished run (succeeded or failed) is left as
    it is; a commit run whose dataset exists is only marked done; a run a later one replaced
    stores nothing. Data problems and database errors a retry cannot fix fail the job with the
    reason shown to the consultant; database errors a retry may fix (connection lost, server
    restarting) propagate so the task retries."""
    run = MigrationRun.objects.select_related("engagement", "job").get(pk=run_id)
    job = run.job
    if job.status == JobStatus.SUCCEEDED:
        return run
    if MigrationDataset.objects.filter(run=run).exists():
        job_succeed(job=job, step="Dataset stored")
        return run
    if job.status == JobStatus.FAILED:
        return run
    overtaken = _overtaken(run)
    if overtaken:
        job_fail(job=job, error=overtaken)
        return run
    if not _job_claim(job):
        return run
    staging = f"{_storage_folder(run.engagement)}/runs/{run.public_id}"
    _delete_folder(staging)  # what a killed attempt left; never referenced by a row
    try:
        job_progress(job=job, percent=2, step="Reading the sources")
        result = _compute(run)
        files: list[results.StoredFile] = []
        if run.kind == RunKind.COMMIT:
            job_progress(job=job, percent=92, step="Writing the import files")
            files = results.write_files(
                result=result,
                schema=selectors.schema_from_json(run.inputs["schema"]),
                folder=f"{staging}/{uuid.uuid4().hex[:8]}",
            )
        job_progress(job=job, percent=96, step="Storing the results")
        _store(run, result, files)
    except _RunOver as over:
        _delete_folder(staging)
        if over.message:
            job_fail(job=job, error=over.message)
        return run
    except (SourceError, ApplicationError, results.EngineInputError) as error:
        job_fail(job=job, error=error.message)
        return run
    except (OperationalError, InterfaceError):
        raise  # may pass: the task retries, and fails the job when its retries are used up
    except DatabaseError as error:
        logger.exception("Migration run %s failed on a database error", run.pk)
        _delete_folder(staging)
        job_fail(job=job, error=_database_failure(error))
        return run
    except Exception as error:
        logger.exception("Migration run %s failed", run.pk)
        _delete_folder(staging)
        job_fail(job=job, error=_unexpected_failure(error))
        return run
    job_succeed(job=job, step=_summary(run))
    run.refresh_from_db()
    return run


def _database_failure(error: BaseException) -> str:
    return (
        f"Stopped on a database error ({type(error).__name__}, logged for support). Nothing of "
        "this run was kept. Start a new run; if it stops again, tell support."
    )


def _unexpected_failure(error: BaseException) -> str:
    return (
        f"Stopped on an unexpected error ({type(error).__name__}, logged for support). Nothing "
        "of this run was kept. Start a new run; if it stops again, tell support."
    )


def run_give_up(*, run_id: int, error: BaseException) -> None:
    """The run's task gave up: its retries of a database error are used up (or an error escaped
    `run_execute`). Fail the job with the reason, so the page stops showing it running and a
    new run may start at once. A run already finished is left as it is."""
    run = MigrationRun.objects.select_related("engagement", "job").filter(pk=run_id).first()
    if run is None or run.job.status == JobStatus.SUCCEEDED:
        return
    if MigrationDataset.objects.filter(run=run).exists():
        job_succeed(job=run.job, step="Dataset stored")
        return
    logger.error("Migration run %s gave up: %r", run_id, error)
    _delete_folder(f"{_storage_folder(run.engagement)}/runs/{run.public_id}")
    # The shared task policy may have failed the job already; this reason says more.
    if isinstance(error, OperationalError | InterfaceError):
        reason = (
            f"Stopped: the database could not be reached, and retrying did not help "
            f"({type(error).__name__}). Nothing of this run was kept; start a new run."
        )
    elif isinstance(error, DatabaseError):
        reason = _database_failure(error)
    else:
        reason = _unexpected_failure(error)
    job_fail(job=run.job, error=reason)


def run_job_failed(job: Job) -> None:
    """The watchdog failed a run's job: remove what its attempts staged (never referenced by a
    row), as a run given up on does."""
    run = MigrationRun.objects.select_related("engagement").filter(job=job).first()
    if run is not None and not MigrationDataset.objects.filter(run=run).exists():
        _delete_folder(f"{_storage_folder(run.engagement)}/runs/{run.public_id}")


def _summary(run: MigrationRun) -> str:
    run.refresh_from_db()
    return (
        f"{run.rows_in} rows: {run.clean_count} clean, {run.merged_count} merged, "
        f"{run.rejected_count} rejected"
    )


def _delete_folder(folder: str) -> None:
    try:
        directories, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
    for name in directories:
        _delete_folder(f"{folder}/{name}")


def _compute(run: MigrationRun) -> results.RunResult:
    inputs = run.inputs
    uploads = {
        u.pk: u
        for u in SourceUpload.objects.filter(
            pk__in=[o["upload"] for o in inputs["objects"].values()]
        )
    }
    job = run.job
    last = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = 5 + int(85 * done / total) if total else 5
        if percent != last["percent"]:
            last["percent"] = percent
            job_progress(job=job, percent=percent, step=f"Processed {done:,} of {total:,} rows")

    with contextlib.ExitStack() as stack:
        sources = {}
        for name, item in inputs["objects"].items():
            upload = uploads.get(item["upload"])
            if upload is None or upload.status != SourceStatus.READY:
                raise ApplicationError(
                    f"The file {item['filename']} is gone; upload it again and start a new run."
                )
            path = stack.enter_context(local_path(upload.file))
            sources[name] = iter_rows(path, selectors.source_info(upload))
        return results.run(
            sources=sources,
            mappings={
                name: ObjectMapping.from_json(item["mapping"])
                for name, item in inputs["objects"].items()
            },
            schema=selectors.schema_from_json(inputs["schema"]),
            settings=selectors.settings_from_json(inputs["settings"]),
            decisions=selectors.decisions_from_json(inputs["decisions"]),
            row_counts={name: item["rows"] for name, item in inputs["objects"].items()},
            progress=progress,
        )


def _store(run: MigrationRun, result: results.RunResult, files: list[results.StoredFile]) -> None:
    """Everything a run produced, in one transaction: counts, rejected rows, the review queue
    and, for a commit, the dataset version and its files. Before it commits, nothing of this
    run is visible; a second attempt finds the dataset and stops."""
    engagement = run.engagement
    try:
        with phase_edit(engagement=engagement, phase=LAUNCH, actor=run.requested_by) as locked:
            locked_run = MigrationRun.objects.select_for_update().get(pk=run.pk)
            if MigrationDataset.objects.filter(run=locked_run).exists():
                return
            # Under the engagement's lock, which giving up on a run and requesting a new one
            # take too: a run given up on while it worked stores nothing.
            if Job.objects.filter(pk=run.job_id, status=JobStatus.FAILED).exists():
                raise _RunOver()
            overtaken = _overtaken(locked_run)
            if overtaken:
                raise _RunOver(overtaken)
            missing = [f.filename for f in files if not default_storage.exists(f.name)]
            if missing:
                # Only when two attempts overlapped (a visibility timeout shorter than the
                # run) and the other cleared this one's folder: the other one records it.
                raise ApplicationError(f"Files of this attempt vanished: {', '.join(missing)}.")
            RejectedRow.objects.filter(run=locked_run).delete()
            batch: list[RejectedRow] = []
            for row in result.rejected_rows():
                batch.append(
                    RejectedRow(
                        firm=locked.firm,
                        run=locked_run,
                        object_name=row.object_name,
                        position=row.position,
                        row_number=row.row,
                        legacy_id=row.legacy_id[:255],
                        reasons=row.reasons,
                        values=row.values,
                    )
                )
                if len(batch) >= BULK:
                    RejectedRow.objects.bulk_create(batch)
                    batch = []
            RejectedRow.objects.bulk_create(batch)
            _store_review_queue(locked, locked_run, result)
            totals = result.totals()
            MigrationRun.objects.filter(pk=run.pk).update(
                reconciliation=result.reconciliation_json(),
                rows_in=totals["rows_in"],
                clean_count=totals["clean"],
                merged_count=totals["merged"],
                rejected_count=totals["rejected"],
                review_count=totals["review_pairs"],
                updated_at=timezone.now(),
            )
            if run.kind == RunKind.COMMIT:
                last = (
                    MigrationDataset.objects.filter(engagement=locked).order_by("-number").first()
                )
                dataset = MigrationDataset.objects.create(
                    firm=locked.firm,
                    engagement=locked,
                    number=(last.number if last else 0) + 1,
                    run=locked_run,
                    rows_in=totals["rows_in"],
                    rejected_count=totals["rejected"],
                )
                DatasetFile.objects.bulk_create(
                    DatasetFile(
                        firm=locked.firm,
                        dataset=dataset,
                        kind=f.kind,
                        object_name=f.object_name,
                        position=position,
                        file=f.name,
                        filename=f.filename.format(version=dataset.number),
                        content_type=f.content_type,
                        size=f.size,
                        digest=f.digest,
                        rows=f.rows,
                    )
                    for position, f in enumerate(files)
                )
                activity_record(
                    engagement=locked,
                    actor=run.requested_by,
                    kind="migration",
                    message=(
                        f"Data migration dataset v{dataset.number} committed: "
                        f"{totals['clean']} clean records, {totals['rejected']} rows rejected."
                    ),
                )
    except BaseException:
        for f in files:
            default_storage.delete(f.name)
        raise


def _store_review_queue(
    engagement: Engagement, run: MigrationRun, result: results.RunResult
) -> None:
    """The pairs this run suggests for review replace the undecided ones of the objects it
    ran; decided pairs stay (the run already applied them)."""
    names = list(run.inputs["objects"])
    DuplicatePair.objects.filter(
        engagement=engagement, object_name__in=names, decision=PairDecision.PENDING
    ).delete()
    decided = set(
        DuplicatePair.objects.filter(engagement=engagement, object_name__in=names).values_list(
            "object_name", "left_id", "right_id"
        )
    )
    batch = []
    for pair in result.review_pairs():
        if (pair.object_name, pair.left_id, pair.right_id) in decided:
            continue
        batch.append(
            DuplicatePair(
                firm=engagement.firm,
                engagement=engagement,
                object_name=pair.object_name,
                left_id=pair.left_id,
                right_id=pair.right_id,
                score=pair.score,
                field_scores=pair.field_scores,
                left_values=pair.left_values,
                right_values=pair.right_values,
                run=run,
            )
        )
        if len(batch) >= BULK:
            DuplicatePair.objects.bulk_create(batch)
            batch = []
    DuplicatePair.objects.bulk_create(batch)


# --- review queue -----------------------------------------------------------------------------


def pair_decide(*, pair: DuplicatePair, actor: User, decision: str) -> DuplicatePair:
    """Confirm a suggested pair as one record (merge), keep it apart (split), or undo the
    decision (pending). Runs from now on follow it."""
    if decision not in PairDecision.values:
        raise ApplicationError("Choose merge or keep apart.")
    with phase_edit(engagement=pair.engagement, phase=LAUNCH, actor=actor):
        pair.decision = decision
        pair.decided_by = None if decision == PairDecision.PENDING else actor
        pair.decided_at = None if decision == PairDecision.PENDING else timezone.now()
        pair.save(update_fields=["decision", "decided_by", "decided_at", "updated_at"])
    return pair


# --- datasets ---------------------------------------------------------------------------------


def dataset_note_save(*, dataset: MigrationDataset, actor: User, note: str) -> MigrationDataset:
    with phase_edit(engagement=dataset.engagement, phase=LAUNCH, actor=actor):
        dataset.note = note.strip()
        dataset.note_by = actor if dataset.note else None
        dataset.save(update_fields=["note", "note_by", "updated_at"])
    return dataset


def dataset_rollback(*, dataset: MigrationDataset, actor: User, reason: str) -> MigrationDataset:
    """Roll the current dataset back: the version before it becomes current again (or none).
    Only the current version can be rolled back, one at a time; its files stay downloadable."""
    if not reason.strip():
        raise ApplicationError("Say why the dataset is rolled back.", field="reason")
    with phase_edit(engagement=dataset.engagement, phase=LAUNCH, actor=actor) as locked:
        locked_dataset = MigrationDataset.objects.select_for_update().get(pk=dataset.pk)
        current = selectors.current_dataset(engagement=locked)
        if current is None or current.pk != locked_dataset.pk:
            raise ApplicationError(
                f"{locked_dataset} is not the current dataset; only the current one can be "
                "rolled back."
            )
        locked_dataset.rolled_back_at = timezone.now()
        locked_dataset.rolled_back_by = actor
        locked_dataset.rollback_reason = reason.strip()
        locked_dataset.save(
            update_fields=["rolled_back_at", "rolled_back_by", "rollback_reason", "updated_at"]
        )
        previous = selectors.current_dataset(engagement=locked)
        activity_record(
            engagement=locked,
            actor=actor,
            kind="migration",
            message=f"Data migration {locked_dataset} rolled back: {reason.strip()} "
            + (f"({previous} is current again.)" if previous else "(No dataset is current.)"),
        )
    return locked_dataset


def stored_file_open(stored: DatasetFile) -> IO[bytes]:
    return default_storage.open(stored.file, "rb")
