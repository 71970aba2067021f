"""Phase 4 — Build, Test & Optimize: readiness checks and the sign-off snapshot."""

from engagements.models import Engagement
from engagements.phases import Phase
from engagements.registry import Check, PhaseSpec
from sprints.models import (
    Deliverable,
    DeliverableStatus,
    Feedback,
    FeedbackSeverity,
    Scenario,
    Sprint,
    Triage,
)
from sprints.selectors import unproven_critical_scenarios


def readiness(engagement: Engagement) -> list[Check]:
    unproven = unproven_critical_scenarios(engagement=engagement)
    has_critical = Scenario.objects.filter(engagement=engagement, is_critical=True).exists()
    blockers = Feedback.objects.filter(
        engagement=engagement, severity=FeedbackSeverity.BLOCKER, triage=Triage.OPEN
    ).count()
    last_sprint = Sprint.objects.filter(engagement=engagement).order_by("-end_date", "-id").first()
    unfinished = (
        Deliverable.objects.filter(sprint=last_sprint).exclude(
            status__in=[DeliverableStatus.DONE, DeliverableStatus.DEFERRED]
        )
        if last_sprint
        else Deliverable.objects.none()
    )
    return [
        Check(
            has_critical and not unproven,
            "Every critical scenario passes, after its last change.",
            "Run every critical end-to-end scenario to a pass after its last change"
            + (
                f": not yet {', '.join(s.title for s in unproven)}."
                if unproven
                else " (mark at least one scenario critical)."
            ),
        ),
        Check(
            blockers == 0,
            "No open blocker from acceptance testing.",
            f"Triage the {blockers} open blocker UAT item{'s' if blockers != 1 else ''}.",
        ),
        Check(
            last_sprint is not None and not unfinished.exists(),
            "Every deliverable of the last sprint is done or deferred.",
            "Finish or explicitly defer every deliverable of the last sprint"
            + (
                f": {', '.join(d.title for d in unfinished)}."
                if last_sprint
                else " (plan a sprint)."
            ),
        ),
    ]


def snapshot(engagement: Engagement) -> dict:
    return {
        "sprints": [
            {"id": str(s.public_id), "name": s.name, "focus": s.get_focus_display(), "goal": s.goal}
            for s in Sprint.objects.filter(engagement=engagement)
        ],
        "deliverables": [
            {"id": str(d.public_id), "title": d.title, "status": d.get_status_display()}
            for d in Deliverable.objects.filter(engagement=engagement)
        ],
        "scenarios": [
            {"id": str(s.public_id), "title": s.title, "critical": s.is_critical,
             "last_run": _latest_outcome(s)}
            for s in Scenario.objects.filter(engagement=engagement).prefetch_related("runs")
        ],
        "uat_feedback": [
            {"id": str(f.public_id), "label": f.location, "severity": f.get_severity_display(),
             "triage": f.get_triage_display()}
            for f in Feedback.objects.filter(engagement=engagement)
        ],
    }  # fmt: skip


def _latest_outcome(scenario: Scenario) -> str:
    runs = list(scenario.runs.all())  # prefetched, newest first
    return runs[0].outcome if runs else ""


def _portal_context(engagement: Engagement, me) -> dict:
    from sprints.portal import portal_context

    return portal_context(engagement, me)


SPEC = PhaseSpec(
    phase=Phase.BUILD,
    readiness=readiness,
    snapshot=snapshot,
    workspace_url_name="sprints",
    portal_url_name="portal_build",
    portal_template="sprints/portal.html",
    portal_context=_portal_context,
)
