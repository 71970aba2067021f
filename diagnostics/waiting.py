"""What Phase 2 asks of a client user: the pre-workshop questions they have not answered."""

from django.urls import reverse
from django.utils import timezone

from diagnostics.models import (
    PreworkAnswer,
    WorkshopAttendee,
    WorkshopGroup,
    WorkshopPrompt,
    WorkshopStatus,
)
from engagements import registry
from engagements.models import Stakeholder
from engagements.phases import Phase
from engagements.waiting import WaitingItem


def prework_to_answer(stakeholders: list[Stakeholder]) -> list[WaitingItem]:
    """Per planned workshop the stakeholder is invited to: the questions for their role (the
    rule of selectors.prework_for) still without their answer. Three queries."""
    by_pk = {s.pk: s for s in stakeholders}
    invitations = list(
        WorkshopAttendee.objects.filter(
            stakeholder_id__in=by_pk, workshop__status=WorkshopStatus.PLANNED
        ).select_related("workshop")
    )
    if not invitations:
        return []
    workshops = {i.workshop_id: i.workshop for i in invitations}
    prompts = list(WorkshopPrompt.objects.filter(workshop_id__in=workshops))
    answered = set(
        PreworkAnswer.objects.filter(stakeholder_id__in=by_pk, prompt__in=prompts).values_list(
            "prompt_id", "stakeholder_id"
        )
    )
    items = []
    for invitation in invitations:
        me, workshop = by_pk[invitation.stakeholder_id], invitation.workshop
        open_questions = [
            p
            for p in prompts
            if p.workshop_id == workshop.pk
            and (workshop.group == WorkshopGroup.MIXED or p.group == me.role)
            and (p.pk, me.pk) not in answered
        ]
        if not open_questions:
            continue
        count = len(open_questions)
        items.append(
            WaitingItem(
                kind="prework",
                title=f"Answer {count} question{'s' if count != 1 else ''} before "
                f"“{workshop.title}”",
                engagement=me.engagement,
                url=reverse("portal_diagnostic", args=[me.engagement.public_id])
                + "#prework-heading",
                action="Answer the questions",
                phase=Phase.DIAGNOSTIC,
                due=timezone.localdate(workshop.scheduled_at) if workshop.scheduled_at else None,
                since=workshop.created_at,
                since_label="invited",
                detail=workshop.objective,
            )
        )
    return items


KINDS = (
    registry.WaitingKind(
        "prework", "Workshop questions to answer", registry.CLIENT, prework_to_answer
    ),
)
