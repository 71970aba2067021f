"""Phase 3 — Systems Architecture, as the consultant and the client see it in their pages."""

import csv
import io
import re
from html import unescape

import pytest
from django.urls import reverse

from architecture.models import (
    DEFAULT_CRITERIA,
    DEFAULT_STAGES,
    Criterion,
    Evaluation,
    EvaluationEvaluator,
    Integration,
    Score,
    Stage,
    ToolDecision,
    Vendor,
)
from diagnostics.models import Finding
from engagements.models import Engagement, PhaseState, PhaseStatus, Role, Tool
from engagements.phases import Phase
from tests.conftest import World, signed_in
from tests.factories import MembershipFactory, StakeholderFactory

READ_ONLY_NOTICE = "You can look, but not change anything yet."
SIGNED_OFF_NOTICE = "Signed off — read-only."


@pytest.fixture(autouse=True)
def _media_in_a_temporary_directory(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def arch(world) -> World:
    """Firm A's engagement, moved on to the architecture phase, with two tools and a finding."""
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.ARCHITECTURE)
    world.engagement.refresh_from_db()
    for name in ("HubSpot", "Outreach"):
        Tool.unscoped.create(
            firm=world.firm_a, engagement=world.engagement, name=name, category="crm"
        )
    Finding.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, title="No insight into calls",
        category="data", severity="high",
    )  # fmt: skip
    return world


def _url(world: World, name: str, *ids) -> str:
    return reverse(name, args=[world.engagement.public_id, *ids])


def _text(response) -> str:
    return unescape(response.content.decode())


