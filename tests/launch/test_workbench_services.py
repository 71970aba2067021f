"""The data-migration workbench through its services: setting up from the default schema,
uploads checked whole (bad files refused with the reason, nothing kept), mappings saved and
reused, dry and commit runs as jobs, the review queue fed back to the next run, datasets that
are deterministic and can be rolled back, and the launch gate's readiness check."""

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, OperationalError
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from engagements.errors import ApplicationError
from engagements.models import Engagement, Job, JobStatus, PhaseState, PhaseStatus
from engagements.phases import Phase
from engagements.services.jobs import jobs_watchdog
from launch import gate, tasks
from launch.migration.mapping import FieldMapping
from launch.models import (
    DataMigration,
    DatasetFile,
    DuplicatePair,
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
from launch.workbench import selectors, services

ACCOUNTS_CSV = (
    "Account ID,Company Name,Website,City\n"
    "A1,Acme Ltd,acme.example,London\n"
    "A2,Globex,globex.example,Leeds\n"
    "A3,,nameless.example,York\n"
)

# Contacts: C2 is C1 written differently (auto-merge), C4 (Roberta) looks like C3 (Robert) enough
# for review but not to merge, C5 has a bad
# email and no last name (rejected twice over), C6 points at the rejected account A3 (broken
# reference), C7 carries a formula that must come out neutralised.
CONTACTS_CSV = (
    "Contact ID,First Name,Last Name,E-mail,Phone,Company,Account\n"
    "C1,Jane,Smith,jane.smith@acme.example,020 7946 0001,Acme Ltd,A1\n"
    "C2,jane,SMITH,Jane.Smith@Acme.example,+44 20 7946 0001,Acme,A1\n"
    "C3,Robert,Jones,rob.jones@globex.example,0113 496 0002,Globex,A2\n"
    "C4,Roberta,Jones,roberta.j@globex.example,,Globex,A2\n"
    "C5,Nobody,,not-an-email,,Acme,A1\n"
    "C6,Olive,Orphan,olive@nameless.example,,Nameless,A3\n"
    'C7,Eve,"=HYPERLINK(""http://evil.example"")",eve@acme.example,,Acme,A1\n'
)


def in_launch(world):
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.LAUNCH)
    world.engagement.refresh_from_db()
    return world.engagement


