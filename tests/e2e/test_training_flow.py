"""Phase 6, end to end: a client rep signs in to the portal, opens the module assigned to them,
reads it, answers its quiz — first leaving a question out (told which, the answer given kept),
then failing, then passing — and sees the module completed and their progress move; the
consultant, in their own browser, sees it in the training matrix."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect

from enablement.models import QuizAttempt, TrainingAssignment
from enablement.services import training as services
from engagements.tenancy import tenant_scope
from tests.enablement.training_builders import PASSWORD, client_user, in_enablement
from tests.factories import PASSWORD as STAFF_PASSWORD

REP_EMAIL = "rita@xylo.example"


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _rep_with_training(world):
    """Rita, a rep with portal access, with the suggested pipeline module (two questions, both
    first-choice right answers: "When its exit criteria are met", "A dated next step") and a
    short module to read, both assigned to every rep."""
    in_enablement(world)
    with tenant_scope(world.firm_a):
        _, stakeholder = client_user(world, name="Rita Rep", email=REP_EMAIL)
        module = services.module_add_suggested(
            engagement=world.engagement, actor=world.consultant, key="rep-pipeline"
        )
        services.module_add_suggested(
            engagement=world.engagement, actor=world.consultant, key="rep-find"
        )
        services.training_assign(engagement=world.engagement, actor=world.consultant, role="rep")
    return module, stakeholder


def _sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_client_rep_takes_a_module_in_the_portal(world, live_server, browser: Browser):
    module, stakeholder = _rep_with_training(world)
    rep = browser.new_context().new_page()
    _sign_in(rep, live_server.url, REP_EMAIL, PASSWORD)

    # From the engagement, to Phase 6, to their training.
    rep.goto(f"{live_server.url}{reverse('portal_enablement', args=[world.engagement.public_id])}")
    expect(rep.get_by_text("0 of 2 modules completed")).to_be_visible()
    rep.get_by_role("link", name="Manage your pipeline").click()
    expect(rep.get_by_role("heading", level=1, name="Manage your pipeline")).to_be_visible()
    expect(rep.get_by_role("heading", name="Do this every day")).to_be_visible()

    # Each question is a named group of radio buttons; one is left out.
    first = rep.get_by_role(
        "group", name="Question 1 of 2: When do you move a deal to the next stage?"
    )
    second = rep.get_by_role("group", name="Question 2 of 2: What does every open deal need?")
    first.get_by_role("radio", name="When its exit criteria are met").check()
    rep.get_by_role("button", name="Submit my answers").click()
    expect(rep.get_by_role("alert")).to_contain_text("question 2 is not answered yet")
    expect(first.get_by_role("radio", name="When its exit criteria are met")).to_be_checked()
    expect(second).to_have_attribute("aria-invalid", "true")

    # A wrong answer: not passed, told what to read again.
    second.get_by_role("radio", name="A discount").check()
    rep.get_by_role("button", name="Submit my answers").click()
    expect(rep.get_by_text("You scored 50%; the pass mark is 80%")).to_be_visible()
    expect(rep.get_by_text("Read the module again for question 2")).to_be_visible()

    # Keyboard only: Space picks the focused answer, then submit.
    rep.get_by_role("radio", name="When its exit criteria are met").focus()
    rep.keyboard.press("Space")
    rep.get_by_role("radio", name="A dated next step").check()
    rep.get_by_role("button", name="Submit my answers again").click()
    expect(
        rep.get_by_text("You passed with 100% — “Manage your pipeline” is completed.")
    ).to_be_visible()
    expect(rep.get_by_role("status").filter(has_text="Completed on")).to_be_visible()

    # Back to their training: progress moved.
    rep.get_by_role("link", name="Back to your training").first.click()
    expect(rep.get_by_text("1 of 2 modules completed")).to_be_visible()
    assignment = TrainingAssignment.unscoped.get(module=module, stakeholder=stakeholder)
    assert assignment.completed_at is not None
    assert list(
        QuizAttempt.unscoped.filter(assignment=assignment)
        .order_by("id")
        .values_list("score", flat=True)
    ) == [50, 100]

    # The consultant sees it in the training matrix.
    consultant = browser.new_context().new_page()
    _sign_in(consultant, live_server.url, "bob@alpha.example", STAFF_PASSWORD)
    consultant.goto(
        f"{live_server.url}{reverse('training_matrix', args=[world.engagement.public_id])}"
    )
    row = consultant.get_by_role("row", name="Rita Rep")
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text("1 of 2")
