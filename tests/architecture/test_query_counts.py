"""Phase 3 pages run the same number of queries however many rows they show."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from architecture.models import (
    DEFAULT_CRITERIA,
    BlueprintVersion,
    Capability,
    CapabilityFinding,
    Criterion,
    Evaluation,
    EvaluationEvaluator,
    Integration,
    ReportingItem,
    Score,
    Stage,
    ToolDecision,
    ToolDecisionFinding,
    Vendor,
)
from diagnostics.models import Finding
from engagements.models import (
    EmailStatus,
    Engagement,
    Job,
    JobStatus,
    OutboundEmail,
    SuccessMetric,
    Tool,
)
from engagements.phases import Phase
from tests.conftest import World

DECISIONS = ("keep", "retire", "consolidate", "replace")


def _queries(http, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def arch(world) -> World:
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.ARCHITECTURE)
    world.engagement.refresh_from_db()
    return world


@pytest.fixture
def evaluation(arch) -> Evaluation:
    """An evaluation with the five default criteria, the approver invited to score it."""
    evaluation = Evaluation.unscoped.create(
        firm=arch.firm_a, engagement=arch.engagement, title="Call recording"
    )
    for index, (name, weight) in enumerate(DEFAULT_CRITERIA):
        Criterion.unscoped.create(
            firm=arch.firm_a, evaluation=evaluation, name=name, weight=weight, position=index
        )
    EvaluationEvaluator.unscoped.create(
        firm=arch.firm_a, evaluation=evaluation, stakeholder=arch.approver_stakeholder
    )
    return evaluation


def _score_everything(world: World, evaluation: Evaluation) -> None:
    """Every vendor on every criterion, by the consultant and the approver, where not yet."""
    for vendor in Vendor.unscoped.filter(evaluation=evaluation):
        for criterion in Criterion.unscoped.filter(evaluation=evaluation):
            for n, evaluator in enumerate((world.consultant, world.approver)):
                Score.unscoped.get_or_create(
                    vendor=vendor, criterion=criterion, evaluator=evaluator,
                    defaults={"firm": world.firm_a, "score": 1 + (vendor.pk + n * 2) % 5},
                )  # fmt: skip


def _grow_evaluation(world: World, evaluation: Evaluation, vendors: int, criteria: int) -> None:
    """`vendors` more vendors and `criteria` more criteria, every cell scored by two evaluators."""
    firm = world.firm_a
    for _ in range(vendors):
        n = Vendor.unscoped.filter(evaluation=evaluation).count() + 1
        Vendor.unscoped.create(firm=firm, evaluation=evaluation, name=f"Vendor {n}")
    for _ in range(criteria):
        n = Criterion.unscoped.filter(evaluation=evaluation).count() + 1
        Criterion.unscoped.create(
            firm=firm, evaluation=evaluation, name=f"Criterion {n}", weight=Decimal(5),
            position=n, is_must_have=n % 2 == 0,
        )  # fmt: skip
    _score_everything(world, evaluation)


def _grow_decisions(world: World, rows: int) -> None:
    """`rows` more tools, each with a finding and a decision of every kind in turn, and a new
    capability closing a finding."""
    firm, engagement = world.firm_a, world.engagement
    for _ in range(rows):
        n = Capability.unscoped.filter(engagement=engagement).count() + 1
        tool = Tool.unscoped.create(
            firm=firm, engagement=engagement, name=f"Tool {n}", category="crm",
            monthly_cost=Decimal(100), seats=5,
        )  # fmt: skip
        finding = Finding.unscoped.create(
            firm=firm, engagement=engagement, title=f"Finding {n}", category="data",
            severity="high",
        )  # fmt: skip
        capability = Capability.unscoped.create(
            firm=firm, engagement=engagement, name=f"Capability {n}", tool_name=f"New tool {n}",
            monthly_cost=Decimal(50), seats=3,
        )  # fmt: skip
        CapabilityFinding.unscoped.create(firm=firm, capability=capability, finding=finding)
        kind = DECISIONS[n % len(DECISIONS)]
        decision = ToolDecision.unscoped.create(
            firm=firm, engagement=engagement, tool=tool, decision=kind,
            rationale=f"Because {n}.",
            consolidate_into=Tool.unscoped.filter(engagement=engagement).first()
            if kind == "consolidate" else None,
            replaced_by=capability if kind == "replace" else None,
        )  # fmt: skip
        ToolDecisionFinding.unscoped.create(firm=firm, tool_decision=decision, finding=finding)
        Tool.unscoped.create(
            firm=firm, engagement=engagement, name=f"Undecided tool {n}", category="other"
        )


def _grow_blueprint(world: World, rows: int) -> None:
    """`rows` more stages, integrations, dashboards tracking a success metric, and blueprint
    versions (every other one rendered and sent to the approver, the rest still rendering)."""
    firm, engagement = world.firm_a, world.engagement
    for _ in range(rows):
        n = Stage.unscoped.filter(engagement=engagement).count() + 1
        Stage.unscoped.create(
            firm=firm, engagement=engagement, name=f"Stage {n}", position=n,
            system_of_record=f"System {n % 3}", roles=["rep"], automated_steps="Emails",
            manual_steps="Calls",
        )  # fmt: skip
        Integration.unscoped.create(
            firm=firm, engagement=engagement, source_system=f"System {n % 3}",
            target_system=f"System {n % 3 + 1}", objects_carried="deals", trigger="nightly",
            is_automated=n % 2 == 0, direction="two_way" if n % 2 else "one_way",
        )  # fmt: skip
        metric = SuccessMetric.unscoped.create(firm=firm, engagement=engagement, name=f"KPI {n}")
        ReportingItem.unscoped.create(
            firm=firm, engagement=engagement, name=f"Dashboard {n}", sources=f"System {n % 3}",
            success_metric=metric,
        )  # fmt: skip
        rendered = n % 2 == 0
        job = Job.unscoped.create(
            firm=firm, engagement=engagement, kind="architecture_blueprint",
            status=JobStatus.SUCCEEDED if rendered else JobStatus.RUNNING,
            progress=100 if rendered else 40,
        )  # fmt: skip
        version = BlueprintVersion.unscoped.create(
            firm=firm, engagement=engagement, number=n, job=job, requested_by=world.consultant,
            file=f"blueprints/v{n}.pdf" if rendered else "", size=1000 if rendered else 0,
            page_count=3 if rendered else 0,
        )  # fmt: skip
        if rendered:
            OutboundEmail.unscoped.create(
                firm=firm, dedupe_key=f"blueprint:{version.public_id}:{world.approver.email}",
                to=world.approver.email, subject=f"Blueprint v{n}", body_text="Here it is.",
                status=EmailStatus.SENT, sent_at=timezone.now(),
            )  # fmt: skip


def _grow_evaluations(world: World, rows: int) -> None:
    """`rows` more evaluations the approver scores, each with two vendors and two criteria,
    scored by the consultant and the approver, and a recommendation."""
    firm, engagement = world.firm_a, world.engagement
    for _ in range(rows):
        n = Evaluation.unscoped.filter(engagement=engagement).count() + 1
        evaluation = Evaluation.unscoped.create(
            firm=firm, engagement=engagement, title=f"Evaluation {n}",
            recommendation=f"Pick vendor A{n}.",
        )  # fmt: skip
        EvaluationEvaluator.unscoped.create(
            firm=firm, evaluation=evaluation, stakeholder=world.approver_stakeholder
        )
        for name in (f"A{n}", f"B{n}"):
            Vendor.unscoped.create(firm=firm, evaluation=evaluation, name=name)
        for position, name in enumerate(("Fit", "Budget")):
            Criterion.unscoped.create(
                firm=firm, evaluation=evaluation, name=name, weight=Decimal(50), position=position
            )
        _score_everything(world, evaluation)


def _assert_does_not_grow(http, url: str, grow, shows: str) -> None:
    grow(2)
    http.get(url)  # anything a first view sets up
    few = _queries(http, url)
    grow(10)
    many = _queries(http, url)
    assert shows in http.get(url).content.decode()
    assert many == few


# --- the evaluation page -----------------------------------------------------------------------


def test_the_evaluation_page_query_count_does_not_grow_with_vendors_criteria_and_scores(
    as_consultant, arch, evaluation
):
    url = reverse("evaluation", args=[arch.engagement.public_id, evaluation.public_id])
    _grow_evaluation(arch, evaluation, vendors=2, criteria=0)
    as_consultant.get(url)
    few = _queries(as_consultant, url)

    _grow_evaluation(arch, evaluation, vendors=5, criteria=3)

    many = _queries(as_consultant, url)
    body = as_consultant.get(url).content.decode()
    assert "Vendor 7" in body
    assert "Criterion 8" in body
    assert "Combined ranking from 2 evaluators" in body
    assert many == few


PER_EVALUATION = (
    "app bug: architecture/gate.py snapshot() (run by every Phase 3 page for its gate panel, "
    "twice on the blueprint page, whose view calls gate_overview() before phase_page() does) calls "
    "architecture/selectors.py evaluation_results() once per evaluation, which repeats 4 queries "
    "each time: SELECT architecture_criterion, SELECT architecture_vendor, SELECT "
    "architecture_score (vendor_id, criterion_id, score) and SELECT architecture_score.evaluator_id"
)


@pytest.mark.parametrize("url_name", ["evaluations", "architecture", "blueprint"])
def test_the_workspace_pages_query_counts_do_not_grow_with_evaluations(
    as_consultant, arch, url_name
):
    url = reverse(url_name, args=[arch.engagement.public_id])
    _assert_does_not_grow(
        as_consultant, url, lambda rows: _grow_evaluations(arch, rows), shows="Phase 3"
    )


# --- the decisions and blueprint pages ---------------------------------------------------------


def test_the_architecture_page_query_count_does_not_grow_with_tools_and_decisions(
    as_consultant, arch
):
    url = reverse("architecture", args=[arch.engagement.public_id])
    _assert_does_not_grow(
        as_consultant, url, lambda rows: _grow_decisions(arch, rows), shows="Capability 12"
    )


def test_the_blueprint_page_query_count_does_not_grow_with_stages_integrations_and_versions(
    as_consultant, arch
):
    url = reverse("blueprint", args=[arch.engagement.public_id])
    _assert_does_not_grow(
        as_consultant, url, lambda rows: _grow_blueprint(arch, rows), shows="Dashboard 12"
    )


# --- the portal --------------------------------------------------------------------------------


def _grow_everything(world: World, rows: int) -> None:
    _grow_decisions(world, rows)
    _grow_blueprint(world, rows)
    _grow_evaluations(world, rows)


def test_the_portal_architecture_page_query_count_does_not_grow_with_decisions_and_blueprint(
    as_approver, arch, evaluation
):
    url = reverse("portal_architecture", args=[arch.engagement.public_id])

    def grow(rows: int) -> None:
        _grow_decisions(arch, rows)
        _grow_blueprint(arch, rows)

    _assert_does_not_grow(as_approver, url, grow, shows="Dashboard 12")


def test_the_portal_architecture_page_query_count_does_not_grow_with_rows(as_approver, arch):
    url = reverse("portal_architecture", args=[arch.engagement.public_id])
    _assert_does_not_grow(
        as_approver, url, lambda rows: _grow_everything(arch, rows), shows="Evaluation 12: ranking"
    )


def test_the_portal_architecture_page_query_count_does_not_grow_with_vendors_and_criteria(
    as_approver, arch, evaluation
):
    url = reverse("portal_architecture", args=[arch.engagement.public_id])
    _grow_evaluation(arch, evaluation, vendors=2, criteria=0)
    as_approver.get(url)
    few = _queries(as_approver, url)

    _grow_evaluation(arch, evaluation, vendors=5, criteria=3)

    assert _queries(as_approver, url) == few