def csv_file(name: str, text: str, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def obj(engagement, name: str) -> MigrationObject:
    return MigrationObject.unscoped.get(engagement=engagement, name=name)


def upload(world, name: str, filename: str, text: str) -> SourceUpload:
    return services.source_upload(
        engagement=world.engagement,
        actor=world.consultant,
        target=obj(world.engagement, name),
        uploaded=csv_file(filename, text),
    )


ACCOUNT_MAPPING = [
    FieldMapping("name", ("Company Name",), ({"op": "trim"},)),
    FieldMapping("website", ("Website",), ({"op": "trim"},)),
    FieldMapping("city", ("City",), ({"op": "trim"},)),
]
CONTACT_MAPPING = [
    FieldMapping("first_name", ("First Name",), ({"op": "trim"}, {"op": "case", "to": "title"})),
    FieldMapping("last_name", ("Last Name",), ({"op": "trim"}, {"op": "case", "to": "title"})),
    FieldMapping("email", ("E-mail",), ({"op": "trim"}, {"op": "email"})),
    FieldMapping("phone", ("Phone",), ({"op": "trim"}, {"op": "phone", "region": "GB"})),
    FieldMapping("company", ("Company",), ({"op": "trim"},)),
    FieldMapping("account", ("Account",), ({"op": "trim"},)),
]


def prepared(world):
    """Firm A's engagement in Phase 5 with the migration set up, accounts and contacts
    uploaded and mapped. Runs inside firm A's scope (the caller's)."""
    engagement = in_launch(world)
    services.migration_start(engagement=engagement, actor=world.consultant)
    for name, filename, text, id_column, mapping in (
        ("account", "accounts.csv", ACCOUNTS_CSV, "Account ID", ACCOUNT_MAPPING),
        ("contact", "contacts.csv", CONTACTS_CSV, "Contact ID", CONTACT_MAPPING),
    ):
        source = upload(world, name, filename, text)
        assert source.status == SourceStatus.READY, source.error
        services.mapping_save(
            target=obj(engagement, name),
            actor=world.consultant,
            id_column=id_column,
            fields=mapping,
            headers=source.headers,
        )
    return engagement


def run(world, kind: str, committed) -> MigrationRun:
    with committed():
        requested = services.run_request(
            engagement=world.engagement, actor=world.consultant, kind=kind
        )
    requested.refresh_from_db()
    return requested


def read(stored: DatasetFile) -> str:
    with default_storage.open(stored.file, "rb") as handle:
        return handle.read().decode("utf-8")


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- setting up -------------------------------------------------------------------------------


def test_starting_the_migration_seeds_the_default_schema_once(firm_a_scope):
    world = firm_a_scope
    engagement = in_launch(world)

    services.migration_start(engagement=engagement, actor=world.consultant)
    services.migration_start(engagement=engagement, actor=world.consultant)

    names = list(
        MigrationObject.objects.filter(engagement=engagement).values_list("name", flat=True)
    )
    assert names == ["account", "contact", "deal", "activity"]
    contact_fields = set(
        MigrationField.objects.filter(target__name="contact").values_list("name", flat=True)
    )
    assert {"first_name", "last_name", "email", "phone", "company", "account"} <= contact_fields
    assert DataMigration.objects.filter(engagement=engagement).count() == 1


def test_the_migration_cannot_start_before_the_launch_phase(firm_a_scope):
    world = firm_a_scope
    with pytest.raises(ApplicationError, match="has not started yet"):
        services.migration_start(engagement=world.engagement, actor=world.consultant)
    assert not DataMigration.objects.exists()


# --- sources ----------------------------------------------------------------------------------


def test_an_upload_is_checked_whole_and_keeps_what_was_found(firm_a_scope):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)
    text = "Contact ID;First Name;Last Name\nC1;Zoë;Müller\nC2;Ann;Lee\n"

    source = services.source_upload(
        engagement=world.engagement,
        actor=world.consultant,
        target=obj(world.engagement, "contact"),
        uploaded=csv_file("contacts.csv", text, encoding="cp1252"),
    )

    assert source.status == SourceStatus.READY
    assert source.delimiter == ";"
    assert source.headers == ["Contact ID", "First Name", "Last Name"]
    assert source.preview[0] == ["C1", "Zoë", "Müller"]
    assert source.row_count == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Id,Name\n", "no data rows"),
        ("Id,Name,Name\n1,a,b\n", "Name"),
        ("Id,Name\n1,a\n2,b,c\n", "row"),
    ],
    ids=["headers only", "duplicate header", "ragged rows"],
)
def test_a_bad_file_is_refused_with_its_reason_and_its_bytes_are_not_kept(firm_a_scope, text, says):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)

    source = upload(world, "contact", "bad.csv", text)

    assert source.status == SourceStatus.FAILED
    assert says.lower() in source.error.lower()
    assert not default_storage.exists(source.file)
    assert selectors.latest_uploads(engagement=world.engagement, ready_only=True) == {}


def test_an_empty_or_foreign_file_is_refused_before_it_is_stored(firm_a_scope):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)
    contact = obj(world.engagement, "contact")

    with pytest.raises(ApplicationError, match="empty"):
        services.source_upload(
            engagement=world.engagement, actor=world.consultant, target=contact,
            uploaded=csv_file("empty.csv", ""),
        )  # fmt: skip
    with pytest.raises(ApplicationError, match="not a CSV or XLSX"):
        services.source_upload(
            engagement=world.engagement, actor=world.consultant, target=contact,
            uploaded=csv_file("contacts.pdf", "%PDF"),
        )  # fmt: skip
    assert not SourceUpload.objects.exists()


