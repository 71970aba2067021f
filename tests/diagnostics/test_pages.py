"""Phase 2 — Diagnostic Workshops, as the consultant and the client see it in their pages."""

import re
from html import unescape

import pytest
from django.urls import reverse

from diagnostics.models import (
    DataSource,
    Finding,
    PreworkAnswer,
    PromptTemplate,
    Recommendation,
    ReportDraft,
    ToolAssessment,
    Workshop,
    WorkshopAttendee,
    WorkshopPrompt,
    WorkshopStatus,
)
from diagnostics.services import DEFAULT_PROMPTS
from engagements.models import Engagement, StakeholderRole, Tool
from engagements.phases import Phase
from tests.conftest import World
from tests.factories import StakeholderFactory

REP_PROMPTS = DEFAULT_PROMPTS["rep"]
MANAGER_PROMPTS = DEFAULT_PROMPTS["manager"]
READ_ONLY_NOTICE = "You can look, but not change anything yet."


@pytest.fixture(autouse=True)
def _media_in_a_temporary_directory(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def diag(world) -> World:
    """Firm A's engagement, moved on to the diagnostic phase, with a tool in its inventory."""
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.DIAGNOSTIC)
    world.engagement.refresh_from_db()
    Tool.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, name="HubSpot", category="crm"
    )
    return world


def _url(world: World, name: str, *ids) -> str:
    return reverse(name, args=[world.engagement.public_id, *ids])


def _text(response) -> str:
    return unescape(response.content.decode())


def _plan(http, world: World, **fields):
    data = {"plan-title": "Rep deep dive", "plan-group": "rep", "plan-objective": "Find friction."}
    data.update({f"plan-{name}": value for name, value in fields.items()})
    return http.post(_url(world, "diagnostic"), data)


def _planned(as_consultant, world: World, **fields) -> Workshop:
    response = _plan(as_consultant, world, **fields)
    assert response.status_code == 302, _text(response)
    return Workshop.unscoped.get(
        engagement=world.engagement, title=fields.get("title", "Rep deep dive")
    )


def _prompts(workshop: Workshop) -> list[WorkshopPrompt]:
    return list(WorkshopPrompt.unscoped.filter(workshop=workshop))


def _answer_field(prompt) -> str:
    return f"answer-{prompt.public_id}"


def _tool(world: World) -> Tool:
    return Tool.unscoped.get(engagement=world.engagement, name="HubSpot")


def _finding_data(**fields) -> dict:
    data = {"title": "Deals stall at legal", "category": "process", "severity": "high"}
    data.update(process_view="actual", **fields)
    return {f"finding-{name}": value for name, value in data.items()}


# --- before the phase opens --------------------------------------------------------------------


@pytest.mark.parametrize("page", ["diagnostic", "findings", "landscape", "report"])
def test_the_diagnostic_pages_are_read_only_with_a_notice_while_onboarding_runs(
    as_consultant, world, page
):
    Tool.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, name="HubSpot", category="crm"
    )

    body = _text(as_consultant.get(_url(world, page)))

    assert READ_ONLY_NOTICE in body
    for button in ("Plan session", "Record finding", "Save assessment", "Save synthesis"):
        assert button not in body


def test_planning_a_workshop_while_onboarding_runs_creates_nothing(as_consultant, world):
    response = _plan(as_consultant, world)

    assert response.status_code == 400
    assert READ_ONLY_NOTICE in _text(response)
    assert not Workshop.unscoped.exists()


@pytest.mark.parametrize(
    ("page", "data"),
    [
        pytest.param(
            "diagnostic",
            {"plan-title": "T", "plan-group": "rep", "plan-objective": "O"},
            id="planning a workshop",
        ),
        pytest.param("findings", _finding_data(), id="recording a finding"),
        pytest.param(
            "landscape",
            {"source-system": "Legacy ERP", "source-objects_held": "orders"},
            id="adding a data source",
        ),
        pytest.param("report", {"rec-title": "Automate"}, id="adding a recommendation"),
        pytest.param("report", {"save_draft": "", "draft-gaps": "Gaps"}, id="saving the synthesis"),
    ],
)
def test_a_save_while_onboarding_runs_says_the_phase_has_not_started(
    as_consultant, world, page, data
):
    response = as_consultant.post(_url(world, page), data)

    assert response.status_code == 400
    assert "Diagnostic Workshops has not started yet" in _text(response)


