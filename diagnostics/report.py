"""The diagnostic report's context (its template and PDF are in `diagnostics.documents`).

Everything is read in a fixed number of queries (see `report_context`), so a report with 60
findings costs the same round trips as one with 6. The caller sets the tenant scope; every
query goes through the scoped managers, so an engagement of another firm is not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.safestring import mark_safe

from diagnostics.charts import value_complexity_svg
from diagnostics.models import (
    SEVERITY_ORDER,
    DataSource,
    Finding,
    FindingCategory,
    FindingSeverity,
    ProcessView,
    Recommendation,
    ReportDraft,
    ToolAssessment,
    Workshop,
    WorkshopStatus,
)
from engagements.models import Engagement, Tool

PROCESS_VIEW_MARKERS = {ProcessView.ACTUAL: "As practised", ProcessView.SUPPOSED: "As designed"}


@dataclass(frozen=True)
class ReportFinding:
    """A finding with the reference it carries everywhere in the report (F1, F2, …)."""

    ref: str
    number: int
    finding: Finding
    tools: list[str]

    @property
    def marker(self) -> str:
        return PROCESS_VIEW_MARKERS.get(self.finding.process_view, "")


@dataclass
class SeverityGroup:
    severity: str
    label: str
    findings: list[ReportFinding] = field(default_factory=list)


@dataclass
class CategoryGroup:
    category: str
    label: str
    severities: list[SeverityGroup]

    @property
    def count(self) -> int:
        return sum(len(group.findings) for group in self.severities)

    @property
    def counts(self) -> list[int]:
        """Counts per severity in SEVERITY_ORDER, for the summary table."""
        return [len(group.findings) for group in self.severities]


@dataclass(frozen=True)
class ReportRecommendation:
    number: int
    recommendation: Recommendation
    finding_refs: list[str]


@dataclass(frozen=True)
class ReportWorkshop:
    workshop: Workshop
    agenda_minutes: int


def _severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _group_findings(findings: list[Finding]) -> tuple[list[CategoryGroup], dict[int, str]]:
    """Findings by category (FindingCategory order), then severity (SEVERITY_ORDER), then age.

    The reference numbers follow that same order, so F1 is the first finding a reader meets.
    """
    category_order = [choice.value for choice in FindingCategory]
    severity_labels = dict(FindingSeverity.choices)
    groups = {
        category: CategoryGroup(
            category=category,
            label=label,
            severities=[
                SeverityGroup(severity=severity, label=severity_labels[severity])
                for severity in SEVERITY_ORDER
            ],
        )
        for category, label in FindingCategory.choices
    }
    ordered = sorted(
        (f for f in findings if f.category in groups),
        key=lambda f: (category_order.index(f.category), _severity_rank(f.severity), f.pk),
    )
    refs: dict[int, str] = {}
    for number, finding in enumerate(ordered, start=1):
        ref = f"F{number}"
        refs[finding.pk] = ref
        entry = ReportFinding(
            ref=ref,
            number=number,
            finding=finding,
            tools=[tool.name for tool in finding.affected_tools.all()],
        )
        group = groups[finding.category]
        group.severities[_severity_rank(finding.severity)].findings.append(entry)
    return list(groups.values()), refs


def _workshop_sort_key(workshop: Workshop) -> tuple[bool, datetime | None, int]:
    # Unscheduled sessions last, whatever the database does with NULLs.
    return (workshop.scheduled_at is None, workshop.scheduled_at, workshop.pk)


def report_context(
    engagement: Engagement, *, version_number: int, today: date | None = None
) -> dict[str, Any]:
    """Everything the report template needs, in at most 13 queries whatever the data size.

    engagement (1), draft (1), findings + tools (2), assessments + overlaps (2),
    data sources (1), recommendations + findings (2), workshops + agenda, prompts,
    attendees (4). A prefetch is skipped when its parent list is empty. `today` pins the
    generation date (for tests); by default it is today in the active time zone.
    """
    engagement = Engagement.objects.select_related("firm", "client", "lead_consultant").get(
        pk=engagement.pk
    )
    draft = ReportDraft.objects.filter(engagement=engagement).first()

    findings = list(
        Finding.objects.filter(engagement=engagement)
        .select_related("workshop")
        .prefetch_related(Prefetch("affected_tools", queryset=Tool.objects.order_by("name")))
    )
    categories, refs = _group_findings(findings)
    severity_summary = [
        {
            "severity": severity,
            "label": FindingSeverity(severity).label,
            "total": sum(group.counts[index] for group in categories),
        }
        for index, severity in enumerate(SEVERITY_ORDER)
    ]

    assessments = list(
        ToolAssessment.objects.filter(engagement=engagement)
        .select_related("tool")
        .prefetch_related(Prefetch("overlaps", queryset=Tool.objects.order_by("name")))
    )

    recommendations = [
        ReportRecommendation(
            number=number,
            recommendation=recommendation,
            finding_refs=sorted(
                (refs[f.pk] for f in recommendation.findings.all() if f.pk in refs),
                key=lambda ref: int(ref[1:]),
            ),
        )
        for number, recommendation in enumerate(
            Recommendation.objects.filter(engagement=engagement).prefetch_related(
                Prefetch("findings", queryset=Finding.objects.only("id"))
            ),
            start=1,
        )
    ]

    workshops = [
        ReportWorkshop(
            workshop=workshop, agenda_minutes=sum(item.minutes for item in workshop.agenda.all())
        )
        for workshop in sorted(
            Workshop.objects.filter(
                engagement=engagement,
                status__in=[WorkshopStatus.COMPLETED, WorkshopStatus.PLANNED],
            )
            .select_related("facilitator")
            .prefetch_related("agenda", "prompts", "attendees"),
            key=_workshop_sort_key,
        )
    ]

    return {
        "engagement": engagement,
        "client": engagement.client,
        "firm": engagement.firm,
        "lead_consultant": engagement.lead_consultant,
        "version_number": version_number,
        "generated_on": today or timezone.localdate(),
        "executive_summary": draft.executive_summary if draft else "",
        "current_state": draft.current_state if draft else "",
        "gaps": draft.gaps if draft else "",
        "finding_count": len(refs),
        "finding_categories": categories,
        "severity_summary": severity_summary,
        "assessments": assessments,
        "assessment_notes": [a for a in assessments if a.notes],
        # The SVG is built from our own template with every value escaped.
        "value_complexity_chart": mark_safe(value_complexity_svg(assessments)),  # noqa: S308
        "data_sources": list(DataSource.objects.filter(engagement=engagement)),
        "recommendations": recommendations,
        "workshops_completed": [
            w for w in workshops if w.workshop.status == WorkshopStatus.COMPLETED
        ],
        "workshops_planned": [w for w in workshops if w.workshop.status == WorkshopStatus.PLANNED],
    }