def test_a_big_file_is_checked_by_a_job_with_its_progress_recorded(
    firm_a_scope, committed, monkeypatch
):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)
    monkeypatch.setattr(services, "INLINE_INSPECT_BYTES", 10)

    with committed():
        source = upload(world, "account", "accounts.csv", ACCOUNTS_CSV)
    assert source.job is not None

    source.refresh_from_db()
    assert source.status == SourceStatus.READY
    assert source.row_count == 3
    job = Job.objects.get(pk=source.job_id)
    assert job.status == JobStatus.SUCCEEDED
    assert job.step == "3 rows"


# --- mappings ---------------------------------------------------------------------------------


def test_a_mapping_naming_a_column_the_file_lacks_is_refused(firm_a_scope):
    world = firm_a_scope
    engagement = prepared(world)
    stored = MigrationMapping.objects.get(target__name="contact")
    before = stored.fields

    with pytest.raises(ApplicationError, match="Surname"):
        services.mapping_save(
            target=obj(engagement, "contact"),
            actor=world.consultant,
            id_column="Contact ID",
            fields=[FieldMapping("last_name", ("Surname",))],
            headers=["Contact ID", "Last Name"],
        )
    stored.refresh_from_db()
    assert stored.fields == before


def test_a_mapping_without_a_required_field_is_saved_with_a_warning(firm_a_scope):
    world = firm_a_scope
    engagement = prepared(world)

    _, warnings = services.mapping_save(
        target=obj(engagement, "contact"),
        actor=world.consultant,
        id_column="Contact ID",
        fields=[FieldMapping("email", ("E-mail",))],
        headers=["Contact ID", "E-mail"],
    )

    assert warnings == ["Last name is required but no column is mapped to it."]


# --- runs -------------------------------------------------------------------------------------


def test_a_dry_run_reports_every_row_and_fills_the_review_queue(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)

    dry = run(world, RunKind.DRY, committed)

    assert dry.succeeded, dry.job.error
    recon = {o["object"]: o for o in dry.reconciliation["objects"]}
    contacts = recon["contact"]
    assert contacts["rows_in"] == 7
    assert contacts["clean"] + contacts["merged"] + contacts["rejected"] == 7
    assert contacts["merged"] == 1  # C2 into C1
    rejected = {
        r.legacy_id: [reason["code"] for reason in r.reasons]
        for r in RejectedRow.objects.filter(run=dry, object_name="contact")
    }
    assert set(rejected) == {"C5", "C6"}
    assert {"required", "invalid"} <= set(rejected["C5"])
    assert rejected["C6"] == ["reference"]
    assert RejectedRow.objects.get(run=dry, object_name="account").legacy_id == "A3"
    pair = DuplicatePair.objects.get()
    assert {pair.left_id, pair.right_id} == {"C3", "C4"}
    assert pair.left_values["last_name"] == "Jones"
    assert not MigrationDataset.objects.exists()


