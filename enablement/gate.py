"""Phase 6 — Enablement & Ongoing Support: readiness checks and the sign-off snapshot.

Approving this phase signs off the last one, and that approval closes the engagement
(`engagements.services.signoffs` moves it to "closed" and marks it completed)."""

from django.db.models import Count

from enablement.models import (
    AccessTransfer,
    DocumentTransfer,
    OpenItem,
    OpenItemStatus,
    SupportPlan,
    TrainingModule,
)
from enablement.selectors.adoption import open_critical_alerts
from enablement.selectors.training import (
    ROLE_LABELS,
    completion_summary,
    completion_threshold,
    training_roles,
)
from engagements.models import Engagement, Stakeholder
from engagements.phases import Phase
from engagements.registry import Check, PhaseSpec


def _training_checks(engagement: Engagement) -> list[Check]:
    summary = {row.role: row for row in completion_summary(engagement=engagement)}
    threshold = completion_threshold(engagement=engagement)
    required = training_roles(engagement=engagement)
    untrained = [ROLE_LABELS[role].lower() for role in required if role not in summary]
    below = [
        f"{row.label.lower()} {row.percent}% ({row.completed} of {row.assigned})"
        for row in summary.values()
        if not row.meets_threshold
    ]
    return [
        Check(
            bool(summary) and not untrained,
            "Every role in training has its modules assigned.",
            "Assign training to every role"
            + (f": none yet for {', '.join(untrained)}." if untrained else " (none assigned yet)."),
        ),
        Check(
            bool(summary) and not below,
            f"Training is completed by at least {threshold}% of each role's assignments.",
            f"Get training completion to {threshold}% for each role"
            + (f": now {'; '.join(below)}." if below else "."),
        ),
    ]


def _day(value) -> str | None:
    return value.isoformat() if value else None


def readiness(engagement: Engagement) -> list[Check]:
    alerts = [alert.title for alert in open_critical_alerts(engagement=engagement)]
    documents = list(DocumentTransfer.objects.filter(engagement=engagement))
    access = list(AccessTransfer.objects.filter(engagement=engagement))
    open_items = list(OpenItem.objects.filter(engagement=engagement, status=OpenItemStatus.OPEN))
    not_transferred = [d.title for d in documents if not d.transferred_on]
    not_moved = [str(a) for a in access if not a.moved_on]
    return [
        *_training_checks(engagement),
        Check(
            not alerts,
            "No open critical adoption alert.",
            f"Resolve the open critical adoption alerts: {'; '.join(alerts)}.",
        ),
        Check(
            bool(documents) and not not_transferred,
            "All documentation is transferred to the client.",
            "Transfer the documentation to the client"
            + (
                f": not yet {', '.join(not_transferred)}."
                if documents
                else " (list what is handed over first)."
            ),
        ),
        Check(
            bool(access) and not not_moved,
            "Every admin credential and account owner has moved to the client.",
            "Move every admin credential and account owner to the client"
            + (
                f": not yet {', '.join(not_moved)}."
                if access
                else " (record each system's admin accounts first)."
            ),
        ),
        Check(
            not open_items,
            "No open item is left: each is resolved or handed over.",
            f"Resolve or hand over the open items: {', '.join(i.title for i in open_items)}.",
        ),
        Check(
            SupportPlan.objects.filter(engagement=engagement).exists(),
            "The ongoing support model is agreed.",
            "Choose the ongoing support model agreed with the client.",
        ),
    ]


def snapshot(engagement: Engagement) -> dict:
    plan = SupportPlan.objects.filter(engagement=engagement).first()
    return {
        "modules": [
            {"id": str(m.public_id), "title": m.title, "role": m.get_role_display(),
             "minutes": m.minutes, "questions": m.question_count,
             "pass_mark": m.pass_mark if m.question_count else None}
            for m in TrainingModule.objects.filter(engagement=engagement).annotate(
                question_count=Count("questions")
            )
        ],
        # Whether each role meets the threshold, not its live counts: reps complete modules
        # while the approvers review, and a request goes stale (approvers emailed, their
        # reviews void) only when a role crosses the threshold, which is what they sign off.
        # The pages show the live counts.
        "completion_by_role": [
            {"id": row.role, "label": row.label, "met": row.meets_threshold,
             "threshold": row.threshold}
            for row in completion_summary(engagement=engagement)
        ],
        "documentation": [
            {"id": str(d.public_id), "title": d.title, "location": d.location,
             "recipient": d.recipient, "transferred_on": _day(d.transferred_on)}
            for d in DocumentTransfer.objects.filter(engagement=engagement)
        ],
        "access": [
            {"id": str(a.public_id), "label": str(a), "previous_owner": a.previous_owner,
             "new_owner": a.new_owner, "moved_on": _day(a.moved_on)}
            for a in AccessTransfer.objects.filter(engagement=engagement)
        ],
        "open_items": [
            {"id": str(i.public_id), "title": i.title, "owner": i.owner,
             "status": i.get_status_display(), "resolution": i.resolution}
            for i in OpenItem.objects.filter(engagement=engagement)
        ],
        "support": [] if plan is None else [{
            "id": str(plan.public_id), "label": plan.get_model_display(),
            "retainer_hours": plan.retainer_hours, "cadence": plan.get_cadence_display(),
            "client_owner": plan.client_owner, "starts_on": _day(plan.starts_on),
            "details": plan.details,
        }],
    }  # fmt: skip


def _portal_context(engagement: Engagement, me: Stakeholder) -> dict:
    from enablement.portal import portal_context

    return portal_context(engagement, me)


SPEC = PhaseSpec(
    phase=Phase.ENABLEMENT,
    readiness=readiness,
    snapshot=snapshot,
    workspace_url_name="enablement",
    portal_url_name="portal_enablement",
    portal_template="enablement/portal.html",
    portal_context=_portal_context,
)
