"""Phase 1 — Onboarding & Alignment: its readiness checks and its sign-off snapshot."""

from django.utils.formats import date_format

from engagements.models import (
    Charter,
    Engagement,
    HeadcountLine,
    Meeting,
    Milestone,
    PainPoint,
    RaciAssignment,
    RoleExclusion,
    Stakeholder,
    StakeholderRole,
    SuccessMetric,
    Tool,
)
from engagements.phases import WORKING_PHASES, Phase
from engagements.registry import Check, PhaseSpec

ROLES_IN_SCOPE = (
    StakeholderRole.LEADERSHIP,
    StakeholderRole.MANAGER,
    StakeholderRole.REP,
    StakeholderRole.OPS,
)


def readiness(engagement: Engagement) -> list[Check]:
    stakeholders = list(Stakeholder.objects.filter(engagement=engagement))
    excluded = set(
        RoleExclusion.objects.filter(engagement=engagement).values_list("role", flat=True)
    )
    covered = {s.role for s in stakeholders} | excluded
    milestone_phases = set(
        Milestone.objects.filter(engagement=engagement).values_list("phase", flat=True)
    )
    missing_roles = [role.label.lower() for role in ROLES_IN_SCOPE if role not in covered]
    missing_phases = [p.label for p in WORKING_PHASES if p.value not in milestone_phases]
    has_metric = SuccessMetric.objects.filter(
        engagement=engagement, baseline__isnull=False, target__isnull=False
    ).exists()
    return [
        Check(
            any(s.is_approver for s in stakeholders),
            "An approver is named.",
            "Name at least one stakeholder as approver: someone must sign off for the client.",
        ),
        Check(
            has_metric,
            "A success metric has a baseline and a target.",
            "Add at least one success metric with both a baseline and a target.",
        ),
        Check(
            not missing_roles,
            "Leadership, managers, reps and ops are all covered or explained.",
            "Add stakeholders for every role, or say in the scope why a role is out: "
            f"missing {', '.join(missing_roles)}.",
        ),
        Check(
            not missing_phases,
            "The timeline has a milestone for every phase.",
            f"Give the timeline a milestone for every phase: missing {', '.join(missing_phases)}.",
        ),
        Check(
            Meeting.objects.filter(engagement=engagement).exists(),
            "A communication rhythm is set.",
            "Add at least one communication rhythm (a recurring meeting or update).",
        ),
    ]


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _number(value) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _day(value) -> str | None:
    return None if value is None else date_format(value, "Y-m-d")


def snapshot(engagement: Engagement) -> dict:
    """The charter as the client approves it: display values, each item keyed by its public id."""
    charter = Charter.objects.filter(engagement=engagement).first()

    def items(queryset, **fields):
        return [
            {"id": str(obj.public_id), **{name: getter(obj) for name, getter in fields.items()}}
            for obj in queryset
        ]

    return {
        "charter": []
        if charter is None
        else [
            {
                "id": str(charter.public_id),
                "label": "Charter",
                "current_process": charter.current_process,
                "sales_motion": charter.get_sales_motion_display(),
                "goals": charter.goals,
                "project_purpose": charter.project_purpose,
                "scope_in": charter.scope_in,
                "scope_out": charter.scope_out,
            }
        ],
        "headcount": items(
            HeadcountLine.objects.filter(engagement=engagement),
            label=lambda h: f"{h.get_role_display()} {h.team}".strip(),
            headcount=lambda h: h.headcount,
        ),
        "tools": items(
            Tool.objects.filter(engagement=engagement),
            name=lambda t: t.name,
            category=lambda t: t.get_category_display(),
            monthly_cost=lambda t: _money(t.monthly_cost),
            seats=lambda t: t.seats,
            owner=lambda t: t.owner,
            satisfaction=lambda t: t.satisfaction,
            system_of_record=lambda t: t.is_system_of_record,
        ),
        "pain_points": items(
            PainPoint.objects.filter(engagement=engagement),
            label=lambda p: p.description,
            role=lambda p: p.get_role_display(),
            severity=lambda p: p.get_severity_display(),
        ),
        "success_metrics": items(
            SuccessMetric.objects.filter(engagement=engagement),
            name=lambda m: m.name,
            unit=lambda m: m.unit,
            baseline=lambda m: _number(m.baseline),
            target=lambda m: _number(m.target),
            measurement=lambda m: m.measurement,
            due_date=lambda m: _day(m.due_date),
        ),
        "milestones": items(
            Milestone.objects.filter(engagement=engagement),
            title=lambda m: m.title,
            phase=lambda m: m.get_phase_display(),
            due_date=lambda m: _day(m.due_date),
        ),
        "meetings": items(
            Meeting.objects.filter(engagement=engagement),
            name=lambda m: m.name,
            attendees=lambda m: m.attendee_role_labels,
            cadence=lambda m: m.get_cadence_display(),
            channel=lambda m: m.channel,
        ),
        "roles_out_of_scope": items(
            RoleExclusion.objects.filter(engagement=engagement),
            label=lambda r: r.get_role_display(),
            reason=lambda r: r.reason,
        ),
        "stakeholders": items(
            Stakeholder.objects.filter(engagement=engagement),
            name=lambda s: s.name,
            title=lambda s: s.title,
            role=lambda s: s.get_role_display(),
            approver=lambda s: s.is_approver,
        ),
        "raci": items(
            RaciAssignment.objects.filter(engagement=engagement).select_related("stakeholder"),
            label=lambda r: f"{r.stakeholder.name} · {r.get_phase_display()}",
            responsibility=lambda r: r.get_responsibility_display(),
        ),
    }


def portal_context(engagement: Engagement, me: Stakeholder) -> dict:
    """Everyone sees the timeline, their own role and responsibilities, and the outcomes;
    approvers also see the whole charter they are asked to approve."""
    charter = Charter.objects.filter(engagement=engagement).first()
    raci = RaciAssignment.objects.filter(engagement=engagement).select_related("stakeholder")
    context = {
        "charter": charter,
        "milestones": Milestone.objects.filter(engagement=engagement),
        "metrics": SuccessMetric.objects.filter(engagement=engagement),
        "my_responsibilities": [r for r in raci if r.stakeholder_id == me.pk],
        "meetings": [
            m for m in Meeting.objects.filter(engagement=engagement) if me.role in m.attendee_roles
        ],
    }
    if me.is_approver:
        context.update(
            full_charter=True,
            tools=Tool.objects.filter(engagement=engagement),
            pain_points=PainPoint.objects.filter(engagement=engagement),
            headcount=HeadcountLine.objects.filter(engagement=engagement),
            all_meetings=Meeting.objects.filter(engagement=engagement),
            exclusions=RoleExclusion.objects.filter(engagement=engagement),
            raci=raci,
        )
    return context


SPEC = PhaseSpec(
    phase=Phase.ONBOARDING,
    readiness=readiness,
    snapshot=snapshot,
    workspace_url_name="onboarding",
    portal_url_name="portal_onboarding",
    portal_template="portal/onboarding.html",
    portal_context=portal_context,
)