def test_a_review_decision_is_followed_by_the_next_run(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    run(world, RunKind.DRY, committed)
    pair = DuplicatePair.objects.get()

    services.pair_decide(pair=pair, actor=world.consultant, decision=PairDecision.MERGE)
    second = run(world, RunKind.DRY, committed)

    contacts = {o["object"]: o for o in second.reconciliation["objects"]}["contact"]
    assert contacts["merged"] == 2
    assert contacts["review_pairs"] == 0
    assert second.inputs["decisions"] == {
        "contact": {"merge": [[pair.left_id, pair.right_id]], "split": []}
    }
    assert DuplicatePair.objects.get().decision == PairDecision.MERGE


def test_a_pair_kept_apart_stays_apart(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    run(world, RunKind.DRY, committed)
    services.pair_decide(pair=DuplicatePair.objects.get(), actor=world.consultant, decision="split")

    second = run(world, RunKind.DRY, committed)

    contacts = {o["object"]: o for o in second.reconciliation["objects"]}["contact"]
    assert contacts["merged"] == 1
    assert contacts["clean"] == 4


def test_a_commit_run_stores_a_dataset_with_neutralised_files(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)

    commit = run(world, RunKind.COMMIT, committed)

    assert commit.succeeded, commit.job.error
    dataset = MigrationDataset.objects.get()
    assert dataset.number == 1 and dataset.run == commit
    files = {f.filename: f for f in dataset.files.all()}
    assert set(files) == {
        "account-import-v1.csv", "account-rejected-v1.csv", "account-outcomes-v1.csv",
        "contact-import-v1.csv", "contact-rejected-v1.csv", "contact-outcomes-v1.csv",
        "reconciliation-v1.csv", "reconciliation-v1.json",
    }  # fmt: skip
    contacts = list(csv.DictReader(io.StringIO(read(files["contact-import-v1.csv"]))))
    by_id = {row["legacy_id"]: row for row in contacts}
    assert by_id["C1"]["source_ids"] == "C1|C2"
    assert by_id["C1"]["email"] == "jane.smith@acme.example"
    assert by_id["C1"]["phone"] == "+442079460001"
    assert by_id["C7"]["last_name"].startswith("'=")
    assert files["contact-import-v1.csv"].rows == 4
    rejected = read(files["contact-rejected-v1.csv"])
    assert "C5" in rejected and "C6" in rejected
    assert dataset.rows_in == 10 and dataset.rejected_count == 3


def test_the_same_input_and_settings_give_byte_identical_files(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)

    run(world, RunKind.COMMIT, committed)
    run(world, RunKind.COMMIT, committed)

    first, second = MigrationDataset.objects.order_by("number")
    digests = [
        [(f.filename.replace("-v1", "").replace("-v2", ""), f.digest) for f in d.files.all()]
        for d in (first, second)
    ]
    assert digests[0] == digests[1]
    assert read(first.files.first()) == read(second.files.first())


def test_running_a_finished_run_again_changes_nothing(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    commit = run(world, RunKind.COMMIT, committed)
    files_before = list(DatasetFile.objects.values_list("file", flat=True))

    services.run_execute(run_id=commit.pk)

    assert MigrationDataset.objects.count() == 1
    assert list(DatasetFile.objects.values_list("file", flat=True)) == files_before
    assert RejectedRow.objects.filter(run=commit).count() == 3


class Killed(BaseException):
    """Stands in for SIGKILL in-process: nothing after it runs, no handler catches it."""


def test_a_retry_after_a_crash_before_the_dataset_builds_it_once(
    firm_a_scope, monkeypatch, tmp_path
):
    """A worker that died after writing its files but before the dataset's transaction leaves
    orphan files and a running job; the retry removes them and stores the dataset once. (The
    same with a real worker process killed by SIGKILL: test_workbench_worker.py.)"""
    world = firm_a_scope
    prepared(world)
    commit = services.run_request(
        engagement=world.engagement, actor=world.consultant, kind="commit"
    )
    real_store = services._store

    def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(services, "_store", die)
    with pytest.raises(Killed):
        services.run_execute(run_id=commit.pk)
    staging = tmp_path / "media" / "migrations" / str(world.engagement.public_id) / "runs"
    orphans = [p for p in staging.rglob("*") if p.is_file()]
    assert len(orphans) == 8
    assert not MigrationDataset.objects.exists()
    assert Job.objects.get(pk=commit.job_id).status == JobStatus.RUNNING

    monkeypatch.setattr(services, "_store", real_store)
    services.run_execute(run_id=commit.pk)

    dataset = MigrationDataset.objects.get()
    kept = sorted(str(p.relative_to(tmp_path / "media")) for p in staging.rglob("*") if p.is_file())
    assert kept == sorted(dataset.files.values_list("file", flat=True))
    assert not any(str(p) in kept for p in orphans)
    job = Job.objects.get(pk=commit.job_id)
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)


def test_only_one_run_at_a_time(firm_a_scope):
    world = firm_a_scope
    prepared(world)
    services.run_request(engagement=world.engagement, actor=world.consultant, kind="dry")

    with pytest.raises(ApplicationError, match="still running"):
        services.run_request(engagement=world.engagement, actor=world.consultant, kind="commit")


def test_nothing_to_run_is_said_plainly(firm_a_scope):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)

    with pytest.raises(ApplicationError, match="Nothing to run yet"):
        services.run_request(engagement=world.engagement, actor=world.consultant, kind="dry")
    assert not MigrationRun.objects.exists()


# --- rollback and the gate --------------------------------------------------------------------


def test_rolling_back_makes_the_previous_dataset_current(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    run(world, RunKind.COMMIT, committed)
    run(world, RunKind.COMMIT, committed)
    first, second = MigrationDataset.objects.order_by("number")
    assert selectors.current_dataset(engagement=world.engagement) == second

    with pytest.raises(ApplicationError, match="Say why"):
        services.dataset_rollback(dataset=second, actor=world.consultant, reason=" ")
    with pytest.raises(ApplicationError, match="not the current dataset"):
        services.dataset_rollback(dataset=first, actor=world.consultant, reason="Wrong file")
    services.dataset_rollback(dataset=second, actor=world.consultant, reason="Wrong file")

    assert selectors.current_dataset(engagement=world.engagement) == first
    second.refresh_from_db()
    assert second.rolled_back_by == world.consultant
    assert second.files.count() == 8  # still downloadable


def _migration_check(engagement):
    return gate.readiness(engagement)[0]


def test_the_gate_needs_a_committed_run(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    assert not _migration_check(world.engagement).passed
    run(world, RunKind.DRY, committed)
    check = _migration_check(world.engagement)
    assert check.blocks and "dry run is not enough" in check.todo


def test_the_gate_refuses_a_rejected_share_over_the_threshold_until_it_is_explained(
    firm_a_scope, committed
):
    world = firm_a_scope
    prepared(world)
    run(world, RunKind.COMMIT, committed)  # 3 of 10 rows rejected: 30%
    check = _migration_check(world.engagement)
    assert not check.passed
    assert "30.0%" in check.todo and "2%" in check.todo

    services.dataset_note_save(
        dataset=MigrationDataset.objects.get(),
        actor=world.consultant,
        note="Test records the client retired.",
    )

    check = _migration_check(world.engagement)
    assert check.passed
    assert "explained" in check.label


def test_the_gate_passes_under_the_threshold(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    DataMigration.objects.update(rejected_threshold=Decimal("50"))
    run(world, RunKind.COMMIT, committed)

    assert _migration_check(world.engagement).passed


def test_a_failed_latest_commit_blocks_the_gate(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    DataMigration.objects.update(rejected_threshold=Decimal("50"))
    run(world, RunKind.COMMIT, committed)
    second = services.run_request(
        engagement=world.engagement, actor=world.consultant, kind="commit"
    )
    # The file it froze into its inputs is gone by the time the job runs.
    SourceUpload.objects.filter(target__name="contact").update(status=SourceStatus.FAILED)

    services.run_execute(run_id=second.pk)

    second.refresh_from_db()
    assert second.job.status == JobStatus.FAILED
    assert "contacts.csv is gone" in second.job.error
    check = _migration_check(world.engagement)
    assert not check.passed
    assert f"Commit run #{second.number} failed" in check.todo
    assert MigrationDataset.objects.count() == 1


def test_the_snapshot_freezes_the_current_dataset(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    assert gate.snapshot(world.engagement)["data_migration"] == []
    run(world, RunKind.COMMIT, committed)

    (item,) = gate.snapshot(world.engagement)["data_migration"]

    assert item["label"] == "Dataset v1"
    assert item["rows_in"] == 10


def test_a_signed_off_launch_phase_refuses_workbench_changes(firm_a_scope):
    world = firm_a_scope
    prepared(world)
    PhaseState.objects.update_or_create(
        engagement=world.engagement,
        phase=Phase.LAUNCH,
        defaults={"status": PhaseStatus.SIGNED_OFF},
        create_defaults={"firm": world.firm_a, "status": PhaseStatus.SIGNED_OFF},
    )

    with pytest.raises(ApplicationError, match="signed off"):
        services.run_request(engagement=world.engagement, actor=world.consultant, kind="dry")


def test_rolling_back_the_only_dataset_leaves_the_gate_waiting_for_a_new_commit(
    firm_a_scope, committed
):
    world = firm_a_scope
    prepared(world)
    DataMigration.objects.update(rejected_threshold=Decimal("50"))
    run(world, RunKind.COMMIT, committed)
    assert _migration_check(world.engagement).passed

    services.dataset_rollback(
        dataset=MigrationDataset.objects.get(), actor=world.consultant, reason="Wrong export"
    )

    check = _migration_check(world.engagement)
    assert not check.passed
    assert check.todo == "Every dataset is rolled back: commit the data again."
    assert selectors.current_dataset(engagement=world.engagement) is None


def test_a_run_whose_worker_was_lost_long_ago_does_not_block_a_new_one(firm_a_scope):
    world = firm_a_scope
    prepared(world)
    lost = services.run_request(engagement=world.engagement, actor=world.consultant, kind="dry")
    Job.objects.filter(pk=lost.job_id).update(
        status=JobStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=3)
    )

    fresh = services.run_request(engagement=world.engagement, actor=world.consultant, kind="dry")

    lost.job.refresh_from_db()
    assert lost.job.status == JobStatus.FAILED
    assert "worker running it was lost" in lost.job.error
    assert fresh.number == 2


# --- runs that are given up on, and runs that break ----------------------------------------------


def _give_up_on(run: MigrationRun) -> None:
    """Its job has had no heartbeat for longer than JOB_STALE_AFTER: the worker counts as lost."""
    Job.objects.filter(pk=run.job_id).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER, minutes=5)
    )


def _staged_files(tmp_path, run: MigrationRun) -> list:
    return [
        p for p in (tmp_path / "media").rglob("*") if p.is_file() and str(run.public_id) in str(p)
    ]


def test_a_run_given_up_as_lost_stays_failed_when_its_task_finally_runs(firm_a_scope, committed):
    """Commit run #1 sits in the queue for hours; the consultant starts #2, which gives #1 up as
    lost, and #2 commits v1. Then #1's task arrives after all: it must not run, nor store a
    dataset from its older inputs that would become current over v1."""
    world = firm_a_scope
    prepared(world)
    lost = services.run_request(engagement=world.engagement, actor=world.consultant, kind="commit")
    _give_up_on(lost)
    newer = run(world, RunKind.COMMIT, committed)
    assert newer.succeeded, newer.job.error

    services.run_execute(run_id=lost.pk)

    job = Job.objects.get(pk=lost.job_id)
    assert job.status == JobStatus.FAILED
    assert "worker running it was lost" in job.error
    assert job.attempts == 0  # never went back to running
    assert list(MigrationDataset.objects.values_list("run_id", flat=True)) == [newer.pk]
    assert selectors.current_dataset(engagement=world.engagement).run == newer
    assert not RejectedRow.objects.filter(run=lost).exists()


@pytest.mark.parametrize("its_job", ["failed", "still says running"])
def test_a_run_given_up_on_while_it_works_stores_nothing(
    firm_a_scope, committed, monkeypatch, tmp_path, its_job
):
    """#1 is still working (a worker stuck for hours) when #2 replaces it and commits v1; when #1
    gets to storing its results, it finds it was replaced and keeps nothing — even if its job
    were somehow running again."""
    world = firm_a_scope
    prepared(world)
    slow = services.run_request(engagement=world.engagement, actor=world.consultant, kind="commit")
    real_compute = services._compute
    newer = {}

    def compute_while_replaced(this):
        result = real_compute(this)
        if this.pk == slow.pk:
            _give_up_on(slow)
            newer["run"] = run(world, RunKind.COMMIT, committed)
            if its_job == "still says running":
                Job.objects.filter(pk=slow.job_id).update(status=JobStatus.RUNNING)
        return result

    monkeypatch.setattr(services, "_compute", compute_while_replaced)

    services.run_execute(run_id=slow.pk)

    assert newer["run"].succeeded, newer["run"].job.error
    assert list(MigrationDataset.objects.values_list("run_id", flat=True)) == [newer["run"].pk]
    job = Job.objects.get(pk=slow.job_id)
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("Stopped:")
    assert not RejectedRow.objects.filter(run=slow).exists()
    assert MigrationRun.objects.get(pk=slow.pk).rows_in == 0
    assert _staged_files(tmp_path, slow) == []


def test_a_legacy_id_too_long_to_store_rejects_its_row_instead_of_breaking_the_run(
    firm_a_scope, committed
):
    world = firm_a_scope
    prepared(world)
    long_id = "C4-" + "x" * 300
    contacts = CONTACTS_CSV.replace("\nC4,", f"\n{long_id},")
    source = upload(world, "contact", "contacts-long-id.csv", contacts)
    assert source.status == SourceStatus.READY, source.error

    commit = run(world, RunKind.COMMIT, committed)

    assert commit.succeeded, commit.job.error
    row = RejectedRow.objects.get(run=commit, object_name="contact", row_number=5)
    assert row.legacy_id == long_id[:255]
    assert [r["code"] for r in row.reasons] == ["long_id"]
    assert "303 characters long; an id may have at most 255" in row.reasons[0]["message"]
    assert not DuplicatePair.objects.exists()  # its pair with C3 is gone with it
    assert MigrationDataset.objects.get().rejected_count == 4


def test_a_database_error_a_retry_cannot_fix_fails_the_run_and_frees_the_next(
    firm_a_scope, committed, monkeypatch, tmp_path
):
    world = firm_a_scope
    prepared(world)

    def refuse(*args, **kwargs):
        raise DataError("value too long for type character varying(255)")

    monkeypatch.setattr(services, "_store_review_queue", refuse)

    commit = run(world, RunKind.COMMIT, committed)

    assert commit.job.status == JobStatus.FAILED
    assert commit.job.error.startswith("Stopped on a database error (DataError")
    assert "Start a new run" in commit.job.error
    assert not MigrationDataset.objects.exists()
    assert not RejectedRow.objects.exists()
    assert _staged_files(tmp_path, commit) == []
    monkeypatch.undo()
    assert run(world, RunKind.COMMIT, committed).succeeded  # not blocked for hours


def test_an_unexpected_error_fails_the_run_with_a_message(firm_a_scope, committed, monkeypatch):
    world = firm_a_scope
    prepared(world)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(services.results, "run", broken)

    dry = run(world, RunKind.DRY, committed)

    assert dry.job.status == JobStatus.FAILED
    assert dry.job.error.startswith("Stopped on an unexpected error (ZeroDivisionError")
    assert "Start a new run" in dry.job.error


@pytest.fixture
def retried_in_process():
    """In-process (eager) tasks retry in place, as a worker would, instead of handing the first
    retry back to the caller: the task runs until its retries are used up, then fails."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_a_run_whose_database_retries_run_out_is_failed_and_frees_the_next(
    firm_a_scope, committed, monkeypatch, retried_in_process
):
    world = firm_a_scope
    prepared(world)
    attempts = []

    def connection_lost(this):
        attempts.append(this.pk)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_compute", connection_lost)

    run(world, RunKind.DRY, committed)

    lost = MigrationRun.objects.get()
    assert len(attempts) == 1 + tasks.migration_run.max_retries
    job = Job.objects.get(pk=lost.job_id)
    assert job.status == JobStatus.FAILED
    assert "the database could not be reached, and retrying did not help" in job.error
    monkeypatch.undo()
    assert run(world, RunKind.DRY, committed).succeeded


# --- uploads that break the reader ---------------------------------------------------------------


def _damaged_workbook() -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Contact ID", "First Name"])
    for n in range(300):
        workbook.active.append([f"C{n}", f"Name {n}"])
    packed = io.BytesIO()
    workbook.save(packed)
    damaged = io.BytesIO()
    with zipfile.ZipFile(packed) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, data[:-500] if "worksheets/" in info.filename else data)
    return SimpleUploadedFile("contacts.xlsx", damaged.getvalue())


def test_a_damaged_workbook_is_refused_with_its_reason(firm_a_scope):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)

    source = services.source_upload(
        engagement=world.engagement,
        actor=world.consultant,
        target=obj(world.engagement, "contact"),
        uploaded=_damaged_workbook(),
    )

    assert source.status == SourceStatus.FAILED
    assert "“contacts.xlsx” is damaged and cannot be read after row" in source.error
    assert not default_storage.exists(source.file)


def test_an_unexpected_error_while_checking_a_big_upload_refuses_it_instead_of_waiting(
    firm_a_scope, committed, monkeypatch
):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)
    monkeypatch.setattr(services, "INLINE_INSPECT_BYTES", 10)

    def broken(path, *, filename):
        raise RuntimeError("a reader bug")

    monkeypatch.setattr(services, "inspect_source", broken)

    with committed():
        source = upload(world, "account", "accounts.csv", ACCOUNTS_CSV)

    source.refresh_from_db()
    assert source.status == SourceStatus.FAILED
    assert source.error.startswith("“accounts.csv” could not be checked")
    assert "logged for support" in source.error
    assert not default_storage.exists(source.file)
    job = Job.objects.get(pk=source.job_id)
    assert (job.status, job.error) == (JobStatus.FAILED, source.error)


def test_an_inspection_whose_database_retries_run_out_refuses_the_upload(
    firm_a_scope, committed, monkeypatch, retried_in_process
):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)
    monkeypatch.setattr(services, "INLINE_INSPECT_BYTES", 10)

    real_progress = services.job_progress

    def connection_lost(*, job, percent, step):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "job_progress", connection_lost)

    with committed():
        upload(world, "account", "accounts.csv", ACCOUNTS_CSV)

    monkeypatch.setattr(services, "job_progress", real_progress)
    source = SourceUpload.objects.get()
    assert source.status == SourceStatus.FAILED
    assert "could not be checked" in source.error
    assert Job.objects.get(pk=source.job_id).status == JobStatus.FAILED


def test_an_inspection_whose_worker_keeps_dying_is_refused_by_the_watchdog(
    firm_a_scope, monkeypatch
):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)
    monkeypatch.setattr(services, "INLINE_INSPECT_BYTES", 10)
    source = upload(world, "account", "accounts.csv", ACCOUNTS_CSV)  # its task is never run here
    Job.objects.filter(pk=source.job_id).update(
        status=JobStatus.RUNNING,
        lost=settings.JOB_MAX_LOST - 1,
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER + 1),
    )

    assert jobs_watchdog() == {"requeued": 0, "failed": 1}

    source.refresh_from_db()
    assert source.status == SourceStatus.FAILED
    assert source.error.startswith("“accounts.csv” could not be checked. Stopped: the worker")
    assert Job.objects.get(pk=source.job_id).status == JobStatus.FAILED


def test_a_stalled_run_is_queued_again_by_the_watchdog_and_completes(firm_a_scope, committed):
    world = firm_a_scope
    prepared(world)
    stalled = services.run_request(engagement=world.engagement, actor=world.consultant, kind="dry")
    _give_up_on(stalled)  # its task was lost with its worker (never run here)

    with committed():
        assert jobs_watchdog() == {"requeued": 1, "failed": 0}

    job = Job.objects.get(pk=stalled.job_id)
    assert (job.status, job.requeues) == (JobStatus.SUCCEEDED, 1)


# --- the upload limit ----------------------------------------------------------------------------


def test_uploads_are_limited_to_256_mb_and_the_upload_page_says_so(firm_a_scope, as_consultant):
    world = firm_a_scope
    in_launch(world)
    services.migration_start(engagement=world.engagement, actor=world.consultant)
    too_big = csv_file("contacts.csv", "Contact ID\nC1\n")
    too_big.size = 256 * 1024 * 1024 + 1

    with pytest.raises(ApplicationError, match="over the 256 MB upload limit"):
        services.source_upload(
            engagement=world.engagement,
            actor=world.consultant,
            target=obj(world.engagement, "contact"),
            uploaded=too_big,
        )
    assert not SourceUpload.objects.exists()

    page = as_consultant.get(reverse("migration_sources", args=[world.engagement.public_id]))
    assert "Up to 256 MB per file" in page.content.decode()
