"""Phase 2, end to end: the consultant plans and holds a session, turns what was said into a
finding and a recommendation, renders the report and sends it; the client approver downloads it
from the portal and signs the phase off."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import Page, expect

from diagnostics import services
from diagnostics.models import ReportVersion, WorkshopGroup
from engagements.models import Engagement, Role, StakeholderRole
from engagements.phases import Phase
from engagements.services.charter import charter_item_create
from engagements.tenancy import tenant_scope
from tests.factories import PASSWORD, EngagementFactory, MembershipFactory, StakeholderFactory

APPROVER_PASSWORD = "a-long-approver-phrase"
ANSWER = "Every deal waits two days for a manager to approve the discount."
RENDER_TIMEOUT = 60_000  # ms: with eager tasks the PDF is built during the request


@pytest.fixture(autouse=True)
def _reports_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _engagement_in_the_diagnostic_phase(world) -> Engagement:
    engagement = EngagementFactory(
        client=world.client_x, name="Acme CRM redesign", lead_consultant=world.consultant
    )
    approver = MembershipFactory(
        firm=world.firm_a,
        role=Role.CLIENT,
        client=world.client_x,
        user__email="dana@xylo.example",
        user__full_name="Dana Approver",
    ).user
    approver.set_password(APPROVER_PASSWORD)
    approver.save()
    for name, email, role in [
        ("Dana Approver", "dana@xylo.example", StakeholderRole.LEADERSHIP),
        ("Mo Manager", "mo@xylo.example", StakeholderRole.MANAGER),
        ("Rita Rep", "rita@xylo.example", StakeholderRole.REP),
        ("Otto Ops", "otto@xylo.example", StakeholderRole.OPS),
    ]:
        is_approver = role == StakeholderRole.LEADERSHIP
        StakeholderFactory(
            engagement=engagement,
            name=name,
            email=email,
            role=role,
            is_approver=is_approver,
            has_portal_access=is_approver,
            user=approver if is_approver else None,
        )
    with tenant_scope(world.firm_a):
        charter_item_create(
            engagement=engagement,
            actor=world.consultant,
            section="tools",
            data={"name": "HubSpot", "category": "crm", "monthly_cost": 900, "seats": 25},
        )
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=Phase.DIAGNOSTIC)
    engagement.refresh_from_db()
    return engagement


def _hold_the_other_sessions(world, engagement: Engagement) -> None:
    """The manager, ops and leadership sessions, held, through the services (to save time)."""
    with tenant_scope(world.firm_a):
        for group in (WorkshopGroup.MANAGER, WorkshopGroup.OPS, WorkshopGroup.LEADERSHIP):
            workshop = services.workshop_create(
                engagement=engagement,
                actor=world.consultant,
                title=f"{group.label} session",
                group=group,
                objective="Hear how the work is really done.",
            )
            services.workshop_capture(
                workshop=workshop,
                actor=world.consultant,
                notes="Notes.",
                decisions="",
                answers={},
                complete=True,
            )


def _message(page: Page):
    return page.locator("ul.messages")


def test_phase_two_goes_from_a_workshop_to_a_signed_off_report_through_the_browser(
    world, live_server, sign_in, browser
):
    engagement = _engagement_in_the_diagnostic_phase(world)
    consultant = sign_in(world.consultant.email, PASSWORD)
    consultant.goto(f"{live_server.url}/workspace/engagements/{engagement.public_id}/")
    consultant.get_by_role("link", name="Diagnostic Workshops").click()
    expect(consultant.get_by_role("heading", name="Phase 2 · Diagnostic Workshops")).to_be_visible()

    # The consultant plans the reps' session and opens its capture sheet.
    plan = consultant.get_by_role("region", name="Plan a session")
    plan.get_by_label("Title").fill("Rep pipeline deep-dive")
    plan.get_by_label("Group").select_option(label="Reps")
    plan.get_by_label("Objective").fill("Walk through the last five deals.")
    plan.get_by_label("Rita Rep").check()
    plan.get_by_role("button", name="Plan session").click()
    expect(_message(consultant)).to_contain_text("“Rep pipeline deep-dive” planned")
    expect(consultant.get_by_role("heading", name="Capture sheet")).to_be_visible()
    expect(consultant.get_by_text("Rita Rep (Rep)")).to_be_visible()

    # ... types what a rep said, saves and marks the session held.
    consultant.get_by_label("Walk us through your last deal").fill(ANSWER)
    consultant.get_by_role("button", name="Save and mark the session held").click()
    expect(_message(consultant)).to_contain_text("Session output saved.")
    expect(consultant.get_by_role("heading", name="Rep pipeline deep-dive")).to_contain_text(
        "Completed"
    )

    # The answer becomes a finding, saved as High.
    evidence = consultant.locator("ul.evidence li", has_text=ANSWER)
    evidence.get_by_role("button", name="→ Finding").click()
    expect(consultant.get_by_role("heading", name=f"Finding: {ANSWER}")).to_be_visible()
    expect(consultant.get_by_label("Evidence (a quote)")).to_have_value(ANSWER)
    consultant.get_by_label("Severity").select_option(label="High")
    consultant.get_by_label("HubSpot").check()
    consultant.get_by_role("button", name="Save finding").click()
    expect(_message(consultant)).to_contain_text("Finding saved.")
    row = consultant.get_by_role("row").filter(has_text=ANSWER)
    expect(row).to_contain_text("High")

    _hold_the_other_sessions(world, engagement)

    # A recommendation linked to the finding.
    consultant.get_by_role("link", name="Report").click()
    consultant.get_by_text("Add a recommendation").click()
    consultant.get_by_label("Title").fill("Let reps approve standard discounts")
    consultant.get_by_label(ANSWER).check()
    consultant.get_by_role("button", name="Add recommendation").click()
    expect(_message(consultant)).to_contain_text("Recommendation added.")
    recommendations = consultant.get_by_role("region", name="Preliminary recommendations")
    expect(recommendations).to_contain_text("Let reps approve standard discounts")
    expect(recommendations).to_contain_text(f"Because of: {ANSWER}")

    # The report renders: a progress bar while it works, then the download link.
    consultant.get_by_role("button", name="Render a new version").click()
    download_link = consultant.get_by_role("link", name="Download PDF")
    expect(consultant.locator("progress").or_(download_link).first).to_be_visible(
        timeout=RENDER_TIMEOUT
    )
    expect(download_link).to_be_visible(timeout=RENDER_TIMEOUT)
    expect(consultant.locator("progress")).to_have_count(0)
    expect(consultant.locator("article.report-version")).to_contain_text("Diagnostic report v1")

    # ... and goes to the approver.
    send = consultant.get_by_role("form", name="Send v1 by email")
    send.get_by_label("Dana Approver").check()
    send.get_by_role("button", name="Send report v1").click()
    expect(_message(consultant)).to_contain_text("Diagnostic report v1 is on its way to 1 person")
    deliveries = consultant.get_by_role("table", name="Deliveries of report v1")
    expect(deliveries.get_by_role("row").filter(has_text="dana@xylo.example")).to_contain_text(
        "Sent"
    )

    # Every check passes: the consultant asks for sign-off.
    expect(consultant.locator(".checklist .failing")).to_have_count(0)
    consultant.get_by_role("button", name="Request sign-off").click()
    expect(_message(consultant)).to_contain_text("Sign-off requested")

    # The approver signs in, downloads v1 from the portal and approves.
    approver = browser.new_context().new_page()
    approver.goto(f"{live_server.url}/accounts/login/")
    approver.get_by_label("Email").fill("dana@xylo.example")
    approver.get_by_label("Password").fill(APPROVER_PASSWORD)
    approver.get_by_role("button", name="Sign in").click()
    approver.goto(f"{live_server.url}/portal/engagements/{engagement.public_id}/")
    approver.get_by_role("link", name="Diagnostic Workshops").click()
    expect(approver.get_by_role("heading", name="Phase 2 · Diagnostic Workshops")).to_be_visible()
    expect(approver.get_by_text("Let reps approve standard discounts")).to_be_visible()
    with approver.expect_download() as downloading:
        approver.get_by_role("link", name="Download the report v1").click()
    download = downloading.value
    assert download.suggested_filename == "diagnostic-report-v1.pdf"
    version = ReportVersion.unscoped.get(engagement=engagement)
    with default_storage.open(version.file, "rb") as stored:
        assert Path(download.path()).read_bytes() == stored.read()

    approver.get_by_label("Type your full name to approve").fill("Dana Approver")
    approver.get_by_role("button", name="Approve").click()
    expect(_message(approver)).to_contain_text("You approved Diagnostic Workshops")

    # The consultant sees the phase signed off, and read-only.
    consultant.reload()
    expect(consultant.locator("#gate-panel .badge")).to_have_text("Signed off")
    expect(consultant.get_by_text("Signed off — read-only.")).to_be_visible()
    expect(consultant.get_by_text("Add a recommendation")).to_have_count(0)
