"""The architecture blueprint's context (its template and PDF: `architecture.documents`).

Everything is read in a fixed number of queries (see `blueprint_context`), whatever the number
of tools, stages or evaluations: the vendor evaluations are scored from one read of all their
criteria, vendors and scores rather than one `evaluation_results` call each. The caller sets
the tenant scope; every query goes through the scoped managers, so an engagement of another
firm is not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.safestring import mark_safe

from architecture import selectors
from architecture.diagram import blueprint_diagram
from architecture.models import (
    Capability,
    Decision,
    Evaluation,
    Integration,
    ReportingItem,
    Stage,
    Vendor,
)
from architecture.selectors import before_after
from diagnostics.models import SEVERITY_ORDER, Finding, FindingCategory
from engagements.models import Engagement, StakeholderRole, SuccessMetric, Tool

# The diagram's page (A4 landscape, see blueprint.css) leaves this much room for the figure.
DIAGRAM_BOX_MM = (269, 152)

ROLE_LABELS = dict(StakeholderRole.choices)


def finding_refs(findings: Sequence[Finding]) -> dict[int, str]:
    """F1, F2, … in the diagnostic report's order (category, then severity, then age), so a
    reference means the same finding in both documents."""
    categories = [choice.value for choice in FindingCategory]

    def rank(finding: Finding) -> tuple[int, int, int]:
        severity = finding.severity
        return (
            categories.index(finding.category) if finding.category in categories else 99,
            SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else 99,
            finding.pk,
        )

    ordered = sorted((f for f in findings if f.category in categories), key=rank)
    return {finding.pk: f"F{number}" for number, finding in enumerate(ordered, start=1)}


def percent(value: Fraction | float | None) -> str:
    """25 → "25%", 38.24 → "38.2%"."""
    if value is None:
        return "—"
    text = f"{float(value):.1f}".removesuffix(".0")
    return f"{text}%"


@dataclass(frozen=True)
class RefFinding:
    ref: str
    finding: Finding


@dataclass
class EvaluationReport:
    evaluation: Evaluation
    criteria: list[dict]
    ranking: list[dict]
    winner: Vendor | None
    disqualified: list[dict]
    sensitivity: list[str]
    complete: bool
    evaluator_count: int


def _evaluation_report(evaluation: Evaluation, results: dict) -> EvaluationReport:
    """The PDF's view of one evaluation's results (selectors.evaluation_results)."""
    criteria = results["criteria"]
    weight_sum = sum((Fraction(c.weight) for c in criteria), Fraction(0))
    ranking, position = [], 0
    for row in results["ranking"]:
        if not row["disqualified_by"]:
            position += 1
        ranking.append(
            {
                "vendor": row["vendor"],
                "position": None if row["disqualified_by"] else position,
                "total": row["total"],
                "disqualified_by": list(row["disqualified_by"]),
                "means": [cell["mean"] for cell in row["cells"]],
            }
        )
    sensitivity = [
        f"No weight of “{item['criterion']}” alone would change the winner "
        f"(now {percent(item['current'])})."
        if item["flip"] is None
        else f"“{item['criterion']}” would have to move from {percent(item['current'])} to "
        f"{percent(item['flip'])} of the weight for {item['new_winner']} to win."
        for item in results["sensitivity"]
    ]
    return EvaluationReport(
        evaluation=evaluation,
        criteria=[
            {
                "criterion": c,
                "share": percent(Fraction(c.weight) * 100 / weight_sum if weight_sum else None),
            }
            for c in criteria
        ],
        ranking=ranking,
        winner=results["winner"],
        disqualified=[row for row in ranking if row["disqualified_by"]],
        sensitivity=sensitivity,
        complete=results["complete"],
        evaluator_count=results["evaluator_count"],
    )


def _evaluations(engagement: Engagement) -> list[EvaluationReport]:
    """Every evaluation scored in four queries: evaluations, criteria, vendors, scores."""
    evaluations = list(
        Evaluation.objects.filter(engagement=engagement).select_related(
            "capability", "recommended_vendor"
        )
    )
    results = selectors.results_by_evaluation(evaluations)
    return [_evaluation_report(e, results[e.pk]) for e in evaluations]


DECISION_VERBS = {
    Decision.KEEP: ("kept", "kept"),
    Decision.RETIRE: ("retired", "retired"),
    Decision.CONSOLIDATE: ("consolidated into another tool", "consolidated into other tools"),
    Decision.REPLACE: ("replaced", "replaced"),
}


def _decision_summary(decisions: list[dict]) -> str:
    """ "4 kept, 2 retired, 1 consolidated into another tool and 1 replaced"."""
    parts = []
    for value, (one, many) in DECISION_VERBS.items():
        count = sum(1 for d in decisions if d["decision"] and d["decision"].decision == value)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    undecided = sum(1 for d in decisions if not d["decision"])
    if undecided:
        parts.append(f"{undecided} not decided yet")
    return (
        ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + (parts[-1] if parts else "")
    )


def _refs(findings, refs: dict[int, str]) -> list[str]:
    return sorted((refs[f.pk] for f in findings if f.pk in refs), key=lambda ref: int(ref[1:]))


def blueprint_context(
    engagement: Engagement, *, version_number: int, today: date | None = None
) -> dict[str, Any]:
    """Everything the blueprint template needs, in 18 queries whatever the data size.

    engagement (1), before/after (5), tools + decision findings (2), capabilities + findings
    (2), stages, integrations, reporting items, success metrics (4), evaluations with their
    criteria, vendors and scores (4). `today` pins the generation date (for tests).
    """
    engagement = Engagement.objects.select_related("firm", "client", "lead_consultant").get(
        pk=engagement.pk
    )
    summary = before_after(engagement=engagement)
    refs = finding_refs(summary["addressed"] + summary["not_addressed"])

    def with_refs(findings: list[Finding]) -> list[RefFinding]:
        return sorted(
            (RefFinding(refs[f.pk], f) for f in findings if f.pk in refs),
            key=lambda item: int(item.ref[1:]),
        )

    tools = list(
        Tool.objects.filter(engagement=engagement)
        .select_related("decision__consolidate_into", "decision__replaced_by")
        .prefetch_related(Prefetch("decision__findings", queryset=Finding.objects.only("id")))
    )
    decisions = [
        {
            "tool": tool,
            "decision": getattr(tool, "decision", None),
            "refs": _refs(tool.decision.findings.all(), refs) if hasattr(tool, "decision") else [],
        }
        for tool in tools
    ]
    replaces: dict[int, list[str]] = {}
    for tool in tools:
        decision = getattr(tool, "decision", None)
        if decision and decision.replaced_by_id:
            replaces.setdefault(decision.replaced_by_id, []).append(tool.name)
    capabilities = [
        {
            "capability": c,
            "findings": with_refs(list(c.findings.all())),
            "replaces": replaces.get(c.pk, []),
        }
        for c in Capability.objects.filter(engagement=engagement).prefetch_related("findings")
    ]
    stages = list(Stage.objects.filter(engagement=engagement))
    integrations = list(Integration.objects.filter(engagement=engagement))
    reporting = list(
        ReportingItem.objects.filter(engagement=engagement).select_related("success_metric")
    )
    metrics = list(SuccessMetric.objects.filter(engagement=engagement))
    tracked: dict[int, list[str]] = {}
    for item in reporting:
        tracked.setdefault(item.success_metric_id, []).append(item.name)
    diagram = blueprint_diagram(stages, integrations, reporting, chart_id="blueprint-pdf")
    width_mm = min(DIAGRAM_BOX_MM[0], DIAGRAM_BOX_MM[1] * diagram.width / diagram.height)
    before, after = summary["before"], summary["after"]
    evaluations = _evaluations(engagement)

    return {
        "engagement": engagement,
        "client": engagement.client,
        "firm": engagement.firm,
        "lead_consultant": engagement.lead_consultant,
        "version_number": version_number,
        "generated_on": today or timezone.localdate(),
        "before": before,
        "after": after,
        "change": {key: after[key] - before[key] for key in ("tools", "seats", "cost")},
        "undecided": summary["undecided"],
        "addressed": with_refs(summary["addressed"]),
        "not_addressed": with_refs(summary["not_addressed"]),
        "finding_count": len(refs),
        "decisions": decisions,
        "decision_summary": _decision_summary(decisions),
        "capabilities": capabilities,
        "stages": [
            {"stage": s, "roles": ", ".join(ROLE_LABELS.get(r, r) for r in s.roles or [])}
            for s in stages
        ],
        "integrations": integrations,
        "reporting": reporting,
        "metrics": [{"metric": m, "tracked_by": tracked.get(m.pk, [])} for m in metrics],
        # The SVG is built from our own template with every value escaped.
        "diagram": mark_safe(diagram.svg),  # noqa: S308
        "diagram_width_mm": f"{width_mm:.1f}",
        "evaluations": evaluations,
        "recommendations": [e for e in evaluations if e.evaluation.recommendation.strip()],
    }