# --- planning a session ------------------------------------------------------------------------


def test_planning_a_workshop_copies_its_groups_prompts_and_opens_its_capture_sheet(
    as_consultant, diag
):
    response = _plan(as_consultant, diag, attendees=[diag.rep_stakeholder.pk])

    workshop = Workshop.unscoped.get(engagement=diag.engagement)
    assert response.status_code == 302
    assert response["Location"] == _url(diag, "workshop", workshop.public_id)
    assert [p.text for p in _prompts(workshop)] == REP_PROMPTS
    assert [a.stakeholder for a in WorkshopAttendee.unscoped.filter(workshop=workshop)] == [
        diag.rep_stakeholder
    ]
    sheet = _text(as_consultant.get(response["Location"]))
    assert "“Rep deep dive” planned with its capture sheet." in sheet
    assert "Objective: Find friction." in re.sub(r"<[^>]+>", "", sheet)
    assert f"{diag.rep_stakeholder.name} (Rep)" in sheet
    for prompt in REP_PROMPTS:
        assert prompt in sheet
    for prompt in MANAGER_PROMPTS:
        assert prompt not in sheet


def test_the_workshops_page_lists_the_planned_session(as_consultant, diag):
    _planned(as_consultant, diag)

    body = _text(as_consultant.get(_url(diag, "diagnostic")))

    assert "Rep deep dive" in body
    assert "Planned" in body
    assert "No sessions yet." not in body


def test_a_workshop_without_title_or_objective_is_refused_and_keeps_what_was_typed(
    as_consultant, diag
):
    response = _plan(as_consultant, diag, title="", objective="", scope="Inbound deals only")

    body = _text(response)
    assert response.status_code == 400
    assert body.count("This field is required.") == 2
    assert "Inbound deals only" in body
    assert not Workshop.unscoped.exists()


def test_an_attendee_from_another_engagement_is_not_a_valid_choice(as_consultant, diag):
    stranger = StakeholderFactory(engagement=diag.engagement_y, name="Yves Yonder")

    response = _plan(as_consultant, diag, attendees=[stranger.pk])

    assert response.status_code == 400
    assert "Select a valid choice" in _text(response)
    assert not Workshop.unscoped.exists()


# --- the capture sheet -------------------------------------------------------------------------


def test_saving_the_capture_sheet_keeps_answers_and_notes(as_consultant, diag):
    workshop = _planned(as_consultant, diag)
    first = _prompts(workshop)[0]

    response = as_consultant.post(
        _url(diag, "workshop", workshop.public_id),
        {_answer_field(first): "We re-key every deal.", "notes": "CRM is slow.", "save": ""},
        follow=True,
    )

    body = _text(response)
    assert "Session output saved." in body
    assert "We re-key every deal." in body
    assert "CRM is slow." in body
    workshop.refresh_from_db()
    first.refresh_from_db()
    assert (first.answer, workshop.notes) == ("We re-key every deal.", "CRM is slow.")
    assert workshop.status == WorkshopStatus.PLANNED


def test_completing_a_session_without_notes_or_answers_is_refused_and_keeps_the_decisions(
    as_consultant, diag
):
    workshop = _planned(as_consultant, diag)

    response = as_consultant.post(
        _url(diag, "workshop", workshop.public_id),
        {"notes": "  ", "decisions": "Pilot a deal desk.", "complete": ""},
    )

    body = _text(response)
    assert response.status_code == 400
    assert "A completed workshop needs its output: notes or at least one answer." in body
    assert "Pilot a deal desk." in body
    workshop.refresh_from_db()
    assert (workshop.status, workshop.decisions) == (WorkshopStatus.PLANNED, "")


def test_completing_a_session_with_notes_marks_it_held(as_consultant, diag):
    workshop = _planned(as_consultant, diag)

    response = as_consultant.post(
        _url(diag, "workshop", workshop.public_id),
        {"notes": "Reps keep a shadow spreadsheet.", "complete": ""},
        follow=True,
    )

    workshop.refresh_from_db()
    assert workshop.status == WorkshopStatus.COMPLETED
    body = _text(response)
    assert "Completed" in body
    assert "Save and mark the session held" not in body


# --- from what was heard to findings -----------------------------------------------------------


