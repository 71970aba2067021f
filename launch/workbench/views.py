"""Workspace pages of the data-migration workbench (Phase 5): overview and settings, sources,
target schema, mapping, runs, the review queue of suggested duplicates, datasets with their
downloads and rollback."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagements.access import workspace_view
from engagements.errors import ApplicationError
from engagements.models import Engagement
from engagements.pages import engagement_or_404, phase_page, refusal_on
from engagements.phases import Phase
from launch.migration.mapping import (
    FieldMapping,
    default_transforms,
    suggested_object_mapping,
)
from launch.migration.transforms import TransformError, apply_transforms
from launch.migration.validation import FieldError, validate_value
from launch.models import (
    DatasetFile,
    DuplicatePair,
    MigrationDataset,
    MigrationField,
    MigrationMapping,
    MigrationObject,
    PairDecision,
    RejectedRow,
    SourceStatus,
    SourceUpload,
)
from launch.workbench import selectors, services
from launch.workbench.forms import (
    TRANSFORM_HELP,
    DecisionForm,
    FieldForm,
    MappingForm,
    MigrationSettingsForm,
    NoteForm,
    ObjectForm,
    RollbackForm,
    RunForm,
    UploadForm,
    mapping_initial,
    parse_transform,
    transform_lines,
)

PAGE_SIZE = 25
PREVIEW_ROWS = 3


def _page(request: HttpRequest, section: str, engagement: Engagement, **context) -> dict:
    return {**phase_page(engagement, Phase.LAUNCH, "migration"), "tab": section, **context}


def _status(*forms) -> int:
    return 400 if any(form is not None and form.errors for form in forms) else 200


def _paginate(request: HttpRequest, items, size: int = PAGE_SIZE):
    return Paginator(items, size).get_page(request.GET.get("page"))


# --- overview and settings --------------------------------------------------------------------


def _object_rows(engagement: Engagement) -> list[dict]:
    """Each target object with its latest upload and whether its mapping is saved."""
    uploads = selectors.latest_uploads(engagement=engagement)
    ready = selectors.latest_uploads(engagement=engagement, ready_only=True)
    mapped = set(
        MigrationMapping.objects.filter(target__engagement=engagement).values_list(
            "target_id", flat=True
        )
    )
    objects = MigrationObject.objects.filter(engagement=engagement).annotate(
        field_count=Count("fields")
    )
    return [
        {
            "object": obj,
            "upload": uploads.get(obj.pk),
            "ready": ready.get(obj.pk),
            "mapped": obj.pk in mapped,
        }
        for obj in objects
    ]


@workspace_view
@require_http_methods(["GET", "POST"])
def migration(request: HttpRequest, public_id) -> HttpResponse:
    """The workbench overview: where each object stands, the latest runs, the review queue,
    the current dataset, the gate check, and the migration's settings."""
    engagement = engagement_or_404(public_id)
    setup = selectors.migration_of(engagement=engagement)
    form = None
    if setup is not None:
        form = MigrationSettingsForm(request.POST or None, instance=setup, prefix="settings")
        if request.method == "POST" and form.is_valid():
            with refusal_on(form):
                services.migration_settings_update(
                    engagement=engagement, actor=request.user, **form.cleaned_data
                )
                messages.success(request, "Migration settings saved.")
                return redirect("migration", engagement.public_id)
    elif request.method == "POST":
        messages.error(request, "Set up the data migration first.")
        return redirect("migration", engagement.public_id)
    context = _page(
        request,
        "overview",
        engagement,
        setup=setup,
        form=form,
        objects=_object_rows(engagement) if setup else [],
        latest_runs=selectors.runs(engagement=engagement)[:3],
        pairs=selectors.pair_counts(engagement=engagement),
        current=selectors.current_dataset(engagement=engagement),
        check=selectors.readiness_check(engagement=engagement),
    )
    return render(request, "launch/migration/overview.html", context, status=_status(form))


