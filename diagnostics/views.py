"""Workspace pages of Phase 2 — Diagnostic Workshops."""

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from diagnostics import services
from diagnostics.charts import value_complexity_svg
from diagnostics.forms import (
    AgendaItemForm,
    DataSourceForm,
    FindingForm,
    PromptTemplateForm,
    RecommendationForm,
    ReportDraftForm,
    ToolAssessmentForm,
    WorkshopForm,
)
from diagnostics.models import (
    DataSource,
    Finding,
    PromptTemplate,
    Recommendation,
    ReportDraft,
    ToolAssessment,
    Workshop,
    WorkshopPrompt,
)
from engagements.access import workspace_view
from engagements.document_pages import document_section
from engagements.errors import ApplicationError
from engagements.models import Engagement, Tool
from engagements.pages import (
    engagement_or_404,
    phase_page,
    refusal_on,
)
from engagements.phases import Phase

# --- overview and workshops -------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def diagnostic(request: HttpRequest, public_id) -> HttpResponse:
    """The phase's home: the sessions planned and held, and the form to plan one."""
    engagement = engagement_or_404(public_id)
    form = WorkshopForm(request.POST or None, engagement=engagement, prefix="plan")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            workshop = services.workshop_create(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, f"“{workshop.title}” planned with its capture sheet.")
            return redirect("workshop", engagement.public_id, workshop.public_id)
    workshops = (
        Workshop.objects.filter(engagement=engagement)
        .select_related("facilitator")
        .annotate(finding_count=Count("findings", distinct=True))
        .prefetch_related("attendees")
    )
    context = {
        **phase_page(engagement, Phase.DIAGNOSTIC, "workshops"),
        "workshops": workshops,
        "form": form,
    }
    return render(
        request, "diagnostics/diagnostic.html", context, status=400 if form.errors else 200
    )


