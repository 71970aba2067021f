"""Reads of Phase 5 shared by the pages and the beat jobs."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from engagements.models import Engagement
from launch.models import Channel, Communication, Incident, IncidentStatus


def engagements_with_due_communications(*, now: datetime) -> QuerySet[Engagement]:
    """Engagements of the firm in scope with a planned email whose time has come."""
    due = Communication.objects.filter(
        channel=Channel.EMAIL, sent_at__isnull=True, send_at__lte=now
    )
    return Engagement.objects.filter(pk__in=due.values("engagement_id")).order_by("pk")


def engagements_with_open_incidents() -> QuerySet[Engagement]:
    """Engagements of the firm in scope with an incident still open."""
    open_incidents = Incident.objects.filter(status=IncidentStatus.OPEN)
    return Engagement.objects.filter(pk__in=open_incidents.values("engagement_id")).order_by("pk")