def test_one_click_turns_a_captured_answer_into_a_finding_linked_to_the_session(
    as_consultant, diag
):
    workshop = _planned(as_consultant, diag)
    prompt = _prompts(workshop)[0]
    sheet_url = _url(diag, "workshop", workshop.public_id)
    as_consultant.post(sheet_url, {_answer_field(prompt): "Legal takes two weeks per deal."})
    sheet = _text(as_consultant.get(sheet_url))
    assert "→ Finding" in sheet
    assert 'name="text" value="Legal takes two weeks per deal."' in sheet

    response = as_consultant.post(
        _url(diag, "workshop_finding", workshop.public_id),
        {"text": "Legal takes two weeks per deal."},
    )

    finding = Finding.unscoped.get(engagement=diag.engagement)
    assert response.status_code == 302
    assert response["Location"] == _url(diag, "finding_edit", finding.public_id)
    assert finding.quote == "Legal takes two weeks per deal."
    assert finding.workshop == workshop
    edit_page = _text(as_consultant.get(response["Location"]))
    assert "Finding “Legal takes two weeks per deal.” drafted" in edit_page
    assert "Findings from this session: " in _text(as_consultant.get(sheet_url))


def test_editing_a_findings_category_and_severity_saves_them(as_consultant, diag):
    workshop = _planned(as_consultant, diag)
    as_consultant.post(_url(diag, "workshop_finding", workshop.public_id), {"text": "Slow legal"})
    finding = Finding.unscoped.get(engagement=diag.engagement)

    response = as_consultant.post(
        _url(diag, "finding_edit", finding.public_id),
        _finding_data(
            title="Slow legal", category="data", severity="critical", workshop=workshop.pk
        ),
        follow=True,
    )

    body = _text(response)
    assert "Finding saved." in body
    assert "Data integrity" in body
    assert "Critical" in body
    finding.refresh_from_db()
    assert (finding.category, finding.severity, finding.workshop) == ("data", "critical", workshop)


def test_removing_a_finding_deletes_it(as_consultant, diag):
    workshop = _planned(as_consultant, diag)
    as_consultant.post(_url(diag, "workshop_finding", workshop.public_id), {"text": "Slow legal"})
    finding = Finding.unscoped.get(engagement=diag.engagement)

    response = as_consultant.post(
        _url(diag, "finding_edit", finding.public_id), {"delete": ""}, follow=True
    )

    assert "Finding “Slow legal” removed." in _text(response)
    assert "No findings yet." in _text(response)
    assert not Finding.unscoped.exists()


def test_recording_a_finding_without_title_and_with_an_unknown_category_is_refused(
    as_consultant, diag
):
    response = as_consultant.post(
        _url(diag, "findings"), _finding_data(title="", category="gossip", quote="Heard it")
    )

    body = _text(response)
    assert response.status_code == 400
    assert "This field is required." in body
    assert "Select a valid choice. gossip is not one of the available choices." in body
    assert "Heard it" in body
    assert not Finding.unscoped.exists()


def test_a_tool_of_another_engagement_is_not_a_valid_affected_tool(as_consultant, diag):
    elsewhere = Tool.unscoped.create(
        firm=diag.firm_a, engagement=diag.engagement_y, name="Yonder CRM", category="crm"
    )

    response = as_consultant.post(
        _url(diag, "findings"), _finding_data(affected_tools=[elsewhere.pk])
    )

    assert response.status_code == 400
    assert "Select a valid choice" in _text(response)
    assert not Finding.unscoped.exists()


def test_recording_a_valid_finding_lists_it(as_consultant, diag):
    response = as_consultant.post(
        _url(diag, "findings"), _finding_data(affected_tools=[_tool(diag).pk]), follow=True
    )

    body = _text(response)
    assert "Finding recorded." in body
    assert "Deals stall at legal" in body
    assert "HubSpot" in body


# --- data and tools ----------------------------------------------------------------------------


def _assess(http, world: World, **scores):
    prefix = f"tool-{_tool(world).public_id}"
    data = {f"{prefix}-{name}": value for name, value in scores.items()}
    return http.post(_url(world, "tool_assess", _tool(world).public_id), data, follow=True)


def _chart(body: str) -> str:
    return re.search(r"<svg.*?</svg>", body, re.DOTALL).group(0)


