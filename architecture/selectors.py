"""Reads of Phase 3 shared by the pages, the portal, the gate and the PDF."""

from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Prefetch

from architecture import scoring
from architecture.models import (
    Capability,
    Criterion,
    Decision,
    Evaluation,
    Score,
    ToolDecision,
    Vendor,
)
from diagnostics.models import Finding
from engagements.exports import csv_text
from engagements.models import Engagement, Tool


def before_after(*, engagement: Engagement) -> dict:
    """Tools, seats and monthly cost before and after the decisions, and which findings the
    decisions and new capabilities address."""
    tools = list(
        Tool.objects.filter(engagement=engagement)
        .select_related("decision")
        .prefetch_related("decision__findings")
    )
    capabilities = list(
        Capability.objects.filter(engagement=engagement).prefetch_related("findings")
    )
    staying = [
        t for t in tools if getattr(t, "decision", None) and t.decision.decision == Decision.KEEP
    ]
    undecided = [t for t in tools if not hasattr(t, "decision")]
    after_tools = staying + undecided
    addressed = {f.pk for t in tools if hasattr(t, "decision") for f in t.decision.findings.all()}
    addressed |= {f.pk for c in capabilities for f in c.findings.all()}
    findings = list(Finding.objects.filter(engagement=engagement))
    new_tools = [c for c in capabilities if c.is_new_tool]

    def money(items) -> object:
        return sum((i.monthly_cost or 0 for i in items), 0)

    return {
        "before": {
            "tools": len(tools),
            "seats": sum(t.seats or 0 for t in tools),
            "cost": money(tools),
        },
        "after": {
            "tools": len(after_tools) + len(new_tools),
            "seats": sum(t.seats or 0 for t in after_tools) + sum(c.seats or 0 for c in new_tools),
            "cost": money(after_tools) + money(new_tools),
        },
        "undecided": undecided,
        "addressed": [f for f in findings if f.pk in addressed],
        "not_addressed": [f for f in findings if f.pk not in addressed],
    }


@dataclass
class EvaluationData:
    """Everything one evaluation's results are computed from, loaded in bulk."""

    criteria: list = field(default_factory=list)
    vendors: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    """(vendor id, criterion id, evaluator id, score) rows."""


def evaluation_data(evaluations: list[Evaluation]) -> dict[int, EvaluationData]:
    """Criteria, vendors and scores of many evaluations in three queries."""
    data = {e.pk: EvaluationData() for e in evaluations}
    for criterion in Criterion.objects.filter(evaluation__in=evaluations):
        data[criterion.evaluation_id].criteria.append(criterion)
    for vendor in Vendor.objects.filter(evaluation__in=evaluations):
        data[vendor.evaluation_id].vendors.append(vendor)
    rows = Score.objects.filter(vendor__evaluation__in=evaluations).values_list(
        "vendor__evaluation_id", "vendor_id", "criterion_id", "evaluator_id", "score"
    )
    for evaluation_id, vendor_id, criterion_id, evaluator_id, value in rows:
        data[evaluation_id].scores.append((vendor_id, criterion_id, evaluator_id, value))
    return data


