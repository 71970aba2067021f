"""Phase 2 — Diagnostic Workshops: readiness checks and the sign-off snapshot."""

from diagnostics.models import (
    DataSource,
    Finding,
    Recommendation,
    ReportVersion,
    ToolAssessment,
    Workshop,
    WorkshopStatus,
)
from engagements.models import Engagement, RoleExclusion
from engagements.phases import Phase
from engagements.registry import Check, PhaseSpec
from engagements.services.documents import document_shared_list

ROLES = {"leadership": "leadership", "manager": "managers", "rep": "reps", "ops": "ops"}


def roles_in_scope(engagement: Engagement) -> list[str]:
    excluded = set(
        RoleExclusion.objects.filter(engagement=engagement).values_list("role", flat=True)
    )
    return [role for role in ROLES if role not in excluded]


def latest_sent_version(engagement: Engagement) -> ReportVersion | None:
    from diagnostics.documents import REPORT

    sent = document_shared_list(kind=REPORT, engagement=engagement)
    return sent[0] if sent else None


def readiness(engagement: Engagement) -> list[Check]:
    completed = Workshop.objects.filter(
        engagement=engagement, status=WorkshopStatus.COMPLETED
    ).prefetch_related("attendees")
    covered = set().union(*(workshop.roles for workshop in completed)) if completed else set()
    missing = [ROLES[role] for role in roles_in_scope(engagement) if role not in covered]
    return [
        Check(
            not missing,
            "Every role in scope has a completed workshop.",
            f"Complete at least one workshop with {', '.join(missing)}.",
        ),
        Check(
            latest_sent_version(engagement) is not None,
            "A report version is rendered and sent.",
            "Render the diagnostic report and send it to the stakeholders.",
        ),
    ]


def snapshot(engagement: Engagement) -> dict:
    version = latest_sent_version(engagement)
    return {
        "workshops": [
            {"id": str(w.public_id), "title": w.title, "group": w.get_group_display(),
             "status": w.get_status_display()}
            for w in Workshop.objects.filter(engagement=engagement)
        ],
        "findings": [
            {"id": str(f.public_id), "title": f.title, "category": f.get_category_display(),
             "severity": f.get_severity_display(), "view": f.get_process_view_display()}
            for f in Finding.objects.filter(engagement=engagement)
        ],
        "tool_assessments": [
            {"id": str(a.public_id), "label": a.tool.name, "value": a.value,
             "complexity": a.complexity}
            for a in ToolAssessment.objects.filter(engagement=engagement).select_related("tool")
        ],
        "data_landscape": [
            {"id": str(d.public_id), "label": d.system, "objects": d.objects_held,
             "records": d.record_count}
            for d in DataSource.objects.filter(engagement=engagement)
        ],
        "recommendations": [
            {"id": str(r.public_id), "title": r.title, "detail": r.detail}
            for r in Recommendation.objects.filter(engagement=engagement)
        ],
        "report": [] if version is None else [
            {"id": str(version.public_id), "label": f"Report v{version.number}",
             "digest": version.digest}
        ],
    }  # fmt: skip


SPEC = PhaseSpec(
    phase=Phase.DIAGNOSTIC,
    readiness=readiness,
    snapshot=snapshot,
    workspace_url_name="diagnostic",
    portal_url_name="portal_diagnostic",
    portal_template="diagnostics/portal.html",
    portal_context=lambda engagement, me: _portal_context(engagement, me),
)


def _portal_context(engagement: Engagement, me) -> dict:
    from diagnostics.selectors import portal_context

    return portal_context(engagement, me)
