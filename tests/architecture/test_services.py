"""Phase 3 rules through its services and selectors: the gate's readiness and snapshot, tool
decisions, capabilities, the blueprint, weighted vendor evaluation by client and consultant
evaluators, the before/after summary, the CSV export, and read-only after sign-off."""

import contextlib
import csv
import io
from decimal import Decimal

import pytest

from architecture import gate, selectors, services
from architecture.models import (
    DEFAULT_CRITERIA,
    DEFAULT_STAGES,
    Capability,
    Criterion,
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
from engagements.models import (
    Decision,
    Engagement,
    PhaseStatus,
    Role,
    SignoffRequest,
    SuccessMetric,
    Tool,
)
from engagements.phases import Phase
from engagements.services import signoffs
from tests.factories import MembershipFactory, StakeholderFactory

ARCHITECTURE = Phase.ARCHITECTURE
UNDECIDED_TODO = "Decide on every tool (keep, retire, consolidate or replace): missing"
STAGES_TODO = "Name the system of record of every stage"
EVALUATION_TODO = "Complete a vendor evaluation (every vendor scored, a vendor recommended) for"
RECOMMENDATION_TODO = "Write the recommendation and its rationale"


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def arch(firm_a_scope):
    """Firm A's engagement, moved on to the architecture phase, with two tools in use."""
    world = firm_a_scope
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=ARCHITECTURE)
    world.engagement.refresh_from_db()
    for name, cost, seats in [("HubSpot", 900, 25), ("Outreach", 400, 10)]:
        Tool.unscoped.create(
            firm=world.firm_a, engagement=world.engagement, name=name, category="crm",
            monthly_cost=Decimal(cost), seats=seats,
        )  # fmt: skip
    return world


def tool(world, name: str) -> Tool:
    return Tool.objects.get(engagement=world.engagement, name=name)


def a_tool(world, name: str, cost=None, seats=None) -> Tool:
    return Tool.objects.create(
        firm=world.firm_a, engagement=world.engagement, name=name, category="other",
        monthly_cost=cost, seats=seats,
    )  # fmt: skip


def a_finding(world, title: str = "Forecasts are rebuilt by hand", engagement=None) -> Finding:
    engagement = engagement or world.engagement
    return Finding.objects.create(
        firm=engagement.firm, engagement=engagement, title=title, category="data",
        severity="high",
    )  # fmt: skip


def decide(world, name: str, decision: str = "keep", **links) -> ToolDecision:
    return services.tool_decision_save(
        tool=tool(world, name),
        actor=world.consultant,
        decision=decision,
        rationale=f"{decision.capitalize()} {name}.",
        **links,
    )


def a_capability(world, name="Conversation intelligence", *, tool_name="Gong", **fields):
    if "findings" not in fields:
        fields["findings"] = [a_finding(world, f"No insight into calls ({name})")]
    return services.capability_save(
        engagement=world.engagement, actor=world.consultant, name=name, tool_name=tool_name,
        **fields,
    )  # fmt: skip


def an_evaluation(world, title="Call recording", *, vendors=("Gong", "Chorus"), capability=None):
    evaluation = services.evaluation_create(
        engagement=world.engagement, actor=world.consultant, title=title, capability=capability
    )
    for name in vendors:
        services.vendor_add(evaluation=evaluation, actor=world.consultant, name=name)
    return evaluation


def criteria(evaluation: Evaluation) -> list[Criterion]:
    return list(Criterion.objects.filter(evaluation=evaluation))


def vendor(evaluation: Evaluation, name: str) -> Vendor:
    return Vendor.objects.get(evaluation=evaluation, name=name)


def score_all(evaluation: Evaluation, evaluator, values: dict[str, int | list[int]]) -> int:
    """Score every criterion of each named vendor with one value (or one per criterion)."""
    cells = {}
    for name, value in values.items():
        per_criterion = value if isinstance(value, list) else [value] * len(criteria(evaluation))
        for criterion, score in zip(criteria(evaluation), per_criterion, strict=True):
            cells[(vendor(evaluation, name).pk, criterion.pk)] = (score, "")
    return services.scores_save(evaluation=evaluation, evaluator=evaluator, scores=cells)


def recommend(world, evaluation: Evaluation, name: str | None = "Gong", text="Best fit.") -> None:
    services.recommendation_write(
        evaluation=evaluation,
        actor=world.consultant,
        vendor=vendor(evaluation, name) if name else None,
        text=text,
    )


def record_every_stage(world, system: str = "HubSpot") -> None:
    services.stages_ensure(engagement=world.engagement)
    for stage in Stage.objects.filter(engagement=world.engagement):
        services.stage_save(
            engagement=world.engagement, actor=world.consultant, stage=stage,
            system_of_record=system,
        )  # fmt: skip


