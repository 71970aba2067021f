"""Workspace pages of adoption tracking (Phase 6): the dashboard, usage data in (CSV uploads and
what became of each batch), the alerts, and what the metrics measure (thresholds, key features,
required fields).

Usage data and adoption settings can change whatever the phase's gate state: usage keeps
arriving after the launch and through ongoing support, and none of it is in the sign-off
snapshot (open critical alerts are a readiness check instead)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enablement.charts import role_trend_svg
from enablement.forms.adoption import (
    AdoptionSettingsForm,
    KeyFeatureForm,
    LoginCsvForm,
    RecordExportForm,
    RequiredFieldForm,
    ThresholdsForm,
)
from enablement.models import KeyFeature, Metric, RequiredField, UploadStatus, UsageUpload
from enablement.selectors import adoption as selectors
from enablement.selectors.training import training_completion_by_role
from enablement.services import alerts, metrics, usage
from engagements.access import workspace_view
from engagements.models import Engagement, Job, StakeholderRole
from engagements.pages import engagement_or_404, phase_page, refusal_on
from engagements.phases import Phase

PAGE_SIZE = 20
ERRORS_PAGE_SIZE = 50
WEEK_CHOICES = (8, 12, 26)
METRICS_JOB = metrics.METRICS_JOB
CHART_SCALE = {
    Metric.SCORE: (100, ""),
    Metric.ACTIVE_DAYS: (5, " d"),
    Metric.COMPLETENESS: (100, "%"),
    Metric.UTILISATION: (100, "%"),
}


def _weeks(request: HttpRequest) -> int:
    try:
        weeks = int(request.GET.get("weeks", 12))
    except ValueError:
        return 12
    return weeks if weeks in WEEK_CHOICES else 12


DASHBOARD_ALERTS = 10


def dashboard_context(engagement: Engagement, *, weeks: int, charts_prefix: str, only=None) -> dict:
    """What the adoption dashboard shows, in the workspace and the portal. A fixed number of
    queries, whatever the number of people, weeks or events. With `only` (a stakeholder), the
    people and alerts shown are theirs alone."""
    today = timezone.localdate()
    chart_weeks = selectors.chart_weeks(today=today, count=weeks)
    recent = selectors.completed_weeks(today=today, count=selectors.RECENT_WEEKS)
    trends = selectors.role_trends(engagement=engagement, weeks=chart_weeks)
    charts = []
    for metric in selectors.CHART_METRICS:
        top, unit = CHART_SCALE[metric]
        charts.append(
            {
                "metric": metric,
                "label": metric.label,
                "svg": role_trend_svg(
                    title=metric.label,
                    weeks=chart_weeks,
                    series=trends[metric.value],
                    top=top,
                    unit=unit,
                    chart_id=f"{charts_prefix}-{metric.value}",
                ),
            }
        )
    summary = selectors.adoption_summary(engagement=engagement, today=today)
    completion = training_completion_by_role(engagement=engagement)
    alerts = selectors.open_alerts(engagement=engagement)
    if only is not None:
        alerts = alerts.filter(stakeholder=only)
    return {
        "weeks": weeks,
        "week_choices": WEEK_CHOICES,
        "charts": charts,
        "summary": summary,
        "recent_from": recent[-1],
        "recent_to": recent[0],
        "weakest_users": selectors.weakest_users(engagement=engagement, weeks=recent, only=only),
        "weakest_features": selectors.weakest_features(engagement=engagement, weeks=recent),
        "alert_count": alerts.count(),
        "alerts": list(alerts[:DASHBOARD_ALERTS]),
        "training_rows": selectors.training_beside_adoption(
            engagement=engagement, completion=completion, week=summary["last_week"]
        ),
    }


def _adoption_page(engagement: Engagement, tab: str) -> dict:
    return {**phase_page(engagement, Phase.ENABLEMENT, "adoption"), "tab": tab}


# --- dashboard ------------------------------------------------------------------------------------


@workspace_view
@require_GET
def adoption(request: HttpRequest, public_id) -> HttpResponse:
    """The adoption dashboard: trends per metric and role, the weakest people and features,
    open alerts, and training completion beside adoption."""
    engagement = engagement_or_404(public_id)
    context = {
        **_adoption_page(engagement, "dashboard"),
        **dashboard_context(engagement, weeks=_weeks(request), charts_prefix="trend"),
        "job": Job.objects.filter(engagement=engagement, kind=METRICS_JOB).first(),
    }
    return render(request, "enablement/adoption.html", context)


@workspace_view
@require_POST
def adoption_recompute(request: HttpRequest, public_id) -> HttpResponse:
    """Recompute the weeks waiting now instead of at the next scheduled run, then the alerts."""
    engagement = engagement_or_404(public_id)
    metrics.metrics_recompute_request(engagement=engagement, actor=request.user)
    messages.success(request, "Recomputing adoption metrics…")
    return redirect(f"{reverse('adoption', args=[engagement.public_id])}#metrics-job")


@workspace_view
@require_GET
def adoption_job(request: HttpRequest, public_id, metrics_job_id) -> HttpResponse:
    """The recompute job's progress, polled by htmx until it is finished."""
    engagement = engagement_or_404(public_id)
    job = get_object_or_404(
        Job.objects, engagement=engagement, kind=METRICS_JOB, public_id=metrics_job_id
    )
    context = {"engagement": engagement, "job": job}
    return render(request, "enablement/adoption.html#metrics-job", context)


