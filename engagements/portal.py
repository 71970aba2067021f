"""The client portal: client users see their own engagements, and nothing else."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from engagements import selectors
from engagements.access import portal_view
from engagements.models import Engagement


def _portal_engagement(request: HttpRequest, public_id) -> Engagement:
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
    engagements = selectors.portal_engagement_list(membership=request.membership)
    return render(request, "portal/home.html", {"engagements": engagements})


@portal_view
def portal_engagement(request: HttpRequest, public_id) -> HttpResponse:
    engagement = _portal_engagement(request, public_id)
    context = {
        "engagement": engagement,
        "me": selectors.portal_stakeholder_for(
            membership=request.membership, engagement=engagement
        ),
        "stakeholders": selectors.stakeholder_list(engagement=engagement),
        "activity": selectors.activity_list(engagement=engagement, client_view=True)[:20],
    }
    return render(request, "portal/engagement.html", context)
