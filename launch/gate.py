"""Phase 5 — Launch & Deployment: readiness checks and the sign-off snapshot."""

from engagements.models import Engagement
from engagements.phases import Phase
from engagements.registry import Check, PhaseSpec
from launch.models import (
    Incident,
    IncidentSeverity,
    IncidentStatus,
    LaunchPlan,
    MigrationDataset,
    RollbackStep,
    RunbookStep,
    Wave,
    WaveStatus,
)
from launch.workbench.selectors import current_dataset
from launch.workbench.selectors import readiness_check as migration_readiness


def readiness(engagement: Engagement) -> list[Check]:
    waves = list(Wave.objects.filter(engagement=engagement))
    pending = [w.name for w in waves if w.status not in (WaveStatus.LIVE, WaveStatus.CANCELLED)]
    sev1 = Incident.objects.filter(engagement=engagement, severity=IncidentSeverity.SEV1).exclude(
        status=IncidentStatus.RESOLVED
    )
    plan = LaunchPlan.objects.filter(engagement=engagement).first()
    has_rollback = (
        bool(plan and plan.rollback_triggers.strip())
        and RollbackStep.objects.filter(engagement=engagement).exists()
    )
    return [
        migration_readiness(engagement=engagement),
        Check(
            bool(waves) and not pending,
            "Every rollout wave is live or consciously cancelled.",
            "Take every wave live or cancel it"
            + (f": not yet {', '.join(pending)}." if waves else " (plan the pilot wave first)."),
        ),
        Check(
            not sev1.exists(),
            "No open Sev 1 incident.",
            f"Resolve the open Sev 1 incidents: {', '.join(i.title for i in sev1)}.",
        ),
        Check(
            has_rollback,
            "The rollback plan is written.",
            "Write the rollback plan: its trigger criteria and the ordered rollback steps.",
        ),
    ]


def snapshot(engagement: Engagement) -> dict:
    plan = LaunchPlan.objects.filter(engagement=engagement).first()
    return {
        "plan": [] if plan is None else [{
            "id": str(plan.public_id), "label": "Launch plan",
            "cutover": f"{plan.cutover_start} – {plan.cutover_end} ({plan.time_zone})",
            "rollback_triggers": plan.rollback_triggers,
        }],
        "runbook": [
            {"id": str(s.public_id), "title": s.title, "owner": s.owner,
             "done": bool(s.done_at)}
            for s in RunbookStep.objects.filter(engagement=engagement)
        ],
        "rollback": [
            {"id": str(s.public_id), "title": s.title, "owner": s.owner}
            for s in RollbackStep.objects.filter(engagement=engagement)
        ],
        "waves": [
            {"id": str(w.public_id), "name": w.name, "status": w.get_status_display()}
            for w in Wave.objects.filter(engagement=engagement)
        ],
        "data_migration": _migration_snapshot(current_dataset(engagement=engagement)),
        "sev1_incidents": [
            {"id": str(i.public_id), "title": i.title, "status": i.get_status_display()}
            for i in Incident.objects.filter(engagement=engagement, severity=IncidentSeverity.SEV1)
        ],
    }  # fmt: skip


def _migration_snapshot(dataset: MigrationDataset | None) -> list[dict]:
    """The current dataset, so a rollback or a new commit makes an open sign-off stale."""
    if dataset is None:
        return []
    return [
        {
            "id": str(dataset.public_id),
            "label": f"Dataset v{dataset.number}",
            "rows_in": dataset.rows_in,
            "rejected": dataset.rejected_count,
            "note": dataset.note,
        }
    ]


def _portal_context(engagement: Engagement, me) -> dict:
    from launch.portal import portal_context

    return portal_context(engagement, me)


SPEC = PhaseSpec(
    phase=Phase.LAUNCH,
    readiness=readiness,
    snapshot=snapshot,
    workspace_url_name="launch",
    portal_url_name="portal_launch",
    portal_template="launch/portal.html",
    portal_context=_portal_context,
)
