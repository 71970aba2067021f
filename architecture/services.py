"""Every write of Phase 3. Artifact edits go through `phase_edit` (read-only once signed off;
an open sign-off request goes stale when they change)."""

from collections.abc import Sequence
from decimal import Decimal

from architecture.models import (
    DEFAULT_CRITERIA,
    DEFAULT_STAGES,
    Capability,
    Criterion,
    Decision,
    Evaluation,
    Integration,
    ReportingItem,
    Score,
    Stage,
    ToolDecision,
    Vendor,
)
from diagnostics.models import Finding
from engagements.errors import ApplicationError
from engagements.models import Engagement, Stakeholder, Tool, User
from engagements.phases import Phase
from engagements.services.signoffs import phase_edit

ARCHITECTURE = Phase.ARCHITECTURE


def _own(engagement: Engagement, objects, what: str, field: str | None = None) -> None:
    if any(obj is not None and obj.engagement_id != engagement.pk for obj in objects):
        raise ApplicationError(f"{what} must belong to this engagement.", field=field)


# --- tool decisions and capabilities -----------------------------------------------------------


def tool_decision_save(
    *,
    tool: Tool,
    actor: User,
    decision: str,
    rationale: str,
    findings: Sequence[Finding] = (),
    consolidate_into: Tool | None = None,
    replaced_by: Capability | None = None,
) -> ToolDecision:
    with phase_edit(engagement=tool.engagement, phase=ARCHITECTURE, actor=actor) as locked:
        _own(locked, [*findings, consolidate_into, replaced_by], "Linked items")
        if decision == Decision.CONSOLIDATE and consolidate_into is None:
            raise ApplicationError(
                "Say which tool it is consolidated into.", field="consolidate_into"
            )
        if consolidate_into is not None and consolidate_into.pk == tool.pk:
            raise ApplicationError(
                "A tool cannot be consolidated into itself.", field="consolidate_into"
            )
        if decision == Decision.REPLACE and replaced_by is None:
            raise ApplicationError(
                "Say which new capability replaces it (add it below first).", field="replaced_by"
            )
        if not rationale.strip():
            raise ApplicationError("Give the rationale for this decision.", field="rationale")
        values = {
            "decision": decision,
            "rationale": rationale.strip(),
            "consolidate_into": consolidate_into if decision == Decision.CONSOLIDATE else None,
            "replaced_by": replaced_by if decision == Decision.REPLACE else None,
        }
        tool_decision, _ = ToolDecision.objects.update_or_create(
            tool=tool,
            defaults=values,
            create_defaults={"firm": locked.firm, "engagement": locked, **values},
        )
        tool_decision.findings.set(findings, through_defaults={"firm": locked.firm})
    return tool_decision


def capability_save(
    *,
    engagement: Engagement,
    actor: User,
    name: str,
    findings: list[Finding],
    capability: Capability | None = None,
    **fields,
) -> Capability:
    with phase_edit(engagement=engagement, phase=ARCHITECTURE, actor=actor) as locked:
        _own(locked, findings, "Linked findings", field="findings")
        if not findings:
            raise ApplicationError(
                "Link the capability to the gaps (findings) it closes.", field="findings"
            )
        capability = capability or Capability(firm=locked.firm, engagement=locked)
        capability.name = name.strip()
        for key, value in fields.items():
            setattr(capability, key, value)
        capability.save()
        capability.findings.set(findings, through_defaults={"firm": locked.firm})
    return capability


def capability_delete(*, capability: Capability, actor: User) -> None:
    with phase_edit(engagement=capability.engagement, phase=ARCHITECTURE, actor=actor):
        capability.delete()


# --- blueprint --------------------------------------------------------------------------------


def stages_ensure(*, engagement: Engagement) -> None:
    """Seed the default pipeline the first time the blueprint is opened (the phase is open)."""
    if Stage.objects.filter(engagement=engagement).exists():
        return
    Stage.objects.bulk_create(
        Stage(firm=engagement.firm, engagement=engagement, name=name, position=index)
        for index, name in enumerate(DEFAULT_STAGES)
    )


