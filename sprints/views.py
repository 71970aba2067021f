"""Workspace pages of Phase 4 — Build, Test & Optimize."""

import os

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from architecture.models import Integration, Stage
from engagements.access import workspace_view
from engagements.errors import ApplicationError
from engagements.models import Engagement
from engagements.pages import engagement_or_404, phase_page, refusal_on
from engagements.phases import Phase
from sprints import services
from sprints.charts import burn_up_svg
from sprints.forms import (
    CheckInForm,
    DeliverableForm,
    ScenarioForm,
    SprintForm,
    StepForm,
    TriageForm,
    UatRoundForm,
)
from sprints.models import (
    Deliverable,
    DeliverableStatus,
    Feedback,
    RunOutcome,
    Scenario,
    ScenarioStep,
    Sprint,
    StepResult,
    TestRun,
    Triage,
    UatRound,
)
from sprints.selectors import RunState, scenario_run_state, scenario_run_states


def _status(*forms) -> int:
    return 400 if any(form is not None and form.errors for form in forms) else 200


# --- sprints ----------------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def sprints(request: HttpRequest, public_id) -> HttpResponse:
    """The phase's home: the sprints with their progress, and the form to plan one."""
    engagement = engagement_or_404(public_id)
    form = SprintForm(request.POST or None, prefix="sprint")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            sprint = services.sprint_save(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, f"“{sprint.name}” planned: add its deliverables.")
            return redirect("sprint", engagement.public_id, sprint.public_id)
    rows = Sprint.objects.filter(engagement=engagement).annotate(
        total=Count("deliverables"),
        done=Count("deliverables", filter=Q(deliverables__status=DeliverableStatus.DONE)),
    )
    context = {
        **phase_page(engagement, Phase.BUILD, "sprints"),
        "sprints": rows,
        "form": form,
    }
    return render(request, "sprints/sprints.html", context, status=_status(form))


def _sprint(engagement: Engagement, sprint_id) -> Sprint:
    return get_object_or_404(Sprint.objects, engagement=engagement, public_id=sprint_id)


def _board(sprint: Sprint) -> list[dict]:
    """The deliverables in one column per status, each card with the moves it can make."""
    deliverables = list(
        Deliverable.objects.filter(sprint=sprint).select_related(
            "stage", "integration", "reporting_item"
        )
    )
    return [
        {
            "status": status,
            "label": label,
            "cards": [d for d in deliverables if d.status == status],
            "moves": [choice for choice in DeliverableStatus.choices if choice[0] != status],
        }
        for status, label in DeliverableStatus.choices
    ]


