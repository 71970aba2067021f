"""Client portal pages of Phase 2: the shared report versions, pre-workshop questions, and
sign-off."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from diagnostics import services
from diagnostics.forms import PreworkForm
from diagnostics.models import WorkshopPrompt
from engagements import selectors as engagement_selectors
from engagements.access import portal_view
from engagements.phases import Phase
from engagements.portal import portal_engagement_or_404, render_portal_phase


@portal_view
def portal_diagnostic(request: HttpRequest, public_id) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    return render_portal_phase(request, engagement, Phase.DIAGNOSTIC)


@portal_view
@require_POST
def portal_prework(request: HttpRequest, public_id, prompt_id) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    me = engagement_selectors.portal_stakeholder_for(
        membership=request.membership, engagement=engagement
    )
    prompt = get_object_or_404(
        WorkshopPrompt.objects.select_related("workshop"),
        workshop__engagement=engagement,
        workshop__attendees=me,
        public_id=prompt_id,
    )
    form = PreworkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write an answer before saving it.")
    else:
        services.prework_answer_save(prompt=prompt, stakeholder=me, text=form.cleaned_data["text"])
        messages.success(request, "Thank you — your answer is saved for the workshop.")
    return redirect("portal_diagnostic", engagement.public_id)
