"""Issue 13, end to end: the approver signs in, sees the sign-off waiting at the top of the
portal home, goes straight to the decision form, approves; the card is gone, and the
consultant's My work no longer waits on them."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from engagements.phases import Phase
from engagements.services import signoffs
from engagements.tenancy import tenant_scope
from tests.builders import ready_charter
from tests.factories import PASSWORD


def test_the_approver_acts_on_what_waits_and_the_card_is_gone(world, live_server, sign_in):
    world.approver.set_password(PASSWORD)
    world.approver.save()
    ready_charter(world)
    with tenant_scope(world.firm_a):
        signoffs.signoff_request_create(
            engagement=world.engagement,
            phase=Phase.ONBOARDING,
            actor=world.consultant,
            due_date=timezone.localdate() + timedelta(days=2),
        )

    page = sign_in(world.approver.email, PASSWORD)
    page.goto(f"{live_server.url}/portal/")
    waiting = page.get_by_role("region", name="Waiting on you")
    card = waiting.get_by_role("article", name="Sign off Onboarding & Alignment")
    expect(card).to_be_visible()
    expect(card.get_by_text("Due")).to_be_visible()

    # Keyboard: the card's action is reachable, and lands on the decision form.
    card.get_by_role("button", name="Review and decide").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        f"{live_server.url}/portal/engagements/{world.engagement.public_id}/onboarding/#decide"
    )
    decide = page.locator("#decide")
    expect(decide).to_be_in_viewport()
    decide.get_by_label("Type your full name to approve").fill("Vera Vice")
    decide.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("You approved Onboarding & Alignment")).to_be_visible()

    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("article", name="Sign off Onboarding & Alignment")).to_have_count(0)
    expect(page.get_by_text("Nothing is waiting on you right now")).to_be_visible()

    consultant = page.context.browser.new_context().new_page()
    consultant.goto(f"{live_server.url}/accounts/login/")
    consultant.get_by_label("Email").fill(world.consultant.email)
    consultant.get_by_label("Password").fill(PASSWORD)
    consultant.get_by_role("button", name="Sign in").click()
    consultant.get_by_role("link", name="My work").click()
    expect(consultant.get_by_role("heading", name="My work")).to_be_visible()
    expect(consultant.get_by_text("Waiting on Vera Vice")).to_have_count(0)