def _sprint_context(
    engagement: Engagement,
    sprint: Sprint,
    deliverable_form: DeliverableForm | None = None,
    check_in_form: CheckInForm | None = None,
) -> dict:
    return {
        **phase_page(engagement, Phase.BUILD, "sprints"),
        "sprint": sprint,
        "board": _board(sprint),
        "burn_up": burn_up_svg(
            services.burn_up(sprint=sprint),
            sprint_days=(sprint.end_date - sprint.start_date).days + 1,
        ),
        "check_ins": sprint.check_ins.all(),
        "deliverable_form": deliverable_form
        or DeliverableForm(engagement=engagement, prefix="deliverable"),
        "check_in_form": check_in_form or CheckInForm(prefix="check_in"),
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def sprint(request: HttpRequest, public_id, sprint_id) -> HttpResponse:
    """The sprint's goal, its board of deliverables, the burn-up and the check-ins."""
    engagement = engagement_or_404(public_id)
    current = _sprint(engagement, sprint_id)
    form = DeliverableForm(request.POST or None, engagement=engagement, prefix="deliverable")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.deliverable_save(sprint=current, actor=request.user, **form.cleaned_data)
            messages.success(request, "Deliverable added.")
            return redirect("sprint", engagement.public_id, current.public_id)
    context = _sprint_context(engagement, current, deliverable_form=form)
    return render(request, "sprints/sprint.html", context, status=_status(form))


@workspace_view
@require_POST
def check_in(request: HttpRequest, public_id, sprint_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    current = _sprint(engagement, sprint_id)
    form = CheckInForm(request.POST, prefix="check_in")
    if form.is_valid():
        with refusal_on(form):
            services.check_in_add(sprint=current, actor=request.user, **form.cleaned_data)
            messages.success(request, "Check-in recorded.")
            return redirect(
                f"{reverse('sprint', args=[engagement.public_id, current.public_id])}#check-ins"
            )
    context = _sprint_context(engagement, current, check_in_form=form)
    return render(request, "sprints/sprint.html", context, status=400)


@workspace_view
@require_POST
def deliverable_move(request: HttpRequest, public_id, deliverable_id) -> HttpResponse:
    """Move a card; htmx gets the board back, a plain form post goes back to the sprint."""
    engagement = engagement_or_404(public_id)
    deliverable = get_object_or_404(
        Deliverable.objects.select_related("sprint"),
        engagement=engagement,
        public_id=deliverable_id,
    )
    error = None
    try:
        services.deliverable_move(
            deliverable=deliverable, actor=request.user, status=request.POST.get("status", "")
        )
    except ApplicationError as failure:
        error = failure.message
    if request.htmx:
        context = {
            **phase_page(engagement, Phase.BUILD, "sprints"),
            "sprint": deliverable.sprint,
            "board": _board(deliverable.sprint),
            "board_error": error,
        }
        return render(request, "sprints/sprint.html#board", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, f"“{deliverable.title}” moved to {deliverable.get_status_display()}."
        )
    return redirect(
        f"{reverse('sprint', args=[engagement.public_id, deliverable.sprint.public_id])}#board"
    )


# --- scenarios --------------------------------------------------------------------------------


def _matrix(engagement: Engagement, state: dict[int, RunState]) -> dict:
    """The blueprint's stages and integrations, each covered when a step of a proven scenario
    walks through it. Four queries, whatever the size."""
    steps = ScenarioStep.objects.filter(scenario__engagement=engagement).values(
        "scenario_id", "scenario__title", "stage_id", "integration_id"
    )
    by_stage: dict[int, set[str]] = {}
    by_integration: dict[int, set[str]] = {}
    proven_stages: set[int] = set()
    proven_integrations: set[int] = set()
    for step in steps:
        proven = step["scenario_id"] in state and state[step["scenario_id"]].proven
        if step["stage_id"]:
            by_stage.setdefault(step["stage_id"], set()).add(step["scenario__title"])
            if proven:
                proven_stages.add(step["stage_id"])
        if step["integration_id"]:
            by_integration.setdefault(step["integration_id"], set()).add(step["scenario__title"])
            if proven:
                proven_integrations.add(step["integration_id"])

    def rows(items, linked, proven) -> list[dict]:
        return [
            {
                "item": item,
                "scenarios": sorted(linked.get(item.pk, ())),
                "covered": item.pk in proven,
            }
            for item in items
        ]

    return {
        "stages": rows(Stage.objects.filter(engagement=engagement), by_stage, proven_stages),
        "integrations": rows(
            Integration.objects.filter(engagement=engagement), by_integration, proven_integrations
        ),
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def scenarios(request: HttpRequest, public_id) -> HttpResponse:
    """End-to-end scenarios with their last run, and the blueprint coverage matrix."""
    engagement = engagement_or_404(public_id)
    form = ScenarioForm(request.POST or None, prefix="scenario")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            created = services.scenario_save(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, f"“{created.title}” created: add its steps.")
            return redirect("scenario", engagement.public_id, created.public_id)
    state = scenario_run_states(engagement=engagement)
    rows = [
        {"scenario": s, "last": run.last, "outcome": run.outcome, "proven": run.proven}
        for s in Scenario.objects.filter(engagement=engagement).annotate(step_count=Count("steps"))
        for run in [state.get(s.pk, RunState())]
    ]
    context = {
        **phase_page(engagement, Phase.BUILD, "scenarios"),
        "rows": rows,
        "matrix": _matrix(engagement, state),
        "form": form,
    }
    return render(request, "sprints/scenarios.html", context, status=_status(form))


def _scenario(engagement: Engagement, scenario_id) -> Scenario:
    return get_object_or_404(Scenario.objects, engagement=engagement, public_id=scenario_id)


@workspace_view
@require_http_methods(["GET", "POST"])
def scenario(request: HttpRequest, public_id, scenario_id) -> HttpResponse:
    """The ordered steps, the scenario's own fields, and its runs with each step's result."""
    engagement = engagement_or_404(public_id)
    current = _scenario(engagement, scenario_id)
    posted = request.POST if request.method == "POST" else None
    step_form = StepForm(
        posted if "add_step" in request.POST else None, engagement=engagement, prefix="step"
    )
    edit_form = ScenarioForm(
        posted if "edit" in request.POST else None, instance=current, prefix="scenario"
    )
    if request.method == "POST":
        if "remove_step" in request.POST:
            step = get_object_or_404(
                ScenarioStep.objects, scenario=current, public_id=request.POST["remove_step"]
            )
            services.step_delete(step=step, actor=request.user)
            messages.success(request, "Step removed.")
            return redirect("scenario", engagement.public_id, current.public_id)
        for form, save, done in (
            (step_form, _step_add, "Step added."),
            (edit_form, _scenario_edit, "Scenario saved."),
        ):
            if form.is_bound and form.is_valid():
                with refusal_on(form):
                    save(current, request, form.cleaned_data)
                    messages.success(request, done)
                    return redirect("scenario", engagement.public_id, current.public_id)
        if not (step_form.is_bound or edit_form.is_bound):
            messages.error(request, "Unknown action.")
            return redirect("scenario", engagement.public_id, current.public_id)
    runs = (
        TestRun.objects.filter(scenario=current)
        .select_related("run_by", "uat_round")
        .prefetch_related(Prefetch("results", StepResult.objects.select_related("step")))
    )
    context = {
        **phase_page(engagement, Phase.BUILD, "scenarios"),
        "scenario": current,
        "steps": ScenarioStep.objects.filter(scenario=current).select_related(
            "stage", "integration"
        ),
        "runs": runs,
        "state": scenario_run_state(scenario=current),
        "step_form": step_form,
        "edit_form": edit_form,
    }
    return render(request, "sprints/scenario.html", context, status=_status(step_form, edit_form))


def _step_add(current: Scenario, request: HttpRequest, data: dict) -> None:
    services.step_add(scenario=current, actor=request.user, **data)


def _scenario_edit(current: Scenario, request: HttpRequest, data: dict) -> None:
    services.scenario_save(
        engagement=current.engagement, actor=request.user, scenario=current, **data
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def scenario_run(request: HttpRequest, public_id, scenario_id) -> HttpResponse:
    """Walk the scenario: a result, notes and optional evidence per step."""
    engagement = engagement_or_404(public_id)
    current = _scenario(engagement, scenario_id)
    steps = list(
        ScenarioStep.objects.filter(scenario=current).select_related("stage", "integration")
    )
    error = None
    if request.method == "POST":
        results = {
            step.pk: {
                "status": request.POST.get(f"status-{step.public_id}", ""),
                "notes": request.POST.get(f"notes-{step.public_id}", "").strip(),
                "evidence": request.FILES.get(f"evidence-{step.public_id}"),
            }
            for step in steps
        }
        try:
            run = services.run_record(scenario=current, runner=request.user, results=results)
        except ApplicationError as failure:
            error = failure.message
            if failure.field == "evidence":
                error += " Nothing was saved: choose the files again."
        else:
            messages.success(request, f"Run recorded: {run.get_outcome_display().lower()}.")
            return redirect("scenario", engagement.public_id, current.public_id)
    rows = [
        {
            "step": step,
            "status": request.POST.get(f"status-{step.public_id}", ""),
            "notes": request.POST.get(f"notes-{step.public_id}", ""),
        }
        for step in steps
    ]
    context = {
        **phase_page(engagement, Phase.BUILD, "scenarios"),
        "scenario": current,
        "rows": rows,
        "outcomes": RunOutcome.choices,
        "error": error,
        "accept": ",".join(sorted(services.EVIDENCE_TYPES)),
    }
    return render(request, "sprints/scenario_run.html", context, status=400 if error else 200)


@workspace_view
@require_GET
def evidence_download(request: HttpRequest, public_id, run_id, result_id) -> FileResponse:
    engagement = engagement_or_404(public_id)
    run = get_object_or_404(TestRun.objects, scenario__engagement=engagement, public_id=run_id)
    result = get_object_or_404(StepResult.objects, run=run, public_id=result_id)
    if not result.evidence:
        raise Http404
    try:
        handle = default_storage.open(result.evidence, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=result.evidence_name or os.path.basename(result.evidence),
    )


# --- user acceptance testing ------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def uat(request: HttpRequest, public_id) -> HttpResponse:
    """Test rounds in the portal, and the feedback they bring back for triage."""
    engagement = engagement_or_404(public_id)
    form = UatRoundForm(request.POST or None, engagement=engagement, prefix="round")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            created = services.uat_round_create(
                engagement=engagement,
                actor=request.user,
                name=form.cleaned_data["name"],
                participants=list(form.cleaned_data["participants"]),
                scenarios=list(form.cleaned_data["scenarios"]),
            )
            messages.success(
                request, f"“{created.name}” started: participants see it in the portal."
            )
            return redirect("uat", engagement.public_id)
    rounds = (
        UatRound.objects.filter(engagement=engagement)
        .annotate(open_items=Count("feedback", filter=Q(feedback__triage=Triage.OPEN)))
        .prefetch_related("participants", "scenarios")
    )
    feedback = list(
        Feedback.objects.filter(engagement=engagement).select_related(
            "reporter", "uat_round", "scenario", "duplicate_of", "deliverable__sprint"
        )
    )
    context = {
        **phase_page(engagement, Phase.BUILD, "uat"),
        "rounds": rounds,
        "feedback": feedback,
        "sprints": list(Sprint.objects.filter(engagement=engagement)),
        "triage_actions": TriageForm.ACTIONS,
        "form": form,
    }
    return render(request, "sprints/uat.html", context, status=_status(form))


@workspace_view
@require_POST
def feedback_triage(request: HttpRequest, public_id, feedback_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    item = get_object_or_404(Feedback.objects, engagement=engagement, public_id=feedback_id)
    back = f"{reverse('uat', args=[engagement.public_id])}#feedback-{item.public_id}"
    form = TriageForm(request.POST, engagement=engagement, feedback=item)
    if not form.is_valid():
        messages.error(
            request, "Choose accept (with a sprint), won't fix (with a reason) or duplicate."
        )
        return redirect(back)
    data = form.cleaned_data
    try:
        services.feedback_triage(
            feedback=item,
            actor=request.user,
            triage=data["triage"],
            sprint=data["sprint"] if data["triage"] == Triage.ACCEPTED else None,
            reason=data["reason"] if data["triage"] == Triage.WONT_FIX else "",
            duplicate_of=data["duplicate_of"] if data["triage"] == Triage.DUPLICATE else None,
        )
    except ApplicationError as error:
        messages.error(request, f"{item.location}: {error.message}")
    else:
        messages.success(request, f"“{item.location}” triaged: {item.get_triage_display()}.")
    return redirect(back)
