"""Phase 4 pages run the same number of queries however many rows they show."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from architecture.models import Integration, Stage
from sprints import services
from sprints.models import Triage
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
)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def build(firm_a_scope) -> World:
    world = enter_build(firm_a_scope)
    world.sprint = a_sprint(world, name="Sprint 0")
    return world


def _queries(http, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url)
        assert response.status_code == 200
    return len(captured)


def _grow(world: World, rows: int) -> None:
    """`rows` more of each: sprints with deliverables (one building a stage, one done) and a
    check-in, stages and integrations walked by scenarios with passing and failing runs (with
    evidence), rounds with the rep taking part, and feedback triaged every way."""
    firm, engagement = world.firm_a, world.engagement
    for _ in range(rows):
        n = Stage.objects.filter(engagement=engagement).count() + 1
        stage = Stage.objects.create(firm=firm, engagement=engagement, name=f"Stage {n}")
        integration = Integration.objects.create(
            firm=firm, engagement=engagement, source_system=f"S{n}", target_system="CRM",
            objects_carried="Deals", trigger="Nightly",
        )  # fmt: skip
        sprint = a_sprint(world, name=f"Sprint {n}", start=START)
        a_deliverable(world, world.sprint, title=f"Card {n}", stage=stage)
        done = a_deliverable(world, world.sprint, title=f"Done {n}", integration=integration)
        services.deliverable_move(deliverable=done, actor=world.consultant, status="done")
        a_deliverable(world, sprint, title=f"Other {n}")
        services.check_in_add(sprint=world.sprint, actor=world.consultant, date=START, progress="P")
        services.check_in_add(sprint=sprint, actor=world.consultant, date=START, progress="P")
        scenario = a_scenario(
            world,
            title=f"Scenario {n}",
            steps=[(f"Step {n}", "rep", stage), ("Approve", "manager")],
        )
        services.step_add(
            scenario=scenario, actor=world.consultant, action="Sync", expected_result="Synced",
            role="ops", integration=integration,
        )  # fmt: skip
        a_run(world, scenario, "failed", "passed", "passed")
        a_run(
            world, scenario, evidence=SimpleUploadedFile(f"shot{n}.png", b"png"),
            runner=world.rep_user,
        )  # fmt: skip
        uat_round = a_round(world, [scenario], name=f"Round {n}")
        a_run(world, scenario, runner=world.rep_user, uat_round=uat_round)
        accepted = some_feedback(world, uat_round, scenario=scenario, location=f"A{n}")
        services.feedback_triage(
            feedback=accepted, actor=world.consultant, triage=Triage.ACCEPTED, sprint=sprint
        )
        wont = some_feedback(world, uat_round, location=f"W{n}")
        services.feedback_triage(
            feedback=wont, actor=world.consultant, triage=Triage.WONT_FIX, reason="No"
        )
        duplicate = some_feedback(world, uat_round, location=f"D{n}")
        services.feedback_triage(
            feedback=duplicate, actor=world.consultant, triage=Triage.DUPLICATE,
            duplicate_of=accepted,
        )  # fmt: skip
        some_feedback(world, uat_round, location=f"O{n}", severity="blocker")


PAGES = {
    "sprints": lambda world: reverse("sprints", args=[world.engagement.public_id]),
    "sprint": lambda world: reverse(
        "sprint", args=[world.engagement.public_id, world.sprint.public_id]
    ),
    "scenarios": lambda world: reverse("scenarios", args=[world.engagement.public_id]),
    "uat": lambda world: reverse("uat", args=[world.engagement.public_id]),
}


@pytest.mark.parametrize("page", PAGES)
def test_the_workspace_page_costs_the_same_queries_however_many_rows(build, page):
    http = signed_in(build.consultant)
    url = PAGES[page](build)
    _grow(build, 1)
    http.get(url)  # warm up: sessions, sign-off state
    few = _queries(http, url)

    _grow(build, 3)

    assert _queries(http, url) == few


def test_the_portal_build_page_costs_the_same_queries_however_many_rows(build):
    http = signed_in(build.rep_user)
    url = reverse("portal_build", args=[build.engagement.public_id])
    _grow(build, 1)
    http.get(url)
    few = _queries(http, url)

    _grow(build, 3)

    assert _queries(http, url) == few