def stage_save(
    *, engagement: Engagement, actor: User, stage: Stage | None = None, **fields
) -> Stage:
    with phase_edit(engagement=engagement, phase=ARCHITECTURE, actor=actor) as locked:
        if stage is None:
            stage = Stage(
                firm=locked.firm,
                engagement=locked,
                position=Stage.objects.filter(engagement=locked).count(),
            )
        for key, value in fields.items():
            setattr(stage, key, value)
        stage.save()
    return stage


def stage_delete(*, stage: Stage, actor: User) -> None:
    with phase_edit(engagement=stage.engagement, phase=ARCHITECTURE, actor=actor):
        stage.delete()


def integration_save(
    *, engagement: Engagement, actor: User, integration: Integration | None = None, **fields
) -> Integration:
    with phase_edit(engagement=engagement, phase=ARCHITECTURE, actor=actor) as locked:
        if (
            fields.get("source_system", "").strip().lower()
            == fields.get("target_system", "").strip().lower()
        ):
            raise ApplicationError(
                "Source and target must be different systems.", field="target_system"
            )
        integration = integration or Integration(firm=locked.firm, engagement=locked)
        for key, value in fields.items():
            setattr(integration, key, value)
        integration.save()
    return integration


def integration_delete(*, integration: Integration, actor: User) -> None:
    with phase_edit(engagement=integration.engagement, phase=ARCHITECTURE, actor=actor):
        integration.delete()


def reporting_item_save(
    *, engagement: Engagement, actor: User, item: ReportingItem | None = None, **fields
) -> ReportingItem:
    with phase_edit(engagement=engagement, phase=ARCHITECTURE, actor=actor) as locked:
        _own(locked, [fields.get("success_metric")], "The success metric", field="success_metric")
        item = item or ReportingItem(firm=locked.firm, engagement=locked)
        for key, value in fields.items():
            setattr(item, key, value)
        item.save()
    return item


def reporting_item_delete(*, item: ReportingItem, actor: User) -> None:
    with phase_edit(engagement=item.engagement, phase=ARCHITECTURE, actor=actor):
        item.delete()


# --- vendor evaluation ------------------------------------------------------------------------


def evaluation_create(
    *, engagement: Engagement, actor: User, title: str, capability: Capability | None = None
) -> Evaluation:
    """A new evaluation starts with the framework's five weighted criteria."""
    with phase_edit(engagement=engagement, phase=ARCHITECTURE, actor=actor) as locked:
        _own(locked, [capability], "The capability", field="capability")
        evaluation = Evaluation.objects.create(
            firm=locked.firm, engagement=locked, title=title.strip(), capability=capability
        )
        Criterion.objects.bulk_create(
            Criterion(firm=locked.firm, evaluation=evaluation, name=name, weight=Decimal(weight),
                      position=index)
            for index, (name, weight) in enumerate(DEFAULT_CRITERIA)
        )  # fmt: skip
    return evaluation


def criteria_update(*, evaluation: Evaluation, actor: User, rows: list[dict]) -> None:
    """Replace the criteria's names, weights and must-have flags; weights must total 100%.

    `rows` are dicts with "criterion" (None for a new one), "name", "weight", "is_must_have"
    and "delete".
    """
    kept = [row for row in rows if not row.get("delete")]
    if any(Decimal(row["weight"]).as_tuple().exponent < -2 for row in kept):
        raise ApplicationError("Weights can have at most two decimals (for example 33.33).")
    total = sum((Decimal(row["weight"]) for row in kept), Decimal(0))
    if total != 100:
        raise ApplicationError(
            f"The weights add up to {total.normalize():f}%; they must total exactly 100%."
        )
    if not kept:
        raise ApplicationError("An evaluation needs at least one criterion.")
    with phase_edit(engagement=evaluation.engagement, phase=ARCHITECTURE, actor=actor) as locked:
        for position, row in enumerate(rows):
            criterion = row.get("criterion")
            if criterion is not None and criterion.evaluation_id != evaluation.pk:
                raise ApplicationError("That criterion belongs to another evaluation.")
            if row.get("delete"):
                if criterion is not None:
                    criterion.delete()
                continue
            criterion = criterion or Criterion(firm=locked.firm, evaluation=evaluation)
            criterion.name = row["name"].strip()
            criterion.weight = Decimal(row["weight"])
            criterion.is_must_have = bool(row.get("is_must_have"))
            criterion.position = position
            criterion.save()