def test_a_tool_value_of_7_is_not_saved_and_the_message_names_the_field(as_consultant, diag):
    response = _assess(as_consultant, diag, value="7", complexity="2")

    body = _text(response)
    assert "HubSpot was not saved — Value (1–5): " in body
    assert "less than or equal to 5" in body
    assert not ToolAssessment.unscoped.exists()
    assert "HubSpot" not in _chart(body)


def test_a_valid_tool_assessment_is_saved_and_plotted_on_the_chart(as_consultant, diag):
    response = _assess(as_consultant, diag, value="4", complexity="2", active_seats="10")

    body = _text(response)
    assert "HubSpot assessed." in body
    assessment = ToolAssessment.unscoped.get(tool=_tool(diag))
    assert (assessment.value, assessment.complexity, assessment.active_seats) == (4, 2, 10)
    assert "HubSpot: value 4, complexity 2" in _chart(body)
    assert "value 4, complexity 2" in body.split("Tool assessments", 1)[1]


def test_a_data_source_is_added_and_removed(as_consultant, diag):
    response = as_consultant.post(
        _url(diag, "landscape"),
        {"source-system": "Legacy ERP", "source-objects_held": "orders", "source-owner": "Finance"},
        follow=True,
    )
    assert "Data source added." in _text(response)
    assert "Legacy ERP" in _text(response)
    source = DataSource.unscoped.get(engagement=diag.engagement)

    response = as_consultant.post(_url(diag, "data_source_delete", source.public_id), follow=True)

    body = _text(response)
    assert "Legacy ERP removed from the data landscape." in body
    assert "No data sources yet" in body
    assert not DataSource.unscoped.exists()


def test_a_data_source_without_a_system_is_refused(as_consultant, diag):
    response = as_consultant.post(_url(diag, "landscape"), {"source-objects_held": "orders"})

    assert response.status_code == 400
    assert "This field is required." in _text(response)
    assert not DataSource.unscoped.exists()


# --- the report --------------------------------------------------------------------------------


def test_saving_the_synthesis_keeps_it(as_consultant, diag):
    response = as_consultant.post(
        _url(diag, "report"),
        {"save_draft": "", "draft-executive_summary": "Reps fight the CRM.", "draft-gaps": "x"},
        follow=True,
    )

    assert "Synthesis saved." in _text(response)
    assert "Reps fight the CRM." in _text(response)
    draft = ReportDraft.unscoped.get(engagement=diag.engagement)
    assert draft.executive_summary == "Reps fight the CRM."


def test_a_recommendation_without_findings_is_refused_and_keeps_the_typed_title(
    as_consultant, diag
):
    response = as_consultant.post(
        _url(diag, "report"), {"rec-title": "Automate legal review", "save_recommendation": ""}
    )

    body = _text(response)
    assert response.status_code == 400
    assert "Link the recommendation to the findings behind it." in body
    assert 'value="Automate legal review"' in body
    assert not Recommendation.unscoped.exists()


def test_a_recommendation_with_its_finding_is_listed_with_it(as_consultant, diag):
    as_consultant.post(_url(diag, "findings"), _finding_data())
    finding = Finding.unscoped.get(engagement=diag.engagement)

    response = as_consultant.post(
        _url(diag, "report"),
        {"rec-title": "Automate legal review", "rec-findings": [finding.pk]},
        follow=True,
    )

    body = _text(response)
    assert "Recommendation added." in body
    assert "Because of: Deals stall at legal" in body


# --- the prompt library ------------------------------------------------------------------------


def test_the_prompt_library_starts_with_the_default_prompts(as_consultant, diag):
    body = _text(as_consultant.get(reverse("prompt_library")))

    for prompt in REP_PROMPTS + MANAGER_PROMPTS:
        assert prompt in body


def test_a_prompt_added_to_the_library_is_listed(as_consultant, diag):
    response = as_consultant.post(
        reverse("prompt_library"), {"group": "ops", "text": "Who fixes broken syncs?"}, follow=True
    )

    body = _text(response)
    assert "Prompt added to the library." in body
    assert 'value="Who fixes broken syncs?"' in body
    assert PromptTemplate.unscoped.filter(firm=diag.firm_a, text="Who fixes broken syncs?").exists()