# --- usage data in -------------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def adoption_data(request: HttpRequest, public_id) -> HttpResponse:
    """Upload a login-history CSV (`form=logins`) or a record export (`form=records`), and the
    uploads so far with what became of each."""
    engagement = engagement_or_404(public_id)
    which = request.POST.get("form") if request.method == "POST" else None
    post, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    objects = sorted(
        set(
            RequiredField.objects.filter(engagement=engagement).values_list(
                "object_name", flat=True
            )
        )
    )
    login_form = LoginCsvForm(post if which == "logins" else None, files, prefix="logins")
    record_form = RecordExportForm(
        post if which == "records" else None, files, prefix="records", objects=objects
    )
    form = {"logins": login_form, "records": record_form}.get(which)
    if form is not None and form.is_valid():
        data = dict(form.cleaned_data)
        upload_file = data.pop("file")
        with refusal_on(form):
            ingest = usage.login_csv_ingest if which == "logins" else usage.record_export_ingest
            upload = ingest(
                engagement=engagement,
                data=upload_file.read(),
                filename=upload_file.name,
                actor=request.user,
                **data,
            )
            if upload.status == UploadStatus.ACCEPTED:
                messages.success(
                    request,
                    f"{upload.filename}: {upload.stored} new events stored, "
                    f"{upload.duplicates} already known, {upload.skipped} skipped. "
                    "The metrics update at the next run, or recompute now on the dashboard.",
                )
            else:
                messages.error(
                    request,
                    f"{upload.filename} was not imported: {upload.rejected} rows have problems. "
                    "Nothing was stored; fix the rows below and upload the file again.",
                )
            return redirect("adoption_upload", engagement.public_id, upload.public_id)
    uploads = selectors.upload_list(engagement=engagement)
    context = {
        **_adoption_page(engagement, "data"),
        "login_form": login_form,
        "record_form": record_form,
        "page": Paginator(uploads, PAGE_SIZE).get_page(request.GET.get("page")),
        "required_objects": objects,
        "max_api_events": usage.MAX_API_EVENTS,
    }
    status = 400 if form is not None else 200
    return render(request, "enablement/adoption_data.html", context, status=status)


