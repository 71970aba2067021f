"""Issue 3, end to end: a consultant fills the charter and requests sign-off; the client approver
accepts the invitation, reviews and rejects with a reason; the consultant fixes it and asks
again; the approver approves; the engagement advances to the diagnostic phase."""

import re

from django.core import mail
from playwright.sync_api import Page, expect

from engagements.models import Engagement, StakeholderRole
from engagements.phases import WORKING_PHASES, Phase
from tests.factories import PASSWORD, EngagementFactory, StakeholderFactory

APPROVER_PASSWORD = "a-long-approver-phrase"


def _engagement_with_stakeholders(world) -> Engagement:
    engagement = EngagementFactory(
        client=world.client_x, name="Acme CRM redesign", lead_consultant=world.consultant
    )
    for name, email, role, approver in [
        ("Dana Approver", "dana@xylo.example", StakeholderRole.LEADERSHIP, True),
        ("Mo Manager", "mo@xylo.example", StakeholderRole.MANAGER, False),
        ("Rita Rep", "rita@xylo.example", StakeholderRole.REP, False),
        ("Otto Ops", "otto@xylo.example", StakeholderRole.OPS, False),
    ]:
        StakeholderFactory(
            engagement=engagement, name=name, email=email, role=role, is_approver=approver
        )
    return engagement


def _add(page: Page, section: str, fields: dict[str, str], selects: dict[str, str] | None = None):
    region = page.locator(f"#section-{section}")
    region.locator("summary").click()
    form = region.get_by_role("form")
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    for label, value in (selects or {}).items():
        form.get_by_label(label).select_option(value)
    form.get_by_role("button", name="Add", exact=True).click()
    expect(form).to_be_hidden()  # htmx swapped in the refreshed section
    return page.locator(f"#section-{section}")


def _link_in_mail(to: str, pattern: str) -> str:
    for message in reversed(mail.outbox):
        if to in message.to and (match := re.search(pattern, message.body)):
            return match.group(0)
    raise AssertionError(f"no email to {to} with {pattern}")


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_phase_one_goes_from_charter_to_signed_off_through_the_browser(
    world, live_server, sign_in, browser
):
    engagement = _engagement_with_stakeholders(world)
    consultant = sign_in(world.consultant.email, PASSWORD)
    consultant.goto(f"{live_server.url}/workspace/engagements/{engagement.public_id}/")
    consultant.get_by_role("link", name="Onboarding & Alignment").click()
    expect(
        consultant.get_by_role("heading", name="Phase 1 · Onboarding & Alignment")
    ).to_be_visible()
    request_button = consultant.get_by_role("button", name="Request sign-off")
    expect(request_button).to_be_disabled()

    # The consultant fills the charter.
    consultant.get_by_label("What this project is really about").fill(
        "Redesigning how the team sells, from first touch to renewal."
    )
    consultant.get_by_role("button", name="Save charter").click()
    expect(consultant.get_by_text("Saved.")).to_be_visible()
    metrics = _add(
        consultant,
        "metrics",
        {"Name": "Forecast accuracy", "Unit": "%", "Baseline": "55", "Target": "70"},
    )
    expect(metrics.get_by_role("cell", name="Forecast accuracy", exact=True)).to_be_visible()
    for index, phase in enumerate(WORKING_PHASES):
        _add(
            consultant,
            "milestones",
            {"Title": f"{phase.label} done", "Due date": f"2027-0{index + 1}-15"},
            {"Phase": phase.value},
        )
    expect(consultant.locator("#section-milestones tbody tr")).to_have_count(6)
    meetings = consultant.locator("#section-meetings")
    meetings.locator("summary").click()
    meetings.get_by_label("Name").fill("Weekly steering")
    meetings.get_by_label("Leadership").check()
    meetings.get_by_label("Ops").check()
    meetings.get_by_label("Cadence").select_option("weekly")
    meetings.get_by_label("Channel").fill("Zoom")
    meetings.get_by_role("button", name="Add", exact=True).click()
    expect(meetings.get_by_role("cell", name="Weekly steering", exact=True)).to_be_visible()

    # Every check passes now; the gate panel was refreshed with each addition.
    expect(consultant.locator(".checklist .failing")).to_have_count(0)
    request_button.click()
    expect(consultant.locator("ul.messages")).to_contain_text("Sign-off requested")

    # The approver accepts the invitation the request sent, and reviews the charter.
    approver = browser.new_context().new_page()
    invitation = _link_in_mail("dana@xylo.example", r"https?://\S+/invitations/\S+/")
    approver.goto(live_server.url + _path(invitation))
    approver.get_by_label("Choose a password").fill(APPROVER_PASSWORD)
    approver.get_by_label("Repeat the password").fill(APPROVER_PASSWORD)
    approver.get_by_role("button", name="Set password and continue").click()
    review = _link_in_mail("dana@xylo.example", r"https?://\S+/portal/engagements/\S+/onboarding/")
    approver.goto(live_server.url + _path(review))
    expect(approver.get_by_role("cell", name="Forecast accuracy", exact=True)).to_be_visible()

    # ... and rejects it with a reason.
    approver.get_by_text("Reject, with a reason").click()
    approver.get_by_label("Why do you reject it?").fill("The forecast target should be 80%.")
    approver.get_by_role("button", name="Reject").click()
    expect(approver.locator("ul.messages")).to_contain_text("You rejected Onboarding & Alignment")

    # The consultant sees the reason, fixes the target and asks again.
    consultant.reload()
    expect(consultant.get_by_text("The forecast target should be 80%.")).to_be_visible()
    consultant.get_by_role("link", name="Edit Forecast accuracy").click()
    edit = consultant.get_by_role("form", name="Edit Forecast accuracy")
    edit.get_by_label("Target").fill("80")
    edit.get_by_role("button", name="Save").click()
    expect(
        consultant.locator("#section-metrics").get_by_role("cell", name="80 %", exact=True)
    ).to_be_visible()
    consultant.get_by_role("button", name="Request sign-off").click()
    expect(consultant.locator("ul.messages")).to_contain_text("Sign-off requested")

    # The approver approves, typing their full name.
    approver.reload()
    approver.get_by_label("Type your full name to approve").fill("Dana Approver")
    approver.get_by_label("Comment (optional)").fill("Agreed.")
    approver.get_by_role("button", name="Approve").click()
    expect(approver.locator("ul.messages")).to_contain_text("You approved Onboarding & Alignment")

    # The gate has passed: the consultant advances the engagement.
    consultant.reload()
    consultant.get_by_role("button", name="Move the engagement on to the next phase").click()
    expect(consultant.locator("ul.messages")).to_contain_text("moved on to Diagnostic Workshops")
    assert Engagement.unscoped.get(pk=engagement.pk).current_phase == Phase.DIAGNOSTIC