def evaluation_results(*, evaluation: Evaluation, data: EvaluationData | None = None) -> dict:
    """Ranking, each vendor's mean per criterion, evaluator spread, sensitivity, completeness."""
    data = data or evaluation_data([evaluation])[evaluation.pk]
    criteria, vendors = data.criteria, data.vendors
    scores: dict[tuple[str, str], list[int]] = {}
    for vendor_id, criterion_id, _, value in data.scores:
        scores.setdefault((str(vendor_id), str(criterion_id)), []).append(value)
    inputs = [
        scoring.CriterionInput(str(c.pk), c.name, Fraction(c.weight), c.is_must_have)
        for c in criteria
    ]
    names = [(str(v.pk), v.name) for v in vendors]
    results = scoring.evaluate(inputs, names, scores)
    by_key = {str(v.pk): v for v in vendors}
    ranking = [
        {
            "vendor": by_key[r.key],
            "total": scoring.as_float(r.total),
            "disqualified_by": r.disqualified_by,
            "cells": [
                {
                    "mean": scoring.as_float(r.means[str(c.pk)], 1),
                    "spread": scoring.spread(scores, r.key, str(c.pk)),
                    "count": len(scores.get((r.key, str(c.pk)), ())),
                }
                for c in criteria
            ],
        }
        for r in scoring.rank(results)
    ]
    top = scoring.winner(results)
    return {
        "criteria": criteria,
        "weight_total": sum((c.weight for c in criteria), 0),
        "ranking": ranking,
        "winner": by_key[top.key] if top else None,
        "sensitivity": [
            {
                "criterion": s.criterion,
                "current": scoring.as_float(s.current_share, 1),
                "flip": scoring.as_float(s.flip_share, 1),
                "change": scoring.as_float(s.change, 1),
                "new_winner": s.new_winner,
            }
            for s in scoring.sensitivity(inputs, names, scores)
        ],
        "complete": bool(vendors)
        and all(scores.get((str(v.pk), str(c.pk))) for v in vendors for c in criteria),
        "evaluator_count": len({evaluator for _, _, evaluator, _ in data.scores}),
    }


def results_by_evaluation(evaluations: list[Evaluation]) -> dict[int, dict]:
    data = evaluation_data(evaluations)
    return {e.pk: evaluation_results(evaluation=e, data=data[e.pk]) for e in evaluations}


def evaluation_csv(*, evaluation: Evaluation) -> str:
    """The ranking as CSV, every cell neutralised by the one export helper."""
    results = evaluation_results(evaluation=evaluation)
    criteria = results["criteria"]
    header = (
        ["Rank", "Vendor", "Weighted total (1–5)", "Disqualified by"]
        + [
            f"{c.name} ({c.weight.normalize():f}%{', must-have' if c.is_must_have else ''})"
            for c in criteria
        ]
        + [f"{c.name}: evaluator spread" for c in criteria]
    )
    rows = [
        [
            position if not row["disqualified_by"] else "",
            row["vendor"].name,
            row["total"],
            "; ".join(row["disqualified_by"]),
            *[cell["mean"] for cell in row["cells"]],
            *[cell["spread"] for cell in row["cells"]],
        ]
        for position, row in enumerate(results["ranking"], start=1)
    ]
    return csv_text([header, *rows])


def evaluations(*, engagement: Engagement):
    return (
        Evaluation.objects.filter(engagement=engagement)
        .select_related("capability", "recommended_vendor")
        .prefetch_related(Prefetch("vendors"), "criteria", "evaluators")
    )


def tool_decisions(*, engagement: Engagement):
    return (
        ToolDecision.objects.filter(engagement=engagement)
        .select_related("tool", "consolidate_into", "replaced_by")
        .prefetch_related("findings")
    )


def portal_context(engagement: Engagement, me) -> dict:
    """The client's view: the diagram and tool decisions, the evaluations they are asked to
    score (with their own scores), and for approvers every ranking and written recommendation."""
    from architecture.diagram import blueprint_svg
    from architecture.models import Integration, ReportingItem, Stage
    from architecture.views import score_grid

    all_evaluations = list(evaluations(engagement=engagement))
    data = evaluation_data(all_evaluations)
    mine = [e for e in all_evaluations if me in e.evaluators.all()]
    context = {
        "diagram": blueprint_svg(
            list(Stage.objects.filter(engagement=engagement)),
            list(Integration.objects.filter(engagement=engagement)),
            list(ReportingItem.objects.filter(engagement=engagement)),
        ),
        # Not "decisions": the sign-off panel uses that name for the approvers' decisions.
        "tool_decisions": tool_decisions(engagement=engagement),
        "to_score": [
            {"evaluation": e, "grid": score_grid(e, me.user, data=data[e.pk])} for e in mine
        ],
    }
    if me.is_approver:
        context["rankings"] = [
            {"evaluation": e, "results": evaluation_results(evaluation=e, data=data[e.pk])}
            for e in all_evaluations
        ]
    return context
