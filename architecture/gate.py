"""Phase 3 — Systems Architecture: readiness checks and the sign-off snapshot."""

from architecture.models import (
    Capability,
    Evaluation,
    Integration,
    ReportingItem,
    Stage,
    ToolDecision,
)
from engagements.models import Engagement, Tool
from engagements.phases import Phase
from engagements.registry import Check, PhaseSpec


def readiness(engagement: Engagement) -> list[Check]:
    from architecture.selectors import results_by_evaluation

    undecided = Tool.objects.filter(engagement=engagement, decision__isnull=True)
    stages = list(Stage.objects.filter(engagement=engagement))
    without_record = [s.name for s in stages if not s.system_of_record.strip()]
    evaluations = list(Evaluation.objects.filter(engagement=engagement))
    results = results_by_evaluation(evaluations)
    new_tools = Capability.objects.filter(engagement=engagement, is_new_tool=True)
    unevaluated = [
        str(capability)
        for capability in new_tools
        if not any(
            e.capability_id == capability.pk
            and e.recommended_vendor_id
            and results[e.pk]["complete"]
            for e in evaluations
        )
    ]
    unwritten = [e.title for e in evaluations if not e.recommendation.strip()]
    return [
        Check(
            not undecided.exists(),
            "Every tool in the inventory has a decision.",
            "Decide on every tool (keep, retire, consolidate or replace): missing "
            f"{', '.join(t.name for t in undecided)}.",
        ),
        Check(
            bool(stages) and not without_record,
            "Every pipeline stage has a system of record.",
            "Name the system of record of every stage"
            + (f": missing for {', '.join(without_record)}." if stages else "."),
        ),
        Check(
            not unevaluated,
            "Every new tool has a completed vendor evaluation.",
            "Complete a vendor evaluation (every vendor scored, a vendor recommended) for "
            f"{', '.join(unevaluated)}.",
        ),
        Check(
            bool(evaluations or not new_tools.exists()) and not unwritten,
            "The recommendation is written.",
            "Write the recommendation and its rationale"
            + (f" for {', '.join(unwritten)}." if unwritten else "."),
        ),
    ]


def snapshot(engagement: Engagement) -> dict:
    from architecture.selectors import results_by_evaluation

    evaluations = list(
        Evaluation.objects.filter(engagement=engagement).select_related("recommended_vendor")
    )
    results = results_by_evaluation(evaluations)
    return {
        "tool_decisions": [
            {"id": str(d.public_id), "label": d.tool.name, "decision": d.get_decision_display(),
             "into": str(d.consolidate_into or ""), "replaced_by": str(d.replaced_by or ""),
             "rationale": d.rationale}
            for d in ToolDecision.objects.filter(engagement=engagement).select_related(
                "tool", "consolidate_into", "replaced_by")
        ],
        "capabilities": [
            {"id": str(c.public_id), "label": str(c), "name": c.name, "new_tool": c.is_new_tool}
            for c in Capability.objects.filter(engagement=engagement)
        ],
        "stages": [
            {"id": str(s.public_id), "name": s.name, "system_of_record": s.system_of_record,
             "roles": s.roles, "automated": s.automated_steps, "manual": s.manual_steps}
            for s in Stage.objects.filter(engagement=engagement)
        ],
        "integrations": [
            {"id": str(i.public_id), "label": str(i), "objects": i.objects_carried,
             "direction": i.get_direction_display(), "trigger": i.trigger,
             "automated": i.is_automated}
            for i in Integration.objects.filter(engagement=engagement)
        ],
        "reporting": [
            {"id": str(r.public_id), "name": r.name, "sources": r.sources}
            for r in ReportingItem.objects.filter(engagement=engagement)
        ],
        "evaluations": [
            {"id": str(e.public_id), "title": e.title,
             "recommended": str(e.recommended_vendor or ""), "recommendation": e.recommendation,
             "ranking": [r["vendor"].name for r in results[e.pk]["ranking"]]}
            for e in evaluations
        ],
    }  # fmt: skip


def _portal_context(engagement: Engagement, me) -> dict:
    from architecture.selectors import portal_context

    return portal_context(engagement, me)


SPEC = PhaseSpec(
    phase=Phase.ARCHITECTURE,
    readiness=readiness,
    snapshot=snapshot,
    workspace_url_name="architecture",
    portal_url_name="portal_architecture",
    portal_template="architecture/portal.html",
    portal_context=_portal_context,
)
