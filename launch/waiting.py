"""What Phase 5 asks of the consultants: cutover runbook steps due, and hypercare incidents
past their response-time target.

Client users have nothing to act on here: an incident they reported has no reply in the portal
(they follow its status under "Your incidents"), so nothing of Phase 5 waits on them."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from engagements import registry
from engagements.models import Engagement
from engagements.phases import Phase
from engagements.waiting import WaitingItem
from launch.models import (
    DEFAULT_RESPONSE_MINUTES,
    EscalationPolicy,
    Incident,
    IncidentStatus,
    RunbookStep,
)

DUE_WITHIN = timedelta(days=1)
"""Runbook steps show as due from a day before their planned time."""


def runbook_steps_due(engagements: list[Engagement]) -> list[WaitingItem]:
    """Steps not ticked off, planned within a day or already past, on engagements in the launch
    phase. One query."""
    launching = {e.pk: e for e in engagements if e.current_phase == Phase.LAUNCH}
    if not launching:
        return []
    steps = RunbookStep.objects.filter(
        engagement_id__in=launching,
        done_at__isnull=True,
        planned_at__lte=timezone.now() + DUE_WITHIN,
    ).order_by("planned_at", "position", "id")
    items = []
    for step in steps:
        engagement = launching[step.engagement_id]
        planned = timezone.localtime(step.planned_at)
        items.append(
            WaitingItem(
                kind="runbook",
                title=f"Step {step.position + 1}: {step.title}",
                engagement=engagement,
                url=reverse("launch", args=[engagement.public_id]) + f"#step-{step.public_id}",
                action="Open the runbook",
                phase=Phase.LAUNCH,
                due=planned.date(),
                since=step.planned_at,
                detail=f"Planned {date_format(planned, 'j M, H:i')} · {step.minutes} min · "
                f"owner {step.owner}",
            )
        )
    return items


def incidents_past_target(engagements: list[Engagement]) -> list[WaitingItem]:
    """Open incidents (not yet responded to) older than their severity's response target (the
    engagement's policy, or the default). Two queries."""
    by_pk = {e.pk: e for e in engagements}
    now = timezone.now()
    # No incident can be late before the shortest target has passed: filter on it in SQL.
    shortest = min(DEFAULT_RESPONSE_MINUTES.values())
    policies = {
        (p.engagement_id, p.severity): p.response_minutes
        for p in EscalationPolicy.objects.filter(engagement_id__in=by_pk)
    }
    shortest = min([shortest, *policies.values()])
    incidents = Incident.objects.filter(
        engagement_id__in=by_pk,
        status=IncidentStatus.OPEN,
        created_at__lte=now - timedelta(minutes=shortest),
    ).order_by("created_at", "id")
    items = []
    for incident in incidents:
        minutes = policies.get(
            (incident.engagement_id, incident.severity), DEFAULT_RESPONSE_MINUTES[incident.severity]
        )
        late = now - incident.created_at - timedelta(minutes=minutes)
        if late <= timedelta(0):
            continue
        engagement = by_pk[incident.engagement_id]
        items.append(
            WaitingItem(
                kind="incident",
                title=f"{incident.get_severity_display()}: {incident.title}",
                engagement=engagement,
                url=reverse("incident", args=[engagement.public_id, incident.public_id]),
                action="Respond",
                phase=Phase.LAUNCH,
                since=incident.created_at,
                since_label="reported",
                detail=f"No response after {_duration(now - incident.created_at)}; the target "
                f"is {_duration(timedelta(minutes=minutes))}.",
            )
        )
    return items


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


KINDS = (
    registry.WaitingKind("runbook", "Runbook steps due", registry.STAFF, runbook_steps_due),
    registry.WaitingKind(
        "incident", "Incidents past their response target", registry.STAFF, incidents_past_target
    ),
)