def _workshop(engagement: Engagement, workshop_id) -> Workshop:
    return get_object_or_404(
        Workshop.objects.prefetch_related(
            "agenda",
            Prefetch(
                "prompts", queryset=WorkshopPrompt.objects.prefetch_related("prework__stakeholder")
            ),
            "attendees",
            "findings",
        ),
        engagement=engagement,
        public_id=workshop_id,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def workshop(request: HttpRequest, public_id, workshop_id) -> HttpResponse:
    """The capture sheet: agenda, prompts with answers (and the portal's pre-work), notes,
    decisions; saving with "complete" marks the session held."""
    engagement = engagement_or_404(public_id)
    session = _workshop(engagement, workshop_id)
    error = None
    if request.method == "POST":
        answers = {
            prompt.pk: request.POST.get(f"answer-{prompt.public_id}", prompt.answer)
            for prompt in session.prompts.all()
        }
        try:
            services.workshop_capture(
                workshop=session,
                actor=request.user,
                notes=request.POST.get("notes", ""),
                decisions=request.POST.get("decisions", ""),
                answers=answers,
                complete="complete" in request.POST,
            )
        except ApplicationError as failure:
            error = failure.message
            for prompt in session.prompts.all():  # keep what was typed
                prompt.answer = answers[prompt.pk]
            session.notes = request.POST.get("notes", "")
            session.decisions = request.POST.get("decisions", "")
        else:
            messages.success(request, "Session output saved.")
            return redirect("workshop", engagement.public_id, session.public_id)
    context = {
        **phase_page(engagement, Phase.DIAGNOSTIC, "workshops"),
        "workshop": session,
        "agenda_form": AgendaItemForm(),
        "error": error,
        "total_minutes": sum(item.minutes for item in session.agenda.all()),
    }
    return render(request, "diagnostics/workshop.html", context, status=400 if error else 200)


@workspace_view
@require_POST
def workshop_agenda_add(request: HttpRequest, public_id, workshop_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    session = _workshop(engagement, workshop_id)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        services.agenda_item_add(workshop=session, actor=request.user, **form.cleaned_data)
    else:
        messages.error(request, "An agenda item needs a title and 1 to 480 minutes.")
    return redirect("workshop", engagement.public_id, session.public_id)


@workspace_view
@require_POST
def workshop_finding(request: HttpRequest, public_id, workshop_id) -> HttpResponse:
    """One click: the posted line of notes or captured answer becomes a draft finding."""
    engagement = engagement_or_404(public_id)
    session = _workshop(engagement, workshop_id)
    finding = services.finding_from_notes(
        workshop=session, actor=request.user, text=request.POST.get("text", "")
    )
    messages.success(request, f"Finding “{finding.title}” drafted: set its category and severity.")
    return redirect("finding_edit", engagement.public_id, finding.public_id)


# --- findings ---------------------------------------------------------------------------------


def _finding_data(form: FindingForm) -> dict:
    data = dict(form.cleaned_data)
    data["affected_tools"] = list(data.get("affected_tools") or [])
    return data


@workspace_view
@require_http_methods(["GET", "POST"])
def findings(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    form = FindingForm(request.POST or None, engagement=engagement, prefix="finding")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.finding_create(
                engagement=engagement, actor=request.user, **_finding_data(form)
            )
            messages.success(request, "Finding recorded.")
            return redirect("findings", engagement.public_id)
    rows = (
        Finding.objects.filter(engagement=engagement)
        .select_related("workshop")
        .prefetch_related("affected_tools")
    )
    context = {
        **phase_page(engagement, Phase.DIAGNOSTIC, "findings"),
        "findings": rows,
        "form": form,
    }
    return render(request, "diagnostics/findings.html", context, status=400 if form.errors else 200)


@workspace_view
@require_http_methods(["GET", "POST"])
def finding_edit(request: HttpRequest, public_id, finding_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    finding = get_object_or_404(Finding.objects, engagement=engagement, public_id=finding_id)
    form = FindingForm(
        request.POST or None, engagement=engagement, instance=finding, prefix="finding",
        initial={"affected_tools": list(finding.affected_tools.all())},
    )  # fmt: skip
    if request.method == "POST" and "delete" in request.POST:
        services.finding_delete(finding=finding, actor=request.user)
        messages.success(request, f"Finding “{finding.title}” removed.")
        return redirect("findings", engagement.public_id)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.finding_update(finding=finding, actor=request.user, **_finding_data(form))
            messages.success(request, "Finding saved.")
            return redirect("findings", engagement.public_id)
    context = {
        **phase_page(engagement, Phase.DIAGNOSTIC, "findings"),
        "finding": finding,
        "form": form,
    }
    return render(
        request, "diagnostics/finding_edit.html", context, status=400 if form.errors else 200
    )


# --- data landscape and tools -----------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def landscape(request: HttpRequest, public_id) -> HttpResponse:
    """Where data lives, and each tool's value, complexity, overlaps and cost per seat."""
    engagement = engagement_or_404(public_id)
    source_form = DataSourceForm(request.POST or None, prefix="source")
    if request.method == "POST" and source_form.is_valid():
        with refusal_on(source_form):
            services.data_source_save(
                engagement=engagement, actor=request.user, **source_form.cleaned_data
            )
            messages.success(request, "Data source added.")
            return redirect("landscape", engagement.public_id)
    tools = (
        Tool.objects.filter(engagement=engagement)
        .select_related("assessment")
        .prefetch_related("assessment__overlaps")
    )
    assessments = [tool.assessment for tool in tools if hasattr(tool, "assessment")]
    context = {
        **phase_page(engagement, Phase.DIAGNOSTIC, "landscape"),
        "sources": DataSource.objects.filter(engagement=engagement),
        "source_form": source_form,
        "tool_rows": [_tool_row(tool, tools) for tool in tools],
        "chart": value_complexity_svg(assessments),
    }
    status = 400 if source_form.errors else 200
    return render(request, "diagnostics/landscape.html", context, status=status)


def _tool_row(tool: Tool, inventory: list[Tool]) -> dict:
    assessment = getattr(tool, "assessment", None)
    initial = {"overlaps": [t.pk for t in assessment.overlaps.all()]} if assessment else {}
    form = ToolAssessmentForm(
        instance=assessment,
        tool=tool,
        inventory=inventory,
        prefix=f"tool-{tool.public_id}",
        initial=initial,
    )
    return {"tool": tool, "form": form}


@workspace_view
@require_POST
def data_source_delete(request: HttpRequest, public_id, source_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    source = get_object_or_404(DataSource.objects, engagement=engagement, public_id=source_id)
    services.data_source_delete(source=source, actor=request.user)
    messages.success(request, f"{source.system} removed from the data landscape.")
    return redirect("landscape", engagement.public_id)


@workspace_view
@require_POST
def tool_assess(request: HttpRequest, public_id, tool_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    tool = get_object_or_404(Tool.objects, engagement=engagement, public_id=tool_id)
    existing = ToolAssessment.objects.filter(tool=tool).first()
    inventory = {t.pk: t for t in Tool.objects.filter(engagement=engagement)}
    form = ToolAssessmentForm(
        request.POST,
        instance=existing,
        tool=tool,
        inventory=list(inventory.values()),
        prefix=f"tool-{tool.public_id}",
    )
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["overlaps"] = [inventory[pk] for pk in data.get("overlaps") or []]
        try:
            services.tool_assessment_save(tool=tool, actor=request.user, **data)
        except ApplicationError as error:
            messages.error(request, f"{tool.name}: {error.message}")
        else:
            messages.success(request, f"{tool.name} assessed.")
    else:
        problems = "; ".join(
            f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items()
        )
        messages.error(request, f"{tool.name} was not saved — {problems}")
    return redirect(f"{reverse('landscape', args=[engagement.public_id])}#tool-{tool.public_id}")


# --- the report -------------------------------------------------------------------------------


def _report_context(engagement: Engagement, **forms) -> dict:
    draft = ReportDraft.objects.filter(engagement=engagement).first()
    return {
        **phase_page(engagement, Phase.DIAGNOSTIC, "report"),
        "draft_form": forms.get("draft_form") or ReportDraftForm(instance=draft, prefix="draft"),
        "recommendation_form": forms.get("recommendation_form")
        or RecommendationForm(engagement=engagement, prefix="rec"),
        "recommendations": Recommendation.objects.filter(engagement=engagement).prefetch_related(
            "findings"
        ),
        "report_document": document_section("report", engagement),
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, public_id) -> HttpResponse:
    """The synthesis editor, the recommendations, and every rendered version with its sends."""
    engagement = engagement_or_404(public_id)
    if request.method == "GET":
        return render(request, "diagnostics/report.html", _report_context(engagement))
    if "save_draft" in request.POST:
        form = ReportDraftForm(request.POST, prefix="draft")
        if form.is_valid():
            with refusal_on(form):
                services.report_draft_update(
                    engagement=engagement, actor=request.user, **form.cleaned_data
                )
                messages.success(request, "Synthesis saved.")
                return redirect("report", engagement.public_id)
        return render(
            request,
            "diagnostics/report.html",
            _report_context(engagement, draft_form=form),
            status=400,
        )
    form = RecommendationForm(request.POST, engagement=engagement, prefix="rec")
    if form.is_valid():
        with refusal_on(form):
            services.recommendation_save(
                engagement=engagement, actor=request.user, title=form.cleaned_data["title"],
                detail=form.cleaned_data["detail"], findings=list(form.cleaned_data["findings"]),
            )  # fmt: skip
            messages.success(request, "Recommendation added.")
            return redirect("report", engagement.public_id)
    context = _report_context(engagement, recommendation_form=form)
    return render(request, "diagnostics/report.html", context, status=400)


@workspace_view
@require_POST
def recommendation_delete(request: HttpRequest, public_id, recommendation_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    recommendation = get_object_or_404(
        Recommendation.objects, engagement=engagement, public_id=recommendation_id
    )
    services.recommendation_delete(recommendation=recommendation, actor=request.user)
    return redirect("report", engagement.public_id)


# --- the firm's prompt library ----------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def prompt_library(request: HttpRequest) -> HttpResponse:
    services.prompt_library_ensure(firm=request.membership.firm)
    form = PromptTemplateForm(request.POST or None)
    if request.method == "POST":
        prompt_id = request.POST.get("prompt")
        if prompt_id:
            prompt = get_object_or_404(PromptTemplate.objects, public_id=prompt_id)
            text = request.POST.get("text", "").strip()
            if not text:
                messages.error(request, "A prompt cannot be empty; untick “in use” to retire it.")
            else:
                services.prompt_template_update(
                    prompt=prompt, text=text, is_active="is_active" in request.POST
                )
                messages.success(request, "Prompt saved.")
            return redirect("prompt_library")
        if form.is_valid():
            services.prompt_template_create(firm=request.membership.firm, **form.cleaned_data)
            messages.success(request, "Prompt added to the library.")
            return redirect("prompt_library")
    context = {"prompts": PromptTemplate.objects.all(), "form": form}
    return render(
        request, "diagnostics/prompt_library.html", context, status=400 if form.errors else 200
    )
