"""Every write of Phase 6's handoff: the checklist (documentation transferred, access
consolidated, open items) and the ongoing support model. The handoff pack PDF is in
`enablement.documents`.

Each write runs inside `phase_edit`, like every other write to a phase's artifacts."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone

from enablement.models import (
    AccessTransfer,
    DocumentTransfer,
    OpenItem,
    OpenItemStatus,
    SupportModel,
    SupportPlan,
)
from engagements.errors import ApplicationError
from engagements.models import Engagement, User
from engagements.phases import Phase
from engagements.services.signoffs import phase_edit

ENABLEMENT = Phase.ENABLEMENT

HandoffItem = DocumentTransfer | AccessTransfer | OpenItem


def _check_not_future(day: date | None, field: str, what: str) -> None:
    if day and day > timezone.localdate():
        raise ApplicationError(f"{what} cannot be in the future.", field=field)


def _check_item(model: type[models.Model], fields: dict) -> None:
    """The rules of each kind of checklist item, beyond the form's shape."""
    if model is DocumentTransfer:
        _check_not_future(fields.get("transferred_on"), "transferred_on", "The transfer date")
        if fields.get("transferred_on") and not (fields.get("recipient") or "").strip():
            raise ApplicationError(
                "Say who at the client received it, with the transfer date.", field="recipient"
            )
    elif model is AccessTransfer:
        _check_not_future(fields.get("moved_on"), "moved_on", "The date it moved")
        previous = " ".join((fields.get("previous_owner") or "").split()).casefold()
        new = " ".join((fields.get("new_owner") or "").split()).casefold()
        if previous and previous == new:
            raise ApplicationError(
                "The new owner must be someone at the client, not the previous owner.",
                field="new_owner",
            )
    elif model is OpenItem:
        status = fields.get("status", OpenItemStatus.OPEN)
        if status != OpenItemStatus.OPEN and not (fields.get("resolution") or "").strip():
            raise ApplicationError(
                "Say how it was resolved, or what the client takes over.", field="resolution"
            )
        if status == OpenItemStatus.HANDED_OVER and not (fields.get("owner") or "").strip():
            raise ApplicationError("Name the client owner who takes this item over.", field="owner")


def handoff_item_save(
    *,
    engagement: Engagement,
    actor: User,
    model: type[HandoffItem],
    item: HandoffItem | None = None,
    **fields,
) -> HandoffItem:
    """Add or edit a documentation transfer, an access transfer or an open item."""
    _check_item(model, fields)
    with phase_edit(engagement=engagement, phase=ENABLEMENT, actor=actor) as locked:
        if item is None:
            item = model(firm=locked.firm, engagement=locked)
        for name, value in fields.items():
            setattr(item, name, value.strip() if isinstance(value, str) else value)
        item.save()
    return item


def handoff_item_delete(*, item: HandoffItem, actor: User) -> None:
    with phase_edit(engagement=item.engagement, phase=ENABLEMENT, actor=actor):
        item.delete()


def support_plan_save(
    *,
    engagement: Engagement,
    actor: User,
    model: str,
    retainer_hours: int | None = None,
    cadence: str = "",
    client_owner: str = "",
    starts_on: date | None = None,
    details: str = "",
) -> SupportPlan:
    """Choose the ongoing support model with what it needs: the hours of a retainer, the
    cadence of health checks, or, for self-service, who at the client owns the system."""
    if model not in SupportModel.values:
        raise ApplicationError("Choose the support model agreed with the client.", field="model")
    client_owner = " ".join(client_owner.split())
    if model == SupportModel.RETAINER and not retainer_hours:
        raise ApplicationError(
            "Say how many hours a month the retainer covers.", field="retainer_hours"
        )
    if model == SupportModel.HEALTH_CHECKS and not cadence:
        raise ApplicationError("Choose how often the health checks happen.", field="cadence")
    if model == SupportModel.SELF_SERVICE and not client_owner:
        raise ApplicationError(
            "Name who at the client owns the system from now on.", field="client_owner"
        )
    with phase_edit(engagement=engagement, phase=ENABLEMENT, actor=actor) as locked:
        values = {
            "model": model,
            # Only what the chosen model uses is kept, so the plan never says two things.
            "retainer_hours": retainer_hours if model == SupportModel.RETAINER else None,
            "cadence": cadence if model == SupportModel.HEALTH_CHECKS else "",
            "client_owner": client_owner,
            "starts_on": starts_on,
            "details": details.strip(),
            "agreed_by": actor,
        }
        plan, _ = SupportPlan.objects.update_or_create(
            engagement=locked, defaults=values, create_defaults={"firm": locked.firm, **values}
        )
    return plan
