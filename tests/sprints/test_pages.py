"""Phase 4 — Build, Test & Optimize, as the consultant and the client see it in their pages."""

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from architecture.models import Integration, Stage
from sprints import gate, services
from sprints.models import Deliverable, Feedback, Sprint, StepResult, TestRun, Triage
from tests.conftest import World, signed_in
from tests.sprints.test_services import (
    START,
    a_deliverable,
    a_round,
    a_run,
    a_scenario,
    a_sprint,
    enter_build,
    some_feedback,
    stored_files,
)

TOO_BIG = 5 * 1024 * 1024 + 1


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def build(firm_a_scope) -> World:
    return enter_build(firm_a_scope)


@pytest.fixture
def as_rep(build):
    return signed_in(build.rep_user)


def _url(world: World, name: str, *ids) -> str:
    return reverse(name, args=[world.engagement.public_id, *ids])


def _text(response) -> str:
    return unescape(response.content.decode())


def _visible(response) -> str:
    """The page's text without tags, whitespace collapsed: what a reader sees."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def _selected(response, name: str) -> str | None:
    """The value of the option selected in the select named `name`."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', _text(response), re.S)
    chosen = re.search(r'<option value="([^"]*)"\s+selected', select.group(0)) if select else None
    return chosen.group(1) if chosen else None


# --- sprints and the board -----------------------------------------------------------------------


def test_the_sprints_page_lists_each_sprint_with_its_progress(as_consultant, build):
    sprint = a_sprint(build, name="Pipeline sprint")
    a_deliverable(build, sprint, title="Stages")
    done = a_deliverable(build, sprint, title="Fields")
    services.deliverable_move(deliverable=done, actor=build.consultant, status="done")

    response = as_consultant.get(_url(build, "sprints"))

    assert response.status_code == 200
    assert "Pipeline sprint" in _visible(response)


def test_planning_a_sprint_that_ends_before_it_starts_keeps_what_was_typed(as_consultant, build):
    response = as_consultant.post(
        _url(build, "sprints"),
        {
            "sprint-name": "Integrations sprint",
            "sprint-focus": "integrations",
            "sprint-goal": "Billing sync live",
            "sprint-start_date": "2025-03-10",
            "sprint-end_date": "2025-03-01",
            "sprint-status": "planned",
        },
    )

    assert response.status_code == 400
    body = _text(response)
    assert "A sprint cannot end before it starts." in body
    assert 'value="Integrations sprint"' in body
    assert 'value="Billing sync live"' in body
    assert _selected(response, "sprint-focus") == "integrations"
    assert not Sprint.objects.exists()