def test_editing_a_library_prompt_saves_its_text(as_consultant, diag):
    as_consultant.get(reverse("prompt_library"))
    prompt = PromptTemplate.unscoped.get(firm=diag.firm_a, text=REP_PROMPTS[0])

    response = as_consultant.post(
        reverse("prompt_library"),
        {"prompt": prompt.public_id, "text": "Tell us about your last deal.", "is_active": "on"},
        follow=True,
    )

    assert "Prompt saved." in _text(response)
    assert 'value="Tell us about your last deal."' in _text(response)
    prompt.refresh_from_db()
    assert (prompt.text, prompt.is_active) == ("Tell us about your last deal.", True)


def test_a_library_prompt_cannot_be_emptied(as_consultant, diag):
    as_consultant.get(reverse("prompt_library"))
    prompt = PromptTemplate.unscoped.get(firm=diag.firm_a, text=REP_PROMPTS[0])

    response = as_consultant.post(
        reverse("prompt_library"),
        {"prompt": prompt.public_id, "text": "   ", "is_active": "on"},
        follow=True,
    )

    assert "A prompt cannot be empty; untick “in use” to retire it." in _text(response)
    prompt.refresh_from_db()
    assert prompt.text == REP_PROMPTS[0]


# --- the portal --------------------------------------------------------------------------------


def test_the_approver_sees_that_the_report_is_not_shared_before_any_send(as_approver, diag):
    body = _text(as_approver.get(_url(diag, "portal_diagnostic")))

    assert "The report has not been shared yet." in body
    assert "Download report" not in body


def test_an_invited_stakeholder_sees_the_prompts_for_their_role(as_consultant, as_approver, diag):
    assert diag.approver_stakeholder.role == StakeholderRole.REP
    _planned(as_consultant, diag, attendees=[diag.approver_stakeholder.pk])
    _planned(as_consultant, diag, title="Managers only", group="manager")

    body = _text(as_approver.get(_url(diag, "portal_diagnostic")))

    assert "Before your workshop" in body
    assert "Rep deep dive" in body
    for prompt in REP_PROMPTS:
        assert prompt in body
    assert "Managers only" not in body
    for prompt in MANAGER_PROMPTS:
        assert prompt not in body


def test_a_portal_answer_is_saved_and_shown_on_the_consultants_capture_sheet(
    as_consultant, as_approver, diag
):
    workshop = _planned(as_consultant, diag, attendees=[diag.approver_stakeholder.pk])
    prompt = _prompts(workshop)[0]

    response = as_approver.post(
        _url(diag, "portal_prework", prompt.public_id),
        {"text": "Quotes need three approvals."},
        follow=True,
    )

    body = _text(response)
    assert "Thank you — your answer is saved for the workshop." in body
    assert "Quotes need three approvals.</textarea>" in body
    answer = PreworkAnswer.unscoped.get(prompt=prompt)
    assert (answer.stakeholder, answer.text) == (
        diag.approver_stakeholder,
        "Quotes need three approvals.",
    )
    sheet = _text(as_consultant.get(_url(diag, "workshop", workshop.public_id)))
    assert "1 answer from the portal before the session" in sheet
    assert f"{diag.approver_stakeholder.name}: Quotes need three approvals." in re.sub(
        r"<[^>]+>", "", sheet
    )


def test_answering_in_the_portal_after_the_workshop_was_held_is_refused(
    as_consultant, as_approver, diag
):
    workshop = _planned(as_consultant, diag, attendees=[diag.approver_stakeholder.pk])
    as_consultant.post(
        _url(diag, "workshop", workshop.public_id), {"notes": "Held.", "complete": ""}
    )

    response = as_approver.post(
        _url(diag, "portal_prework", _prompts(workshop)[0].public_id),
        {"text": "Too late?"},
        follow=True,
    )

    body = _text(response)
    assert "This workshop has already taken place; answers are closed." in body
    assert "Before your workshop" not in body
    assert not PreworkAnswer.unscoped.exists()


def test_an_empty_portal_answer_is_refused(as_consultant, as_approver, diag):
    workshop = _planned(as_consultant, diag, attendees=[diag.approver_stakeholder.pk])

    response = as_approver.post(
        _url(diag, "portal_prework", _prompts(workshop)[0].public_id), {"text": ""}, follow=True
    )

    assert "Write an answer before saving it." in _text(response)
    assert not PreworkAnswer.unscoped.exists()
