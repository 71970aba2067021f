"""The launch plan's context (its template and PDF: `launch.documents`).

Read in a fixed number of queries whatever the size of the plan. The caller sets the tenant
scope; every query goes through the scoped managers, so another firm's engagement is not found.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from engagements.models import Engagement, Stakeholder, StakeholderRole
from launch.forms import zone_or_none
from launch.models import (
    Communication,
    LaunchPlan,
    MonitoringCheck,
    RollbackStep,
    RunbookStep,
    Wave,
)

ROLE_LABELS = dict(StakeholderRole.choices)


def launch_plan_context(
    engagement: Engagement, *, version_number: int, today: date | None = None
) -> dict[str, Any]:
    """Everything the launch plan template needs, in eight queries. `today` pins the date."""
    engagement = Engagement.objects.select_related("firm", "client", "lead_consultant").get(
        pk=engagement.pk
    )
    plan = LaunchPlan.objects.filter(engagement=engagement).first()
    communications = [
        {"communication": c, "audience": ", ".join(ROLE_LABELS.get(r, r) for r in c.audience_roles)}
        for c in Communication.objects.filter(engagement=engagement)
    ]
    waves = Wave.objects.filter(engagement=engagement).prefetch_related(
        Prefetch("members", queryset=Stakeholder.objects.order_by("name"))
    )
    return {
        "engagement": engagement,
        "client": engagement.client,
        "firm": engagement.firm,
        "lead_consultant": engagement.lead_consultant,
        "version_number": version_number,
        "generated_on": today or timezone.localdate(),
        "plan": plan,
        # Times are printed in the plan's own time zone, the one the cutover team works in.
        "zone": (plan.time_zone if plan and zone_or_none(plan.time_zone) else "UTC"),
        "runbook": list(RunbookStep.objects.filter(engagement=engagement)),
        "communications": communications,
        "monitoring": list(MonitoringCheck.objects.filter(engagement=engagement)),
        "rollback_steps": list(RollbackStep.objects.filter(engagement=engagement)),
        "waves": list(waves),
    }
