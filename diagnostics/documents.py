"""Phase 2's document: the diagnostic report, declared for the shared pipeline
(`engagements.registry.DocumentKind`)."""

from diagnostics.models import ReportVersion
from diagnostics.report import report_context
from engagements.models import StakeholderRole
from engagements.phases import Phase
from engagements.registry import DocumentKind

REPORT = DocumentKind(
    slug="report",
    label="Diagnostic report",
    noun="report",
    phase=Phase.DIAGNOSTIC,
    model=ReportVersion,
    template="diagnostics/pdf/report.html",
    context=report_context,
    page_url_name="report",
    anchor="versions",
    summary="what we found in the workshops, where the gaps are, and what we recommend next.",
    # The approvers, and leadership, who set the priorities the recommendations feed.
    recipients=lambda s: s.is_approver or s.role == StakeholderRole.LEADERSHIP,
    folder="reports",
    job_kind="diagnostic_report",
)
