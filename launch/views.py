"""Workspace pages of Phase 5 — Launch & Deployment."""

from contextlib import contextmanager
from datetime import timedelta
from statistics import median
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from engagements.access import workspace_view
from engagements.document_pages import document_section
from engagements.errors import ApplicationError
from engagements.models import Engagement, Stakeholder, StakeholderRole
from engagements.pages import (
    engagement_or_404,
    phase_page,
    refusal_on,
)
from engagements.phases import Phase
from launch import services
from launch.charts import incident_trend_svg
from launch.forms import (
    CommunicationForm,
    IncidentForm,
    IncidentUpdateForm,
    MonitoringCheckForm,
    PilotFeedbackForm,
    PlanForm,
    RollbackStepForm,
    RunbookStepForm,
    WaveDecisionForm,
    WaveForm,
    zone_or_none,
)
from launch.models import (
    Communication,
    Incident,
    IncidentCategory,
    IncidentSeverity,
    IncidentStatus,
    LaunchPlan,
    MonitoringCheck,
    RollbackStep,
    RunbookStep,
    Wave,
    WaveStatus,
)

TREND_DAYS = 14

# kind in the URL → (model, form)
PLAN_ITEMS = {
    "runbook": (RunbookStep, RunbookStepForm),
    "communication": (Communication, CommunicationForm),
    "monitoring": (MonitoringCheck, MonitoringCheckForm),
    "rollback": (RollbackStep, RollbackStepForm),
}


def _status(*forms) -> int:
    return 400 if any(form is not None and form.errors for form in forms) else 200


# --- launch plan ------------------------------------------------------------------------------


def _zone(plan: LaunchPlan | None) -> ZoneInfo:
    return zone_or_none(plan.time_zone if plan else "") or ZoneInfo("UTC")


@contextmanager
def _in_zone(zone: ZoneInfo):
    """Read and show the plan's dates in its own time zone: the one the cutover team works in.
    The whole request (parsing and rendering) runs inside, so typed times round-trip."""
    with timezone.override(zone):
        yield


