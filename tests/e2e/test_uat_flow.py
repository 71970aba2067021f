"""Phase 4, end to end: a client rep runs the scenario assigned to them in the portal and files
feedback on what failed; the consultant, in their own browser, accepts it into a sprint, where it
lands on the board; the rep then sees the outcome of their feedback."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect

from engagements.models import Engagement, Role, StakeholderRole
from engagements.phases import Phase
from engagements.tenancy import tenant_scope
from sprints import services
from sprints.models import Feedback, TestRun
from tests.factories import PASSWORD, MembershipFactory, StakeholderFactory

REP_EMAIL = "rita@xylo.example"
REP_PASSWORD = "a-long-rep-passphrase"


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _engagement_in_the_build_phase(world) -> Engagement:
    """Firm A's engagement in Phase 4 with a sprint, a critical scenario of two rep steps and a
    manager step, and a test round with the rep (a client user with portal access) in it."""
    engagement = world.engagement
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=Phase.BUILD)
    engagement.refresh_from_db()
    rep = MembershipFactory(
        firm=world.firm_a,
        role=Role.CLIENT,
        client=world.client_x,
        user__email=REP_EMAIL,
        user__full_name="Rita Rep",
    ).user
    rep.set_password(REP_PASSWORD)
    rep.save()
    stakeholder = StakeholderFactory(
        engagement=engagement,
        name="Rita Rep",
        email=REP_EMAIL,
        user=rep,
        role=StakeholderRole.REP,
        has_portal_access=True,
    )
    with tenant_scope(world.firm_a):
        services.sprint_save(
            engagement=engagement, actor=world.consultant, name="Pipeline sprint",
            focus="crm", goal="Deals move through the new stages",
            start_date=engagement.created_at.date(), end_date=engagement.created_at.date(),
        )  # fmt: skip
        scenario = services.scenario_save(
            engagement=engagement, actor=world.consultant, title="Lead to close", is_critical=True
        )
        for action, expected, role in [
            ("Create a lead from the web form", "The lead is assigned to me", "rep"),
            ("Convert the lead to a deal", "The deal opens in Discovery", "rep"),
            ("Approve the discount", "The deal moves to Contract", "manager"),
        ]:
            services.step_add(
                scenario=scenario, actor=world.consultant, action=action,
                expected_result=expected, role=role,
            )  # fmt: skip
        services.uat_round_create(
            engagement=engagement, actor=world.consultant, name="Round 1",
            participants=[stakeholder], scenarios=[scenario],
        )  # fmt: skip
    return engagement


def test_a_rep_runs_a_scenario_files_feedback_and_sees_it_accepted_into_a_sprint(
    world, live_server, sign_in, browser: Browser
):
    engagement = _engagement_in_the_build_phase(world)

    # The rep, in their own browser, opens the Build phase in the portal.
    rep = browser.new_context().new_page()
    rep.goto(f"{live_server.url}/accounts/login/")
    rep.get_by_label("Email").fill(REP_EMAIL)
    rep.get_by_label("Password").fill(REP_PASSWORD)
    rep.get_by_role("button", name="Sign in").click()
    rep.goto(f"{live_server.url}{reverse('portal_engagement', args=[engagement.public_id])}")
    rep.get_by_role("link", name="Build, Test & Optimize").click()
    expect(rep.get_by_role("heading", name="Phase 4 · Build, Test & Optimize")).to_be_visible()
    expect(rep.get_by_role("heading", name="Round 1")).to_be_visible()
    expect(rep.get_by_text("(2 steps for you)")).to_be_visible()

    # They run the scenario: the conversion fails, the manager's step is blocked for them.
    rep.get_by_role("link", name="Run this scenario").click()
    expect(rep.get_by_role("heading", name="Run: Lead to close")).to_be_visible()
    run = rep.get_by_role("form", name="Run Lead to close")
    for step, result in [
        ("Create a lead from the web form", "passed"),
        ("Convert the lead to a deal", "failed"),
        ("Approve the discount", "blocked"),
    ]:
        run.get_by_role("group", name=step).get_by_label("Result").select_option(result)
    run.get_by_role("group", name="Convert the lead to a deal").get_by_label("Notes").fill(
        "The deal opened in Prospecting, not Discovery."
    )
    run.get_by_role("button", name="Record my run").click()
    expect(rep.locator("ul.messages")).to_contain_text(
        "Thank you — your run of “Lead to close” is recorded: failed."
    )
    expect(rep.get_by_text("you ran it on")).to_be_visible()
    assert TestRun.unscoped.get().outcome == "failed"

    # They file feedback on what went wrong.
    rep.get_by_text("File feedback on Round 1").click()
    feedback = rep.get_by_role("form", name="Feedback on Round 1")
    feedback.get_by_label("Category").select_option(label="Bug")
    feedback.get_by_label("Severity").select_option(label="High")
    feedback.get_by_label("Where it happened").fill("Deal conversion")
    feedback.get_by_label("What happened").fill("The deal opened in Prospecting.")
    feedback.get_by_label("What you expected").fill("The deal opens in Discovery.")
    feedback.get_by_label("Which scenario (optional)").select_option(label="Lead to close")
    feedback.get_by_role("button", name="File feedback").click()
    expect(rep.locator("ul.messages")).to_contain_text("Thank you — your feedback is filed.")
    mine = rep.get_by_role("listitem").filter(has_text="Deal conversion")
    expect(mine).to_contain_text("awaiting triage by your consultant.")

    # The consultant, in another browser, accepts it into the sprint.
    consultant = sign_in(world.consultant.email, PASSWORD)
    consultant.goto(f"{live_server.url}{reverse('sprints', args=[engagement.public_id])}")
    consultant.get_by_role("link", name="Acceptance testing").click()
    item = consultant.locator("article.feedback").filter(has_text="Deal conversion")
    expect(item).to_contain_text("Rita Rep")
    expect(item).to_contain_text("Awaiting triage")
    item.locator("summary", has_text="Triage").click()
    item.get_by_label("Accept into a sprint").check()
    item.get_by_label("Sprint that takes it (accept)").select_option(label="Pipeline sprint")
    item.get_by_role("button", name="Save triage").click()
    expect(consultant.locator("ul.messages")).to_contain_text(
        "“Deal conversion” triaged: Accepted into a sprint."
    )
    assert Feedback.unscoped.get().triage == "accepted"

    # The new deliverable is on that sprint's board.
    consultant.locator("article.feedback").filter(has_text="Deal conversion").get_by_role(
        "link", name="Pipeline sprint"
    ).click()
    expect(consultant.get_by_role("heading", name="Pipeline sprint", exact=False)).to_be_visible()
    to_do = consultant.locator("section.board-column").filter(
        has=consultant.get_by_role("heading", name="To do")
    )
    expect(to_do).to_contain_text("UAT: Bug — Deal conversion")

    # The rep reloads the portal and sees the outcome.
    rep.reload()
    mine = rep.get_by_role("listitem").filter(has_text="Deal conversion")
    expect(mine).to_contain_text("Outcome: accepted into Pipeline sprint.")
