"""Workspace pages of Phase 6's training: modules by role (with the suggested ones), one
module's content, attachments, quiz and assignees, assignment by role, the completion threshold,
and the training matrix."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enablement.charts import completion_chart_svg
from enablement.forms.training import (
    AssignForm,
    AttachmentForm,
    EnablementSettingsForm,
    ModuleForm,
    QuestionForm,
)
from enablement.models import (
    QuizQuestion,
    TrainingAssignment,
    TrainingAttachment,
    TrainingModule,
)
from enablement.selectors import training as selectors
from enablement.services import training as services
from enablement.services.training_catalogue import SUGGESTED_MODULES
from engagements.access import workspace_view
from engagements.errors import ApplicationError
from engagements.models import Engagement
from engagements.pages import engagement_or_404, phase_page, refusal_on, show_error
from engagements.phases import Phase

ENABLEMENT = Phase.ENABLEMENT


def _status(*forms) -> int:
    return 400 if any(form is not None and form.errors for form in forms) else 200


def _training_context(engagement: Engagement, forms: dict | None = None) -> dict:
    forms = forms or {}
    modules = selectors.module_list(engagement=engagement)
    added = {m.suggestion for m in modules if m.suggestion}
    completion = selectors.completion_summary(engagement=engagement)
    settings_row = selectors.enablement_settings(engagement=engagement)
    return {
        **phase_page(engagement, ENABLEMENT, "training"),
        "groups": selectors.modules_by_role(modules),
        "module_count": len(modules),
        "suggestions": [
            {"suggestion": s, "label": selectors.ROLE_LABELS[s.role]}
            for s in SUGGESTED_MODULES
            if s.key not in added
        ],
        "completion": completion,
        "chart": completion_chart_svg(completion),
        "threshold": settings_row.completion_threshold,
        "module_form": forms.get("module") or ModuleForm(prefix="module"),
        "assign_form": forms.get("assign") or AssignForm(prefix="assign"),
        "settings_form": forms.get("settings")
        or EnablementSettingsForm(instance=settings_row, prefix="settings"),
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def enablement(request: HttpRequest, public_id) -> HttpResponse:
    """The training page: modules by role, suggestions to add, assignment, completion. A post
    adds a module."""
    engagement = engagement_or_404(public_id)
    form = ModuleForm(request.POST or None, prefix="module")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            module = services.module_create(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(
                request,
                f"“{module.title}” added. Add a quiz or attachments below if it needs them.",
            )
            return redirect("training_module", engagement.public_id, module.public_id)
    context = _training_context(engagement, {"module": form})
    return render(request, "enablement/training.html", context, status=_status(form))


@workspace_view
@require_POST
def training_suggestion_add(request: HttpRequest, public_id, key: str) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    try:
        module = services.module_add_suggested(engagement=engagement, actor=request.user, key=key)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('enablement', args=[engagement.public_id])}#suggestions")
    messages.success(request, f"“{module.title}” added: adapt it to the client's system.")
    return redirect("training_module", engagement.public_id, module.public_id)


@workspace_view
@require_POST
def enablement_settings(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    form = EnablementSettingsForm(request.POST, prefix="settings")
    if form.is_valid():
        with refusal_on(form):
            services.enablement_settings_update(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, "Completion threshold saved.")
            return redirect(f"{reverse('enablement', args=[engagement.public_id])}#completion")
    context = _training_context(engagement, {"settings": form})
    return render(request, "enablement/training.html", context, status=400)


@workspace_view
@require_POST
def training_assign(request: HttpRequest, public_id) -> HttpResponse:
    """Assign every module of a role, or (`module` posted) one module, to every stakeholder of
    the role who does not have it yet."""
    engagement = engagement_or_404(public_id)
    module = None
    if request.POST.get("module"):
        module = _module(engagement, request.POST["module"])
    form = AssignForm(request.POST, prefix="assign")
    if module is None and not form.is_valid():
        context = _training_context(engagement, {"assign": form})
        return render(request, "enablement/training.html", context, status=400)
    role = "" if module else form.cleaned_data["role"]
    try:
        created = services.training_assign(
            engagement=engagement, actor=request.user, role=role, module=module
        )
    except ApplicationError as error:
        if module is not None:
            messages.error(request, error.message)
            return redirect("training_module", engagement.public_id, module.public_id)
        show_error(form, error)
        context = _training_context(engagement, {"assign": form})
        return render(request, "enablement/training.html", context, status=400)
    if created:
        people = len({a.stakeholder_id for a in created})
        messages.success(
            request,
            f"{len(created)} assignment{'s' if len(created) != 1 else ''} made for {people} "
            f"{'person' if people == 1 else 'people'}; those with portal access are told by email.",
        )
    else:
        messages.info(request, "Everyone of that role already has these modules.")
    if module is not None:
        return redirect(
            f"{reverse('training_module', args=[engagement.public_id, module.public_id])}#assignees"
        )
    return redirect("training_matrix", engagement.public_id)


# --- one module ---------------------------------------------------------------------------------


def _module(engagement: Engagement, module_id) -> TrainingModule:
    """The engagement's module by public id — from the URL, or posted (a form's hidden field):
    404 when it is malformed, unknown or another engagement's."""
    try:
        public_id = module_id if isinstance(module_id, UUID) else UUID(str(module_id).strip())
    except ValueError:
        raise Http404 from None
    module = selectors.module_detail(engagement=engagement, public_id=public_id)
    if module is None:
        raise Http404
    return module


