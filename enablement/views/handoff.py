"""Workspace pages of Phase 6's handoff: the checklist (documentation transferred, access
consolidated, open items), the ongoing support model, and the handoff pack PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diagnostics.forms import SendReportForm
from enablement import documents
from enablement.forms.handoff import (
    AccessTransferForm,
    DocumentTransferForm,
    OpenItemForm,
    SupportPlanForm,
)
from enablement.models import (
    AccessTransfer,
    DocumentTransfer,
    HandoffPackVersion,
    OpenItem,
    OpenItemStatus,
    SupportPlan,
)
from enablement.services import handoff as services
from engagements.access import workspace_view
from engagements.models import Engagement
from engagements.pages import (
    document_download,
    engagement_or_404,
    phase_page,
    refusal_on,
)
from engagements.phases import Phase
from engagements.services.documents import with_deliveries

ENABLEMENT = Phase.ENABLEMENT

# kind in the URL → (model, form, heading of its section, label of its add button)
CHECKLIST = {
    "documents": (DocumentTransfer, DocumentTransferForm, "Documentation", "Add a document"),
    "access": (AccessTransfer, AccessTransferForm, "Access", "Add an account"),
    "open-items": (OpenItem, OpenItemForm, "Open items", "Add an open item"),
}


class SendHandoffPackForm(SendReportForm):
    """The stakeholders to send a version to; by default the approvers, who sign it off."""

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, engagement=engagement, **kwargs)
        if not self.is_bound:
            self.initial["recipients"] = [
                s.pk for s in self.fields["recipients"].queryset if s.is_approver
            ]


def _kind(kind: str) -> tuple:
    if kind not in CHECKLIST:
        raise Http404
    return CHECKLIST[kind]


def _handoff_context(engagement: Engagement, forms: dict | None = None) -> dict:
    forms = forms or {}
    plan = SupportPlan.objects.filter(engagement=engagement).first()
    documents_list = list(DocumentTransfer.objects.filter(engagement=engagement))
    access = list(AccessTransfer.objects.filter(engagement=engagement))
    open_items = list(OpenItem.objects.filter(engagement=engagement))
    done = (
        sum(1 for d in documents_list if d.transferred_on)
        + sum(1 for a in access if a.moved_on)
        + sum(1 for i in open_items if i.status != OpenItemStatus.OPEN)
    )
    total = len(documents_list) + len(access) + len(open_items)
    return {
        **phase_page(engagement, ENABLEMENT, "handoff"),
        "plan": plan,
        "support_form": forms.get("support") or SupportPlanForm(instance=plan, prefix="support"),
        "documents": documents_list,
        "access": access,
        "open_items": open_items,
        "checklist_done": done,
        "checklist_total": total,
        # Keyed for templates: "open-items" → "open_items".
        "item_forms": {
            kind.replace("-", "_"): forms.get(kind) or form_class(prefix=kind)
            for kind, (_, form_class, _, _) in CHECKLIST.items()
        },
        "versions": documents.handoff_pack_versions(engagement=engagement),
        "send_form": SendHandoffPackForm(engagement=engagement, prefix="send"),
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def handoff(request: HttpRequest, public_id) -> HttpResponse:
    """The handoff: the support model (a post saves it), the checklist and the handoff pack."""
    engagement = engagement_or_404(public_id)
    plan = SupportPlan.objects.filter(engagement=engagement).first()
    form = SupportPlanForm(request.POST or None, instance=plan, prefix="support")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            saved = services.support_plan_save(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, f"Support model saved: {saved.get_model_display()}.")
            return redirect(f"{reverse('handoff', args=[engagement.public_id])}#support")
    context = _handoff_context(engagement, {"support": form})
    status = 400 if form.errors else 200
    return render(request, "enablement/handoff.html", context, status=status)


@workspace_view
@require_POST
def handoff_item_add(request: HttpRequest, public_id, kind: str) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    model, form_class, _, _ = _kind(kind)
    form = form_class(request.POST, prefix=kind)
    if form.is_valid():
        with refusal_on(form):
            item = services.handoff_item_save(
                engagement=engagement, actor=request.user, model=model, **form.cleaned_data
            )
            messages.success(request, f"“{item}” added.")
            return redirect(f"{reverse('handoff', args=[engagement.public_id])}#{kind}")
    context = _handoff_context(engagement, {kind: form})
    return render(request, "enablement/handoff.html", context, status=400)


def _item(engagement: Engagement, model, item_id):
    return get_object_or_404(model.objects, engagement=engagement, public_id=item_id)


@workspace_view
@require_http_methods(["GET", "POST"])
def handoff_item_edit(request: HttpRequest, public_id, kind: str, item_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    model, form_class, heading, _ = _kind(kind)
    item = _item(engagement, model, item_id)
    form = form_class(request.POST or None, instance=item, prefix="edit")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.handoff_item_save(
                engagement=engagement,
                actor=request.user,
                model=model,
                item=item,
                **form.cleaned_data,
            )
            messages.success(request, f"“{item}” saved.")
            return redirect(f"{reverse('handoff', args=[engagement.public_id])}#{kind}")
    if form.is_bound:
        item.refresh_from_db()
    context = {
        **phase_page(engagement, ENABLEMENT, "handoff"),
        "item": item,
        "kind": kind,
        "heading": heading,
        "form": form,
    }
    return render(
        request, "enablement/handoff_item.html", context, status=400 if form.errors else 200
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def handoff_item_delete(request: HttpRequest, public_id, kind: str, item_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    model, _, heading, _ = _kind(kind)
    item = _item(engagement, model, item_id)
    back = f"{reverse('handoff', args=[engagement.public_id])}#{kind}"
    if request.method == "GET":
        context = {
            "engagement": engagement,
            "title": f"Remove “{item}”?",
            "consequence": f"It is removed from the {heading.lower()} of the handoff checklist.",
            "action": "Remove",
            "back": back,
        }
        return render(request, "enablement/confirm_delete.html", context)
    services.handoff_item_delete(item=item, actor=request.user)
    messages.success(request, f"“{item}” removed.")
    return redirect(back)


# --- the handoff pack PDF ---------------------------------------------------------------------


def _version(engagement: Engagement, version_id) -> HandoffPackVersion:
    return get_object_or_404(
        HandoffPackVersion.objects.select_related("job", "requested_by"),
        engagement=engagement,
        public_id=version_id,
    )


def _pack_section(engagement: Engagement) -> str:
    return f"{reverse('handoff', args=[engagement.public_id])}#handoff-pack"


@workspace_view
@require_POST
def handoff_pack_render(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    version = documents.handoff_pack_version_request(engagement=engagement, actor=request.user)
    messages.success(request, f"Rendering handoff pack v{version.number}…")
    return redirect(_pack_section(engagement))


@workspace_view
@require_POST
def handoff_pack_retry(request: HttpRequest, public_id, version_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    version = _version(engagement, version_id)
    documents.handoff_pack_version_retry(version=version)
    messages.success(request, f"Rendering handoff pack v{version.number} again…")
    return redirect(_pack_section(engagement))


@workspace_view
@require_GET
def handoff_pack_progress(request: HttpRequest, public_id, version_id) -> HttpResponse:
    """The version fragment htmx polls while it renders."""
    engagement = engagement_or_404(public_id)
    (version,) = with_deliveries(
        [_version(engagement, version_id)], documents.handoff_pack_delivery_prefix
    )
    context = {"engagement": engagement, "version": version}
    return render(request, "enablement/_handoff_pack.html#version", context)


@workspace_view
@require_GET
def handoff_pack_download(request: HttpRequest, public_id, version_id) -> FileResponse:
    engagement = engagement_or_404(public_id)
    return document_download(_version(engagement, version_id))


@workspace_view
@require_POST
def handoff_pack_send(request: HttpRequest, public_id, version_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    version = _version(engagement, version_id)
    form = SendHandoffPackForm(request.POST, engagement=engagement, prefix="send")
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(_pack_section(engagement))
    rows = documents.handoff_pack_version_send(
        version=version, actor=request.user, recipients=list(form.cleaned_data["recipients"])
    )
    messages.success(
        request,
        f"Handoff pack v{version.number} is on its way to {len(rows)} "
        f"{'person' if len(rows) == 1 else 'people'}.",
    )
    return redirect(_pack_section(engagement))
