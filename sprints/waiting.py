"""What Phase 4 asks of people: the UAT scenarios a client participant has still to run, and
the deliverables due that the consultants must finish."""

from datetime import timedelta

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from engagements import registry
from engagements.models import Engagement, Stakeholder
from engagements.phases import Phase
from engagements.waiting import WaitingItem, engagements_taking_input
from sprints.models import (
    Deliverable,
    DeliverableStatus,
    ScenarioStep,
    TestRun,
    UatParticipant,
    UatScenario,
)

DUE_WITHIN = timedelta(days=7)
"""Deliverables show as due once their sprint ends within this."""


def uat_scenarios_to_run(stakeholders: list[Stakeholder]) -> list[WaitingItem]:
    """Per open round the stakeholder takes part in: the scenarios with a step for their role
    (the rule of services.assigned_scenarios) that they have not run in that round since the
    scenario last changed. Four queries."""
    by_pk = {s.pk: s for s in stakeholders}
    open_engagements = engagements_taking_input((s.engagement for s in stakeholders), Phase.BUILD)
    participations = list(
        UatParticipant.objects.filter(
            stakeholder_id__in=by_pk,
            uat_round__is_open=True,
            uat_round__engagement_id__in=open_engagements,
        ).select_related("uat_round")
    )
    if not participations:
        return []
    rounds = {p.uat_round_id for p in participations}
    in_round = list(UatScenario.objects.filter(uat_round_id__in=rounds).select_related("scenario"))
    roles: dict[int, set[str]] = {}
    for scenario_id, role in ScenarioStep.objects.filter(
        scenario_id__in={u.scenario_id for u in in_round}
    ).values_list("scenario_id", "role"):
        roles.setdefault(scenario_id, set()).add(role)
    users = {s.user_id for s in stakeholders if s.user_id}
    last_run = {
        (row["uat_round_id"], row["scenario_id"], row["run_by_id"]): row["last"]
        for row in TestRun.objects.filter(uat_round_id__in=rounds, run_by_id__in=users)
        .values("uat_round_id", "scenario_id", "run_by_id")
        .annotate(last=Max("created_at"))
    }
    items = []
    for participation in participations:
        me, uat_round = by_pk[participation.stakeholder_id], participation.uat_round
        to_run = []
        for link in in_round:
            scenario = link.scenario
            if link.uat_round_id != uat_round.pk or me.role not in roles.get(scenario.pk, ()):
                continue
            ran = last_run.get((uat_round.pk, scenario.pk, me.user_id))
            if ran is None or ran < scenario.changed_at:
                to_run.append(scenario.title)
        if not to_run:
            continue
        count = len(to_run)
        items.append(
            WaitingItem(
                kind="uat",
                title=f"Test {count} scenario{'s' if count != 1 else ''} in {uat_round.name}",
                engagement=me.engagement,
                url=reverse("portal_build", args=[me.engagement.public_id]) + "#uat-heading",
                action="Run the tests",
                phase=Phase.BUILD,
                since=participation.created_at,
                since_label="invited",
                lines=tuple(sorted(to_run)),
            )
        )
    return items


def deliverables_due(engagements: list[Engagement]) -> list[WaitingItem]:
    """Deliverables not done (nor deferred) whose sprint ends within a week or has ended, on
    engagements in the build phase. One query."""
    building = {e.pk: e for e in engagements if e.current_phase == Phase.BUILD}
    if not building:
        return []
    horizon = timezone.localdate() + DUE_WITHIN
    rows = Deliverable.objects.filter(
        engagement_id__in=building,
        status__in=[DeliverableStatus.TODO, DeliverableStatus.IN_PROGRESS],
        sprint__end_date__lte=horizon,
    ).select_related("sprint")
    items = []
    for deliverable in rows:
        engagement, sprint = building[deliverable.engagement_id], deliverable.sprint
        owner = f" · owner {deliverable.owner}" if deliverable.owner else ""
        items.append(
            WaitingItem(
                kind="deliverable",
                title=deliverable.title,
                engagement=engagement,
                url=reverse("sprint", args=[engagement.public_id, sprint.public_id])
                + f"#deliverable-{deliverable.public_id}",
                action="Open the board",
                phase=Phase.BUILD,
                due=sprint.end_date,
                since=deliverable.created_at,
                detail=f"{sprint.name} · {deliverable.get_status_display().lower()}{owner}",
            )
        )
    return items


KINDS = (
    registry.WaitingKind("uat", "Scenarios to test", registry.CLIENT, uat_scenarios_to_run),
    registry.WaitingKind("deliverable", "Deliverables due", registry.STAFF, deliverables_due),
)