def _visible(response) -> str:
    """The page's text without tags, whitespace collapsed: what a reader sees."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def _tool(world: World, name: str = "HubSpot") -> Tool:
    return Tool.unscoped.get(engagement=world.engagement, name=name)


def _signed_off(world: World) -> None:
    PhaseState.unscoped.update_or_create(
        engagement=world.engagement,
        phase=Phase.ARCHITECTURE,
        defaults={"status": PhaseStatus.SIGNED_OFF},
        create_defaults={"firm": world.firm_a, "status": PhaseStatus.SIGNED_OFF},
    )


def _stages(world: World) -> list[Stage]:
    return list(Stage.unscoped.filter(engagement=world.engagement).order_by("position", "id"))


# --- the blueprint -----------------------------------------------------------------------------


def test_the_blueprint_seeds_the_eight_default_stages_on_its_first_view(as_consultant, arch):
    response = as_consultant.get(_url(arch, "blueprint"))

    body = _visible(response)
    assert response.status_code == 200
    assert [s.name for s in _stages(arch)] == DEFAULT_STAGES
    for number, name in enumerate(DEFAULT_STAGES, start=1):
        assert f"{number}. {name} no system of record yet" in body
    as_consultant.get(_url(arch, "blueprint"))
    assert len(_stages(arch)) == 8


def test_the_blueprint_seeds_nothing_and_is_read_only_before_the_phase_opens(as_consultant, world):
    body = _visible(as_consultant.get(_url(world, "blueprint")))

    assert READ_ONLY_NOTICE in body
    assert "No stages yet." in body
    assert "Add a stage" not in body
    assert not Stage.unscoped.exists()


def test_the_blueprint_seeds_nothing_once_signed_off(as_consultant, arch):
    _signed_off(arch)

    body = _visible(as_consultant.get(_url(arch, "blueprint")))

    assert SIGNED_OFF_NOTICE in body
    assert "No stages yet." in body
    assert not Stage.unscoped.exists()


def test_the_consultant_names_a_stages_system_of_record(as_consultant, arch):
    as_consultant.get(_url(arch, "blueprint"))
    stage = _stages(arch)[0]
    prefix = f"stage-{stage.public_id}"

    response = as_consultant.post(
        _url(arch, "blueprint_part_edit", "stage", stage.public_id),
        {f"{prefix}-name": "Lead capture", f"{prefix}-system_of_record": "HubSpot"},
        follow=True,
    )

    body = _visible(response)
    assert "Blueprint saved." in body
    assert "1. Lead capture HubSpot" in body
    assert "2. Qualification no system of record yet" in body
    stage.refresh_from_db()
    assert stage.system_of_record == "HubSpot"


def test_a_stage_without_a_name_is_refused_with_its_form_open(as_consultant, arch):
    as_consultant.get(_url(arch, "blueprint"))
    stage = _stages(arch)[0]
    prefix = f"stage-{stage.public_id}"

    response = as_consultant.post(
        _url(arch, "blueprint_part_edit", "stage", stage.public_id),
        {f"{prefix}-name": "", f"{prefix}-system_of_record": "Typed system"},
    )

    assert response.status_code == 400
    assert "This field is required." in _text(response)
    assert 'value="Typed system"' in _text(response)
    assert f'<details id="stage-{stage.public_id}" open>' in _text(response)
    stage.refresh_from_db()
    assert (stage.name, stage.system_of_record) == ("Lead capture", "")


def _integration(**fields) -> dict:
    data = {
        "source_system": "HubSpot",
        "target_system": "Stripe",
        "objects_carried": "closed deals",
        "direction": "one_way",
        "trigger": "every night",
        "is_automated": "on",
        "owner": "RevOps",
    }
    data.update(fields)
    return {f"integration-{name}": value for name, value in data.items()}


def test_the_consultant_adds_an_integration_and_sees_it_listed(as_consultant, arch):
    response = as_consultant.post(
        _url(arch, "blueprint_part_add", "integration"), _integration(), follow=True
    )

    body = _visible(response)
    assert "Blueprint saved." in body
    assert "HubSpot → Stripe closed deals One way every night Automated RevOps" in body


def test_an_integration_from_a_system_to_itself_is_refused_and_keeps_what_was_typed(
    as_consultant, arch
):
    response = as_consultant.post(
        _url(arch, "blueprint_part_add", "integration"),
        _integration(target_system=" hubspot ", trigger="when a deal closes"),
    )

    body = _text(response)
    assert response.status_code == 400
    assert "Source and target must be different systems." in body
    assert 'value="HubSpot"' in body
    assert 'value=" hubspot "' in body or 'value="hubspot"' in body
    assert 'value="closed deals"' in body
    assert 'value="when a deal closes"' in body
    assert not Integration.unscoped.exists()


def test_the_consultant_adds_a_dashboard(as_consultant, arch):
    response = as_consultant.post(
        _url(arch, "blueprint_part_add", "reporting"),
        {"reporting-name": "Pipeline coverage", "reporting-sources": "HubSpot, Stripe"},
        follow=True,
    )

    assert "Pipeline coverage from HubSpot, Stripe" in _visible(response)


# --- tool decisions ----------------------------------------------------------------------------


def _decide(http, world: World, name: str = "HubSpot", **fields):
    tool = _tool(world, name)
    data = {"decision": "keep", "rationale": "It is the CRM of record."}
    data.update(fields)
    return http.post(
        _url(world, "tool_decide", tool.public_id),
        {f"tool-{tool.public_id}-{key}": value for key, value in data.items()},
    )


def test_the_consultant_decides_to_keep_a_tool(as_consultant, arch):
    response = _decide(as_consultant, arch)

    tool = _tool(arch)
    assert response.status_code == 302
    assert response["Location"] == f"{_url(arch, 'architecture')}#tool-{tool.public_id}"
    body = _visible(as_consultant.get(response["Location"]))
    assert "Decision on HubSpot saved." in body
    assert "HubSpot Keep" in body
    assert "Outreach no decision yet" in body
    assert "Undecided tools count as kept: Outreach." in body


def test_the_consultant_consolidates_one_tool_into_another(as_consultant, arch):
    response = _decide(
        as_consultant, arch, "Outreach", decision="consolidate",
        consolidate_into=_tool(arch).pk, rationale="HubSpot sequences do the job.",
    )  # fmt: skip

    assert response.status_code == 302
    body = _visible(as_consultant.get(_url(arch, "architecture")))
    assert "Outreach Consolidate into another tool into HubSpot" in body


def test_consolidating_without_a_target_is_refused_with_the_message_and_the_rationale_kept(
    as_consultant, arch
):
    response = _decide(as_consultant, arch, decision="consolidate", rationale="Too many tools.")

    body = _text(response)
    assert response.status_code == 400
    assert "Say which tool it is consolidated into." in body
    assert "Too many tools.</textarea>" in body
    assert not ToolDecision.unscoped.exists()


def test_a_tool_is_not_offered_as_its_own_consolidation_target(as_consultant, arch):
    hubspot = _tool(arch)

    response = _decide(as_consultant, arch, decision="consolidate", consolidate_into=hubspot.pk)

    assert response.status_code == 400
    assert "Select a valid choice" in _text(response)
    assert not ToolDecision.unscoped.exists()


def test_replacing_without_a_capability_is_refused_with_the_message(as_consultant, arch):
    response = _decide(as_consultant, arch, decision="replace")

    assert response.status_code == 400
    assert "Say which new capability replaces it (add it below first)." in _text(response)
    assert not ToolDecision.unscoped.exists()


def test_a_decision_without_a_rationale_is_refused(as_consultant, arch):
    response = _decide(as_consultant, arch, rationale="")

    assert response.status_code == 400
    assert "This field is required." in _text(response)
    assert not ToolDecision.unscoped.exists()


def test_the_consultant_adds_a_capability_closing_a_finding(as_consultant, arch):
    finding = Finding.unscoped.get(engagement=arch.engagement)

    response = as_consultant.post(
        _url(arch, "architecture"),
        {
            "add_capability": "",
            "capability-name": "Conversation intelligence",
            "capability-tool_name": "Gong",
            "capability-is_new_tool": "on",
            "capability-findings": [finding.pk],
        },
        follow=True,
    )

    body = _visible(response)
    assert "Capability added." in body
    assert "Conversation intelligence — Gong new tool" in body
    assert "Closes: No insight into calls" in body


def test_a_capability_without_findings_is_refused(as_consultant, arch):
    response = as_consultant.post(
        _url(arch, "architecture"),
        {"add_capability": "", "capability-name": "Conversation intelligence"},
    )

    assert response.status_code == 400
    assert "Link the capability to the gaps (findings) it closes." in _text(response)


# --- vendor evaluation -------------------------------------------------------------------------


def _start_evaluation(http, world: World, title: str = "Call recording") -> Evaluation:
    response = http.post(_url(world, "evaluations"), {"title": title})
    assert response.status_code == 302, _text(response)
    evaluation = Evaluation.unscoped.get(engagement=world.engagement, title=title)
    assert response["Location"] == _url(world, "evaluation", evaluation.public_id)
    return evaluation


def _act(http, world: World, evaluation: Evaluation, action: str, follow=False, **data):
    return http.post(
        _url(world, "evaluation", evaluation.public_id), {"action": action, **data}, follow=follow
    )


def _criteria(evaluation: Evaluation) -> list[Criterion]:
    return list(Criterion.unscoped.filter(evaluation=evaluation).order_by("position", "id"))


def _criteria_data(evaluation: Evaluation, weights: list) -> dict:
    data = {"criteria-count": str(len(weights) + 1)}
    for index, (criterion, weight) in enumerate(zip(_criteria(evaluation), weights, strict=True)):
        data[f"criteria-{index}-id"] = str(criterion.public_id)
        data[f"criteria-{index}-name"] = criterion.name
        data[f"criteria-{index}-weight"] = str(weight)
    return data


def _cell(vendor: Vendor, criterion: Criterion) -> str:
    return f"score-{vendor.public_id}-{criterion.public_id}"


def _scores(evaluation: Evaluation, values: dict[str, list[int]]) -> dict:
    criteria = _criteria(evaluation)
    return {
        _cell(Vendor.unscoped.get(evaluation=evaluation, name=name), criterion): str(score)
        for name, scores in values.items()
        for criterion, score in zip(criteria, scores, strict=True)
    }


@pytest.fixture
def evaluation(as_consultant, arch) -> Evaluation:
    """“Call recording” with Gong and Chorus, the approver invited to score it."""
    evaluation = _start_evaluation(as_consultant, arch)
    for name in ("Gong", "Chorus"):
        assert _act(as_consultant, arch, evaluation, "vendor", name=name).status_code == 302
    _act(as_consultant, arch, evaluation, "evaluators", stakeholders=[arch.approver_stakeholder.pk])
    assert EvaluationEvaluator.unscoped.filter(evaluation=evaluation).count() == 1
    return evaluation


# Gong 3.65, Chorus 3.40; budget at 24.7% of the weight would make Chorus win.
GONG = [5, 4, 1, 4, 4]
CHORUS = [3, 3, 5, 3, 3]


def test_a_new_evaluation_starts_with_the_five_default_criteria_totalling_100(as_consultant, arch):
    evaluation = _start_evaluation(as_consultant, arch)

    response = as_consultant.get(_url(arch, "evaluation", evaluation.public_id))

    body = _visible(response)
    assert "Evaluation created with the framework's five criteria." in body
    assert "Total 100%" in body
    for index, (name, weight) in enumerate(DEFAULT_CRITERIA):
        assert f'id="crit-name-{index}" name="criteria-{index}-name" value="{name}"' in _text(
            response
        )
        assert f'name="criteria-{index}-weight" value="{weight}"' in _text(response)
    assert "No vendors yet." in body
    assert "No vendors scored yet." in body


def test_an_evaluation_without_a_title_is_refused(as_consultant, arch):
    response = as_consultant.post(_url(arch, "evaluations"), {"title": ""})

    assert response.status_code == 400
    assert "This field is required." in _text(response)
    assert not Evaluation.unscoped.exists()


def test_criteria_whose_weights_total_90_are_refused_with_the_message(
    as_consultant, arch, evaluation
):
    response = _act(
        as_consultant,
        arch,
        evaluation,
        "criteria",
        **_criteria_data(evaluation, [25, 15, 20, 25, 5]),
    )

    assert response.status_code == 400
    assert "The weights add up to 90%; they must total exactly 100%." in _text(response)
    assert [c.weight for c in _criteria(evaluation)] == [w for _, w in DEFAULT_CRITERIA]


def test_criteria_refused_for_their_total_keep_the_weights_that_were_typed(
    as_consultant, arch, evaluation
):
    response = _act(
        as_consultant,
        arch,
        evaluation,
        "criteria",
        **_criteria_data(evaluation, [25, 15, 20, 25, 5]),
    )

    assert response.status_code == 400
    assert 'name="criteria-4-weight" value="5"' in _text(response)


def test_the_consultant_reweights_the_criteria_and_adds_a_must_have(
    as_consultant, arch, evaluation
):
    data = _criteria_data(evaluation, [30, 10, 20, 20, 10])
    data.update(
        {"criteria-0-must_have": "on", "criteria-5-name": "Support", "criteria-5-weight": "10"}
    )

    response = _act(as_consultant, arch, evaluation, "criteria", follow=True, **data)

    body = _visible(response)
    assert "Criteria saved." in body
    assert "Total 100%" in body
    assert "Fit for the team's size 30% · must-have" in body
    assert [(c.name, int(c.weight)) for c in _criteria(evaluation)][-1] == ("Support", 10)


def test_the_consultant_adds_a_vendor_and_a_duplicate_name_is_refused(
    as_consultant, arch, evaluation
):
    response = _act(as_consultant, arch, evaluation, "vendor", follow=True, name="Avoma")
    assert "Avoma added." in _visible(response)

    response = _act(as_consultant, arch, evaluation, "vendor", follow=True, name="gong")

    assert "gong is already in this evaluation." in _visible(response)
    names = Vendor.unscoped.filter(evaluation=evaluation).values_list("name", flat=True)
    assert sorted(names) == ["Avoma", "Chorus", "Gong"]


def test_the_consultants_score_grid_saves_and_shows_the_saved_scores(
    as_consultant, arch, evaluation
):
    response = _act(
        as_consultant, arch, evaluation, "scores", follow=True,
        **_scores(evaluation, {"Gong": GONG, "Chorus": CHORUS}),
    )  # fmt: skip

    body = _text(response)
    assert "Your scores are saved." in body
    gong = Vendor.unscoped.get(evaluation=evaluation, name="Gong")
    budget = _criteria(evaluation)[2]
    assert re.search(
        rf'<select id="{_cell(gong, budget)}"[^>]*>.*?<option value="1" selected>',
        body,
        re.DOTALL,
    )
    assert Score.unscoped.filter(evaluator=arch.consultant).count() == 10


def test_a_score_outside_1_to_5_is_refused_and_the_other_typed_scores_are_kept(
    as_consultant, arch, evaluation
):
    data = _scores(evaluation, {"Gong": GONG, "Chorus": CHORUS})
    gong = Vendor.unscoped.get(evaluation=evaluation, name="Gong")
    first, budget = _criteria(evaluation)[0], _criteria(evaluation)[2]
    data[_cell(gong, first)] = "7"

    response = _act(as_consultant, arch, evaluation, "scores", **data)

    body = _text(response)
    assert response.status_code == 400
    assert "Gong on Fit for the team's size: a score is a whole number from 1 to 5." in body
    assert re.search(
        rf'<select id="{_cell(gong, budget)}"[^>]*>.*?<option value="1" selected>',
        body,
        re.DOTALL,
    )
    assert not Score.unscoped.exists()


def test_the_ranking_and_the_sensitivity_sentences_render(as_consultant, arch, evaluation):
    _act(
        as_consultant, arch, evaluation, "scores",
        **_scores(evaluation, {"Gong": GONG, "Chorus": CHORUS}),
    )  # fmt: skip

    body = _visible(as_consultant.get(_url(arch, "evaluation", evaluation.public_id)))

    assert "Combined ranking from 1 evaluator." in body
    assert "1 Gong 3.65 5.0 4.0 1.0 4.0 4.0" in body
    assert "2 Chorus 3.40 3.0 3.0 5.0 3.0 3.0" in body
    assert "How sensitive is the winner?" in body
    assert (
        "Budget (total cost of ownership) would have to move from 20.0% to 24.7% of the weight "
        "(+4.7 points) for Chorus to overtake Gong." in body
    )


def test_the_csv_export_downloads_the_ranking(as_consultant, arch, evaluation):
    _act(
        as_consultant, arch, evaluation, "scores",
        **_scores(evaluation, {"Gong": GONG, "Chorus": CHORUS}),
    )  # fmt: skip
    page = _text(as_consultant.get(_url(arch, "evaluation", evaluation.public_id)))
    export = _url(arch, "evaluation_csv", evaluation.public_id)
    assert f'href="{export}"' in page

    response = as_consultant.get(export)

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="evaluation-{evaluation.public_id}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [row[:3] for row in rows[1:]] == [["1", "Gong", "3.65"], ["2", "Chorus", "3.4"]]


def test_the_csv_export_neutralises_a_vendor_name_starting_with_a_tab_or_carriage_return(
    as_consultant, arch, evaluation
):
    # The form strips whitespace, so such a name only arrives from older data or an import:
    # the export must hold whatever is stored.
    Vendor.unscoped.filter(evaluation=evaluation, name="Gong").update(name="\t=1+1")
    Vendor.unscoped.filter(evaluation=evaluation, name="Chorus").update(name="\r@SUM(A1)")

    response = as_consultant.get(_url(arch, "evaluation_csv", evaluation.public_id))

    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert sorted(row[1] for row in rows[1:]) == ["'\t=1+1", "'\r@SUM(A1)"]


def test_the_consultant_writes_the_recommendation(as_consultant, arch, evaluation):
    gong = Vendor.unscoped.get(evaluation=evaluation, name="Gong")

    response = _act(
        as_consultant, arch, evaluation, "recommendation", follow=True, vendor=gong.pk,
        text="Gong fits the team and the budget.",
    )  # fmt: skip

    body = _text(response)
    assert "Recommendation saved." in body
    assert f'<option value="{gong.pk}" selected>Gong</option>' in body
    assert "Gong fits the team and the budget.</textarea>" in body


def test_the_evaluation_page_is_read_only_once_signed_off(as_consultant, arch, evaluation):
    _signed_off(arch)

    body = _visible(as_consultant.get(_url(arch, "evaluation", evaluation.public_id)))
    response = _act(as_consultant, arch, evaluation, "vendor", follow=True, name="Late")

    assert SIGNED_OFF_NOTICE in body
    for button in ("Save criteria", "Add vendor", "Save evaluators", "Save recommendation"):
        assert button not in body
    assert "Systems Architecture is signed off and read-only." in _visible(response)
    assert not Vendor.unscoped.filter(name="Late").exists()


# --- the portal --------------------------------------------------------------------------------


def _portal(world: World) -> str:
    return _url(world, "portal_architecture")


def _a_client_stakeholder(world: World, name: str = "Nia Noninvited"):
    user = MembershipFactory(
        firm=world.firm_a, role=Role.CLIENT, client=world.client_x, user__full_name=name
    ).user
    StakeholderFactory(
        engagement=world.engagement, name=name, email=user.email, user=user,
        has_portal_access=True,
    )  # fmt: skip
    return user


def test_an_invited_evaluator_sees_the_score_grid_in_the_portal_and_saves_scores(
    as_approver, arch, evaluation
):
    page = _visible(as_approver.get(_portal(arch)))
    assert "Your scores: Call recording" in page
    assert "Save scores" in page

    response = as_approver.post(
        _url(arch, "portal_scores", evaluation.public_id),
        _scores(evaluation, {"Gong": GONG, "Chorus": CHORUS}),
        follow=True,
    )

    assert response.redirect_chain == [(_portal(arch), 302)]
    assert "Thank you — your 10 scores for Call recording are saved." in _visible(response)
    assert Score.unscoped.filter(evaluator=arch.approver).count() == 10


def test_a_bad_score_in_the_portal_saves_nothing_and_says_why(as_approver, arch, evaluation):
    data = _scores(evaluation, {"Gong": GONG, "Chorus": CHORUS})
    data[next(iter(data))] = "9"

    response = as_approver.post(
        _url(arch, "portal_scores", evaluation.public_id), data, follow=True
    )

    assert "Nothing was saved: Gong on Fit for the team's size" in _visible(response)
    assert not Score.unscoped.exists()


def test_a_client_stakeholder_who_is_not_invited_neither_sees_the_grid_nor_can_post(
    arch, evaluation
):
    http = signed_in(_a_client_stakeholder(arch))

    page = _visible(http.get(_portal(arch)))
    response = http.post(
        _url(arch, "portal_scores", evaluation.public_id),
        _scores(evaluation, {"Gong": GONG, "Chorus": CHORUS}),
    )

    assert "Phase 3 · Systems Architecture" in page
    assert "Your scores" not in page
    assert "Save scores" not in page
    assert "Call recording: ranking" not in page
    assert response.status_code == 404
    assert not Score.unscoped.exists()


def test_the_approver_sees_the_combined_ranking_of_client_and_consultant_scores(
    as_consultant, as_approver, arch, evaluation
):
    _act(
        as_consultant, arch, evaluation, "scores",
        **_scores(evaluation, {"Gong": GONG, "Chorus": CHORUS}),
    )  # fmt: skip
    as_approver.post(
        _url(arch, "portal_scores", evaluation.public_id),
        _scores(evaluation, {"Gong": [3, 4, 2, 4, 4], "Chorus": CHORUS}),
    )
    gong = Vendor.unscoped.get(evaluation=evaluation, name="Gong")
    _act(
        as_consultant, arch, evaluation, "recommendation", vendor=gong.pk,
        text="Gong, for its coaching features.",
    )  # fmt: skip

    page = _visible(as_approver.get(_portal(arch)))

    assert "Call recording: ranking" in page
    assert "Combined ranking from 2 evaluators." in page
    assert "1 Gong 3.50 4.0 ±2 4.0 ±0 1.5 ±1 4.0 ±0 4.0 ±0" in page
    assert "Our recommendation: Gong Gong, for its coaching features." in page


def test_the_approver_sees_what_happens_to_each_tool(as_consultant, as_approver, arch):
    _decide(as_consultant, arch, decision="keep", rationale="It is the CRM of record.")

    page = _visible(as_approver.get(_portal(arch)))

    assert "What happens to each tool" in page
    assert "HubSpot : keep — It is the CRM of record." in page  # the name is in <strong>