@workspace_view
@require_GET
def adoption_upload(request: HttpRequest, public_id, usage_upload_id) -> HttpResponse:
    """One upload: its counts, and its rejected rows with their reasons, paginated."""
    engagement = engagement_or_404(public_id)
    upload = get_object_or_404(
        UsageUpload.objects.select_related("uploaded_by", "api_key"),
        engagement=engagement,
        public_id=usage_upload_id,
    )
    context = {
        **_adoption_page(engagement, "data"),
        "upload": upload,
        "page": Paginator(upload.errors, ERRORS_PAGE_SIZE).get_page(request.GET.get("page")),
        "truncated": upload.rejected > len(upload.errors),
    }
    return render(request, "enablement/adoption_upload.html", context)


# --- alerts ---------------------------------------------------------------------------------------


@workspace_view
@require_GET
def adoption_alerts(request: HttpRequest, public_id) -> HttpResponse:
    """Open alerts with their interventions, and the closed ones, paginated."""
    engagement = engagement_or_404(public_id)
    context = {
        **_adoption_page(engagement, "alerts"),
        "open_page": Paginator(selectors.open_alerts(engagement=engagement), PAGE_SIZE).get_page(
            request.GET.get("open")
        ),
        "page": Paginator(selectors.closed_alerts(engagement=engagement), PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
        "weeks_rule": alerts.consecutive_weeks(engagement=engagement),
    }
    return render(request, "enablement/adoption_alerts.html", context)


# --- settings -------------------------------------------------------------------------------------


def _settings_context(engagement: Engagement, forms: dict | None = None) -> dict:
    forms = forms or {}
    thresholds = alerts.thresholds_for(engagement=engagement)
    features = list(KeyFeature.objects.filter(engagement=engagement))
    required = list(RequiredField.objects.filter(engagement=engagement))
    have = {(f.object_name, f.field_name) for f in required}
    by_role = [
        (
            role,
            label,
            [f for f in features if f.role == role],
            [
                n
                for n in metrics.DEFAULT_KEY_FEATURES.get(role, [])
                if n not in {f.name for f in features if f.role == role}
            ],
        )
        for role, label in StakeholderRole.choices
    ]
    return {
        **_adoption_page(engagement, "settings"),
        "settings_form": forms.get("settings")
        or AdoptionSettingsForm(
            initial={"consecutive_weeks": alerts.consecutive_weeks(engagement=engagement)},
            prefix="settings",
        ),
        "thresholds_form": forms.get("thresholds")
        or ThresholdsForm(thresholds=thresholds, prefix="t"),
        "feature_form": forms.get("feature") or KeyFeatureForm(prefix="feature"),
        "field_form": forms.get("field") or RequiredFieldForm(prefix="field"),
        "features_by_role": by_role,
        "required_fields": required,
        "suggested_fields": [
            (name, missing)
            for name, fields in metrics.DEFAULT_REQUIRED_FIELDS.items()
            if (missing := [f for f in fields if (name, f) not in have])
        ],
        "weights": metrics.WEIGHTS,
        "full_activity_days": metrics.FULL_ACTIVITY_DAYS,
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def adoption_settings(request: HttpRequest, public_id) -> HttpResponse:
    """Thresholds per role and metric, and the weeks below before an alert."""
    engagement = engagement_or_404(public_id)
    post = request.POST if request.method == "POST" else None
    settings_form = AdoptionSettingsForm(post, prefix="settings")
    thresholds_form = ThresholdsForm(
        post, thresholds=alerts.thresholds_for(engagement=engagement), prefix="t"
    )
    if post is not None:
        if settings_form.is_valid() and thresholds_form.is_valid():
            with refusal_on(thresholds_form):
                alerts.adoption_settings_update(
                    engagement=engagement,
                    actor=request.user,
                    consecutive_weeks=settings_form.cleaned_data["consecutive_weeks"],
                    thresholds=thresholds_form.values(),
                )
                messages.success(
                    request, "Thresholds saved. Alerts follow them from the next alerts run."
                )
                return redirect("adoption_settings", engagement.public_id)
        context = _settings_context(
            engagement, {"settings": settings_form, "thresholds": thresholds_form}
        )
        return render(request, "enablement/adoption_settings.html", context, status=400)
    return render(request, "enablement/adoption_settings.html", _settings_context(engagement))


def _back_to_settings(engagement: Engagement, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('adoption_settings', args=[engagement.public_id])}#{anchor}")


@workspace_view
@require_POST
def adoption_feature_add(request: HttpRequest, public_id) -> HttpResponse:
    """Add a key feature to a role, or (`suggested=<role>`) the framework's suggestions."""
    engagement = engagement_or_404(public_id)
    role = request.POST.get("suggested")
    if role is not None:
        if role not in StakeholderRole.values:
            messages.error(request, "Choose a role to add suggested features to.")
        else:
            added = metrics.key_features_add_suggested(
                engagement=engagement, actor=request.user, role=role
            )
            messages.success(request, f"{added} suggested key features added.")
        return _back_to_settings(engagement, "key-features")
    form = KeyFeatureForm(request.POST, prefix="feature")
    if form.is_valid():
        with refusal_on(form):
            feature = metrics.key_feature_add(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(
                request,
                f"“{feature.name}” is a key feature of {feature.get_role_display()}. "
                "Utilisation is recomputed at the next run.",
            )
            return _back_to_settings(engagement, "key-features")
    context = _settings_context(engagement, {"feature": form})
    return render(request, "enablement/adoption_settings.html", context, status=400)


@workspace_view
@require_POST
def adoption_feature_delete(request: HttpRequest, public_id, key_feature_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    feature = get_object_or_404(KeyFeature.objects, engagement=engagement, public_id=key_feature_id)
    metrics.key_feature_remove(feature=feature, actor=request.user)
    messages.success(request, f"“{feature.name}” is no longer a key feature.")
    return _back_to_settings(engagement, "key-features")


@workspace_view
@require_POST
def adoption_field_add(request: HttpRequest, public_id) -> HttpResponse:
    """Add a required field, or (`suggested=1`) the suggested ones."""
    engagement = engagement_or_404(public_id)
    if request.POST.get("suggested"):
        added = metrics.required_fields_add_suggested(engagement=engagement, actor=request.user)
        messages.success(request, f"{added} suggested required fields added.")
        return _back_to_settings(engagement, "required-fields")
    form = RequiredFieldForm(request.POST, prefix="field")
    if form.is_valid():
        with refusal_on(form):
            field = metrics.required_field_add(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, f"“{field.field_name}” is required on {field.object_name}.")
            return _back_to_settings(engagement, "required-fields")
    context = _settings_context(engagement, {"field": form})
    return render(request, "enablement/adoption_settings.html", context, status=400)


@workspace_view
@require_POST
def adoption_field_delete(request: HttpRequest, public_id, required_field_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    field = get_object_or_404(
        RequiredField.objects, engagement=engagement, public_id=required_field_id
    )
    metrics.required_field_remove(field=field, actor=request.user)
    messages.success(request, f"“{field.field_name}” is no longer required on {field.object_name}.")
    return _back_to_settings(engagement, "required-fields")


# --- portal ---------------------------------------------------------------------------------------

TEAM_VIEWERS = (StakeholderRole.MANAGER, StakeholderRole.LEADERSHIP)


def portal_adoption_context(request: HttpRequest, engagement: Engagement, me) -> dict:
    """The portal dashboard (enablement/portal.py renders it). Approvers, managers and
    leadership see the team view: the people lowest in adoption and every open alert; anyone
    else sees the role trends, the features, and their own figures and alerts only."""
    sees_team = me.is_approver or me.role in TEAM_VIEWERS
    context = dashboard_context(
        engagement,
        weeks=_weeks(request),
        charts_prefix="portal-trend",
        only=None if sees_team else me,
    )
    return {**context, "engagement": engagement, "me": me, "sees_team": sees_team}