def make_ready(world) -> None:
    for name in Tool.objects.filter(engagement=world.engagement).values_list("name", flat=True):
        decide(world, name)
    record_every_stage(world)


def checks(world) -> list:
    return gate.readiness(world.engagement)


def failing_todos(world) -> list[str]:
    return [check.todo for check in checks(world) if not check.passed]


def todo_starting(world, start: str) -> str | None:
    return next((todo for todo in failing_todos(world) if todo.startswith(start)), None)


def refused(call, *words: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    for word in words:
        assert word in caught.value.message
    return caught.value


def live_digest(world) -> str:
    return signoffs.live_snapshot(engagement=world.engagement, phase=ARCHITECTURE)[1]


def request_signoff(world) -> SignoffRequest:
    return signoffs.signoff_request_create(
        engagement=world.engagement, phase=ARCHITECTURE, actor=world.consultant
    )


def a_client_evaluator(world, name: str = "Eve Evaluator"):
    """A client user of firm A's client, a stakeholder with portal access."""
    user = MembershipFactory(
        firm=world.firm_a, role=Role.CLIENT, client=world.client_x, user__full_name=name
    ).user
    stakeholder = StakeholderFactory(
        engagement=world.engagement, name=name, email=user.email, user=user,
        has_portal_access=True,
    )  # fmt: skip
    return stakeholder


# --- readiness ---------------------------------------------------------------------------------


def test_readiness_lists_every_undecided_tool_until_each_has_a_decision(arch):
    assert todo_starting(arch, UNDECIDED_TODO) == f"{UNDECIDED_TODO} HubSpot, Outreach."

    decide(arch, "HubSpot")
    assert todo_starting(arch, UNDECIDED_TODO) == f"{UNDECIDED_TODO} Outreach."

    decide(arch, "Outreach", "retire")
    assert todo_starting(arch, UNDECIDED_TODO) is None
    assert checks(arch)[0].passed
    assert checks(arch)[0].message == "Every tool in the inventory has a decision."


def test_readiness_asks_for_stages_then_lists_those_without_a_system_of_record(arch):
    assert todo_starting(arch, STAGES_TODO) == f"{STAGES_TODO}."

    services.stages_ensure(engagement=arch.engagement)
    assert todo_starting(arch, STAGES_TODO) == (
        f"{STAGES_TODO}: missing for {', '.join(DEFAULT_STAGES)}."
    )

    stages = list(Stage.objects.filter(engagement=arch.engagement))
    for stage in stages[:-1]:
        services.stage_save(
            engagement=arch.engagement, actor=arch.consultant, stage=stage,
            system_of_record="HubSpot",
        )  # fmt: skip
    assert todo_starting(arch, STAGES_TODO) == f"{STAGES_TODO}: missing for Renewal."

    services.stage_save(
        engagement=arch.engagement, actor=arch.consultant, stage=stages[-1],
        system_of_record="  ",
    )  # fmt: skip
    assert todo_starting(arch, STAGES_TODO) == f"{STAGES_TODO}: missing for Renewal."

    services.stage_save(
        engagement=arch.engagement, actor=arch.consultant, stage=stages[-1],
        system_of_record="ChurnZero",
    )  # fmt: skip
    assert todo_starting(arch, STAGES_TODO) is None
    assert checks(arch)[1].message == "Every pipeline stage has a system of record."


def test_a_new_tool_needs_a_fully_scored_evaluation_with_a_recommended_vendor(arch):
    capability = a_capability(arch, tool_name="Call recorder")
    assert todo_starting(arch, EVALUATION_TODO) == f"{EVALUATION_TODO} Call recorder."

    evaluation = an_evaluation(arch, capability=capability)
    assert todo_starting(arch, EVALUATION_TODO) == f"{EVALUATION_TODO} Call recorder."

    # Every vendor scored on every criterion but the last one of Chorus.
    score_all(evaluation, arch.consultant, {"Gong": 4})
    last = criteria(evaluation)[-1]
    services.scores_save(
        evaluation=evaluation,
        evaluator=arch.consultant,
        scores={
            (vendor(evaluation, "Chorus").pk, c.pk): (3, "")
            for c in criteria(evaluation)
            if c != last
        },
    )
    recommend(arch, evaluation)
    assert todo_starting(arch, EVALUATION_TODO) == f"{EVALUATION_TODO} Call recorder."

    score_all(evaluation, arch.consultant, {"Chorus": 3})
    assert todo_starting(arch, EVALUATION_TODO) is None
    assert checks(arch)[2].message == "Every new tool has a completed vendor evaluation."


def test_a_complete_evaluation_still_needs_a_recommended_vendor(arch):
    capability = a_capability(arch)
    evaluation = an_evaluation(arch, capability=capability)
    score_all(evaluation, arch.consultant, {"Gong": 4, "Chorus": 3})

    recommend(arch, evaluation, name=None, text="Either would do.")
    assert todo_starting(arch, EVALUATION_TODO) == f"{EVALUATION_TODO} Gong."

    recommend(arch, evaluation, name="Gong")
    assert todo_starting(arch, EVALUATION_TODO) is None


def test_a_capability_that_adds_no_new_tool_needs_no_evaluation(arch):
    a_capability(arch, name="Lead routing rules", tool_name="", is_new_tool=False)

    assert todo_starting(arch, EVALUATION_TODO) is None
    assert todo_starting(arch, RECOMMENDATION_TODO) is None


def test_readiness_lists_each_evaluation_without_a_written_recommendation(arch):
    an_evaluation(arch, "Call recording")
    second = an_evaluation(arch, "Sales engagement", vendors=("Outreach", "Salesloft"))
    assert todo_starting(arch, RECOMMENDATION_TODO) == (
        f"{RECOMMENDATION_TODO} for Call recording, Sales engagement."
    )

    recommend(arch, second, name="Outreach")
    assert todo_starting(arch, RECOMMENDATION_TODO) == f"{RECOMMENDATION_TODO} for Call recording."

    recommend(arch, Evaluation.objects.get(title="Call recording"), name=None, text="Neither.")
    assert todo_starting(arch, RECOMMENDATION_TODO) is None
    assert checks(arch)[3].message == "The recommendation is written."


def test_a_new_tool_without_any_evaluation_also_asks_for_the_recommendation(arch):
    a_capability(arch)

    assert todo_starting(arch, RECOMMENDATION_TODO) == f"{RECOMMENDATION_TODO}."


def test_sign_off_is_refused_until_every_check_passes_then_can_be_requested(arch):
    error = refused(lambda: request_signoff(arch), "Not ready for sign-off", UNDECIDED_TODO)
    assert STAGES_TODO in error.message

    make_ready(arch)

    assert failing_todos(arch) == []
    assert request_signoff(arch).phase == ARCHITECTURE


# --- tool decisions and capabilities -----------------------------------------------------------


def test_consolidating_needs_the_tool_it_is_consolidated_into(arch):
    refused(
        lambda: decide(arch, "Outreach", "consolidate"), "Say which tool it is consolidated into."
    )

    decide(arch, "Outreach", "consolidate", consolidate_into=tool(arch, "HubSpot"))

    saved = ToolDecision.objects.get(tool=tool(arch, "Outreach"))
    assert saved.consolidate_into == tool(arch, "HubSpot")


def test_a_tool_cannot_be_consolidated_into_itself(arch):
    refused(
        lambda: decide(arch, "HubSpot", "consolidate", consolidate_into=tool(arch, "HubSpot")),
        "A tool cannot be consolidated into itself.",
    )
    assert not ToolDecision.objects.exists()


def test_a_tool_cannot_be_consolidated_into_another_engagements_tool(arch):
    other = Tool.objects.create(
        firm=arch.firm_a, engagement=arch.engagement_y, name="Yonder CRM", category="crm"
    )

    refused(
        lambda: decide(arch, "HubSpot", "consolidate", consolidate_into=other),
        "must belong to this engagement",
    )
    assert not ToolDecision.objects.exists()


def test_replacing_needs_the_new_capability_that_replaces_it(arch):
    refused(lambda: decide(arch, "Outreach", "replace"), "Say which new capability replaces it")

    capability = a_capability(arch, name="Sales engagement", tool_name="Salesloft")
    decide(arch, "Outreach", "replace", replaced_by=capability)

    assert ToolDecision.objects.get(tool=tool(arch, "Outreach")).replaced_by == capability


def test_a_decision_needs_a_rationale_and_keeps_only_the_link_its_kind_uses(arch):
    refused(
        lambda: services.tool_decision_save(
            tool=tool(arch, "HubSpot"), actor=arch.consultant, decision="keep", rationale="  "
        ),
        "Give the rationale",
    )

    decide(arch, "Outreach", "consolidate", consolidate_into=tool(arch, "HubSpot"))
    decide(arch, "Outreach", "retire", consolidate_into=tool(arch, "HubSpot"))

    saved = ToolDecision.objects.get(tool=tool(arch, "Outreach"))
    assert (saved.decision, saved.consolidate_into) == ("retire", None)


def test_a_capability_needs_the_findings_it_closes(arch):
    refused(lambda: a_capability(arch, findings=[]), "Link the capability to the gaps")
    refused(
        lambda: a_capability(arch, findings=[a_finding(arch, engagement=arch.engagement_y)]),
        "must belong to this engagement",
    )
    assert not Capability.objects.exists()

    capability = a_capability(arch)

    assert [f.title for f in capability.findings.all()] == [
        "No insight into calls (Conversation intelligence)"
    ]


# --- the blueprint -----------------------------------------------------------------------------


def test_the_default_pipeline_is_seeded_once(arch):
    services.stages_ensure(engagement=arch.engagement)
    services.stages_ensure(engagement=arch.engagement)

    assert [s.name for s in Stage.objects.filter(engagement=arch.engagement)] == DEFAULT_STAGES


def test_a_new_stage_goes_last(arch):
    services.stages_ensure(engagement=arch.engagement)

    stage = services.stage_save(
        engagement=arch.engagement, actor=arch.consultant, name="Expansion",
        system_of_record="HubSpot",
    )  # fmt: skip

    assert [s.name for s in Stage.objects.filter(engagement=arch.engagement)][-1] == "Expansion"
    assert stage.position == len(DEFAULT_STAGES)


INTEGRATION = {"objects_carried": "deals", "direction": "one_way", "trigger": "nightly"}


@pytest.mark.parametrize(
    ("source", "target"),
    [("HubSpot", "HubSpot"), ("HubSpot", " hubspot "), ("", "")],
)
def test_an_integration_needs_two_different_systems(arch, source, target):
    refused(
        lambda: services.integration_save(
            engagement=arch.engagement,
            actor=arch.consultant,
            source_system=source,
            target_system=target,
            **INTEGRATION,
        ),
        "Source and target must be different systems.",
    )
    assert not Integration.objects.exists()


def test_an_integration_between_two_systems_is_saved_and_can_be_edited(arch):
    integration = services.integration_save(
        engagement=arch.engagement, actor=arch.consultant, source_system="HubSpot",
        target_system="Stripe", **INTEGRATION,
    )  # fmt: skip

    refused(
        lambda: services.integration_save(
            engagement=arch.engagement,
            actor=arch.consultant,
            integration=integration,
            source_system="Stripe",
            target_system="stripe",
            **INTEGRATION,
        ),
        "different systems",
    )
    integration.refresh_from_db()
    assert str(integration) == "HubSpot → Stripe"


def test_a_dashboard_can_only_track_this_engagements_success_metric(arch):
    other = SuccessMetric.objects.create(
        firm=arch.firm_a, engagement=arch.engagement_y, name="Their win rate"
    )

    refused(
        lambda: services.reporting_item_save(
            engagement=arch.engagement,
            actor=arch.consultant,
            name="Win rate",
            sources="HubSpot",
            success_metric=other,
        ),
        "must belong to this engagement",
    )
    assert not ReportingItem.objects.exists()


# --- vendor evaluation -------------------------------------------------------------------------


def test_a_new_evaluation_starts_with_the_five_default_criteria_totalling_100(arch):
    evaluation = an_evaluation(arch, vendors=())

    assert [(c.name, c.weight) for c in criteria(evaluation)] == [
        (name, Decimal(weight)) for name, weight in DEFAULT_CRITERIA
    ]
    assert sum(c.weight for c in criteria(evaluation)) == 100


def _rows(evaluation: Evaluation, weights: list, **changes) -> list[dict]:
    return [
        {"criterion": c, "name": c.name, "weight": str(w), **changes}
        for c, w in zip(criteria(evaluation), weights, strict=True)
    ]


@pytest.mark.parametrize("weights", [[25, 15, 20, 25, 5], [25, 15, 20, 25, 25], [0, 0, 0, 0, 0]])
def test_criteria_weights_must_total_exactly_100_and_nothing_is_saved_otherwise(arch, weights):
    evaluation = an_evaluation(arch, vendors=())

    error = refused(
        lambda: services.criteria_update(
            evaluation=evaluation, actor=arch.consultant, rows=_rows(evaluation, weights)
        ),
        "must total exactly 100%",
    )

    assert f"The weights add up to {sum(weights)}%" in error.message
    assert [c.weight for c in criteria(evaluation)] == [Decimal(w) for _, w in DEFAULT_CRITERIA]


def test_criteria_are_renamed_reweighted_added_and_removed_together(arch):
    evaluation = an_evaluation(arch, vendors=())
    rows = _rows(evaluation, [40, 20, 20, 20, 0])
    rows[0]["is_must_have"] = True
    rows[1]["name"] = "Maturity"
    rows[4]["delete"] = True
    rows.append({"criterion": None, "name": "Support", "weight": "0"})

    services.criteria_update(evaluation=evaluation, actor=arch.consultant, rows=rows)

    assert [(c.name, c.weight, c.is_must_have) for c in criteria(evaluation)] == [
        ("Fit for the team's size", 40, True),
        ("Maturity", 20, False),
        ("Budget (total cost of ownership)", 20, False),
        ("Integration requirements", 20, False),
        ("Support", 0, False),
    ]


def test_weights_with_more_than_two_decimals_keep_totalling_100_once_stored(arch):
    evaluation = an_evaluation(arch, vendors=())
    rows = _rows(evaluation, ["33.333", "33.333", "33.334", "0", "0"])

    with contextlib.suppress(ApplicationError):  # refusing such weights would be fine too
        services.criteria_update(evaluation=evaluation, actor=arch.consultant, rows=rows)

    assert sum(c.weight for c in criteria(evaluation)) == 100


def test_an_evaluation_needs_at_least_one_criterion(arch):
    evaluation = an_evaluation(arch, vendors=())

    refused(
        lambda: services.criteria_update(
            evaluation=evaluation,
            actor=arch.consultant,
            rows=_rows(evaluation, [20] * 5, delete=True),
        ),
        "must total exactly 100%",
    )
    assert len(criteria(evaluation)) == 5


def test_a_vendor_is_listed_once_whatever_its_case(arch):
    evaluation = an_evaluation(arch, vendors=("Gong",))

    refused(
        lambda: services.vendor_add(evaluation=evaluation, actor=arch.consultant, name=" gong "),
        "is already in this evaluation",
    )
    assert [v.name for v in Vendor.objects.filter(evaluation=evaluation)] == ["Gong"]


@pytest.mark.parametrize("value", [0, 6, -1])
def test_scores_outside_1_to_5_are_refused_and_nothing_is_saved(arch, value):
    evaluation = an_evaluation(arch)
    first, second = criteria(evaluation)[:2]
    gong = vendor(evaluation, "Gong")

    refused(
        lambda: services.scores_save(
            evaluation=evaluation,
            evaluator=arch.consultant,
            scores={(gong.pk, first.pk): (4, ""), (gong.pk, second.pk): (value, "")},
        ),
        "Scores go from 1 to 5.",
    )
    assert not Score.objects.exists()


def test_a_score_for_another_evaluations_vendor_is_refused(arch):
    evaluation = an_evaluation(arch)
    other = an_evaluation(arch, "Other", vendors=("Salesloft",))

    refused(
        lambda: services.scores_save(
            evaluation=evaluation,
            evaluator=arch.consultant,
            scores={(vendor(other, "Salesloft").pk, criteria(evaluation)[0].pk): (5, "")},
        ),
        "another evaluation",
    )
    assert not Score.objects.exists()


def test_an_empty_cell_clears_the_evaluators_own_score_only(arch):
    evaluation = an_evaluation(arch, vendors=("Gong",))
    client = a_client_evaluator(arch)
    score_all(evaluation, arch.consultant, {"Gong": 4})
    score_all(evaluation, client.user, {"Gong": 2})
    cell = (vendor(evaluation, "Gong").pk, criteria(evaluation)[0].pk)

    left = services.scores_save(
        evaluation=evaluation, evaluator=arch.consultant, scores={cell: (None, "")}
    )

    assert left == 4
    assert Score.objects.filter(evaluator=client.user).count() == 5


def test_evaluators_must_have_portal_access(arch):
    evaluation = an_evaluation(arch)

    refused(
        lambda: services.evaluators_set(
            evaluation=evaluation, actor=arch.consultant, stakeholders=[arch.rep_stakeholder]
        ),
        "give them portal access first",
    )
    services.evaluators_set(
        evaluation=evaluation, actor=arch.consultant, stakeholders=[arch.approver_stakeholder]
    )
    assert list(evaluation.evaluators.all()) == [arch.approver_stakeholder]


def test_the_recommended_vendor_must_be_one_of_the_evaluations_and_the_text_is_required(arch):
    evaluation = an_evaluation(arch)
    other = an_evaluation(arch, "Other", vendors=("Salesloft",))

    refused(
        lambda: services.recommendation_write(
            evaluation=evaluation,
            actor=arch.consultant,
            vendor=vendor(other, "Salesloft"),
            text="Salesloft.",
        ),
        "Recommend one of this evaluation's vendors.",
    )
    refused(lambda: recommend(arch, evaluation, text="  "), "Write the recommendation")
    evaluation.refresh_from_db()
    assert (evaluation.recommended_vendor, evaluation.recommendation) == (None, "")


def test_a_client_evaluators_and_a_consultants_scores_both_count_with_their_spread(arch):
    evaluation = an_evaluation(arch)
    client = a_client_evaluator(arch)
    score_all(evaluation, arch.consultant, {"Gong": 5, "Chorus": 2})
    score_all(evaluation, client.user, {"Gong": 3, "Chorus": 2})

    results = selectors.evaluation_results(evaluation=evaluation)

    assert results["evaluator_count"] == 2
    assert results["complete"]
    assert [row["vendor"].name for row in results["ranking"]] == ["Gong", "Chorus"]
    gong, chorus = results["ranking"]
    assert gong["total"] == 4.0
    assert {(c["mean"], c["spread"], c["count"]) for c in gong["cells"]} == {(4.0, 2, 2)}
    assert {(c["mean"], c["spread"], c["count"]) for c in chorus["cells"]} == {(2.0, 0, 2)}
    assert results["winner"].name == "Gong"


def test_a_must_have_criterion_below_3_disqualifies_the_vendor(arch):
    evaluation = an_evaluation(arch)
    rows = _rows(evaluation, [w for _, w in DEFAULT_CRITERIA])
    rows[0]["is_must_have"] = True
    services.criteria_update(evaluation=evaluation, actor=arch.consultant, rows=rows)
    score_all(evaluation, arch.consultant, {"Gong": [2, 5, 5, 5, 5], "Chorus": 3})

    results = selectors.evaluation_results(evaluation=evaluation)

    assert [row["vendor"].name for row in results["ranking"]] == ["Chorus", "Gong"]
    assert results["ranking"][1]["disqualified_by"] == ("Fit for the team's size",)
    assert results["winner"].name == "Chorus"


def test_the_sensitivity_says_how_far_a_weight_must_move_to_change_the_winner(arch):
    evaluation = an_evaluation(arch)
    # Gong wins on everything but budget, where Chorus is far ahead.
    score_all(evaluation, arch.consultant, {"Gong": [5, 4, 1, 4, 4], "Chorus": [3, 3, 5, 3, 3]})

    results = selectors.evaluation_results(evaluation=evaluation)

    by_name = {s["criterion"]: s for s in results["sensitivity"]}
    budget = by_name["Budget (total cost of ownership)"]
    assert results["winner"].name == "Gong"
    assert budget["current"] == 20.0
    assert budget["new_winner"] == "Chorus"
    # Gong 3.65 against Chorus 3.40: budget at 24.7% of the weight makes them tie.
    assert (budget["flip"], budget["change"]) == (24.7, 4.7)


# --- before and after --------------------------------------------------------------------------


def test_the_before_after_summary_counts_tools_seats_and_cost_after_every_kind_of_decision(arch):
    e = arch
    crm, outreach = tool(e, "HubSpot"), tool(e, "Outreach")  # 900/25 and 400/10
    a_tool(e, "Spreadsheet", cost=Decimal(0), seats=None)
    a_tool(e, "Zoom", cost=Decimal("150.50"), seats=30)
    a_tool(e, "Legacy dialer", cost=Decimal(200), seats=8)
    a_tool(e, "Chat widget", cost=None, seats=2)
    behind_keep, behind_capability, open_gap = (
        a_finding(e, "Deals live in spreadsheets"),
        a_finding(e, "No call insight"),
        a_finding(e, "Nobody owns renewals"),
    )
    new_tool = a_capability(
        e, tool_name="Gong", monthly_cost=Decimal(300), seats=12, findings=[behind_capability]
    )
    a_capability(
        e, name="Routing rules", tool_name="", is_new_tool=False, monthly_cost=Decimal(999),
        seats=99, findings=[behind_capability],
    )  # fmt: skip
    decide(e, "HubSpot", "keep", findings=[behind_keep])
    decide(e, "Outreach", "consolidate", consolidate_into=crm)
    decide(e, "Spreadsheet", "retire")
    decide(e, "Legacy dialer", "replace", replaced_by=new_tool)
    decide(e, "Zoom", "keep")
    # The chat widget stays undecided: it counts as kept.
    assert outreach.monthly_cost == 400

    summary = selectors.before_after(engagement=e.engagement)

    assert summary["before"] == {
        "tools": 6,
        "seats": 25 + 10 + 30 + 8 + 2,
        "cost": Decimal("900") + 400 + Decimal("150.50") + 200,
    }
    assert summary["after"] == {
        "tools": 3 + 1,  # HubSpot, Zoom, the chat widget, and Gong
        "seats": 25 + 30 + 2 + 12,
        "cost": Decimal("900") + Decimal("150.50") + 300,
    }
    assert [t.name for t in summary["undecided"]] == ["Chat widget"]
    assert {f.title for f in summary["addressed"]} == {
        "Deals live in spreadsheets",
        "No call insight",
    }
    assert [f.title for f in summary["not_addressed"]] == [open_gap.title]


# --- the CSV export ----------------------------------------------------------------------------


def _csv_rows(evaluation: Evaluation) -> list[list[str]]:
    return list(csv.reader(io.StringIO(selectors.evaluation_csv(evaluation=evaluation))))


def test_the_csv_has_a_header_and_a_row_per_vendor_in_rank_order(arch):
    evaluation = an_evaluation(arch, vendors=("Chorus", "Gong", "Avoma"))
    score_all(evaluation, arch.consultant, {"Gong": 5, "Chorus": 4, "Avoma": 2})

    header, *rows = _csv_rows(evaluation)

    assert header[:4] == ["Rank", "Vendor", "Weighted total (1–5)", "Disqualified by"]
    assert header[4:9] == [f"{name} ({weight}%)" for name, weight in DEFAULT_CRITERIA]
    assert header[9:] == [f"{name}: evaluator spread" for name, _ in DEFAULT_CRITERIA]
    assert [row[:3] for row in rows] == [["1", "Gong", "5.0"], ["2", "Chorus", "4.0"],
                                         ["3", "Avoma", "2.0"]]  # fmt: skip
    assert all(len(row) == len(header) for row in rows)


def test_a_vendor_named_like_a_spreadsheet_formula_is_neutralised_in_the_csv(arch):
    name = '=HYPERLINK("http://evil.example","Click")'
    evaluation = an_evaluation(arch, vendors=(name, "+Plus", "@At", "-Minus"))

    rows = _csv_rows(evaluation)[1:]

    assert sorted(row[1] for row in rows) == sorted(["'" + name, "'+Plus", "'@At", "'-Minus"])


def test_a_criterion_named_like_a_spreadsheet_formula_is_neutralised_in_the_csv_header(arch):
    evaluation = an_evaluation(arch)
    rows = _rows(evaluation, [w for _, w in DEFAULT_CRITERIA])
    rows[0]["name"] = '=HYPERLINK("http://evil.example","Click")'
    services.criteria_update(evaluation=evaluation, actor=arch.consultant, rows=rows)

    header = _csv_rows(evaluation)[0]

    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in header)


