"""Client portal page of Phase 5: the cutover window, the rollout waves (and mine), the launch
communications already sent, reporting an incident and following the ones I reported."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from engagements.access import portal_view
from engagements.forms import ShapeOnlyModelForm
from engagements.models import Engagement, Stakeholder
from engagements.pages import refusal_on
from engagements.phases import Phase
from engagements.portal import (
    portal_engagement_or_404,
    portal_phase_context,
    render_portal_phase,
)
from launch import services
from launch.models import Communication, Incident, LaunchPlan, Wave, WaveMember


class IncidentReportForm(ShapeOnlyModelForm):
    class Meta:
        model = Incident
        fields = ["title", "description", "category", "severity"]
        labels = {"title": "What went wrong", "description": "Details"}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "description": "What you were doing, what you expected, and what happened instead."
        }


def portal_context(engagement: Engagement, me: Stakeholder) -> dict:
    """What the Launch page shows a client stakeholder. A fixed number of queries."""
    my_wave_ids = set(
        WaveMember.objects.filter(wave__engagement=engagement, stakeholder=me).values_list(
            "wave_id", flat=True
        )
    )
    waves = list(Wave.objects.filter(engagement=engagement))
    return {
        "plan": LaunchPlan.objects.filter(engagement=engagement).first(),
        "waves": [{"wave": wave, "is_mine": wave.pk in my_wave_ids} for wave in waves],
        "my_waves": [wave for wave in waves if wave.pk in my_wave_ids],
        "communications_sent": list(
            Communication.objects.filter(engagement=engagement, sent_at__isnull=False).order_by(
                "-sent_at", "-id"
            )
        ),
        # Incidents belong to users (a consultant may report too); mine are my user's.
        "my_incidents": list(
            Incident.objects.filter(engagement=engagement, reported_by_id=me.user_id)
        ),
        "incident_form": IncidentReportForm(),
    }


@portal_view
def portal_launch(request: HttpRequest, public_id) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    return render_portal_phase(request, engagement, Phase.LAUNCH)


@portal_view
@require_POST
def portal_incident_report(request: HttpRequest, public_id) -> HttpResponse:
    """A client user reports a problem with the new system; the consultants triage it."""
    engagement = portal_engagement_or_404(request, public_id)
    form = IncidentReportForm(request.POST)
    if form.is_valid():
        with refusal_on(form):
            services.incident_report(
                engagement=engagement, reporter=request.user, **form.cleaned_data
            )
            messages.success(
                request,
                "Thank you — your incident is reported. Your consultant responds to it; its "
                "status shows under “Your incidents”.",
            )
            return redirect("portal_launch", engagement.public_id)
    context = {
        **portal_phase_context(request, engagement, Phase.LAUNCH),
        "incident_form": form,
    }
    return render(request, "launch/portal.html", context, status=400)