def _module_context(engagement: Engagement, module: TrainingModule, forms: dict) -> dict:
    assignees = list(TrainingAssignment.objects.filter(module=module).select_related("stakeholder"))
    return {
        **phase_page(engagement, ENABLEMENT, "training"),
        "module": module,
        "content_html": selectors.render_markdown(module.content),
        "questions": list(module.questions.all()),
        "attachments": list(module.attachments.all()),
        "assignees": sorted(assignees, key=lambda a: a.stakeholder.name),
        "module_form": forms.get("module") or ModuleForm(instance=module, prefix="module"),
        "question_form": forms.get("question") or QuestionForm(prefix="question"),
        "attachment_form": forms.get("attachment") or AttachmentForm(prefix="attachment"),
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def training_module(request: HttpRequest, public_id, module_id) -> HttpResponse:
    """One module: edit its text, preview it as the client sees it, its attachments and quiz,
    and who it is assigned to. A post saves the module's text."""
    engagement = engagement_or_404(public_id)
    module = _module(engagement, module_id)
    form = ModuleForm(request.POST or None, instance=module, prefix="module")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.module_update(module=module, actor=request.user, **form.cleaned_data)
            messages.success(request, f"“{module.title}” saved.")
            return redirect("training_module", engagement.public_id, module.public_id)
    if form.is_bound:
        module.refresh_from_db()  # the preview shows what is stored, not the rejected input
    context = _module_context(engagement, module, {"module": form})
    return render(request, "enablement/module.html", context, status=_status(form))


@workspace_view
@require_http_methods(["GET", "POST"])
def training_module_delete(request: HttpRequest, public_id, module_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    module = _module(engagement, module_id)
    if request.method == "GET":
        completed = module.assignments.filter(completed_at__isnull=False).count()
        context = {
            "engagement": engagement,
            "title": f"Delete “{module.title}”?",
            "consequence": (
                f"The module, its quiz and its {module.attachments.count()} attachment(s) are "
                f"deleted, with its {module.assignments.count()} assignment(s)"
                + (f", {completed} of them completed," if completed else "")
                + " and every quiz attempt. This cannot be undone."
            ),
            "action": "Delete the module",
            "back": reverse("training_module", args=[engagement.public_id, module.public_id]),
        }
        return render(request, "enablement/confirm_delete.html", context)
    try:
        services.module_delete(module=module, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("training_module", engagement.public_id, module.public_id)
    messages.success(request, f"“{module.title}” deleted.")
    return redirect("enablement", engagement.public_id)


@workspace_view
@require_POST
def training_question_add(request: HttpRequest, public_id, module_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    module = _module(engagement, module_id)
    form = QuestionForm(request.POST, prefix="question")
    if form.is_valid():
        try:
            services.question_add(
                module=module,
                actor=request.user,
                text=form.cleaned_data["text"],
                choices=form.choices(),
                correct=form.cleaned_data["correct"],
            )
        except ApplicationError as error:
            if error.field == "choices":
                form.add_error("choice_0", error.message)
            else:
                show_error(form, error)
        else:
            messages.success(request, "Question added to the quiz.")
            return redirect(
                f"{reverse('training_module', args=[engagement.public_id, module.public_id])}#quiz"
            )
    context = _module_context(engagement, module, {"question": form})
    return render(request, "enablement/module.html", context, status=400)


@workspace_view
@require_http_methods(["GET", "POST"])
def training_question_delete(request: HttpRequest, public_id, module_id, question_id):
    engagement = engagement_or_404(public_id)
    module = _module(engagement, module_id)
    question = get_object_or_404(QuizQuestion.objects, module=module, public_id=question_id)
    back = f"{reverse('training_module', args=[engagement.public_id, module.public_id])}#quiz"
    if request.method == "GET":
        context = {
            "engagement": engagement,
            "title": "Remove this question?",
            "consequence": f"“{question.text}” and its answers are removed from the quiz of "
            f"“{module.title}”. Attempts already made keep their score.",
            "action": "Remove the question",
            "back": back,
        }
        return render(request, "enablement/confirm_delete.html", context)
    services.question_delete(question=question, actor=request.user)
    messages.success(request, "Question removed.")
    return redirect(back)


@workspace_view
@require_POST
def training_attachment_add(request: HttpRequest, public_id, module_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    module = _module(engagement, module_id)
    form = AttachmentForm(request.POST, request.FILES, prefix="attachment")
    if form.is_valid():
        with refusal_on(form):
            attachment = services.attachment_add(
                module=module, actor=request.user, upload=form.cleaned_data["file"]
            )
            messages.success(request, f"“{attachment.name}” attached.")
            return redirect(
                f"{reverse('training_module', args=[engagement.public_id, module.public_id])}"
                "#attachments"
            )
    context = _module_context(engagement, module, {"attachment": form})
    return render(request, "enablement/module.html", context, status=400)


def _attachment(module: TrainingModule, attachment_id) -> TrainingAttachment:
    return get_object_or_404(TrainingAttachment.objects, module=module, public_id=attachment_id)


@workspace_view
@require_http_methods(["GET", "POST"])
def training_attachment_delete(request: HttpRequest, public_id, module_id, attachment_id):
    engagement = engagement_or_404(public_id)
    module = _module(engagement, module_id)
    attachment = _attachment(module, attachment_id)
    back = (
        f"{reverse('training_module', args=[engagement.public_id, module.public_id])}#attachments"
    )
    if request.method == "GET":
        context = {
            "engagement": engagement,
            "title": f"Remove “{attachment.name}”?",
            "consequence": f"The file is deleted from “{module.title}”; the client no longer "
            "sees it in the portal.",
            "action": "Remove the attachment",
            "back": back,
        }
        return render(request, "enablement/confirm_delete.html", context)
    services.attachment_delete(attachment=attachment, actor=request.user)
    messages.success(request, f"“{attachment.name}” removed.")
    return redirect(back)


@workspace_view
@require_GET
def training_attachment_download(request: HttpRequest, public_id, module_id, attachment_id):
    engagement = engagement_or_404(public_id)
    return attachment_response(_attachment(_module(engagement, module_id), attachment_id))


def attachment_response(attachment: TrainingAttachment) -> FileResponse:
    """A module's attachment as a download; 404 when its file is gone from storage."""
    try:
        handle = default_storage.open(attachment.file, "rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@workspace_view
@require_http_methods(["GET", "POST"])
def training_unassign(request: HttpRequest, public_id, module_id, assignment_id):
    engagement = engagement_or_404(public_id)
    module = _module(engagement, module_id)
    assignment = get_object_or_404(
        TrainingAssignment.objects.select_related("stakeholder", "engagement"),
        module=module,
        public_id=assignment_id,
    )
    back = f"{reverse('training_module', args=[engagement.public_id, module.public_id])}#assignees"
    if request.method == "GET":
        context = {
            "engagement": engagement,
            "title": f"Unassign “{module.title}” from {assignment.stakeholder.name}?",
            "consequence": "Their progress on this module"
            + (" (completed)" if assignment.completed_at else "")
            + " and their quiz attempts are deleted.",
            "action": "Unassign",
            "back": back,
        }
        return render(request, "enablement/confirm_delete.html", context)
    services.assignment_delete(assignment=assignment, actor=request.user)
    messages.success(request, f"“{module.title}” unassigned from {assignment.stakeholder.name}.")
    return redirect(back)


# --- the matrix ---------------------------------------------------------------------------------


@workspace_view
@require_GET
def training_matrix(request: HttpRequest, public_id) -> HttpResponse:
    """Stakeholders × modules, one table per role, with completion against the threshold."""
    engagement = engagement_or_404(public_id)
    sections = selectors.training_matrix(engagement=engagement)
    completion = [s.completion for s in sections if s.completion and s.completion.assigned]
    context = {
        **phase_page(engagement, ENABLEMENT, "matrix"),
        "sections": sections,
        "completion": completion,
        "chart": completion_chart_svg(completion),
        "threshold": selectors.completion_threshold(engagement=engagement),
        "assign_form": AssignForm(prefix="assign"),
    }
    return render(request, "enablement/matrix.html", context)
