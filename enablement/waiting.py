"""What Phase 6 asks of people: the training a client user is assigned and has not completed,
and the open adoption alerts the consultants must act on."""

from django.db.models import Count
from django.urls import reverse

from enablement.models import AdoptionAlert, TrainingAssignment
from engagements import registry
from engagements.models import Engagement, Stakeholder
from engagements.phases import Phase
from engagements.waiting import WaitingItem, engagements_taking_input


def training_to_take(stakeholders: list[Stakeholder]) -> list[WaitingItem]:
    """Modules assigned to the stakeholder and not completed (read, or quiz passed), while
    training can be recorded (the rule of services.training_closed_reason). Two queries."""
    by_pk = {s.pk: s for s in stakeholders}
    open_engagements = engagements_taking_input(
        (s.engagement for s in stakeholders), Phase.ENABLEMENT
    )
    if not open_engagements:
        return []
    assignments = (
        TrainingAssignment.objects.filter(
            stakeholder_id__in=by_pk,
            engagement_id__in=open_engagements,
            completed_at__isnull=True,
        )
        .select_related("module")
        .annotate(question_count=Count("module__questions", distinct=True))
    )
    items = []
    for assignment in assignments:
        me, module = by_pk[assignment.stakeholder_id], assignment.module
        test = (
            f" · ends with a quiz (pass mark {module.pass_mark}%)"
            if assignment.question_count
            else ""
        )
        if assignment.best_score is not None:
            test += f" · your best score so far {assignment.best_score}%"
        items.append(
            WaitingItem(
                kind="training",
                title=f"Take “{module.title}”",
                engagement=me.engagement,
                url=reverse(
                    "portal_training_module", args=[me.engagement.public_id, module.public_id]
                ),
                action="Take the module",
                phase=Phase.ENABLEMENT,
                since=assignment.created_at,
                since_label="assigned",
                detail=f"About {module.minutes} min{test}.",
            )
        )
    return items


def open_adoption_alerts(engagements: list[Engagement]) -> list[WaitingItem]:
    """Every open alert (a stakeholder or a role below a metric's threshold). One query."""
    by_pk = {e.pk: e for e in engagements}
    items = []
    for alert in AdoptionAlert.objects.filter(engagement_id__in=by_pk, closed_at__isnull=True):
        engagement = by_pk[alert.engagement_id]
        weeks = alert.weeks_below
        items.append(
            WaitingItem(
                kind="adoption_alert",
                title=alert.title,
                engagement=engagement,
                url=reverse("adoption_alerts", args=[engagement.public_id]) + "#open-heading",
                action="See the alerts",
                phase=Phase.ENABLEMENT,
                since=alert.created_at,
                since_label="open since",
                detail=f"{alert.get_severity_display()}: {alert.value_text} against a threshold "
                f"of {alert.threshold_text}, {weeks} week{'s' if weeks != 1 else ''} running.",
                lines=(alert.intervention,) if alert.intervention else (),
            )
        )
    return items


KINDS = (
    registry.WaitingKind("training", "Training to take", registry.CLIENT, training_to_take),
    registry.WaitingKind(
        "adoption_alert", "Open adoption alerts", registry.STAFF, open_adoption_alerts
    ),
)
