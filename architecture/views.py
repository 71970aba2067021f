"""Workspace pages of Phase 3 — Systems Architecture."""

from django.contrib import messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from architecture import selectors, services
from architecture.diagram import blueprint_svg
from architecture.forms import (
    CapabilityForm,
    EvaluationForm,
    EvaluatorsForm,
    IntegrationForm,
    RecommendationForm,
    ReportingItemForm,
    StageForm,
    ToolDecisionForm,
    VendorForm,
)
from architecture.models import (
    Capability,
    Criterion,
    Evaluation,
    Integration,
    ReportingItem,
    Stage,
    Vendor,
)
from diagnostics.models import Finding
from engagements import selectors as engagement_selectors
from engagements.access import workspace_view
from engagements.document_pages import document_section
from engagements.errors import ApplicationError
from engagements.models import Engagement, Tool
from engagements.pages import engagement_or_404, phase_page, refusal_on
from engagements.phases import Phase


def _status(*forms) -> int:
    return 400 if any(form is not None and form.errors for form in forms) else 200


# --- tool decisions and capabilities -----------------------------------------------------------


def _decision_rows(engagement: Engagement, posted: dict | None = None) -> list[dict]:
    tools = list(Tool.objects.filter(engagement=engagement).select_related("decision"))
    capabilities = list(Capability.objects.filter(engagement=engagement))
    findings = list(Finding.objects.filter(engagement=engagement))
    decisions = {d.tool_id: d for d in selectors.tool_decisions(engagement=engagement)}
    rows = []
    for tool in tools:
        decision = decisions.get(tool.pk)
        initial = (
            {
                "decision": decision.decision,
                "consolidate_into": decision.consolidate_into_id,
                "replaced_by": decision.replaced_by_id,
                "rationale": decision.rationale,
                "findings": [f.pk for f in decision.findings.all()],
            }
            if decision
            else {}
        )
        form = (posted or {}).get(tool.pk) or ToolDecisionForm(
            tool=tool, tools=tools, capabilities=capabilities, findings=findings,
            prefix=f"tool-{tool.public_id}", initial=initial,
        )  # fmt: skip
        rows.append({"tool": tool, "decision": decision, "form": form})
    return rows


@workspace_view
@require_http_methods(["GET", "POST"])
def architecture(request: HttpRequest, public_id) -> HttpResponse:
    """Decisions for every tool, the new capabilities, and the before/after summary."""
    engagement = engagement_or_404(public_id)
    capability_form = CapabilityForm(
        request.POST if "add_capability" in request.POST else None,
        engagement=engagement,
        prefix="capability",
    )
    if request.method == "POST" and capability_form.is_bound and capability_form.is_valid():
        data = dict(capability_form.cleaned_data)
        data["findings"] = list(data["findings"])
        with refusal_on(capability_form):
            services.capability_save(engagement=engagement, actor=request.user, **data)
            messages.success(request, "Capability added.")
            return redirect("architecture", engagement.public_id)
    context = {
        **phase_page(engagement, Phase.ARCHITECTURE, "decisions"),
        "rows": _decision_rows(engagement),
        "capabilities": Capability.objects.filter(engagement=engagement).prefetch_related(
            "findings"
        ),
        "capability_form": capability_form,
        "summary": selectors.before_after(engagement=engagement),
    }
    return render(
        request, "architecture/architecture.html", context, status=_status(capability_form)
    )