# --- the snapshot, and after sign-off ----------------------------------------------------------


def test_changing_a_decision_under_an_open_request_makes_it_stale(arch):
    make_ready(arch)
    request = request_signoff(arch)

    decide(arch, "Outreach", "retire")

    assert live_digest(arch) != request.digest
    request.refresh_from_db()
    assert request.is_stale
    changed = request.snapshot["tool_decisions"]
    assert {d["label"]: d["decision"] for d in changed} == {"HubSpot": "Keep", "Outreach": "Keep"}


def test_saving_the_same_decision_again_does_not_make_the_request_stale(arch):
    make_ready(arch)
    request = request_signoff(arch)

    decide(arch, "Outreach", "keep")

    request.refresh_from_db()
    assert not request.is_stale


def test_scores_that_reorder_the_ranking_change_the_snapshot(arch):
    make_ready(arch)
    evaluation = an_evaluation(arch)
    score_all(evaluation, arch.consultant, {"Gong": 4, "Chorus": 3})
    recommend(arch, evaluation)
    before = live_digest(arch)

    score_all(evaluation, arch.consultant, {"Gong": 2})

    assert live_digest(arch) != before


def test_consolidating_into_a_different_tool_under_an_open_request_makes_it_stale(arch):
    a_tool(arch, "Salesforce")
    make_ready(arch)
    decide(arch, "Outreach", "consolidate", consolidate_into=tool(arch, "HubSpot"))
    request = request_signoff(arch)

    services.tool_decision_save(
        tool=tool(arch, "Outreach"), actor=arch.consultant, decision="consolidate",
        rationale="Consolidate Outreach.", consolidate_into=tool(arch, "Salesforce"),
    )  # fmt: skip

    request.refresh_from_db()
    assert request.is_stale