@workspace_view
@require_POST
def migration_start(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    services.migration_start(engagement=engagement, actor=request.user)
    messages.success(
        request, "Data migration set up with the default account, contact, deal and "
        "activity schema. Upload the legacy exports next."
    )  # fmt: skip
    return redirect("migration", engagement.public_id)


# --- sources ----------------------------------------------------------------------------------


def _objects(engagement: Engagement) -> list[MigrationObject]:
    return list(MigrationObject.objects.filter(engagement=engagement))


@workspace_view
@require_http_methods(["GET", "POST"])
def migration_sources(request: HttpRequest, public_id) -> HttpResponse:
    """Upload a legacy export per object; every upload so far, newest first."""
    engagement = engagement_or_404(public_id)
    objects = _objects(engagement)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        objects=objects,
        prefix="upload",
        initial={"target": request.GET.get("object", "")},
    )
    if request.method == "POST" and form.is_valid():
        target = next(o for o in objects if o.name == form.cleaned_data["target"])
        with refusal_on(form):
            upload = services.source_upload(
                engagement=engagement,
                actor=request.user,
                target=target,
                uploaded=form.cleaned_data["file"],
            )
            if upload.status == SourceStatus.FAILED:
                form.add_error("file", f"Refused: {upload.error} Fix the file and choose it again.")
            else:
                if upload.status == SourceStatus.READY:
                    messages.success(
                        request, f"{upload.filename}: {upload.row_count:,} rows ready."
                    )
                return redirect("migration_source", engagement.public_id, upload.public_id)
    uploads = _paginate(
        request,
        SourceUpload.objects.filter(engagement=engagement).select_related(
            "target", "uploaded_by", "job"
        ),
    )
    context = _page(
        request,
        "sources",
        engagement,
        setup=selectors.migration_of(engagement=engagement),
        form=form,
        page=uploads,
    )
    return render(request, "launch/migration/sources.html", context, status=_status(form))


@workspace_view
@require_GET
def migration_source(request: HttpRequest, public_id, upload_id) -> HttpResponse:
    """One upload: what was detected and the first rows; polled while a big file is checked."""
    engagement = engagement_or_404(public_id)
    upload = get_object_or_404(
        SourceUpload.objects.select_related("target", "job", "uploaded_by"),
        engagement=engagement,
        public_id=upload_id,
    )
    context = _page(request, "sources", engagement, upload=upload)
    if request.htmx:
        response = render(request, "launch/migration/source.html#inspection", context)
        if upload.status != SourceStatus.INSPECTING:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "launch/migration/source.html", context)


# --- target schema ----------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def migration_schema(request: HttpRequest, public_id) -> HttpResponse:
    """The new CRM's objects and fields; the form to add an object."""
    engagement = engagement_or_404(public_id)
    form = ObjectForm(request.POST or None, prefix="object")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            obj = services.schema_object_add(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, f"{obj.label} added. Add its fields below.")
            return redirect(
                f"{reverse('migration_schema', args=[engagement.public_id])}#{obj.name}"
            )
    return _schema_page(request, engagement, object_form=form)


def _schema_page(
    request: HttpRequest,
    engagement: Engagement,
    *,
    object_form: ObjectForm | None = None,
    field_form: FieldForm | None = None,
    field_target: MigrationObject | None = None,
) -> HttpResponse:
    objects = list(selectors.schema_objects(engagement=engagement))
    for obj in objects:
        obj.add_form = (
            field_form
            if field_target is not None and field_target.pk == obj.pk
            else FieldForm(objects=objects, prefix=f"field-{obj.name}")
        )
    context = _page(
        request,
        "schema",
        engagement,
        setup=selectors.migration_of(engagement=engagement),
        objects=objects,
        object_form=object_form or ObjectForm(prefix="object"),
    )
    return render(
        request, "launch/migration/schema.html", context, status=_status(object_form, field_form)
    )