@workspace_view
@require_POST
def tool_decide(request: HttpRequest, public_id, tool_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    tool = get_object_or_404(Tool.objects, engagement=engagement, public_id=tool_id)
    tools = list(Tool.objects.filter(engagement=engagement))
    form = ToolDecisionForm(
        request.POST, tool=tool, tools=tools,
        capabilities=list(Capability.objects.filter(engagement=engagement)),
        findings=list(Finding.objects.filter(engagement=engagement)),
        prefix=f"tool-{tool.public_id}",
    )  # fmt: skip
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["findings"] = list(data["findings"])
        with refusal_on(form):
            services.tool_decision_save(tool=tool, actor=request.user, **data)
            messages.success(request, f"Decision on {tool.name} saved.")
            return redirect(
                f"{reverse('architecture', args=[engagement.public_id])}#tool-{tool.public_id}"
            )
    context = {
        **phase_page(engagement, Phase.ARCHITECTURE, "decisions"),
        "rows": _decision_rows(engagement, posted={tool.pk: form}),
        "capabilities": Capability.objects.filter(engagement=engagement).prefetch_related(
            "findings"
        ),
        "capability_form": CapabilityForm(engagement=engagement, prefix="capability"),
        "summary": selectors.before_after(engagement=engagement),
    }
    return render(request, "architecture/architecture.html", context, status=400)


@workspace_view
@require_POST
def capability_delete(request: HttpRequest, public_id, capability_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    capability = get_object_or_404(
        Capability.objects, engagement=engagement, public_id=capability_id
    )
    services.capability_delete(capability=capability, actor=request.user)
    messages.success(request, f"{capability} removed.")
    return redirect("architecture", engagement.public_id)


# --- blueprint --------------------------------------------------------------------------------

BLUEPRINT_PARTS = {
    "stage": (Stage, StageForm, services.stage_save, services.stage_delete, "stage"),
    "integration": (
        Integration, IntegrationForm, services.integration_save, services.integration_delete,
        "integration",
    ),
    "reporting": (
        ReportingItem, ReportingItemForm, services.reporting_item_save,
        services.reporting_item_delete, "item",
    ),
}  # fmt: skip


def _part_form(kind: str, engagement: Engagement, data=None, instance: Model | None = None):
    _, form_class, *_ = BLUEPRINT_PARTS[kind]
    extra = {"engagement": engagement} if form_class is ReportingItemForm else {}
    prefix = f"{kind}-{instance.public_id}" if instance else kind
    return form_class(data, instance=instance, prefix=prefix, **extra)


def _blueprint_context(engagement: Engagement, forms: dict | None = None) -> dict:
    forms = forms or {}
    stages = list(Stage.objects.filter(engagement=engagement))
    integrations = list(Integration.objects.filter(engagement=engagement))
    reporting = list(
        ReportingItem.objects.filter(engagement=engagement).select_related("success_metric")
    )
    return {
        **phase_page(engagement, Phase.ARCHITECTURE, "blueprint"),
        "diagram": blueprint_svg(stages, integrations, reporting),
        "stages": [
            (s, forms.get(("stage", s.pk)) or _part_form("stage", engagement, instance=s))
            for s in stages
        ],
        "integrations": integrations,
        "reporting": reporting,
        "new_forms": {
            kind: forms.get((kind, None)) or _part_form(kind, engagement)
            for kind in BLUEPRINT_PARTS
        },
        "blueprint_document": document_section("blueprint", engagement),
    }


@workspace_view
def blueprint(request: HttpRequest, public_id) -> HttpResponse:
    """Stages from first touch to renewal, the integrations, the reporting layer, the diagram."""
    engagement = engagement_or_404(public_id)
    if engagement_selectors.gate_overview(engagement=engagement, phase=Phase.ARCHITECTURE)[
        "editable"
    ]:
        services.stages_ensure(engagement=engagement)
    return render(request, "architecture/blueprint.html", _blueprint_context(engagement))


@workspace_view
@require_POST
def blueprint_part_save(request: HttpRequest, public_id, kind: str, item_id=None) -> HttpResponse:
    """Add (no item id) or edit one stage, integration or reporting item."""
    engagement = engagement_or_404(public_id)
    if kind not in BLUEPRINT_PARTS:
        return HttpResponse(status=404)
    model, _, save, _, argument = BLUEPRINT_PARTS[kind]
    instance = (
        get_object_or_404(model.objects, engagement=engagement, public_id=item_id)
        if item_id
        else None
    )
    form = _part_form(kind, engagement, request.POST, instance)
    if form.is_valid():
        with refusal_on(form):
            save(
                engagement=engagement,
                actor=request.user,
                **{argument: instance},
                **form.cleaned_data,
            )
            messages.success(request, "Blueprint saved.")
            return redirect("blueprint", engagement.public_id)
    key = (kind, instance.pk if instance else None)
    return render(
        request,
        "architecture/blueprint.html",
        _blueprint_context(engagement, {key: form}),
        status=400,
    )


@workspace_view
@require_POST
def blueprint_part_delete(request: HttpRequest, public_id, kind: str, item_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    if kind not in BLUEPRINT_PARTS:
        return HttpResponse(status=404)
    model, _, _, delete, argument = BLUEPRINT_PARTS[kind]
    instance = get_object_or_404(model.objects, engagement=engagement, public_id=item_id)
    delete(**{argument: instance}, actor=request.user)
    messages.success(request, f"{instance} removed.")
    return redirect("blueprint", engagement.public_id)


# --- vendor evaluation ------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def evaluations(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    form = EvaluationForm(request.POST or None, engagement=engagement)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            evaluation = services.evaluation_create(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, "Evaluation created with the framework's five criteria.")
            return redirect("evaluation", engagement.public_id, evaluation.public_id)
    context = {
        **phase_page(engagement, Phase.ARCHITECTURE, "evaluations"),
        "evaluations": selectors.evaluations(engagement=engagement),
        "form": form,
    }
    return render(request, "architecture/evaluations.html", context, status=_status(form))


def _evaluation(engagement: Engagement, evaluation_id) -> Evaluation:
    return get_object_or_404(
        Evaluation.objects.select_related("capability", "recommended_vendor"),
        engagement=engagement,
        public_id=evaluation_id,
    )


def score_grid(evaluation: Evaluation, evaluator, posted=None, data=None) -> list[dict]:
    """The evaluator's own scores: a row per vendor, a cell per criterion. `data` is the
    evaluation's bulk-loaded selectors.EvaluationData, when the caller has it."""
    data = data or selectors.evaluation_data([evaluation])[evaluation.pk]
    mine = {
        (vendor_id, criterion_id): value
        for vendor_id, criterion_id, evaluator_id, value in data.scores
        if evaluator_id == evaluator.pk
    }
    posted = posted or {}
    return [
        {
            "vendor": vendor,
            "cells": [
                {
                    "criterion": criterion,
                    "field": f"score-{vendor.public_id}-{criterion.public_id}",
                    "value": posted.get(f"score-{vendor.public_id}-{criterion.public_id}")
                    or mine.get((vendor.pk, criterion.pk), ""),
                }
                for criterion in data.criteria
            ],
        }
        for vendor in data.vendors
    ]


def parse_scores(evaluation: Evaluation, data) -> dict:
    """The score grid's posted cells as service input; raises ApplicationError on bad values."""
    criteria = list(Criterion.objects.filter(evaluation=evaluation))
    vendors = list(Vendor.objects.filter(evaluation=evaluation))
    scores = {}
    for vendor in vendors:
        for criterion in criteria:
            raw = (data.get(f"score-{vendor.public_id}-{criterion.public_id}") or "").strip()
            if raw and raw not in {"1", "2", "3", "4", "5"}:
                raise ApplicationError(
                    f"{vendor.name} on {criterion.name}: a score is a whole number from 1 to 5."
                )
            scores[(vendor.pk, criterion.pk)] = (int(raw) if raw else None, "")
    return scores


def _evaluation_context(engagement: Engagement, evaluation: Evaluation, **overrides) -> dict:
    vendors = list(Vendor.objects.filter(evaluation=evaluation))
    context = {
        **phase_page(engagement, Phase.ARCHITECTURE, "evaluations"),
        "evaluation": evaluation,
        "results": selectors.evaluation_results(evaluation=evaluation),
        "criteria": list(Criterion.objects.filter(evaluation=evaluation)),
        "vendor_form": VendorForm(),
        "vendors": vendors,
        "evaluators_form": EvaluatorsForm(
            engagement=engagement, initial={"stakeholders": list(evaluation.evaluators.all())}
        ),
        "recommendation_form": RecommendationForm(
            vendors=vendors,
            initial={"vendor": evaluation.recommended_vendor_id, "text": evaluation.recommendation},
        ),
        "criteria_error": None,
        "score_error": None,
    }
    context.update(overrides)
    if "grid" not in context:
        context["grid"] = score_grid(evaluation, context["request_user"])
    context["criteria_rows"] = _criteria_form_rows(
        context["criteria"], overrides.get("posted_criteria")
    )
    return context


def _criteria_form_rows(criteria: list[Criterion], posted=None) -> list[dict]:
    """The criteria table's rows: as stored, or as typed when a save was refused."""
    if posted is None:
        return [
            {"id": c.public_id, "name": c.name, "weight": f"{c.weight.normalize():f}",
             "must_have": c.is_must_have, "delete": False}
            for c in criteria
        ]  # fmt: skip
    return [
        {
            "id": posted.get(f"criteria-{i}-id", ""),
            "name": posted.get(f"criteria-{i}-name", ""),
            "weight": posted.get(f"criteria-{i}-weight", ""),
            "must_have": posted.get(f"criteria-{i}-must_have") == "on",
            "delete": posted.get(f"criteria-{i}-delete") == "on",
        }
        for i in range(len(criteria))
    ]


@workspace_view
@require_http_methods(["GET", "POST"])
def evaluation(request: HttpRequest, public_id, evaluation_id) -> HttpResponse:
    """Criteria and weights, vendors, evaluators, the consultant's scores, the combined
    ranking with spread and sensitivity, and the written recommendation."""
    engagement = engagement_or_404(public_id)
    evaluation = _evaluation(engagement, evaluation_id)
    overrides = {"request_user": request.user}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            _evaluation_action(request, evaluation, action)
        except ApplicationError as error:
            key = {"criteria": "criteria_error", "scores": "score_error"}.get(action)
            if key:
                overrides[key] = error.message
                if action == "scores":
                    overrides["grid"] = score_grid(evaluation, request.user, posted=request.POST)
                if action == "criteria":
                    overrides["posted_criteria"] = request.POST
            else:
                messages.error(request, error.message)
                return redirect("evaluation", engagement.public_id, evaluation.public_id)
            context = _evaluation_context(engagement, evaluation, **overrides)
            return render(request, "architecture/evaluation.html", context, status=400)
        return redirect("evaluation", engagement.public_id, evaluation.public_id)
    context = _evaluation_context(engagement, evaluation, **overrides)
    return render(request, "architecture/evaluation.html", context)


def _evaluation_action(request: HttpRequest, evaluation: Evaluation, action: str | None) -> None:
    engagement = evaluation.engagement
    if action == "criteria":
        services.criteria_update(
            evaluation=evaluation, actor=request.user, rows=_criteria_rows(evaluation, request.POST)
        )
        messages.success(request, "Criteria saved.")
    elif action == "vendor":
        form = VendorForm(request.POST)
        if not form.is_valid():
            raise ApplicationError("A vendor needs a name.")
        services.vendor_add(evaluation=evaluation, actor=request.user, **form.cleaned_data)
        messages.success(request, f"{form.cleaned_data['name']} added.")
    elif action == "remove_vendor":
        vendor = get_object_or_404(
            Vendor.objects, evaluation=evaluation, public_id=request.POST.get("vendor")
        )
        services.vendor_delete(vendor=vendor, actor=request.user)
        messages.success(request, f"{vendor.name} removed.")
    elif action == "evaluators":
        form = EvaluatorsForm(request.POST, engagement=engagement)
        if not form.is_valid():
            raise ApplicationError("Choose evaluators among the stakeholders with portal access.")
        services.evaluators_set(
            evaluation=evaluation,
            actor=request.user,
            stakeholders=list(form.cleaned_data["stakeholders"]),
        )
        messages.success(request, "Evaluators saved.")
    elif action == "scores":
        services.scores_save(
            evaluation=evaluation,
            evaluator=request.user,
            scores=parse_scores(evaluation, request.POST),
        )
        messages.success(request, "Your scores are saved.")
    elif action == "recommendation":
        form = RecommendationForm(
            request.POST, vendors=list(Vendor.objects.filter(evaluation=evaluation))
        )
        if not form.is_valid():
            raise ApplicationError("Write the recommendation and its rationale.")
        services.recommendation_write(
            evaluation=evaluation,
            actor=request.user,
            vendor=form.cleaned_data["vendor"],
            text=form.cleaned_data["text"],
        )
        messages.success(request, "Recommendation saved.")
    else:
        raise ApplicationError("Unknown action.")


def _criteria_rows(evaluation: Evaluation, data) -> list[dict]:
    existing = {str(c.public_id): c for c in Criterion.objects.filter(evaluation=evaluation)}
    rows = []
    for index in range(int(data.get("criteria-count", 0) or 0)):
        prefix = f"criteria-{index}-"
        name = (data.get(prefix + "name") or "").strip()
        key = data.get(prefix + "id") or ""
        if not name and not key:
            continue
        raw_weight = (data.get(prefix + "weight") or "").strip()
        try:
            weight = float(raw_weight)
        except ValueError:
            raise ApplicationError(
                f"The weight of “{name or 'a criterion'}” must be a number."
            ) from None
        if weight < 0 or weight > 100:
            raise ApplicationError(f"The weight of “{name}” must be between 0 and 100.")
        if not name:
            raise ApplicationError("Every criterion needs a name.")
        rows.append(
            {
                "criterion": existing.get(key),
                "name": name,
                "weight": raw_weight,
                "is_must_have": data.get(prefix + "must_have") == "on",
                "delete": data.get(prefix + "delete") == "on",
            }
        )
    return rows


@workspace_view
def evaluation_csv(request: HttpRequest, public_id, evaluation_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    evaluation = _evaluation(engagement, evaluation_id)
    response = HttpResponse(
        selectors.evaluation_csv(evaluation=evaluation), content_type="text/csv"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="evaluation-{evaluation.public_id}.csv"'
    )
    return response
