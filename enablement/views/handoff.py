"""Workspace pages of Phase 6's handoff: the checklist (documentation transferred, access
consolidated, open items), the ongoing support model, and the handoff pack PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from enablement.forms.handoff import (
    AccessTransferForm,
    DocumentTransferForm,
    OpenItemForm,
    SupportPlanForm,
)
from enablement.models import (
    AccessTransfer,
    DocumentTransfer,
    OpenItem,
    OpenItemStatus,
    SupportPlan,
)
from enablement.services import handoff as services
from engagements.access import workspace_view
from engagements.document_pages import document_section
from engagements.models import Engagement
from engagements.pages import (
    engagement_or_404,
    phase_page,
    refusal_on,
)
from engagements.phases import Phase

ENABLEMENT = Phase.ENABLEMENT

# kind in the URL → (model, form, heading of its section, label of its add button)
CHECKLIST = {
    "documents": (DocumentTransfer, DocumentTransferForm, "Documentation", "Add a document"),
    "access": (AccessTransfer, AccessTransferForm, "Access", "Add an account"),
    "open-items": (OpenItem, OpenItemForm, "Open items", "Add an open item"),
}


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
        "handoff_document": document_section("handoff-pack", engagement),
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
