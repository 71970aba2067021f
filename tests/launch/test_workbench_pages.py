"""The workbench's pages as a consultant uses them: empty states, uploads with a preview and
bad files refused without losing the choice made, the schema editor, the mapping screen with
suggestions, transforms and a live preview, runs with their progress and reports, the review
queue, downloads, rollback behind a confirmation — and list pages whose query count does not
grow with their rows."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engagements.models import JobStatus
from engagements.tenancy import tenant_scope
from launch.models import (
    DatasetFile,
    DuplicatePair,
    MigrationDataset,
    MigrationField,
    MigrationMapping,
    MigrationRun,
    PairDecision,
    RejectedRow,
    SourceStatus,
    SourceUpload,
)
from launch.workbench import services
from tests.launch.test_workbench_services import (
    CONTACTS_CSV,
    in_launch,
    obj,
    prepared,
)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(world, name: str, *args) -> str:
    return reverse(name, args=[world.engagement.public_id, *args])


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def ready(world):
    """Accounts and contacts uploaded and mapped (the services tests' data)."""
    with tenant_scope(world.firm_a):
        prepared(world)
    return world


def _dry_run(world, http, committed):
    with committed():
        response = http.post(url(world, "migration_runs"), {"kind": "dry"})
    assert response.status_code == 302
    return MigrationRun.unscoped.get(engagement=world.engagement, number=1)


# --- overview ---------------------------------------------------------------------------------


def test_the_overview_offers_to_set_the_migration_up(world, as_consultant):
    in_launch(world)

    response = as_consultant.get(url(world, "migration"))

    assert response.status_code == 200
    assert "Set up the data migration" in page(response)


def test_setting_up_seeds_the_schema_and_lists_the_objects(world, as_consultant):
    in_launch(world)

    response = as_consultant.post(url(world, "migration_start"), follow=True)

    body = page(response)
    for label in ("Account", "Contact", "Deal", "Activity"):
        assert f"{label} <small" in body
    assert "Upload a file" in body
    assert "Commit a data-migration run" in body  # the gate check, not yet passed


def test_bad_settings_are_refused_and_keep_what_was_typed(ready, as_consultant):
    response = as_consultant.post(
        url(ready, "migration"),
        {
            "settings-auto_merge": "0.7",
            "settings-review": "0.9",
            "settings-default_rule": "most_complete",
            "settings-survivorship": "email: newest",
            "settings-phone_region": "GB",
            "settings-rejected_threshold": "2",
        },
    )

    assert response.status_code == 400
    body = page(response)
    assert "is not “field: rule”" in body
    assert "email: newest" in body
    assert 'value="0.7"' in body


# --- sources ----------------------------------------------------------------------------------


def test_an_uploaded_file_shows_its_preview(world, as_consultant):
    in_launch(world)
    as_consultant.post(url(world, "migration_start"))

    response = as_consultant.post(
        url(world, "migration_sources"),
        {
            "upload-target": "contact",
            "upload-file": SimpleUploadedFile("contacts.csv", CONTACTS_CSV.encode()),
        },
        follow=True,
    )

    body = page(response)
    assert "contacts.csv: 7 rows ready." in body
    assert '<th scope="col">E-mail</th>' in body
    assert "jane.smith@acme.example" in body
    assert "Map the columns of Contact" in body


def test_a_refused_file_says_why_and_keeps_the_chosen_object(world, as_consultant):
    in_launch(world)
    as_consultant.post(url(world, "migration_start"))

    response = as_consultant.post(
        url(world, "migration_sources"),
        {
            "upload-target": "deal",
            "upload-file": SimpleUploadedFile("deals.csv", b"Id,Name\n1,a\n2,b,c\n"),
        },
    )

    assert response.status_code == 400
    body = page(response)
    assert "Refused: “deals.csv” has rows with the wrong number of columns" in body
    assert '<option value="deal" selected>' in body
    assert "Refused" in body  # the upload list keeps the attempt


def test_a_file_being_checked_polls_until_it_is_done(world, as_consultant):
    in_launch(world)
    as_consultant.post(url(world, "migration_start"))
    with tenant_scope(world.firm_a):
        upload = SourceUpload.objects.create(
            firm=world.firm_a, engagement=world.engagement, target=obj(world.engagement, "contact"),
            file="missing.csv", filename="big.csv", size=10**8,
        )  # fmt: skip

    response = as_consultant.get(url(world, "migration_source", upload.public_id))
    assert "Waiting for a worker" in page(response)

    SourceUpload.unscoped.filter(pk=upload.pk).update(status=SourceStatus.READY, row_count=5)
    fragment = as_consultant.get(
        url(world, "migration_source", upload.public_id), HTTP_HX_REQUEST="true"
    )
    assert fragment["HX-Refresh"] == "true"


def test_the_sources_page_queries_do_not_grow_with_uploads(
    world, as_consultant, django_assert_max_num_queries
):
    in_launch(world)
    as_consultant.post(url(world, "migration_start"))

    def add(n):
        with tenant_scope(world.firm_a):
            for i in range(n):
                SourceUpload.objects.create(
                    firm=world.firm_a, engagement=world.engagement,
                    target=obj(world.engagement, "contact"), file=f"f{i}.csv",
                    filename=f"f{i}.csv", status=SourceStatus.READY, uploaded_by=world.consultant,
                )  # fmt: skip

    add(2)
    with django_assert_max_num_queries(30) as few:
        as_consultant.get(url(world, "migration_sources"))
    baseline = len(few.captured_queries)
    add(20)
    with django_assert_max_num_queries(baseline):
        response = as_consultant.get(url(world, "migration_sources"))
    assert "Page 1 of 1" not in page(response)


# --- schema -----------------------------------------------------------------------------------


def test_a_picklist_without_values_is_refused_and_keeps_what_was_typed(ready, as_consultant):
    contact = obj(ready.engagement, "contact")

    response = as_consultant.post(
        url(ready, "migration_field_add", contact.public_id),
        {
            "field-contact-name": "lead_source",
            "field-contact-label": "Lead source",
            "field-contact-type": "picklist",
        },
    )

    assert response.status_code == 400
    body = page(response)
    assert "A picklist needs its allowed values" in body
    assert 'value="lead_source"' in body


def test_a_field_is_added_edited_and_removed(ready, as_consultant):
    contact = obj(ready.engagement, "contact")
    as_consultant.post(
        url(ready, "migration_field_add", contact.public_id),
        {
            "field-contact-name": "lead_source",
            "field-contact-label": "Lead source",
            "field-contact-type": "picklist",
            "field-contact-choices": "web\nevent\n",
        },
    )
    field = MigrationField.unscoped.get(target=contact, name="lead_source")
    assert field.choices == ["web", "event"]

    as_consultant.post(
        url(ready, "migration_field_edit", field.public_id),
        {"field-label": "Source", "field-type": "text", "field-required": "on"},
    )
    field.refresh_from_db()
    assert (field.label, field.type, field.required, field.choices) == ("Source", "text", True, [])

    email = MigrationField.unscoped.get(target=contact, name="email")
    as_consultant.post(url(ready, "migration_field_delete", email.public_id))
    mapping = MigrationMapping.unscoped.get(target=contact)
    assert "email" not in [f["target"] for f in mapping.fields]
    assert not MigrationField.unscoped.filter(pk=email.pk).exists()


def test_a_reference_to_its_own_object_is_refused(ready, as_consultant):
    contact = obj(ready.engagement, "contact")

    response = as_consultant.post(
        url(ready, "migration_field_add", contact.public_id),
        {
            "field-contact-name": "manager",
            "field-contact-label": "Manager",
            "field-contact-type": "reference",
            "field-contact-reference": "contact",
        },
    )

    assert response.status_code == 400
    assert "refers to its own object" in page(response)
    assert not MigrationField.unscoped.filter(target=contact, name="manager").exists()


# --- mapping ----------------------------------------------------------------------------------


def test_the_mapping_screen_suggests_columns_and_previews_the_transforms(world, as_consultant):
    in_launch(world)
    as_consultant.post(url(world, "migration_start"))
    as_consultant.post(
        url(world, "migration_sources"),
        {
            "upload-target": "contact",
            "upload-file": SimpleUploadedFile("contacts.csv", CONTACTS_CSV.encode()),
        },
    )
    contact = obj(world.engagement, "contact")

    response = as_consultant.get(url(world, "migration_mapping", contact.public_id))

    body = page(response)
    assert "Suggested by column name" in body
    assert '<option value="E-mail" selected>' in body
    assert '<option value="Contact ID" selected>' in body
    assert "suggested</small>" in body
    assert "+442079460001" in body  # phone in E.164 in the preview
    assert "jane.smith@acme.example" in body


def test_a_bad_transform_is_refused_and_the_typed_lines_are_kept(ready, as_consultant):
    contact = obj(ready.engagement, "contact")
    data = {
        "map-id_column": "Contact ID",
        "map-last_name-source": "Last Name",
        "map-last_name-transforms": "trim\ncase shouty",
        "map-email-source": "E-mail",
        "map-email-transforms": "email",
    }
    before = MigrationMapping.unscoped.get(target=contact).fields

    response = as_consultant.post(url(ready, "migration_mapping", contact.public_id), data)

    assert response.status_code == 400
    body = page(response)
    assert "“case shouty”: The case transform needs" in body
    assert "trim\ncase shouty</textarea>" in body
    assert MigrationMapping.unscoped.get(target=contact).fields == before


def test_a_mapping_is_saved_with_joined_columns_and_shown_again(ready, as_consultant):
    contact = obj(ready.engagement, "contact")
    data = {
        "map-id_column": "Contact ID",
        "map-last_name-source": "Last Name",
        "map-last_name-transforms": "trim\ncase upper",
        "map-title-source": "First Name",
        "map-title-also": ["Company"],
        "map-title-transforms": 'join " @ "',
    }

    response = as_consultant.post(
        url(ready, "migration_mapping", contact.public_id), data, follow=True
    )

    body = page(response)
    assert "Contact mapping saved." in body
    mapping = MigrationMapping.unscoped.get(target=contact)
    assert mapping.fields == [
        {"target": "last_name", "sources": ["Last Name"],
         "transforms": [{"op": "trim"}, {"op": "case", "to": "upper"}]},
        {"target": "title", "sources": ["First Name", "Company"],
         "transforms": [{"op": "join", "separator": " @ "}]},
    ]  # fmt: skip
    assert "SMITH" in body  # the preview of the saved transforms
    assert "Jane @ Acme Ltd" in body
    assert "join &quot; @ &quot;</textarea>" in body


# --- runs -------------------------------------------------------------------------------------


def test_a_dry_run_page_shows_the_reconciliation_and_every_rejected_row(
    ready, as_consultant, committed
):
    run = _dry_run(ready, as_consultant, committed)

    body = page(as_consultant.get(url(ready, "migration_run", run.public_id)))

    assert "Reconciliation" in body
    assert "broken reference" in body
    assert "C5" in body and "C6" in body and "A3" in body
    assert "not-an-email" in body  # the original value, to fix in the old system


def test_a_run_in_progress_polls_and_refreshes_once_done(ready, as_consultant):
    with tenant_scope(ready.firm_a):
        run = services.run_request(engagement=ready.engagement, actor=ready.consultant, kind="dry")
    hx = {"HTTP_HX_REQUEST": "true"}

    body = page(as_consultant.get(url(ready, "migration_run", run.public_id)))
    assert 'hx-trigger="every 1s"' in body and "<progress" in body
    waiting = as_consultant.get(url(ready, "migration_run", run.public_id), **hx)
    assert "HX-Refresh" not in waiting

    with tenant_scope(ready.firm_a):
        services.run_execute(run_id=run.pk)
    done = as_consultant.get(url(ready, "migration_run", run.public_id), **hx)
    assert done["HX-Refresh"] == "true"


def test_a_second_run_is_refused_while_one_runs(ready, as_consultant):
    with tenant_scope(ready.firm_a):
        services.run_request(engagement=ready.engagement, actor=ready.consultant, kind="dry")

    response = as_consultant.post(url(ready, "migration_runs"), {"kind": "commit"})

    assert response.status_code == 400
    assert "is still running; wait for it to finish" in page(response)


def _many_rejected(world, run: MigrationRun, n: int) -> None:
    RejectedRow.unscoped.bulk_create(
        RejectedRow(
            firm=world.firm_a, run=run, object_name="contact", position=1, row_number=100 + i,
            legacy_id=f"X{i}", reasons=[{"code": "required", "field": "last_name",
                                         "message": "Last name is required."}],
            values={"Contact ID": f"X{i}"},
        )
        for i in range(n)
    )  # fmt: skip


def test_rejected_rows_are_paged_with_constant_queries(
    ready, as_consultant, committed, django_assert_max_num_queries
):
    run = _dry_run(ready, as_consultant, committed)
    run_url = url(ready, "migration_run", run.public_id)
    with django_assert_max_num_queries(40) as few:
        as_consultant.get(run_url)
    baseline = len(few.captured_queries)
    _many_rejected(ready, run, 60)
    MigrationRun.unscoped.filter(pk=run.pk).update(rejected_count=63)

    with django_assert_max_num_queries(baseline):
        body = page(as_consultant.get(f"{run_url}?object=contact&page=2"))

    assert "Page 2 of 3" in body
    assert "X30" in body and "X0<" not in body
    assert "?object=contact&amp;page=3" in body


def test_the_runs_page_queries_do_not_grow_with_runs(
    ready, as_consultant, committed, django_assert_max_num_queries
):
    _dry_run(ready, as_consultant, committed)
    with django_assert_max_num_queries(40) as few:
        as_consultant.get(url(ready, "migration_runs"))
    baseline = len(few.captured_queries)
    for _ in range(4):
        with committed():
            as_consultant.post(url(ready, "migration_runs"), {"kind": "commit"})

    with django_assert_max_num_queries(baseline):
        body = page(as_consultant.get(url(ready, "migration_runs")))
    assert "Commit run #5" in body and "Dataset v4" in body


# --- review -----------------------------------------------------------------------------------


def test_the_review_queue_shows_a_pair_side_by_side_and_takes_a_decision(
    ready, as_consultant, committed
):
    _dry_run(ready, as_consultant, committed)
    pair = DuplicatePair.unscoped.get()

    body = page(as_consultant.get(url(ready, "migration_review")))
    assert "Robert" in body and "Roberta" in body
    assert "Same record: merge" in body

    fragment = as_consultant.post(
        url(ready, "migration_pair_decide", pair.public_id),
        {"decision": "merge"},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 200
    assert "Undo decision" in page(fragment)
    pair.refresh_from_db()
    assert pair.decision == PairDecision.MERGE and pair.decided_by == ready.consultant

    body = page(as_consultant.get(url(ready, "migration_review")))
    assert "Nothing waiting for review" in body
    decided = page(as_consultant.get(url(ready, "migration_review") + "?show=decided"))
    assert "Same record: merge" in decided


def test_an_unknown_decision_is_refused(ready, as_consultant, committed):
    _dry_run(ready, as_consultant, committed)
    pair = DuplicatePair.unscoped.get()

    response = as_consultant.post(
        url(ready, "migration_pair_decide", pair.public_id), {"decision": "maybe"}, follow=True
    )

    assert "Choose merge or keep apart." in page(response)
    pair.refresh_from_db()
    assert pair.decision == PairDecision.PENDING


def _pairs(world, n: int, start: int = 0) -> None:
    DuplicatePair.unscoped.bulk_create(
        DuplicatePair(
            firm=world.firm_a, engagement=world.engagement, object_name="contact",
            left_id=f"L{i}", right_id=f"R{i}", score=0.85, field_scores={"email": 0.9},
            left_values={"email": f"l{i}@x.example"}, right_values={"email": f"r{i}@x.example"},
        )
        for i in range(start, start + n)
    )  # fmt: skip


def test_the_review_queue_is_paged_with_constant_queries(
    ready, as_consultant, django_assert_max_num_queries
):
    _pairs(ready, 2)
    with django_assert_max_num_queries(40) as few:
        as_consultant.get(url(ready, "migration_review"))
    baseline = len(few.captured_queries)
    _pairs(ready, 30, start=2)

    with django_assert_max_num_queries(baseline):
        body = page(as_consultant.get(url(ready, "migration_review")))

    assert "Page 1 of 4" in body
    assert "show=pending&amp;page=2" in body


# --- datasets, downloads, rollback --------------------------------------------------------------


def _commit(world, http, committed) -> MigrationDataset:
    with committed():
        http.post(url(world, "migration_runs"), {"kind": "commit"})
    return MigrationDataset.unscoped.filter(engagement=world.engagement).order_by("-number")[0]


def test_a_committed_dataset_offers_its_files_for_download(ready, as_consultant, committed):
    dataset = _commit(ready, as_consultant, committed)
    body = page(as_consultant.get(url(ready, "migration_datasets")))
    assert "contact-import-v1.csv" in body and "Current" in body

    stored = DatasetFile.unscoped.get(dataset=dataset, filename="contact-import-v1.csv")
    response = as_consultant.get(url(ready, "migration_file_download", stored.public_id))

    assert response.status_code == 200
    assert 'attachment; filename="contact-import-v1.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["legacy_id"] for r in rows] == ["C1", "C3", "C4", "C7"]


def test_the_datasets_page_queries_do_not_grow_with_versions(
    ready, as_consultant, committed, django_assert_max_num_queries
):
    _commit(ready, as_consultant, committed)
    with django_assert_max_num_queries(40) as few:
        as_consultant.get(url(ready, "migration_datasets"))
    baseline = len(few.captured_queries)
    for _ in range(3):
        _commit(ready, as_consultant, committed)

    with django_assert_max_num_queries(baseline):
        body = page(as_consultant.get(url(ready, "migration_datasets")))
    assert "Dataset v4" in body


def test_rollback_asks_for_confirmation_and_a_reason(ready, as_consultant, committed):
    first = _commit(ready, as_consultant, committed)
    second = _commit(ready, as_consultant, committed)
    rollback_url = url(ready, "migration_rollback", second.public_id)

    confirm = page(as_consultant.get(rollback_url))
    assert "Dataset v1</strong> becomes the current dataset again" in confirm

    refused = as_consultant.post(rollback_url, {"rollback-reason": "Wrong export"})
    assert refused.status_code == 400
    assert "Wrong export</textarea>" in page(refused)
    second.refresh_from_db()
    assert second.rolled_back_at is None

    done = as_consultant.post(
        rollback_url, {"rollback-reason": "Wrong export", "rollback-confirm": "on"}, follow=True
    )
    assert "Dataset v2 rolled back. Dataset v1 is current again." in page(done)
    second.refresh_from_db()
    assert second.rollback_reason == "Wrong export"
    with tenant_scope(ready.firm_a):
        from launch.workbench.selectors import current_dataset

        assert current_dataset(engagement=ready.engagement) == first


def test_a_note_explains_the_rejected_rows(ready, as_consultant, committed):
    dataset = _commit(ready, as_consultant, committed)

    response = as_consultant.post(
        url(ready, "migration_dataset", dataset.public_id),
        {"note-note": "Retired test records."},
        follow=True,
    )

    assert "Note on Dataset v1 saved." in page(response)
    dataset.refresh_from_db()
    assert dataset.note == "Retired test records." and dataset.note_by == ready.consultant


def test_a_failed_run_shows_its_reason(ready, as_consultant):
    with tenant_scope(ready.firm_a):
        run = services.run_request(engagement=ready.engagement, actor=ready.consultant, kind="dry")
        SourceUpload.objects.filter(target__name="account").update(status=SourceStatus.FAILED)
        services.run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.job.status == JobStatus.FAILED

    body = page(as_consultant.get(url(ready, "migration_run", run.public_id)))

    assert "Dry run #1 failed." in body
    assert "accounts.csv is gone" in body


def test_the_overview_queries_do_not_grow_with_objects(
    ready, as_consultant, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40) as few:
        as_consultant.get(url(ready, "migration"))
    baseline = len(few.captured_queries)
    with tenant_scope(ready.firm_a):
        for i in range(8):
            services.schema_object_add(
                engagement=ready.engagement, actor=ready.consultant, name=f"extra_{i}",
                label=f"Extra {i}", deduplicate=False,
            )  # fmt: skip

    with django_assert_max_num_queries(baseline):
        body = page(as_consultant.get(url(ready, "migration")))
    assert "Extra 7" in body


def test_the_mapping_preview_flags_values_a_run_would_reject(ready, as_consultant):
    contact = obj(ready.engagement, "contact")
    company = MigrationField.unscoped.get(target=contact, name="company")
    as_consultant.post(
        url(ready, "migration_field_edit", company.public_id),
        {"field-label": "Company", "field-type": "picklist", "field-choices": "Acme Ltd\nGlobex"},
    )

    body = page(as_consultant.get(url(ready, "migration_mapping", contact.public_id)))

    assert "✗ “Acme” is not one of the allowed values (Acme Ltd, Globex)." in body