def test_planning_a_sprint_opens_its_page(as_consultant, build):
    response = as_consultant.post(
        _url(build, "sprints"),
        {
            "sprint-name": "Integrations sprint",
            "sprint-focus": "integrations",
            "sprint-goal": "Billing sync live",
            "sprint-start_date": "2025-03-10",
            "sprint-end_date": "2025-03-21",
            "sprint-status": "active",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "“Integrations sprint” planned: add its deliverables." in _visible(response)
    assert "Goal: Billing sync live" in _visible(response)


def test_the_sprint_page_shows_the_board_burn_up_and_check_ins(as_consultant, build):
    sprint = a_sprint(build, name="Pipeline sprint")
    a_deliverable(build, sprint, title="Deal stages", owner="Sam")
    services.check_in_add(
        sprint=sprint, actor=build.consultant, date=START, progress="Stages drafted"
    )

    response = as_consultant.get(_url(build, "sprint", sprint.public_id))

    assert response.status_code == 200
    text = _visible(response)
    for seen in ("Pipeline sprint", "Deal stages", "Owner: Sam", "Burn-up", "Stages drafted"):
        assert seen in text
    assert "<svg" in _text(response)


def test_a_deliverable_without_a_title_keeps_what_was_typed(as_consultant, build):
    sprint = a_sprint(build)

    response = as_consultant.post(
        _url(build, "sprint", sprint.public_id),
        {"deliverable-title": "", "deliverable-owner": "Sam Builder",
         "deliverable-acceptance_criteria": "Stages match the blueprint"},
    )  # fmt: skip

    assert response.status_code == 400
    body = _text(response)
    assert "This field is required." in body
    assert 'value="Sam Builder"' in body
    assert "Stages match the blueprint</textarea>" in body
    assert not Deliverable.objects.exists()


def test_a_deliverable_building_two_blueprint_items_is_refused(as_consultant, build):
    sprint = a_sprint(build)
    stage = Stage.objects.create(firm=build.firm_a, engagement=build.engagement, name="Lead")
    integration = Integration.objects.create(
        firm=build.firm_a, engagement=build.engagement, source_system="HubSpot",
        target_system="Stripe", objects_carried="Deals", trigger="On close",
    )  # fmt: skip

    response = as_consultant.post(
        _url(build, "sprint", sprint.public_id),
        {"deliverable-title": "Sync", "deliverable-stage": stage.pk,
         "deliverable-integration": integration.pk},
    )  # fmt: skip

    assert response.status_code == 400
    assert "A deliverable builds one blueprint item" in _visible(response)
    assert 'value="Sync"' in _text(response)


def test_moving_a_card_with_htmx_returns_the_board_only(as_consultant, build):
    sprint = a_sprint(build)
    deliverable = a_deliverable(build, sprint, title="Deal stages")

    response = as_consultant.post(
        _url(build, "deliverable_move", deliverable.public_id),
        {"status": "done"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    body = _text(response)
    assert body.lstrip().startswith('<div id="board"')
    assert "<html" not in body
    done_column = body.split('id="column-done"')[1].split("</section>")[0]
    assert "Deal stages" in done_column
    deliverable.refresh_from_db()
    assert deliverable.status == "done"
    assert deliverable.done_at is not None


def test_moving_a_card_without_htmx_goes_back_to_the_sprint(as_consultant, build):
    sprint = a_sprint(build)
    deliverable = a_deliverable(build, sprint, title="Deal stages")

    response = as_consultant.post(
        _url(build, "deliverable_move", deliverable.public_id), {"status": "done"}, follow=True
    )

    assert "“Deal stages” moved to Done." in _visible(response)


def test_a_bad_htmx_move_shows_the_error_in_the_board(as_consultant, build):
    deliverable = a_deliverable(build, a_sprint(build))

    response = as_consultant.post(
        _url(build, "deliverable_move", deliverable.public_id),
        {"status": "lost"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert "Unknown status." in _visible(response)


# --- scenarios, runs and evidence -----------------------------------------------------------------


def test_the_matrix_marks_a_stage_covered_only_after_a_passing_run(as_consultant, build):
    stage = Stage.objects.create(firm=build.firm_a, engagement=build.engagement, name="Qualify")
    scenario = a_scenario(build, steps=[("Qualify the lead", "rep", stage)])

    def qualify_row() -> str:
        response = as_consultant.get(_url(build, "scenarios"))
        assert response.status_code == 200
        rows = re.findall(r"<tr[^>]*>.*?</tr>", _text(response), re.S)
        row = next(r for r in rows if "Stage: Qualify" in r)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))

    assert "Not covered" in qualify_row()
    a_run(build, scenario, "failed")
    assert "Not covered" in qualify_row()

    a_run(build, scenario, "passed")
    row = qualify_row()
    assert "Covered" in row
    assert "Not covered" not in row


def test_after_a_pass_then_a_fail_the_pages_and_the_gate_all_say_not_proven(as_consultant, build):
    stage = Stage.objects.create(firm=build.firm_a, engagement=build.engagement, name="Qualify")
    scenario = a_scenario(build, steps=[("Qualify the lead", "rep", stage)])
    a_run(build, scenario, "passed")
    a_run(build, scenario, "failed")

    matrix = _visible(as_consultant.get(_url(build, "scenarios")))
    page = _visible(as_consultant.get(_url(build, "scenario", scenario.public_id)))
    checks = {c.label: c.passed for c in gate.readiness(build.engagement)}

    assert "Not covered" in matrix
    assert "Passed after its last change" not in page and "Latest run: Failed" in page
    assert checks["Every critical scenario passes, after its last change."] is False


def test_the_scenario_page_shows_its_steps_and_runs(as_consultant, build):
    scenario = a_scenario(build)
    a_run(build, scenario, "passed", "failed")

    response = as_consultant.get(_url(build, "scenario", scenario.public_id))

    assert response.status_code == 200
    text = _visible(response)
    assert "Create a lead" in text
    assert "Approve the deal" in text


def test_a_run_with_a_bad_upload_shows_why_and_keeps_the_chosen_results(
    as_consultant, build, tmp_path
):
    scenario = a_scenario(build)
    first, second = scenario.steps.all()

    response = as_consultant.post(
        _url(build, "scenario_run", scenario.public_id),
        {
            f"status-{first.public_id}": "passed",
            f"status-{second.public_id}": "failed",
            f"notes-{second.public_id}": "Approval button missing",
            f"evidence-{first.public_id}": SimpleUploadedFile("ok.png", b"png"),
            f"evidence-{second.public_id}": SimpleUploadedFile("setup.exe", b"MZ"),
        },
    )

    assert response.status_code == 400
    text = _visible(response)
    assert "“setup.exe” is not a screenshot or an export" in text
    assert "Nothing was saved: choose the files again." in text
    assert _selected(response, f"status-{first.public_id}") == "passed"
    assert _selected(response, f"status-{second.public_id}") == "failed"
    assert "Approval button missing</textarea>" in _text(response)
    assert not TestRun.objects.exists()
    assert stored_files(tmp_path / "media") == []


def test_a_run_without_every_result_is_refused(as_consultant, build):
    scenario = a_scenario(build)
    first = scenario.steps.first()

    response = as_consultant.post(
        _url(build, "scenario_run", scenario.public_id), {f"status-{first.public_id}": "passed"}
    )

    assert response.status_code == 400
    assert "Step 2 needs a result: passed, failed or blocked." in _visible(response)
    assert _selected(response, f"status-{first.public_id}") == "passed"


def test_recording_a_run_goes_back_to_the_scenario(as_consultant, build):
    scenario = a_scenario(build)
    first, second = scenario.steps.all()

    response = as_consultant.post(
        _url(build, "scenario_run", scenario.public_id),
        {f"status-{first.public_id}": "passed", f"status-{second.public_id}": "blocked"},
        follow=True,
    )

    assert "Run recorded: blocked." in _visible(response)
    assert TestRun.objects.get().outcome == "blocked"


def test_the_evidence_downloads_as_an_attachment(as_consultant, build):
    scenario = a_scenario(build)
    run = a_run(build, scenario, evidence=SimpleUploadedFile("pipeline screenshot.png", b"PNGDATA"))
    result = StepResult.objects.filter(run=run).exclude(evidence="").get()

    response = as_consultant.get(_url(build, "evidence_download", run.public_id, result.public_id))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "pipeline screenshot.png" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"PNGDATA"


def test_evidence_with_a_very_long_name_is_kept_under_a_name_cut_to_fit(as_consultant, build):
    scenario = a_scenario(build)
    first, second = scenario.steps.all()
    long_name = "pipeline screenshot " + "x" * 280 + ".png"

    response = as_consultant.post(
        _url(build, "scenario_run", scenario.public_id),
        {
            f"status-{first.public_id}": "passed",
            f"status-{second.public_id}": "passed",
            f"evidence-{first.public_id}": SimpleUploadedFile(long_name, b"PNGDATA"),
        },
        follow=True,
    )

    assert "Run recorded: passed." in _visible(response)
    result = StepResult.objects.exclude(evidence="").get()
    assert len(result.evidence_name) == 200
    assert result.evidence_name.startswith("pipeline screenshot xxx")
    assert result.evidence_name.endswith(".png")
    download = as_consultant.get(
        _url(build, "evidence_download", result.run.public_id, result.public_id)
    )
    assert b"".join(download.streaming_content) == b"PNGDATA"


def test_a_result_without_evidence_has_nothing_to_download(as_consultant, build):
    scenario = a_scenario(build)
    run = a_run(build, scenario)
    result = StepResult.objects.filter(run=run).first()

    response = as_consultant.get(_url(build, "evidence_download", run.public_id, result.public_id))

    assert response.status_code == 404


# --- acceptance testing: the consultant's side ---------------------------------------------------


def test_the_uat_page_lists_rounds_and_feedback_to_triage(as_consultant, build):
    a_sprint(build, name="Pipeline sprint")
    uat_round = a_round(build, [a_scenario(build)], name="Round A")
    some_feedback(build, uat_round, location="Deal form", severity="blocker")

    response = as_consultant.get(_url(build, "uat"))

    assert response.status_code == 200
    text = _visible(response)
    for seen in ("Round A", "Rita Rep", "Blocker", "Deal form", "Awaiting triage", "Save triage"):
        assert seen in text


def test_triaging_as_wont_fix_without_a_reason_leaves_it_open(as_consultant, build):
    uat_round = a_round(build, [a_scenario(build)])
    item = some_feedback(build, uat_round)

    response = as_consultant.post(
        _url(build, "feedback_triage", item.public_id), {"triage": "wont_fix"}, follow=True
    )

    assert "Say why it won't be fixed; the reporter sees it." in _visible(response)
    item.refresh_from_db()
    assert item.triage == Triage.OPEN


def test_accepting_into_a_sprint_puts_a_card_on_its_board(as_consultant, build):
    sprint = a_sprint(build, name="Pipeline sprint")
    uat_round = a_round(build, [a_scenario(build)])
    item = some_feedback(build, uat_round, location="Deal form")

    response = as_consultant.post(
        _url(build, "feedback_triage", item.public_id),
        {"triage": "accepted", "sprint": str(sprint.public_id)},
        follow=True,
    )

    assert "“Deal form” triaged: Accepted into a sprint." in _visible(response)
    board = as_consultant.get(_url(build, "sprint", sprint.public_id))
    assert "UAT: Workflow friction — Deal form" in _visible(board)


# --- the portal ---------------------------------------------------------------------------------


def test_a_participant_sees_the_scenarios_for_their_role_in_the_portal(as_rep, build):
    rep_scenario = a_scenario(build, title="Lead to close")
    manager_only = a_scenario(build, title="Forecast review", steps=[("Review", "manager")])
    a_round(build, [rep_scenario, manager_only], name="Round A")

    response = as_rep.get(_url(build, "portal_build"))

    assert response.status_code == 200
    text = _visible(response)
    assert "Round A" in text
    assert re.search(r"Run this scenario ?: Lead to close", text)
    assert "(1 step for you)" in text
    assert not re.search(r"Run this scenario ?: Forecast review", text)


def test_a_participant_runs_a_scenario_in_the_portal(as_rep, build):
    scenario = a_scenario(build)
    uat_round = a_round(build, [scenario])
    first, second = scenario.steps.all()
    url = _url(build, "portal_uat_run", uat_round.public_id, scenario.public_id)

    page = as_rep.get(url)
    assert page.status_code == 200
    assert "Your step" in _visible(page)

    response = as_rep.post(
        url,
        {f"status-{first.public_id}": "passed", f"status-{second.public_id}": "failed",
         f"notes-{second.public_id}": "No approve button"},
        follow=True,
    )  # fmt: skip

    assert "your run of “Lead to close” is recorded: failed." in _visible(response)
    run = TestRun.objects.get()
    assert (run.run_by, run.uat_round, run.outcome) == (build.rep_user, uat_round, "failed")
    assert "you ran it on" in _visible(response)


def test_a_portal_run_with_a_bad_upload_records_nothing_and_says_so(as_rep, build, tmp_path):
    scenario = a_scenario(build)
    uat_round = a_round(build, [scenario])
    first, second = scenario.steps.all()

    response = as_rep.post(
        _url(build, "portal_uat_run", uat_round.public_id, scenario.public_id),
        {f"status-{first.public_id}": "passed", f"status-{second.public_id}": "passed",
         f"evidence-{first.public_id}": SimpleUploadedFile("big.png", b"x" * TOO_BIG)},
    )  # fmt: skip

    assert response.status_code == 400
    text = _visible(response)
    assert "Your run was not recorded: “big.png” is larger than 5 MB." in text
    assert "Attach your evidence files again; they were not kept." in text
    assert _selected(response, f"status-{second.public_id}") == "passed"
    assert not TestRun.objects.exists()
    assert stored_files(tmp_path / "media") == []


def test_feedback_with_missing_fields_keeps_what_was_typed(as_rep, build):
    uat_round = a_round(build, [a_scenario(build)])

    response = as_rep.post(
        _url(build, "portal_feedback", uat_round.public_id),
        {"category": "bug", "severity": "high", "location": "Deal form", "description": ""},
    )

    assert response.status_code == 400
    body = _text(response)
    assert "This field is required." in body
    assert 'value="Deal form"' in body
    assert _selected(response, "severity") == "high"
    assert _selected(response, "category") == "bug"
    assert not Feedback.objects.exists()


def test_filed_feedback_shows_as_awaiting_triage(as_rep, build):
    scenario = a_scenario(build)
    uat_round = a_round(build, [scenario])

    response = as_rep.post(
        _url(build, "portal_feedback", uat_round.public_id),
        {"category": "bug", "severity": "high", "location": "Deal form",
         "description": "It crashed", "expected": "It saves", "scenario": str(scenario.public_id)},
        follow=True,
    )  # fmt: skip

    text = _visible(response)
    assert "Thank you — your feedback is filed." in text
    assert "awaiting triage by your consultant." in text
    assert Feedback.objects.get().scenario == scenario


def test_the_reporter_sees_wont_fix_with_the_reason(as_rep, build):
    uat_round = a_round(build, [a_scenario(build)])
    item = some_feedback(build, uat_round, location="Deal form")
    services.feedback_triage(
        feedback=item, actor=build.consultant, triage=Triage.WONT_FIX,
        reason="The field is required by finance.",
    )  # fmt: skip

    response = as_rep.get(_url(build, "portal_build"))

    assert "Outcome: won't fix — The field is required by finance." in _visible(response)


def test_the_reporter_sees_which_sprint_accepted_the_item(as_rep, build):
    sprint = a_sprint(build, name="Pipeline sprint")
    uat_round = a_round(build, [a_scenario(build)])
    item = some_feedback(build, uat_round)
    services.feedback_triage(
        feedback=item, actor=build.consultant, triage=Triage.ACCEPTED, sprint=sprint
    )

    response = as_rep.get(_url(build, "portal_build"))

    assert "Outcome: accepted into Pipeline sprint." in _visible(response)


def test_a_client_user_who_is_not_a_participant_gets_404_on_the_run_page(build):
    scenario = a_scenario(build)
    uat_round = a_round(build, [scenario])
    url = _url(build, "portal_uat_run", uat_round.public_id, scenario.public_id)

    assert signed_in(build.approver).get(url).status_code == 404
    assert signed_in(build.other_client_user).get(url).status_code == 404
    assert signed_in(build.approver).post(url, {}).status_code == 404
    assert not TestRun.objects.exists()


def test_a_participant_cannot_run_a_scenario_with_no_step_for_their_role(as_rep, build):
    manager_only = a_scenario(build, title="Forecast review", steps=[("Review", "manager")])
    uat_round = a_round(build, [manager_only])

    response = as_rep.get(
        _url(build, "portal_uat_run", uat_round.public_id, manager_only.public_id)
    )

    assert response.status_code == 404