def vendor_add(*, evaluation: Evaluation, actor: User, name: str, notes: str = "") -> Vendor:
    with phase_edit(engagement=evaluation.engagement, phase=ARCHITECTURE, actor=actor):
        if Vendor.objects.filter(evaluation=evaluation, name__iexact=name.strip()).exists():
            raise ApplicationError(f"{name} is already in this evaluation.", field="name")
        return Vendor.objects.create(
            firm=evaluation.firm, evaluation=evaluation, name=name.strip(), notes=notes
        )


def vendor_delete(*, vendor: Vendor, actor: User) -> None:
    with phase_edit(engagement=vendor.evaluation.engagement, phase=ARCHITECTURE, actor=actor):
        vendor.delete()


def evaluators_set(*, evaluation: Evaluation, actor: User, stakeholders: list[Stakeholder]) -> None:
    with phase_edit(engagement=evaluation.engagement, phase=ARCHITECTURE, actor=actor) as locked:
        _own(locked, stakeholders, "Evaluators")
        if any(not s.has_portal_access for s in stakeholders):
            raise ApplicationError("Evaluators score in the portal: give them portal access first.")
        evaluation.evaluators.set(stakeholders, through_defaults={"firm": locked.firm})


def scores_save(
    *,
    evaluation: Evaluation,
    evaluator: User,
    scores: dict[tuple[int, int], tuple[int | None, str]],
) -> int:
    """Save one evaluator's scores: (vendor id, criterion id) -> (1–5 or None to clear, notes).
    Returns how many scores the evaluator now has on this evaluation."""
    vendors = set(Vendor.objects.filter(evaluation=evaluation).values_list("pk", flat=True))
    criteria = set(Criterion.objects.filter(evaluation=evaluation).values_list("pk", flat=True))
    with phase_edit(engagement=evaluation.engagement, phase=ARCHITECTURE, actor=evaluator):
        for (vendor_id, criterion_id), (value, notes) in scores.items():
            if vendor_id not in vendors or criterion_id not in criteria:
                raise ApplicationError(
                    "A score refers to a vendor or criterion of another evaluation."
                )
            if value is not None and not 1 <= value <= 5:
                raise ApplicationError("Scores go from 1 to 5.")
            key = {"vendor_id": vendor_id, "criterion_id": criterion_id, "evaluator": evaluator}
            if value is None:
                Score.objects.filter(**key).delete()
                continue
            Score.objects.update_or_create(
                **key,
                defaults={"score": value, "notes": notes},
                create_defaults={"firm": evaluation.firm, "score": value, "notes": notes},
            )
    return Score.objects.filter(vendor__evaluation=evaluation, evaluator=evaluator).count()


def recommendation_write(
    *, evaluation: Evaluation, actor: User, vendor: Vendor | None, text: str
) -> Evaluation:
    with phase_edit(engagement=evaluation.engagement, phase=ARCHITECTURE, actor=actor):
        if vendor is not None and vendor.evaluation_id != evaluation.pk:
            raise ApplicationError("Recommend one of this evaluation's vendors.", field="vendor")
        if not text.strip():
            raise ApplicationError("Write the recommendation and its rationale.", field="text")
        evaluation.recommended_vendor = vendor
        evaluation.recommendation = text.strip()
        evaluation.save(update_fields=["recommended_vendor", "recommendation", "updated_at"])
    return evaluation
