"""The launch plan: its context, its HTML and its PDF.

Read in a fixed number of queries whatever the size of the plan. The caller sets the tenant
scope; every query goes through the scoped managers, so another firm's engagement is not found.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from diagnostics.report import html_to_document
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

TEMPLATE = "launch/pdf/launch_plan.html"

Progress = Callable[[int, str], None]

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


def render_launch_plan_html(engagement: Engagement, *, version_number: int) -> str:
    return render_to_string(
        TEMPLATE, launch_plan_context(engagement, version_number=version_number)
    )


def render_launch_plan_pdf(
    engagement: Engagement, *, version_number: int, progress: Progress | None = None
) -> tuple[bytes, int]:
    """The launch plan as PDF bytes and its page count. `progress(percent, message)` is told
    each step. Like the diagnostic report, it renders offline: external URLs are refused."""

    def report(percent: int, message: str) -> None:
        if progress is not None:
            progress(percent, message)

    report(10, "Gathering the runbook, communications and waves")
    html = render_launch_plan_html(engagement, version_number=version_number)
    report(35, "Laying out the launch plan")
    document = html_to_document(html)
    report(85, "Writing the PDF")
    return document.write_pdf(), len(document.pages)