@workspace_view
@require_POST
def migration_field_add(request: HttpRequest, public_id, target_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    target = get_object_or_404(MigrationObject.objects, engagement=engagement, public_id=target_id)
    objects = _objects(engagement)
    form = FieldForm(request.POST, objects=objects, prefix=f"field-{target.name}")
    if form.is_valid():
        with refusal_on(form):
            field = services.schema_field_save(
                target=target, actor=request.user, **form.cleaned_data
            )
            messages.success(request, f"{target.label} · {field.label} added.")
            url = reverse("migration_schema", args=[engagement.public_id])
            return redirect(f"{url}#{target.name}")
    return _schema_page(request, engagement, field_form=form, field_target=target)


def _field(engagement: Engagement, field_id) -> MigrationField:
    return get_object_or_404(
        MigrationField.objects.select_related("target", "target__engagement"),
        target__engagement=engagement,
        public_id=field_id,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def migration_field_edit(request: HttpRequest, public_id, field_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    field = _field(engagement, field_id)
    objects = _objects(engagement)
    initial = {
        "label": field.label,
        "type": field.type,
        "required": field.required,
        "choices": "\n".join(field.choices),
        "reference": field.reference,
    }
    form = FieldForm(
        request.POST or None, objects=objects, edit=True, initial=initial, prefix="field"
    )
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.schema_field_save(
                target=field.target, actor=request.user, field=field, **form.cleaned_data
            )
            messages.success(request, f"{field.target.label} · {field.label} saved.")
            url = reverse("migration_schema", args=[engagement.public_id])
            return redirect(f"{url}#{field.target.name}")
    context = _page(request, "schema", engagement, field=field, form=form)
    return render(request, "launch/migration/field_edit.html", context, status=_status(form))


@workspace_view
@require_POST
def migration_field_delete(request: HttpRequest, public_id, field_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    field = _field(engagement, field_id)
    try:
        services.schema_field_delete(field=field, actor=request.user)
    except ApplicationError as error:
        if request.htmx:
            # The row is replaced by the reason (200: htmx swaps only successful answers).
            return HttpResponse(
                f'<tr><td colspan="6" role="alert" class="errorlist">{escape(error.message)}'
                "</td></tr>"
            )
        messages.error(request, error.message)
    else:
        if request.htmx:
            return HttpResponse("")  # the row goes
        messages.success(request, f"{field.target.label} · {field.label} removed.")
    url = reverse("migration_schema", args=[engagement.public_id])
    return redirect(f"{url}#{field.target.name}")


# --- mapping ----------------------------------------------------------------------------------


def _preview(upload: SourceUpload | None, rows: list[dict]) -> None:
    """Attach to each mapping row what its columns and transforms (as typed, or as saved) make
    of the first preview rows, checked against the field's type, so the consultant sees the
    effect (and values a run would reject) before running anything."""
    if upload is None:
        return
    headers = list(upload.headers)
    records = [dict(zip(headers, values, strict=False)) for values in upload.preview[:PREVIEW_ROWS]]
    for row in rows:
        source = row["source"].value()
        row["samples"] = []
        if not source:
            continue
        also = [c for c in (row["also"].value() or []) if c != source]
        specs = []
        for line in (row["transforms"].value() or "").splitlines():
            if line.strip():
                try:
                    specs.append(parse_transform(line))
                except TransformError:
                    continue  # the form shows the error beside the field
        for record in records:
            try:
                value = apply_transforms([record.get(c, "") for c in (source, *also)], specs)
                value = validate_value(row["field"], value)
            except TransformError as error:
                row["samples"].append(("", error.reason))
            except FieldError as error:
                row["samples"].append(("", error.message))
            else:
                row["samples"].append((value, ""))


@workspace_view
@require_http_methods(["GET", "POST"])
def migration_mapping(request: HttpRequest, public_id, target_id) -> HttpResponse:
    """Map one object's source columns onto its target fields, with suggestions by name and
    transforms per field; saved for every later run."""
    engagement = engagement_or_404(public_id)
    obj = get_object_or_404(selectors.schema_objects(engagement=engagement), public_id=target_id)
    target = selectors.target_object(obj)
    upload = selectors.latest_uploads(engagement=engagement, ready_only=True).get(obj.pk)
    stored = MigrationMapping.objects.filter(target=obj).first()
    setup = selectors.migration_of(engagement=engagement)
    region = setup.phone_region if setup else "GB"
    headers = list(upload.headers) if upload else []
    suggested = suggested_object_mapping(headers, target, phone_region=region) if upload else None
    use_suggestions = stored is None or request.GET.get("suggest") == "1"
    if stored is not None and not use_suggestions:
        initial = mapping_initial(
            id_column=stored.id_column,
            fields=[FieldMapping.from_json(f) for f in stored.fields],
            target_fields=target.fields,
        )
    elif suggested is not None:
        initial = mapping_initial(
            id_column=suggested.id_column, fields=suggested.fields, target_fields=target.fields
        )
    else:
        initial = {}
    # Fields without a column get their type's usual transforms, ready if a column is chosen.
    for f in target.fields:
        initial.setdefault(
            f"{f.name}-transforms",
            transform_lines(default_transforms(f, phone_region=region)),
        )
    form = MappingForm(
        request.POST or None,
        headers=headers,
        target_fields=target.fields,
        initial=initial,
        prefix="map",
    )
    warnings: list[str] = []
    if request.method == "POST" and upload is not None and form.is_valid():
        with refusal_on(form):
            _, warnings = services.mapping_save(
                target=obj,
                actor=request.user,
                id_column=form.cleaned_data["id_column"],
                fields=form.cleaned_data["mapping"],
                headers=headers,
            )
            messages.success(request, f"{obj.label} mapping saved.")
            for warning in warnings:
                messages.warning(request, warning)
            return redirect("migration_mapping", engagement.public_id, obj.public_id)
    elif request.method == "POST" and upload is None:
        form.is_valid()
        form.add_error(None, f"Upload a file for {obj.label} first.")
    rows = form.rows()
    suggestion = {}
    if suggested is not None:
        suggestion = {fm.target: fm.sources[0] for fm in suggested.fields}
    for row in rows:
        row["suggested"] = suggestion.get(row["field"].name)
    _preview(upload, rows)
    context = _page(
        request,
        "mapping",
        engagement,
        obj=obj,
        objects=_objects(engagement),
        upload=upload,
        stored=stored,
        using_suggestions=use_suggestions and suggested is not None,
        suggested_id=suggested.id_column if suggested else "",
        form=form,
        rows=rows,
        transform_help=TRANSFORM_HELP,
    )
    return render(request, "launch/migration/mapping.html", context, status=_status(form))


# --- runs -------------------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def migration_runs(request: HttpRequest, public_id) -> HttpResponse:
    """Every run, newest first, and the buttons to start a dry run or a commit run."""
    engagement = engagement_or_404(public_id)
    form = RunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            run = services.run_request(
                engagement=engagement, actor=request.user, kind=form.cleaned_data["kind"]
            )
            messages.success(request, f"{run} started.")
            return redirect("migration_run", engagement.public_id, run.public_id)
    context = _page(
        request,
        "runs",
        engagement,
        setup=selectors.migration_of(engagement=engagement),
        form=form,
        page=_paginate(request, selectors.runs(engagement=engagement)),
        pending=selectors.pending_pairs(engagement=engagement).count(),
    )
    return render(request, "launch/migration/runs.html", context, status=_status(form))


@workspace_view
@require_GET
def migration_run(request: HttpRequest, public_id, migration_run_id) -> HttpResponse:
    """One run: its progress while it runs; then its reconciliation per object and reason, and
    every rejected row with its reasons, page by page."""
    engagement = engagement_or_404(public_id)
    run = get_object_or_404(selectors.runs(engagement=engagement), public_id=migration_run_id)
    context = _page(request, "runs", engagement, run=run)
    if request.htmx:
        response = render(request, "launch/migration/run.html#progress", context)
        if run.job.is_finished:
            response["HX-Refresh"] = "true"
        return response
    object_name = request.GET.get("object", "")
    rejected = RejectedRow.objects.filter(run=run)
    if object_name:
        rejected = rejected.filter(object_name=object_name)
    labels = {t["name"]: t["label"] for t in run.inputs.get("schema", [])}
    rejected_page = _paginate(request, rejected)
    for row in rejected_page.object_list:
        row.label = labels.get(row.object_name, row.object_name)
    context.update(
        labels=labels,
        reconciliation=[
            {**rec, "label": labels.get(rec["object"], rec["object"])}
            for rec in run.reconciliation.get("objects", [])
        ],
        rejected=rejected_page,
        object_filter=object_name,
        dataset=getattr(run, "dataset", None),
    )
    return render(request, "launch/migration/run.html", context)


# --- review queue -----------------------------------------------------------------------------


def _field_labels(engagement: Engagement) -> dict[tuple[str, str], str]:
    """(object name, field name) → the field's label, in one query."""
    return {
        (object_name, name): label
        for object_name, name, label in MigrationField.objects.filter(
            target__engagement=engagement
        ).values_list("target__name", "name", "label")
    }


def _pair_rows(pairs, labels: dict[tuple[str, str], str]) -> list[dict]:
    """Each pair with its fields side by side (fields empty on both sides left out): label,
    left and right values, the field's similarity."""
    rows = []
    for pair in pairs:
        names = list(dict.fromkeys([*pair.left_values, *pair.right_values]))
        rows.append(
            {
                "pair": pair,
                "fields": [
                    {
                        "name": labels.get((pair.object_name, name), name),
                        "left": pair.left_values.get(name, ""),
                        "right": pair.right_values.get(name, ""),
                        "score": pair.field_scores.get(name),
                    }
                    for name in names
                    if pair.left_values.get(name) or pair.right_values.get(name)
                ],
            }
        )
    return rows


@workspace_view
@require_GET
def migration_review(request: HttpRequest, public_id) -> HttpResponse:
    """Suggested duplicates waiting for the consultant (or, with ?show=decided, decided ones)."""
    engagement = engagement_or_404(public_id)
    show = request.GET.get("show", "pending")
    pairs = DuplicatePair.objects.filter(engagement=engagement).select_related("decided_by")
    if show == "decided":
        pairs = pairs.exclude(decision=PairDecision.PENDING).order_by("-decided_at", "-id")
    else:
        show = "pending"
        pairs = pairs.filter(decision=PairDecision.PENDING)
    page = _paginate(request, pairs, size=10)
    context = _page(
        request,
        "review",
        engagement,
        page=page,
        rows=_pair_rows(page.object_list, _field_labels(engagement)),
        show=show,
        query=f"show={show}",
        counts=selectors.pair_counts(engagement=engagement),
    )
    return render(request, "launch/migration/review.html", context)


@workspace_view
@require_POST
def migration_pair_decide(request: HttpRequest, public_id, pair_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    pair = get_object_or_404(
        DuplicatePair.objects.select_related("engagement"), engagement=engagement, public_id=pair_id
    )
    form = DecisionForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.pair_decide(pair=pair, actor=request.user, **form.cleaned_data)
        except ApplicationError as failure:
            error = failure.message
    else:
        error = "Choose merge or keep apart."
    if request.htmx:
        context = {
            **_page(request, "review", engagement),
            "row": _pair_rows([pair], _field_labels(engagement))[0],
            "pair_error": error,
        }
        # The pair comes back with the reason on it (200: htmx swaps only successful answers).
        return render(request, "launch/migration/review.html#pair", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, f"{pair.left_id} and {pair.right_id}: {pair.get_decision_display()}."
        )
    back = request.POST.get("next", "")
    if not back.startswith("?"):
        back = ""
    return redirect(f"{reverse('migration_review', args=[engagement.public_id])}{back}")


# --- datasets ---------------------------------------------------------------------------------


@workspace_view
@require_GET
def migration_datasets(request: HttpRequest, public_id) -> HttpResponse:
    """Every committed dataset version with its files; the current one marked."""
    engagement = engagement_or_404(public_id)
    page = _paginate(
        request,
        selectors.datasets(engagement=engagement).prefetch_related("files"),
        size=10,
    )
    current = selectors.current_dataset(engagement=engagement)
    context = _page(request, "datasets", engagement, page=page, current=current)
    return render(request, "launch/migration/datasets.html", context)


def _dataset(engagement: Engagement, dataset_id) -> MigrationDataset:
    return get_object_or_404(
        selectors.datasets(engagement=engagement).select_related("engagement"),
        public_id=dataset_id,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def migration_dataset(request: HttpRequest, public_id, dataset_id) -> HttpResponse:
    """One dataset: its files, reconciliation, and the note explaining its rejected rows."""
    engagement = engagement_or_404(public_id)
    dataset = _dataset(engagement, dataset_id)
    form = NoteForm(request.POST or None, initial={"note": dataset.note}, prefix="note")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.dataset_note_save(dataset=dataset, actor=request.user, **form.cleaned_data)
            messages.success(request, f"Note on {dataset} saved.")
            return redirect("migration_dataset", engagement.public_id, dataset.public_id)
    current = selectors.current_dataset(engagement=engagement)
    setup = selectors.migration_of(engagement=engagement)
    context = _page(
        request,
        "datasets",
        engagement,
        dataset=dataset,
        run=dataset.run,
        files=dataset.files.all(),
        is_current=current is not None and current.pk == dataset.pk,
        threshold=setup.threshold_text if setup else None,
        form=form,
    )
    return render(request, "launch/migration/dataset.html", context, status=_status(form))


@workspace_view
@require_http_methods(["GET", "POST"])
def migration_rollback(request: HttpRequest, public_id, dataset_id) -> HttpResponse:
    """Confirm, then roll the current dataset back to the version before it."""
    engagement = engagement_or_404(public_id)
    dataset = _dataset(engagement, dataset_id)
    form = RollbackForm(request.POST or None, prefix="rollback")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.dataset_rollback(
                dataset=dataset, actor=request.user, reason=form.cleaned_data["reason"]
            )
            previous = selectors.current_dataset(engagement=engagement)
            messages.success(
                request,
                f"{dataset} rolled back. "
                + (f"{previous} is current again." if previous else "No dataset is current now."),
            )
            return redirect("migration_datasets", engagement.public_id)
    current = selectors.current_dataset(engagement=engagement)
    previous = (
        selectors.datasets(engagement=engagement)
        .filter(rolled_back_at__isnull=True, number__lt=dataset.number)
        .order_by("-number")
        .first()
    )
    context = _page(
        request,
        "datasets",
        engagement,
        dataset=dataset,
        previous=previous,
        is_current=current is not None and current.pk == dataset.pk,
        form=form,
    )
    return render(request, "launch/migration/rollback.html", context, status=_status(form))


@workspace_view
@require_GET
def migration_file_download(request: HttpRequest, public_id, dataset_file_id) -> FileResponse:
    engagement = engagement_or_404(public_id)
    stored = get_object_or_404(
        DatasetFile.objects, dataset__engagement=engagement, public_id=dataset_file_id
    )
    try:
        handle = services.stored_file_open(stored)
    except FileNotFoundError as error:
        raise Http404 from error
    return FileResponse(
        handle, as_attachment=True, filename=stored.filename, content_type=stored.content_type
    )
