"""Writes to the Phase 1 alignment charter. Every one goes through `phase_edit`, so a signed-off
charter is read-only and an open sign-off request goes stale when the charter changes under it."""

from django.db.models import Model

from engagements.errors import ApplicationError
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
    SuccessMetric,
    Tool,
    User,
)
from engagements.phases import Phase
from engagements.services.signoffs import phase_edit

CHARTER_ITEM_MODELS: dict[str, type[Model]] = {
    "headcount": HeadcountLine,
    "tools": Tool,
    "pain-points": PainPoint,
    "metrics": SuccessMetric,
    "milestones": Milestone,
    "meetings": Meeting,
    "roles-out-of-scope": RoleExclusion,
}


def _check_unique(section: str, engagement: Engagement, data: dict, exclude_id: int | None) -> None:
    if section == "tools" and "name" in data:
        clash = Tool.objects.filter(engagement=engagement, name__iexact=data["name"].strip())
        message, field = f"“{data['name']}” is already in the tools inventory.", "name"
    elif section == "roles-out-of-scope" and "role" in data:
        clash = RoleExclusion.objects.filter(engagement=engagement, role=data["role"])
        message, field = "That role is already marked out of scope.", "role"
    else:
        return
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise ApplicationError(message, field=field)


def _model(section: str) -> type[Model]:
    try:
        return CHARTER_ITEM_MODELS[section]
    except KeyError:
        raise ApplicationError(f"Unknown charter section “{section}”.") from None


def charter_item_create(*, engagement: Engagement, actor: User, section: str, data: dict) -> Model:
    model = _model(section)
    with phase_edit(engagement=engagement, phase=Phase.ONBOARDING, actor=actor) as locked:
        _check_unique(section, locked, data, exclude_id=None)
        return model.objects.create(firm=locked.firm, engagement=locked, **data)


def charter_item_update(*, item: Model, actor: User, section: str, data: dict) -> Model:
    with phase_edit(engagement=item.engagement, phase=Phase.ONBOARDING, actor=actor) as locked:
        _check_unique(section, locked, data, exclude_id=item.pk)
        for name, value in data.items():
            setattr(item, name, value)
        item.save()
    return item


def charter_item_delete(*, item: Model, actor: User) -> None:
    with phase_edit(engagement=item.engagement, phase=Phase.ONBOARDING, actor=actor):
        item.delete()


CHARTER_SUMMARY_FIELDS = (
    "current_process",
    "sales_motion",
    "goals",
    "project_purpose",
    "scope_in",
    "scope_out",
)


def charter_summary_update(*, engagement: Engagement, actor: User, **fields) -> Charter:
    unknown = set(fields) - set(CHARTER_SUMMARY_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    with phase_edit(engagement=engagement, phase=Phase.ONBOARDING, actor=actor) as locked:
        charter, _ = Charter.objects.get_or_create(
            engagement=locked, defaults={"firm": locked.firm}
        )
        for name, value in fields.items():
            setattr(charter, name, value)
        charter.save()
    return charter


def raci_update(
    *, engagement: Engagement, actor: User, assignments: dict[tuple[int, str], str]
) -> None:
    """Replace the RACI: `assignments` maps (stakeholder id, phase) to R, A, C, I or "" (none)."""
    with phase_edit(engagement=engagement, phase=Phase.ONBOARDING, actor=actor) as locked:
        stakeholder_ids = set(
            Stakeholder.objects.filter(engagement=locked).values_list("pk", flat=True)
        )
        if any(stakeholder_id not in stakeholder_ids for stakeholder_id, _ in assignments):
            raise ApplicationError("The RACI names someone who is not on this engagement.")
        RaciAssignment.objects.filter(engagement=locked).delete()
        RaciAssignment.objects.bulk_create(
            RaciAssignment(
                firm=locked.firm,
                engagement=locked,
                stakeholder_id=stakeholder_id,
                phase=phase,
                responsibility=code,
            )
            for (stakeholder_id, phase), code in assignments.items()
            if code
        )