@pytest.fixture
def signed_off(arch):
    make_ready(arch)
    capability = a_capability(arch)
    evaluation = an_evaluation(arch, capability=capability)
    services.evaluators_set(
        evaluation=evaluation, actor=arch.consultant, stakeholders=[arch.approver_stakeholder]
    )
    score_all(evaluation, arch.consultant, {"Gong": 4, "Chorus": 3})
    recommend(arch, evaluation)
    services.integration_save(
        engagement=arch.engagement, actor=arch.consultant, source_system="HubSpot",
        target_system="Stripe", **INTEGRATION,
    )  # fmt: skip
    services.reporting_item_save(
        engagement=arch.engagement, actor=arch.consultant, name="Win rate", sources="HubSpot"
    )
    request = request_signoff(arch)
    signoffs.signoff_decide(
        request=request,
        stakeholder=arch.approver_stakeholder,
        decision=Decision.APPROVE,
        reviewed_digest=live_digest(arch),
        typed_name=arch.approver_stakeholder.name,
    )
    state = signoffs.phase_state(engagement=arch.engagement, phase=ARCHITECTURE)
    assert state.status == PhaseStatus.SIGNED_OFF
    request.refresh_from_db()
    arch.request = request
    arch.evaluation = evaluation
    return arch


def test_everything_is_read_only_after_phase_3_sign_off(signed_off):
    world = signed_off
    evaluation = world.evaluation
    hubspot = tool(world, "HubSpot")
    stage = Stage.objects.filter(engagement=world.engagement).first()
    integration = Integration.objects.get()
    item = ReportingItem.objects.get()
    capability = Capability.objects.get()
    gong = vendor(evaluation, "Gong")
    cell = {(gong.pk, criteria(evaluation)[0].pk): (1, "")}
    before = live_digest(world)
    edits = {
        "decide": lambda: decide(world, "HubSpot", "retire"),
        "add a capability": lambda: a_capability(world, name="Late"),
        "remove a capability": lambda: services.capability_delete(
            capability=capability, actor=world.consultant
        ),
        "edit a stage": lambda: services.stage_save(
            engagement=world.engagement, actor=world.consultant, stage=stage, name="Changed"
        ),
        "add a stage": lambda: services.stage_save(
            engagement=world.engagement, actor=world.consultant, name="Late"
        ),
        "remove a stage": lambda: services.stage_delete(stage=stage, actor=world.consultant),
        "add an integration": lambda: services.integration_save(
            engagement=world.engagement,
            actor=world.consultant,
            source_system="A",
            target_system="B",
            **INTEGRATION,
        ),
        "remove an integration": lambda: services.integration_delete(
            integration=integration, actor=world.consultant
        ),
        "add a dashboard": lambda: services.reporting_item_save(
            engagement=world.engagement, actor=world.consultant, name="Late", sources="A"
        ),
        "remove a dashboard": lambda: services.reporting_item_delete(
            item=item, actor=world.consultant
        ),
        "start an evaluation": lambda: services.evaluation_create(
            engagement=world.engagement, actor=world.consultant, title="Late"
        ),
        "reweight": lambda: services.criteria_update(
            evaluation=evaluation,
            actor=world.consultant,
            rows=_rows(evaluation, [20, 20, 20, 20, 20]),
        ),
        "add a vendor": lambda: services.vendor_add(
            evaluation=evaluation, actor=world.consultant, name="Late"
        ),
        "remove a vendor": lambda: services.vendor_delete(vendor=gong, actor=world.consultant),
        "set evaluators": lambda: services.evaluators_set(
            evaluation=evaluation, actor=world.consultant, stakeholders=[]
        ),
        "consultant scores": lambda: services.scores_save(
            evaluation=evaluation, evaluator=world.consultant, scores=cell
        ),
        "client scores": lambda: services.scores_save(
            evaluation=evaluation, evaluator=world.approver, scores=cell
        ),
        "recommend": lambda: recommend(world, evaluation, name="Chorus", text="Changed."),
    }
    for name, edit in edits.items():
        error = refused(edit, "Systems Architecture is signed off and read-only")
        assert "Reopen" in error.message, name
    assert live_digest(world) == before == world.request.approved_digest
    assert hubspot.decision.decision == "keep"
    assert Score.objects.count() == 10
    assert Vendor.objects.count() == 2


def test_after_reopening_the_phase_it_can_be_changed_again(signed_off):
    world = signed_off
    signoffs.phase_reopen(
        engagement=world.engagement, phase=ARCHITECTURE, actor=world.consultant, reason="New CRM"
    )

    decide(world, "HubSpot", "retire")

    assert ToolDecision.objects.get(tool=tool(world, "HubSpot")).decision == "retire"


def test_the_phase_cannot_be_edited_before_it_opens(firm_a_scope):
    world = firm_a_scope
    Tool.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, name="HubSpot", category="crm"
    )

    refused(lambda: decide(world, "HubSpot"), "Systems Architecture has not started yet")
    assert not ToolDecision.objects.exists()
