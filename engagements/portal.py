"""The client portal: client users see their own engagements, and nothing else."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from engagements import registry, selectors
from engagements.access import portal_view
from engagements.forms import ApproveForm, RejectForm
from engagements.models import (
    Decision,
    Engagement,
    RequestStatus,
    SignoffRequest,
)
from engagements.pages import refusal_on
from engagements.phases import Phase
from engagements.services import documents, signoffs
from engagements.views import notification_settings_page
from engagements.waiting import waiting_for_client


def portal_engagement_or_404(request: HttpRequest, public_id) -> Engagement:
    engagement = (
        selectors.portal_engagement_list(membership=request.membership)
        .filter(public_id=public_id)
        .first()
    )
    if engagement is None:
        raise Http404
    return engagement


@portal_view
def portal_home(request: HttpRequest) -> HttpResponse:
    engagements = list(selectors.portal_engagement_list(membership=request.membership))
    context = {
        "engagements": engagements,
        "waiting": waiting_for_client(membership=request.membership) if engagements else [],
    }
    return render(request, "portal/home.html", context)


@portal_view
def portal_engagement(request: HttpRequest, public_id) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    context = {
        "engagement": engagement,
        "me": selectors.portal_stakeholder_for(
            membership=request.membership, engagement=engagement
        ),
        "stakeholders": selectors.stakeholder_list(engagement=engagement),
        "activity": selectors.activity_list(engagement=engagement, client_view=True)[:20],
        "waiting": waiting_for_client(membership=request.membership, engagement=engagement),
    }
    return render(request, "portal/engagement.html", context)


# --- Phase 1 and sign-off -------------------------------------------------------------------


def _signoff_context(engagement: Engagement, me, phase: str, **forms) -> dict:
    gate = selectors.gate_overview(engagement=engagement, phase=phase)
    request = gate["request"]
    mine = next((p for p in gate["progress"] if p["stakeholder"].pk == me.pk), None)
    return {
        "gate": gate,
        "is_my_decision": bool(request and me.is_approver and mine),
        "i_approved": bool(mine and mine["approved"]),
        "approve_form": forms.get("approve_form")
        or ApproveForm(prefix="approve", initial={"reviewed_digest": gate["live_digest"]}),
        "reject_form": forms.get("reject_form")
        or RejectForm(prefix="reject", initial={"reviewed_digest": gate["live_digest"]}),
        "open_form": forms.get("open_form"),
        "decisions": selectors.signoff_decisions(request=gate["last_closed"])
        if gate["last_closed"]
        else [],
    }


def portal_phase_context(request: HttpRequest, engagement: Engagement, phase: str, **forms) -> dict:
    """What a phase's portal page shows the signed-in stakeholder: the phase's own content (from
    its registered spec) and the sign-off panel. `forms` are bound sign-off forms to show again."""
    spec = registry.spec_for(phase)
    me = selectors.portal_stakeholder_for(membership=request.membership, engagement=engagement)
    return {
        "engagement": engagement,
        "me": me,
        **spec.portal_context(engagement, me),
        **_signoff_context(engagement, me, phase, **forms),
        "shared_documents": documents.document_shared_by_phase(engagement=engagement, phase=phase),
    }


def render_portal_phase(
    request: HttpRequest, engagement: Engagement, phase: str, *, status: int = 200, **forms
) -> HttpResponse:
    """Render a phase's portal page; phase apps call this from their portal views."""
    context = portal_phase_context(request, engagement, phase, **forms)
    return render(request, registry.spec_for(phase).portal_template, context, status=status)


@portal_view
def portal_onboarding(request: HttpRequest, public_id) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    return render_portal_phase(request, engagement, Phase.ONBOARDING)


@portal_view
@require_POST
def portal_signoff_decide(request: HttpRequest, public_id, phase: str) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    spec = registry.spec_for(phase) if phase in Phase.values else None
    if spec is None:
        raise Http404
    me = selectors.portal_stakeholder_for(membership=request.membership, engagement=engagement)
    signoff = SignoffRequest.objects.filter(
        engagement=engagement, phase=phase, status=RequestStatus.OPEN
    ).first()
    if signoff is None or not me.is_approver:
        messages.error(request, "There is no open sign-off request for you to decide on.")
        return redirect(spec.portal_url_name, engagement.public_id)
    decision = request.POST.get("decision")
    form_class = ApproveForm if decision == Decision.APPROVE else RejectForm
    form = form_class(request.POST, prefix="approve" if form_class is ApproveForm else "reject")
    if form.is_valid():
        with refusal_on(form):
            signoffs.signoff_decide(
                request=signoff,
                stakeholder=me,
                decision=Decision.APPROVE if decision == Decision.APPROVE else Decision.REJECT,
                reviewed_digest=form.cleaned_data["reviewed_digest"],
                typed_name=form.cleaned_data.get("typed_name", ""),
                comment=form.cleaned_data.get("comment", ""),
                ip_address=request.META.get("REMOTE_ADDR"),
                user_agent=request.headers.get("user-agent", ""),
            )
            verb = "approved" if decision == Decision.APPROVE else "rejected"
            messages.success(request, f"You {verb} {Phase(phase).label}. Thank you.")
            return redirect(spec.portal_url_name, engagement.public_id)
    form_key = "approve_form" if form_class is ApproveForm else "reject_form"
    return render_portal_phase(
        request, engagement, phase, status=400, open_form=form_key, **{form_key: form}
    )


@portal_view
@require_http_methods(["GET", "POST"])
def portal_notification_settings(request: HttpRequest) -> HttpResponse:
    return notification_settings_page(
        request, "portal/notification_settings.html", "portal_notification_settings"
    )
