"""What Phase 3 asks of a client user: the vendor scores they are invited to give."""

from django.db.models import Count
from django.urls import reverse

from architecture.models import Criterion, EvaluationEvaluator, Score, Vendor
from engagements import registry
from engagements.models import Stakeholder
from engagements.phases import Phase
from engagements.waiting import WaitingItem, engagements_taking_input


def scores_to_give(stakeholders: list[Stakeholder]) -> list[WaitingItem]:
    """Evaluations the stakeholder is an evaluator of where they have not scored every vendor on
    every criterion, while the phase still takes scores (reached, not signed off)."""
    by_pk = {s.pk: s for s in stakeholders}
    open_engagements = engagements_taking_input(
        (s.engagement for s in stakeholders), Phase.ARCHITECTURE
    )
    invitations = list(
        EvaluationEvaluator.objects.filter(
            stakeholder_id__in=by_pk, evaluation__engagement_id__in=open_engagements
        ).select_related("evaluation")
    )
    if not invitations:
        return []
    evaluation_ids = {i.evaluation_id for i in invitations}
    vendors = dict(
        Vendor.objects.filter(evaluation_id__in=evaluation_ids)
        .values("evaluation_id")
        .annotate(n=Count("id"))
        .values_list("evaluation_id", "n")
    )
    criteria = dict(
        Criterion.objects.filter(evaluation_id__in=evaluation_ids)
        .values("evaluation_id")
        .annotate(n=Count("id"))
        .values_list("evaluation_id", "n")
    )
    users = {s.user_id for s in stakeholders if s.user_id}
    given = {
        (row["vendor__evaluation_id"], row["evaluator_id"]): row["n"]
        for row in Score.objects.filter(
            vendor__evaluation_id__in=evaluation_ids, evaluator_id__in=users
        )
        .values("vendor__evaluation_id", "evaluator_id")
        .annotate(n=Count("id"))
    }
    items = []
    for invitation in invitations:
        me, evaluation = by_pk[invitation.stakeholder_id], invitation.evaluation
        wanted = vendors.get(evaluation.pk, 0) * criteria.get(evaluation.pk, 0)
        done = given.get((evaluation.pk, me.user_id), 0)
        if not wanted or done >= wanted:
            continue
        vendor_count = vendors[evaluation.pk]
        items.append(
            WaitingItem(
                kind="scores",
                title=f"Score the vendors of “{evaluation.title}”",
                engagement=me.engagement,
                url=reverse("portal_architecture", args=[me.engagement.public_id])
                + f"#score-{evaluation.public_id}",
                action="Score the vendors",
                phase=Phase.ARCHITECTURE,
                since=invitation.created_at,
                since_label="invited",
                detail=f"{done} of {wanted} scores given ({vendor_count} vendor"
                f"{'s' if vendor_count != 1 else ''} × {criteria[evaluation.pk]} criteria).",
            )
        )
    return items


KINDS = (registry.WaitingKind("scores", "Vendors to score", registry.CLIENT, scores_to_give),)
