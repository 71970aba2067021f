"""Phase 1's document: the alignment charter PDF — goals, success metrics with their baselines
and targets, scope, stakeholders and their RACI, the communication rhythm and the milestones —
the first document a client signs. Declared for the shared pipeline
(`engagements.registry.DocumentKind`); its context is read in a fixed number of queries."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from engagements.models import (
    Charter,
    CharterVersion,
    Engagement,
    HeadcountLine,
    Meeting,
    Milestone,
    PainPoint,
    RaciAssignment,
    RoleExclusion,
    Stakeholder,
    SuccessMetric,
    Tool,
)
from engagements.phases import WORKING_PHASES, Phase
from engagements.registry import DocumentKind


def _measure(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():f} {unit}".strip()


def charter_context(
    engagement: Engagement, *, version_number: int, today: date | None = None
) -> dict[str, Any]:
    """Everything the charter template needs, in eleven queries whatever its size. `today`
    pins the generation date (for tests)."""
    engagement = Engagement.objects.select_related("firm", "client", "lead_consultant").get(
        pk=engagement.pk
    )
    stakeholders = list(Stakeholder.objects.filter(engagement=engagement).order_by("role", "name"))
    assigned = {
        (r.stakeholder_id, r.phase): r.responsibility
        for r in RaciAssignment.objects.filter(engagement=engagement)
    }
    milestones = {m.phase: m for m in Milestone.objects.filter(engagement=engagement)}
    metrics = [
        {
            "metric": m,
            "baseline": _measure(m.baseline, m.unit),
            "target": _measure(m.target, m.unit),
        }
        for m in SuccessMetric.objects.filter(engagement=engagement)
    ]
    return {
        "engagement": engagement,
        "client": engagement.client,
        "firm": engagement.firm,
        "lead_consultant": engagement.lead_consultant,
        "version_number": version_number,
        "generated_on": today or timezone.localdate(),
        "charter": Charter.objects.filter(engagement=engagement).first(),
        "metrics": metrics,
        "stakeholders": stakeholders,
        "approvers": [s for s in stakeholders if s.is_approver],
        "phases": WORKING_PHASES,
        "raci": [
            {
                "stakeholder": s,
                "cells": [assigned.get((s.pk, phase.value), "") for phase in WORKING_PHASES],
            }
            for s in stakeholders
        ],
        "raci_is_empty": not assigned,
        "meetings": list(Meeting.objects.filter(engagement=engagement)),
        "timeline": [{"phase": p, "milestone": milestones.get(p.value)} for p in WORKING_PHASES],
        "headcount": list(HeadcountLine.objects.filter(engagement=engagement)),
        "tools": list(Tool.objects.filter(engagement=engagement).order_by("name")),
        "pain_points": list(PainPoint.objects.filter(engagement=engagement)),
        "roles_out": list(RoleExclusion.objects.filter(engagement=engagement)),
    }


CHARTER = DocumentKind(
    slug="charter",
    label="Alignment charter",
    noun="charter",
    phase=Phase.ONBOARDING,
    model=CharterVersion,
    template="engagements/pdf/charter.html",
    context=charter_context,
    page_url_name="onboarding",
    anchor="charter-pdf",
    summary="the goals we agreed, the success metrics with their baselines and targets, the "
    "scope, who is responsible for what, how we keep in touch, and the milestones.",
    job_kind="alignment_charter",
)
