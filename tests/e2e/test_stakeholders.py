"""A consultant manages an engagement's stakeholders inline, in a real browser."""

from playwright.sync_api import expect

from engagements.models import Stakeholder
from tests.factories import PASSWORD


def test_a_consultant_adds_edits_and_removes_stakeholders_inline(world, live_server, sign_in):
    page = sign_in(world.consultant.email, PASSWORD)
    page.get_by_role("link", name="Xylo sales system").click()
    expect(page.get_by_role("heading", name="Xylo sales system")).to_be_visible()
    stakeholders = page.locator("#stakeholders")

    # A duplicate email is refused in place, and what was typed stays.
    page.get_by_text("Add a stakeholder").click()
    stakeholders.get_by_label("Name").fill("Olga Ops")
    stakeholders.get_by_label("Email").fill(world.rep_stakeholder.email)
    stakeholders.get_by_label("Role").select_option("ops")
    stakeholders.get_by_role("button", name="Add stakeholder").click()
    expect(stakeholders.get_by_text("is already a stakeholder on this engagement")).to_be_visible()
    expect(stakeholders.get_by_label("Name")).to_have_value("Olga Ops")

    stakeholders.get_by_label("Email").fill("olga@xylo.example")
    stakeholders.get_by_role("button", name="Add stakeholder").click()
    expect(stakeholders.get_by_role("cell", name="olga@xylo.example")).to_be_visible()
    assert page.url.endswith(f"/engagements/{world.engagement.public_id}/")  # no reload

    # Edit inline: the row becomes a form, then the saved row.
    stakeholders.get_by_role("link", name="Edit Olga Ops").click()
    edit_form = page.get_by_role("form", name="Edit Olga Ops")
    edit_form.get_by_label("Title").fill("Head of RevOps")
    edit_form.get_by_role("button", name="Save").click()
    expect(stakeholders.get_by_role("cell", name="Head of RevOps")).to_be_visible()

    # Remove asks first; dismissing keeps the row, accepting removes it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    stakeholders.get_by_role("link", name="Remove Olga Ops").click()
    expect(stakeholders.get_by_role("cell", name="olga@xylo.example")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    stakeholders.get_by_role("link", name="Remove Olga Ops").click()
    expect(stakeholders.get_by_role("cell", name="olga@xylo.example")).to_have_count(0)
    assert not Stakeholder.unscoped.filter(email="olga@xylo.example").exists()