def _plan_context(
    engagement: Engagement, plan: LaunchPlan | None, forms: dict | None = None
) -> dict:
    forms = forms or {}
    roles = dict(StakeholderRole.choices)
    communications = [
        (c, [roles.get(r, r) for r in c.audience_roles])
        for c in Communication.objects.filter(engagement=engagement)
    ]
    return {
        **phase_page(engagement, Phase.LAUNCH, "plan"),
        "plan": plan,
        "plan_form": forms.get("plan")
        or PlanForm(instance=plan, prefix="plan", initial={} if plan else {"time_zone": "UTC"}),
        "runbook": RunbookStep.objects.filter(engagement=engagement).select_related("done_by"),
        "communications": communications,
        "monitoring": MonitoringCheck.objects.filter(engagement=engagement),
        "rollback_steps": RollbackStep.objects.filter(engagement=engagement),
        "item_forms": {
            kind: forms.get(kind) or form_class(prefix=kind)
            for kind, (_, form_class) in PLAN_ITEMS.items()
        },
        "launch_plan_document": document_section("launch-plan", engagement),
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def launch(request: HttpRequest, public_id) -> HttpResponse:
    """The launch plan: cutover window, runbook, communications, monitoring, rollback, PDF."""
    engagement = engagement_or_404(public_id)
    plan = services.plan_for(engagement=engagement)
    # A changed time zone applies to the times typed with it.
    zone = zone_or_none(request.POST.get("plan-time_zone", "")) or _zone(plan)
    with _in_zone(zone):
        form = PlanForm(request.POST or None, instance=plan, prefix="plan")
        if request.method == "POST" and form.is_valid():
            with refusal_on(form):
                services.plan_update(engagement=engagement, actor=request.user, **form.cleaned_data)
                messages.success(request, "Cutover window saved.")
                return redirect("launch", engagement.public_id)
        context = _plan_context(engagement, plan, {"plan": form})
        return render(request, "launch/launch.html", context, status=_status(form))


def _kind(kind: str) -> tuple:
    if kind not in PLAN_ITEMS:
        raise Http404
    return PLAN_ITEMS[kind]


@workspace_view
@require_POST
def plan_item_add(request: HttpRequest, public_id, kind: str) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    model, form_class = _kind(kind)
    plan = services.plan_for(engagement=engagement)
    with _in_zone(_zone(plan)):
        form = form_class(request.POST, prefix=kind)
        if form.is_valid():
            with refusal_on(form):
                item = services.item_save(
                    engagement=engagement, actor=request.user, model=model, **form.cleaned_data
                )
                messages.success(request, f"“{item}” added.")
                return redirect(f"{reverse('launch', args=[engagement.public_id])}#{kind}")
        context = _plan_context(engagement, plan, {kind: form})
        return render(request, "launch/launch.html", context, status=400)


@workspace_view
@require_POST
def plan_item_delete(request: HttpRequest, public_id, kind: str, item_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    model, _ = _kind(kind)
    item = get_object_or_404(model.objects, engagement=engagement, public_id=item_id)
    services.item_delete(item=item, actor=request.user)
    messages.success(request, f"“{item}” removed.")
    return redirect(f"{reverse('launch', args=[engagement.public_id])}#{kind}")


@workspace_view
@require_POST
def runbook_tick(request: HttpRequest, public_id, step_id) -> HttpResponse:
    """Tick one step off (done=1) or untick it (done=0). Only that step's row changes, so
    people ticking other steps at the same time do not overwrite each other; htmx gets the row
    back, a plain post goes back to the runbook."""
    engagement = engagement_or_404(public_id)
    step = get_object_or_404(
        RunbookStep.objects.select_related("engagement"), engagement=engagement, public_id=step_id
    )
    error = None
    try:
        step = services.runbook_tick(
            step=step, actor=request.user, done=request.POST.get("done") == "1"
        )
    except ApplicationError as failure:
        error = failure.message
    if request.htmx:
        plan = services.plan_for(engagement=engagement)
        with _in_zone(_zone(plan)):
            context = {
                **phase_page(engagement, Phase.LAUNCH, "plan"),
                "step": step,
                "position": request.POST.get("position", ""),
                "step_error": error,
            }
            return render(request, "launch/launch.html#step", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"“{step}” {'done' if step.done_at else 'not done yet'}.")
    return redirect(f"{reverse('launch', args=[engagement.public_id])}#runbook")


# --- waves ------------------------------------------------------------------------------------


def _wave_members() -> Prefetch:
    return Prefetch("members", queryset=Stakeholder.objects.order_by("name"))


@workspace_view
@require_http_methods(["GET", "POST"])
def waves(request: HttpRequest, public_id) -> HttpResponse:
    """The rollout in waves, pilot first, and the form to plan one."""
    engagement = engagement_or_404(public_id)
    form = WaveForm(request.POST or None, engagement=engagement, prefix="wave")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        members = list(data.pop("members"))
        with refusal_on(form):
            wave = services.wave_save(
                engagement=engagement, actor=request.user, members=members, **data
            )
            messages.success(request, f"“{wave.name}” planned.")
            return redirect("wave", engagement.public_id, wave.public_id)
    context = {
        **phase_page(engagement, Phase.LAUNCH, "waves"),
        "waves": Wave.objects.filter(engagement=engagement).prefetch_related(_wave_members()),
        "form": form,
    }
    return render(request, "launch/waves.html", context, status=_status(form))


@workspace_view
@require_http_methods(["GET", "POST"])
def wave(request: HttpRequest, public_id, wave_id) -> HttpResponse:
    """One wave: details, its go/no-go decisions, going live or cancelling, pilot feedback.
    The posted button's name says which form it is: decide, set_status or feedback."""
    engagement = engagement_or_404(public_id)
    current = get_object_or_404(
        Wave.objects.select_related("engagement").prefetch_related(_wave_members()),
        engagement=engagement,
        public_id=wave_id,
    )
    post = request.POST if request.method == "POST" else None
    decision_form = WaveDecisionForm(post if "decide" in request.POST else None, prefix="decision")
    feedback_form = PilotFeedbackForm(
        post if "feedback" in request.POST else None, prefix="feedback"
    )
    back = reverse("wave", args=[engagement.public_id, current.public_id])
    if post is not None and "set_status" in post:
        services.wave_set_status(wave=current, actor=request.user, status=post.get("status", ""))
        messages.success(request, f"{current.name}: {current.get_status_display()}.")
        return redirect(back)
    if decision_form.is_bound and decision_form.is_valid():
        with refusal_on(decision_form):
            services.wave_decide(wave=current, actor=request.user, **decision_form.cleaned_data)
            messages.success(request, f"{current.name}: {current.get_status_display()} recorded.")
            return redirect(f"{back}#decisions")
    if feedback_form.is_bound and feedback_form.is_valid():
        with refusal_on(feedback_form):
            services.pilot_feedback_add(
                wave=current, actor=request.user, **feedback_form.cleaned_data
            )
            messages.success(request, "Feedback recorded.")
            return redirect(f"{back}#feedback")
    context = {
        **phase_page(engagement, Phase.LAUNCH, "waves"),
        "wave": current,
        "decisions": current.decisions.select_related("decided_by"),
        "feedback": current.feedback.all(),
        "decision_form": decision_form,
        "feedback_form": feedback_form,
        "WaveStatus": WaveStatus,
    }
    status = 400 if post is not None else _status(decision_form, feedback_form)
    return render(request, "launch/wave.html", context, status=status)


# --- hypercare --------------------------------------------------------------------------------


def _minutes(durations: list[timedelta]) -> int | None:
    return round(median(durations).total_seconds() / 60) if durations else None


def _hypercare_summary(engagement: Engagement) -> dict:
    """Open incidents by category × severity, the median response and resolution times, and
    the daily trend; from one read of the engagement's incident timestamps."""
    rows = list(
        Incident.objects.filter(engagement=engagement).values(
            "category", "severity", "status", "created_at", "first_response_at", "resolved_at"
        )
    )
    open_rows = [r for r in rows if r["status"] != IncidentStatus.RESOLVED]
    matrix = [
        {
            "label": label,
            "cells": [
                sum(1 for r in open_rows if r["category"] == category and r["severity"] == sev)
                for sev in IncidentSeverity.values
            ],
            "total": sum(1 for r in open_rows if r["category"] == category),
        }
        for category, label in IncidentCategory.choices
    ]
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    opened = [timezone.localdate(r["created_at"]) for r in rows]
    resolved = [timezone.localdate(r["resolved_at"]) for r in rows if r["resolved_at"]]
    return {
        "matrix": matrix,
        "severities": IncidentSeverity.choices,
        "severity_totals": [
            sum(1 for r in open_rows if r["severity"] == sev) for sev in IncidentSeverity.values
        ],
        "open_count": len(open_rows),
        "median_response": _minutes(
            [r["first_response_at"] - r["created_at"] for r in rows if r["first_response_at"]]
        ),
        "median_resolution": _minutes(
            [r["resolved_at"] - r["created_at"] for r in rows if r["resolved_at"]]
        ),
        "trend": incident_trend_svg(
            [(day, opened.count(day), resolved.count(day)) for day in days]
        ),
        "trend_days": TREND_DAYS,
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def hypercare(request: HttpRequest, public_id) -> HttpResponse:
    """The hypercare dashboard: open incidents, response times, the trend, the incident list
    and the form to report one."""
    engagement = engagement_or_404(public_id)
    form = IncidentForm(request.POST or None, prefix="incident")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            incident = services.incident_report(
                engagement=engagement, reporter=request.user, **form.cleaned_data
            )
            messages.success(request, f"Incident “{incident.title}” reported.")
            return redirect("incident", engagement.public_id, incident.public_id)
    incidents = Incident.objects.filter(engagement=engagement).select_related("assignee")
    context = {
        **phase_page(engagement, Phase.LAUNCH, "hypercare"),
        **_hypercare_summary(engagement),
        "incidents": incidents,
        "now": timezone.now(),
        "form": form,
    }
    return render(request, "launch/hypercare.html", context, status=_status(form))


@workspace_view
@require_http_methods(["GET", "POST"])
def incident(request: HttpRequest, public_id, incident_id) -> HttpResponse:
    """One incident: details, the escalations recorded, and the form to update it."""
    engagement = engagement_or_404(public_id)
    current = get_object_or_404(
        Incident.objects.select_related("reported_by", "assignee"),
        engagement=engagement,
        public_id=incident_id,
    )
    form = IncidentUpdateForm(
        request.POST or None,
        prefix="update",
        initial={"status": current.status, "assignee": current.assignee_id},
    )
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.incident_update(incident=current, actor=request.user, **form.cleaned_data)
            messages.success(request, "Incident updated.")
            return redirect("incident", engagement.public_id, current.public_id)
    context = {
        **phase_page(engagement, Phase.LAUNCH, "hypercare"),
        "incident": current,
        "escalations": current.escalations.all(),
        "response_minutes": services.response_minutes(
            engagement=engagement, severity=current.severity
        ),
        "form": form,
    }
    return render(request, "launch/incident.html", context, status=_status(form))
