"""Client portal pages of Phase 3: the blueprint, scoring vendors, and sign-off."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from architecture import services
from architecture.models import Evaluation
from architecture.views import parse_scores
from engagements import selectors as engagement_selectors
from engagements.access import portal_view
from engagements.errors import ApplicationError
from engagements.phases import Phase
from engagements.portal import portal_engagement_or_404, render_portal_phase


@portal_view
def portal_architecture(request: HttpRequest, public_id) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    return render_portal_phase(request, engagement, Phase.ARCHITECTURE)


@portal_view
@require_POST
def portal_scores(request: HttpRequest, public_id, evaluation_id) -> HttpResponse:
    """An invited client evaluator saves their scores of every vendor."""
    engagement = portal_engagement_or_404(request, public_id)
    me = engagement_selectors.portal_stakeholder_for(
        membership=request.membership, engagement=engagement
    )
    evaluation = get_object_or_404(
        Evaluation.objects, engagement=engagement, evaluators=me, public_id=evaluation_id
    )
    try:
        count = services.scores_save(
            evaluation=evaluation,
            evaluator=request.user,
            scores=parse_scores(evaluation, request.POST),
        )
    except ApplicationError as error:
        messages.error(request, f"Nothing was saved: {error.message}")
    else:
        messages.success(
            request, f"Thank you — your {count} scores for {evaluation.title} are saved."
        )
    return redirect("portal_architecture", engagement.public_id)
