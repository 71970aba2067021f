"""Phase 4 rules through its services: the gate's readiness, triage of UAT feedback, filing
feedback, recording runs (with evidence uploads checked before anything is saved), the board,
the burn-up, and read-only after sign-off."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from architecture.models import Stage
from engagements.errors import ApplicationError
from engagements.models import Engagement, PhaseState, PhaseStatus, Role, StakeholderRole
from engagements.phases import Phase
from sprints import gate, services
from sprints.models import (
    Deliverable,
    DeliverableStatus,
    Feedback,
    Scenario,
    Sprint,
    StepResult,
    TestRun,
    Triage,
)
from tests.factories import MembershipFactory, StakeholderFactory

START = date(2025, 3, 3)
SCENARIO_TODO = "Run every critical end-to-end scenario to a pass after its last change"
BLOCKER_TODO = "Triage the 1 open blocker UAT item."
SPRINT_TODO = "Finish or explicitly defer every deliverable of the last sprint"

# --- helpers (also used by the page and query-count tests) ---------------------------------------


def enter_build(world):
    """Move the engagement on to Phase 4 and add a client rep who tests in the portal."""
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.BUILD)
    world.engagement.refresh_from_db()
    rep_user = MembershipFactory(
        firm=world.firm_a,
        role=Role.CLIENT,
        client=world.client_x,
        user__email="rita@xylo.example",
        user__full_name="Rita Rep",
    ).user
    world.rep_user = rep_user
    world.rep = StakeholderFactory(
        engagement=world.engagement,
        name="Rita Rep",
        email=rep_user.email,
        user=rep_user,
        role=StakeholderRole.REP,
        has_portal_access=True,
    )
    return world


def a_sprint(world, name="Sprint 1", start=START, days=13, **fields) -> Sprint:
    return services.sprint_save(
        engagement=world.engagement,
        actor=world.consultant,
        name=name,
        focus=fields.pop("focus", "crm"),
        goal=fields.pop("goal", "Pipeline stages live"),
        start_date=start,
        end_date=start + timedelta(days=days),
        **fields,
    )


def a_deliverable(world, sprint, title="Deal stages", **fields) -> Deliverable:
    return services.deliverable_save(sprint=sprint, actor=world.consultant, title=title, **fields)


def a_scenario(world, title="Lead to close", steps=None, critical=True) -> Scenario:
    scenario = services.scenario_save(
        engagement=world.engagement, actor=world.consultant, title=title, is_critical=critical
    )
    for action, role, *stage in steps or [
        ("Create a lead", "rep"),
        ("Approve the deal", "manager"),
    ]:
        services.step_add(
            scenario=scenario,
            actor=world.consultant,
            action=action,
            expected_result=f"{action}: done",
            role=role,
            stage=stage[0] if stage else None,
        )
    scenario.refresh_from_db()
    return scenario


def a_run(world, scenario, *statuses, runner=None, uat_round=None, evidence=None) -> TestRun:
    steps = list(scenario.steps.all())
    statuses = statuses or ("passed",) * len(steps)
    results = {
        step.pk: {"status": status, "notes": "", "evidence": None}
        for step, status in zip(steps, statuses, strict=True)
    }
    if evidence is not None:
        results[steps[0].pk]["evidence"] = evidence
    return services.run_record(
        scenario=scenario,
        runner=runner or world.consultant,
        results=results,
        uat_round=uat_round,
    )


def a_round(world, scenarios, participants=None, name="Round 1"):
    return services.uat_round_create(
        engagement=world.engagement,
        actor=world.consultant,
        name=name,
        participants=participants or [world.rep],
        scenarios=scenarios,
    )


def some_feedback(world, uat_round, reporter=None, **fields) -> Feedback:
    data = {
        "category": "friction",
        "severity": "medium",
        "location": "Deal form",
        "description": "Too many clicks.",
        "expected": "One click.",
        "scenario": None,
    }
    data.update(fields)
    return services.feedback_file(uat_round=uat_round, reporter=reporter or world.rep, **data)


def checks(world) -> list:
    return gate.readiness(world.engagement)


def todos(world) -> list[str]:
    return [check.todo for check in checks(world) if not check.passed]


def a_file(name: str, size: int = 100) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size)


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def build(firm_a_scope):
    return enter_build(firm_a_scope)


# --- gate readiness ----------------------------------------------------------------------------


def test_a_critical_scenario_without_a_passing_run_holds_the_gate_until_it_passes(build):
    scenario = a_scenario(build)
    assert any(t.startswith(SCENARIO_TODO) and "Lead to close" in t for t in todos(build))

    a_run(build, scenario, "passed", "failed")
    assert any(t.startswith(SCENARIO_TODO) for t in todos(build))

    a_run(build, scenario)
    assert not any(t.startswith(SCENARIO_TODO) for t in todos(build))


def test_a_failing_run_after_a_pass_holds_the_gate_again(build):
    # The gate and the scenario's page share one rule: the latest run after the last change
    # must pass. An earlier pass does not outvote a later failure.
    scenario = a_scenario(build)
    a_run(build, scenario)
    assert not any(t.startswith(SCENARIO_TODO) for t in todos(build))

    a_run(build, scenario, "passed", "failed")

    assert any(t.startswith(SCENARIO_TODO) and "Lead to close" in t for t in todos(build))
    a_run(build, scenario)
    assert not any(t.startswith(SCENARIO_TODO) for t in todos(build))


def test_without_any_critical_scenario_the_gate_asks_for_one(build):
    a_scenario(build, critical=False)

    assert f"{SCENARIO_TODO} (mark at least one scenario critical)." in todos(build)


def test_adding_a_step_after_a_pass_holds_the_gate_until_a_new_passing_run(build):
    scenario = a_scenario(build)
    a_run(build, scenario)
    assert not any(t.startswith(SCENARIO_TODO) for t in todos(build))

    services.step_add(
        scenario=scenario, actor=build.consultant, action="Send the contract",
        expected_result="Signed", role="rep",
    )  # fmt: skip
    assert any(t.startswith(SCENARIO_TODO) and "Lead to close" in t for t in todos(build))

    a_run(build, scenario)
    assert not any(t.startswith(SCENARIO_TODO) for t in todos(build))


def test_an_open_blocker_holds_the_gate_and_a_triaged_one_does_not(build):
    sprint = a_sprint(build)
    uat_round = a_round(build, [a_scenario(build)])
    some_feedback(build, uat_round, severity="high")
    assert BLOCKER_TODO not in todos(build)

    blocker = some_feedback(build, uat_round, severity="blocker")
    assert BLOCKER_TODO in todos(build)

    services.feedback_triage(
        feedback=blocker, actor=build.consultant, triage=Triage.ACCEPTED, sprint=sprint
    )
    assert not any(t.startswith("Triage the") for t in todos(build))


def test_the_last_sprint_by_end_date_must_have_every_deliverable_done_or_deferred(build):
    assert f"{SPRINT_TODO} (plan a sprint)." in todos(build)
    # Planned second but ends first: the later-ending sprint is the last one.
    last = a_sprint(build, name="Late sprint", start=START, days=20)
    earlier = a_sprint(build, name="Early sprint", start=START, days=5)
    a_deliverable(build, earlier, title="Unfinished early work")
    report = a_deliverable(build, last, title="Win-rate report")
    sync = a_deliverable(build, last, title="Billing sync")
    assert f"{SPRINT_TODO}: Win-rate report, Billing sync." in todos(build)

    services.deliverable_move(deliverable=report, actor=build.consultant, status="done")
    assert f"{SPRINT_TODO}: Billing sync." in todos(build)

    services.deliverable_move(deliverable=sync, actor=build.consultant, status="deferred")
    assert not any(t.startswith(SPRINT_TODO) for t in todos(build))


def test_every_check_passes_once_scenarios_pass_blockers_are_triaged_and_work_is_done(build):
    sprint = a_sprint(build)
    deliverable = a_deliverable(build, sprint)
    a_run(build, a_scenario(build))
    services.deliverable_move(deliverable=deliverable, actor=build.consultant, status="done")

    assert all(check.passed for check in checks(build))


# --- triage ------------------------------------------------------------------------------------


@pytest.fixture
def item(build):
    build.sprint = a_sprint(build)
    build.uat_round = a_round(build, [a_scenario(build)])
    return some_feedback(build, build.uat_round, location="Deal form", expected="One click.")


def test_accepting_an_item_needs_a_sprint(build, item):
    with pytest.raises(ApplicationError) as error:
        services.feedback_triage(feedback=item, actor=build.consultant, triage=Triage.ACCEPTED)

    assert error.value.field == "sprint"
    item.refresh_from_db()
    assert item.triage == Triage.OPEN
    assert not Deliverable.objects.exists()


def test_accepting_an_item_into_a_sprint_creates_a_deliverable_there(build, item):
    services.feedback_triage(
        feedback=item, actor=build.consultant, triage=Triage.ACCEPTED, sprint=build.sprint
    )

    item.refresh_from_db()
    assert item.triage == Triage.ACCEPTED
    deliverable = Deliverable.objects.get()
    assert item.deliverable == deliverable
    assert deliverable.sprint == build.sprint
    assert deliverable.title == "UAT: Workflow friction — Deal form"
    assert deliverable.acceptance_criteria == "One click."
    assert deliverable.status == DeliverableStatus.TODO


def test_wont_fix_needs_a_reason_which_is_kept(build, item):
    with pytest.raises(ApplicationError) as error:
        services.feedback_triage(
            feedback=item, actor=build.consultant, triage=Triage.WONT_FIX, reason="   "
        )
    assert error.value.field == "reason"

    services.feedback_triage(
        feedback=item, actor=build.consultant, triage=Triage.WONT_FIX, reason=" By design. "
    )
    item.refresh_from_db()
    assert (item.triage, item.triage_reason) == (Triage.WONT_FIX, "By design.")


def test_a_duplicate_needs_another_item_not_itself(build, item):
    for original in (None, item):
        with pytest.raises(ApplicationError) as error:
            services.feedback_triage(
                feedback=item, actor=build.consultant, triage=Triage.DUPLICATE,
                duplicate_of=original,
            )  # fmt: skip
        assert error.value.field == "duplicate_of"
    other = some_feedback(build, build.uat_round, location="Quote page")

    services.feedback_triage(
        feedback=item, actor=build.consultant, triage=Triage.DUPLICATE, duplicate_of=other
    )
    item.refresh_from_db()
    assert (item.triage, item.duplicate_of) == (Triage.DUPLICATE, other)


def test_an_already_triaged_item_cannot_be_triaged_again(build, item):
    services.feedback_triage(
        feedback=item, actor=build.consultant, triage=Triage.WONT_FIX, reason="By design."
    )

    with pytest.raises(ApplicationError, match="already triaged"):
        services.feedback_triage(
            feedback=Feedback.objects.get(pk=item.pk), actor=build.consultant,
            triage=Triage.ACCEPTED, sprint=build.sprint,
        )  # fmt: skip
    item.refresh_from_db()
    assert item.triage == Triage.WONT_FIX
    assert not Deliverable.objects.exists()


def test_an_unknown_triage_decision_is_refused(build, item):
    with pytest.raises(ApplicationError, match="Choose accept"):
        services.feedback_triage(feedback=item, actor=build.consultant, triage=Triage.OPEN)


# --- filing feedback ---------------------------------------------------------------------------


def test_only_a_participant_of_the_round_can_file_feedback(build):
    uat_round = a_round(build, [a_scenario(build)])
    outsider = StakeholderFactory(
        engagement=build.engagement, role=StakeholderRole.REP, has_portal_access=True
    )

    with pytest.raises(ApplicationError, match="not part of this test round"):
        some_feedback(build, uat_round, reporter=outsider)
    assert not Feedback.objects.exists()


def test_feedback_can_name_only_one_of_the_rounds_scenarios(build):
    in_round = a_scenario(build, title="Lead to close")
    elsewhere = a_scenario(build, title="Renewal")
    uat_round = a_round(build, [in_round])

    with pytest.raises(ApplicationError) as error:
        some_feedback(build, uat_round, scenario=elsewhere)
    assert error.value.field == "scenario"

    assert some_feedback(build, uat_round, scenario=in_round).scenario == in_round


def test_no_feedback_is_filed_on_a_closed_round(build):
    uat_round = a_round(build, [a_scenario(build)])
    uat_round.is_open = False
    uat_round.save()

    with pytest.raises(ApplicationError, match="closed"):
        some_feedback(build, uat_round)
    assert not Feedback.objects.exists()


def test_a_round_needs_participants_with_portal_access(build):
    no_portal = StakeholderFactory(engagement=build.engagement, has_portal_access=False)

    with pytest.raises(ApplicationError, match="portal access"):
        a_round(build, [a_scenario(build)], participants=[no_portal])


# --- recording runs ----------------------------------------------------------------------------


def test_every_step_needs_a_result(build):
    scenario = a_scenario(build)
    first = scenario.steps.first()

    with pytest.raises(ApplicationError, match="Step 2 needs a result"):
        services.run_record(
            scenario=scenario, runner=build.consultant, results={first.pk: {"status": "passed"}}
        )
    assert not TestRun.objects.exists()


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        (("passed", "passed", "passed"), "passed"),
        (("passed", "blocked", "passed"), "blocked"),
        (("blocked", "failed", "passed"), "failed"),
        (("failed", "passed", "blocked"), "failed"),
    ],
)
def test_a_run_fails_if_any_step_failed_else_is_blocked_if_any_step_was(build, statuses, outcome):
    scenario = a_scenario(
        build, steps=[("Create a lead", "rep"), ("Qualify", "rep"), ("Approve", "manager")]
    )

    run = a_run(build, scenario, *statuses)

    assert run.outcome == outcome
    assert [r.status for r in StepResult.objects.filter(run=run)] == list(statuses)


def test_evidence_is_stored_with_its_original_name(build, tmp_path):
    scenario = a_scenario(build)

    run = a_run(build, scenario, evidence=a_file("screenshot.png"))

    result = StepResult.objects.filter(run=run).first()
    assert result.evidence_name == "screenshot.png"
    assert (tmp_path / "media" / result.evidence).is_file()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (a_file("setup.exe"), "“setup.exe” is not a screenshot or an export"),
        (a_file("huge.png", 5 * 1024 * 1024 + 1), "“huge.png” is larger than 5 MB."),
    ],
    ids=["wrong type", "over 5 MB"],
)
def test_a_bad_evidence_file_is_refused_and_nothing_is_saved(build, tmp_path, upload, message):
    scenario = a_scenario(build)
    steps = list(scenario.steps.all())
    results = {
        steps[0].pk: {"status": "passed", "evidence": a_file("fine.png")},
        steps[1].pk: {"status": "failed", "notes": "Broken", "evidence": upload},
    }

    with pytest.raises(ApplicationError) as error:
        services.run_record(scenario=scenario, runner=build.consultant, results=results)

    assert error.value.field == "evidence"
    assert message in error.value.message
    assert not TestRun.objects.exists()
    assert not StepResult.objects.exists()
    assert stored_files(tmp_path / "media") == []


def test_a_file_of_exactly_5_mb_is_accepted(build):
    scenario = a_scenario(build)

    run = a_run(build, scenario, evidence=a_file("export.csv", 5 * 1024 * 1024))

    assert run.results.filter(evidence_name="export.csv").exists()


# --- board, burn-up and sprint dates -------------------------------------------------------------


def test_moving_a_card_to_done_stamps_the_day_and_moving_it_back_clears_it(build):
    deliverable = a_deliverable(build, a_sprint(build))
    assert deliverable.done_at is None

    services.deliverable_move(deliverable=deliverable, actor=build.consultant, status="done")
    deliverable.refresh_from_db()
    assert deliverable.done_at is not None

    services.deliverable_move(deliverable=deliverable, actor=build.consultant, status="in_progress")
    deliverable.refresh_from_db()
    assert (deliverable.status, deliverable.done_at) == ("in_progress", None)


def test_an_unknown_board_status_is_refused(build):
    deliverable = a_deliverable(build, a_sprint(build))

    with pytest.raises(ApplicationError, match="Unknown status"):
        services.deliverable_move(deliverable=deliverable, actor=build.consultant, status="lost")


def test_the_burn_up_counts_deliverables_done_by_each_day_against_scope(build):
    sprint = a_sprint(build, start=START, days=4)
    for title, done_at in (("A", START), ("B", START + timedelta(days=2)), ("C", None)):
        d = a_deliverable(build, sprint, title=title)
        Deliverable.objects.filter(pk=d.pk).update(
            status="done" if done_at else "todo", done_at=done_at
        )
    deferred = a_deliverable(build, sprint, title="D")
    Deliverable.objects.filter(pk=deferred.pk).update(status="deferred")

    points = services.burn_up(sprint=sprint, today=START + timedelta(days=3))

    assert points == [
        (START, 1, 3),
        (START + timedelta(days=1), 1, 3),
        (START + timedelta(days=2), 2, 3),
        (START + timedelta(days=3), 2, 3),
    ]


def test_the_burn_up_stops_at_the_sprints_end(build):
    sprint = a_sprint(build, start=START, days=2)

    points = services.burn_up(sprint=sprint, today=START + timedelta(days=30))

    assert [day for day, _, _ in points] == [START + timedelta(days=n) for n in range(3)]


def test_a_sprint_cannot_end_before_it_starts(build):
    with pytest.raises(ApplicationError) as error:
        a_sprint(build, start=START, days=-1)

    assert error.value.field == "end_date"
    assert not Sprint.objects.exists()


def test_a_deliverable_cannot_build_another_engagements_stage(build):
    foreign = Stage.unscoped.create(firm=build.firm_a, engagement=build.engagement_y, name="Lead")

    with pytest.raises(ApplicationError, match="must belong to this engagement"):
        a_deliverable(build, a_sprint(build), stage=foreign)


# --- read-only --------------------------------------------------------------------------------


def test_nothing_can_be_edited_before_the_build_phase_opens(firm_a_scope):
    with pytest.raises(ApplicationError, match="has not started yet"):
        a_sprint(firm_a_scope)


def test_everything_is_read_only_after_phase_4_sign_off(build):
    sprint = a_sprint(build)
    deliverable = a_deliverable(build, sprint)
    scenario = a_scenario(build)
    uat_round = a_round(build, [scenario])
    item = some_feedback(build, uat_round)
    step = scenario.steps.first()
    PhaseState.unscoped.update_or_create(
        engagement=build.engagement,
        phase=Phase.BUILD,
        defaults={"status": PhaseStatus.SIGNED_OFF},
        create_defaults={"firm": build.firm_a, "status": PhaseStatus.SIGNED_OFF},
    )
    edits = {
        "plan a sprint": lambda: a_sprint(build, name="Late"),
        "edit a sprint": lambda: services.sprint_save(
            engagement=build.engagement,
            actor=build.consultant,
            sprint=sprint,
            name="Renamed",
            focus="crm",
            goal="G",
            start_date=START,
            end_date=START,
        ),
        "add a deliverable": lambda: a_deliverable(build, sprint, title="Late"),
        "move a card": lambda: services.deliverable_move(
            deliverable=deliverable, actor=build.consultant, status="done"
        ),
        "check in": lambda: services.check_in_add(
            sprint=sprint, actor=build.consultant, date=START, progress="More"
        ),
        "add a scenario": lambda: a_scenario(build, title="Late"),
        "add a step": lambda: services.step_add(
            scenario=scenario, actor=build.consultant, action="A", expected_result="B", role="rep"
        ),
        "remove a step": lambda: services.step_delete(step=step, actor=build.consultant),
        "record a run": lambda: a_run(build, scenario),
        "start a round": lambda: a_round(build, [scenario], name="Round 2"),
        "file feedback": lambda: some_feedback(build, uat_round),
        "triage": lambda: services.feedback_triage(
            feedback=item, actor=build.consultant, triage=Triage.WONT_FIX, reason="No"
        ),
    }
    for name, edit in edits.items():
        with pytest.raises(ApplicationError, match="signed off and read-only"):
            edit()
        assert name

    assert Sprint.objects.count() == 1
    assert Deliverable.objects.get().status == "todo"
    assert scenario.steps.count() == 2
    assert not TestRun.objects.exists()
    assert Feedback.objects.get().triage == Triage.OPEN
