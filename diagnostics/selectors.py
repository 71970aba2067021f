"""Reads of Phase 2 shared by the workspace, the portal and the gate."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from diagnostics.models import (
    Finding,
    FindingCategory,
    PreworkAnswer,
    Recommendation,
    Workshop,
    WorkshopGroup,
    WorkshopPrompt,
    WorkshopStatus,
)
from engagements.models import Engagement, Stakeholder


def prework_for(*, engagement: Engagement, stakeholder: Stakeholder) -> list[dict]:
    """Planned sessions the stakeholder is invited to, with the questions for their role and
    the answers they already gave."""
    mine = PreworkAnswer.objects.filter(stakeholder=stakeholder)
    workshops = Workshop.objects.filter(
        engagement=engagement, status=WorkshopStatus.PLANNED, attendees=stakeholder
    ).prefetch_related(
        Prefetch("prompts", queryset=WorkshopPrompt.objects.prefetch_related(
            Prefetch("prework", queryset=mine, to_attr="my_answers")))
    )  # fmt: skip
    return [
        {
            "workshop": workshop,
            "prompts": [
                prompt
                for prompt in workshop.prompts.all()
                if workshop.group == WorkshopGroup.MIXED or prompt.group == stakeholder.role
            ],
        }
        for workshop in workshops
    ]


def findings_by_category(*, engagement: Engagement) -> list[dict]:
    findings = list(Finding.objects.filter(engagement=engagement))
    return [
        {"label": label, "findings": [f for f in findings if f.category == value]}
        for value, label in FindingCategory.choices
        if any(f.category == value for f in findings)
    ]


def recommendations(*, engagement: Engagement) -> QuerySet:
    return Recommendation.objects.filter(engagement=engagement).prefetch_related("findings")


def portal_context(engagement: Engagement, me: Stakeholder) -> dict[str, Any]:
    context: dict[str, Any] = {"prework": prework_for(engagement=engagement, stakeholder=me)}
    if me.is_approver:
        context.update(
            finding_groups=findings_by_category(engagement=engagement),
            recommendations=recommendations(engagement=engagement),
        )
    return context
