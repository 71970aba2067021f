"""The portfolio in a real browser: a consultant sees which engagements are stuck, filters to the
overdue ones without a reload, and the page stays readable on a phone (each engagement becomes a
card; the page itself never scrolls sideways)."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from engagements.models import Engagement, Milestone, SignoffRequest
from engagements.phases import Phase
from tests.factories import PASSWORD, EngagementFactory, StakeholderFactory


def _portfolio(world) -> None:
    now = timezone.now()
    today = timezone.localdate()
    overdue = EngagementFactory(
        client=world.client_x, name="Xylo CPQ rollout", lead_consultant=world.consultant
    )
    dana = StakeholderFactory(engagement=overdue, name="Dana Decider", is_approver=True)
    SignoffRequest.unscoped.create(
        firm=world.firm_a,
        engagement=overdue,
        phase=Phase.ONBOARDING,
        snapshot={},
        digest="x",
        approver_ids=[dana.pk],
        due_date=today - timedelta(days=3),
    )
    Engagement.unscoped.filter(pk=overdue.pk).update(phase_entered_at=now - timedelta(days=9))
    stalled = EngagementFactory(
        client=world.client_y,
        name="Yonder data migration with a rather long engagement name",
        current_phase=Phase.BUILD,
    )
    Engagement.unscoped.filter(pk=stalled.pk).update(phase_entered_at=now - timedelta(days=44))
    Milestone.unscoped.create(
        firm=world.firm_a,
        engagement=stalled,
        phase=Phase.BUILD,
        title="UAT complete",
        due_date=today - timedelta(days=6),
    )


def test_the_consultant_reads_and_filters_the_portfolio(world, live_server, page: Page, tmp_path):
    """Screenshots of both widths are left in the test's tmp_path, to look at."""
    _portfolio(world)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(world.consultant.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/workspace/")
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
    page.get_by_role("link", name="Portfolio", exact=True).click()

    expect(page.get_by_role("heading", name="Portfolio", exact=True)).to_be_visible()
    rows = page.locator("table.portfolio tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Sign-off overdue")
    expect(rows.first).to_contain_text("waiting on Dana Decider")
    expect(rows.nth(1)).to_contain_text("Stalled: 44 days in Build, Test & Optimize")
    expect(page.locator("figure.chart svg")).to_be_visible()
    page.screenshot(path=tmp_path / "portfolio-desktop.png", full_page=True)

    page.get_by_label("Overdue sign-offs").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Xylo CPQ rollout")
    assert "overdue=on" in page.url

    page.set_viewport_size({"width": 375, "height": 800})
    page.get_by_label("Overdue sign-offs").uncheck()
    expect(rows).to_have_count(4)
    page.screenshot(path=tmp_path / "portfolio-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # each engagement is a card: its gate is on screen, not in a column scrolled out of view
    gate = rows.first.locator("td.gate")
    gate.scroll_into_view_if_needed()
    expect(gate).to_be_in_viewport()
    assert gate.evaluate("el => el.getBoundingClientRect().right <= window.innerWidth")
