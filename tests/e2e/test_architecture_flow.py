"""Phase 3, end to end: two client stakeholders score the vendors in the portal, each in their
own browser; the consultant then sees the combined ranking, the evaluators' spread and how
sensitive the winner is to each weight."""

from playwright.sync_api import Browser, Page, expect

from architecture import services
from architecture.models import DEFAULT_CRITERIA, Evaluation
from engagements.models import Engagement, Role, StakeholderRole
from engagements.phases import Phase
from engagements.tenancy import tenant_scope
from tests.factories import PASSWORD, EngagementFactory, MembershipFactory, StakeholderFactory

CRITERIA = [name for name, _ in DEFAULT_CRITERIA]
# Both score Chorus alike; they disagree on Gong's fit (5 and 3) and budget (1 and 2).
EVALUATORS = {
    "dana@xylo.example": (
        "Dana Approver",
        "dana-long-passphrase",
        {"Gong": [5, 4, 1, 4, 4], "Chorus": [3, 3, 5, 3, 3]},
    ),
    "eli@xylo.example": (
        "Eli Evaluator",
        "eli-long-passphrase",
        {"Gong": [3, 4, 2, 4, 4], "Chorus": [3, 3, 5, 3, 3]},
    ),
}


def _engagement_with_an_evaluation(world) -> tuple[Engagement, Evaluation]:
    """An engagement in the architecture phase; its evaluation of Gong and Chorus on the default
    criteria, with two client stakeholders (each a client user) invited to score it."""
    engagement = EngagementFactory(
        client=world.client_x, name="Acme CRM redesign", lead_consultant=world.consultant
    )
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=Phase.ARCHITECTURE)
    engagement.refresh_from_db()
    stakeholders = []
    for email, (name, password, _) in EVALUATORS.items():
        user = MembershipFactory(
            firm=world.firm_a,
            role=Role.CLIENT,
            client=world.client_x,
            user__email=email,
            user__full_name=name,
        ).user
        user.set_password(password)
        user.save()
        stakeholders.append(
            StakeholderFactory(
                engagement=engagement,
                name=name,
                email=email,
                role=StakeholderRole.LEADERSHIP,
                is_approver=email.startswith("dana"),
                has_portal_access=True,
                user=user,
            )
        )
    with tenant_scope(world.firm_a):
        evaluation = services.evaluation_create(
            engagement=engagement, actor=world.consultant, title="Call recording"
        )
        for vendor in ("Gong", "Chorus"):
            services.vendor_add(evaluation=evaluation, actor=world.consultant, name=vendor)
        services.evaluators_set(
            evaluation=evaluation, actor=world.consultant, stakeholders=stakeholders
        )
    return engagement, evaluation


def _message(page: Page):
    return page.locator("ul.messages")


def _score_in_the_portal(browser: Browser, live_server, engagement: Engagement, email: str) -> Page:
    _, password, scores = EVALUATORS[email]
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/portal/engagements/{engagement.public_id}/")
    page.get_by_role("link", name="Systems Architecture").click()
    expect(page.get_by_role("heading", name="Phase 3 · Systems Architecture")).to_be_visible()

    grid = page.get_by_role("form", name="Scores for Call recording")
    for vendor, values in scores.items():
        for criterion, value in zip(CRITERIA, values, strict=True):
            grid.get_by_label(f"{vendor}: {criterion}", exact=True).select_option(str(value))
    grid.get_by_role("button", name="Save scores").click()

    expect(_message(page)).to_contain_text(
        "Thank you — your 10 scores for Call recording are saved."
    )
    grid = page.get_by_role("form", name="Scores for Call recording")
    expect(grid.get_by_label(f"Gong: {CRITERIA[0]}", exact=True)).to_have_value(
        str(scores["Gong"][0])
    )
    return page


def test_two_client_evaluators_score_in_the_portal_and_the_consultant_sees_the_ranking(
    world, live_server, sign_in, browser
):
    engagement, evaluation = _engagement_with_an_evaluation(world)

    for email in EVALUATORS:
        _score_in_the_portal(browser, live_server, engagement, email).context.close()

    consultant = sign_in(world.consultant.email, PASSWORD)
    consultant.goto(
        f"{live_server.url}/workspace/engagements/{engagement.public_id}/architecture/"
        f"evaluations/{evaluation.public_id}/"
    )
    expect(consultant.get_by_role("heading", name="Call recording", exact=True)).to_be_visible()
    ranking = consultant.locator("table.ranking")
    expect(ranking.locator("caption")).to_contain_text("Combined ranking from 2 evaluators.")
    rows = ranking.locator("tbody tr")
    expect(rows).to_have_count(2)
    # Gong: means 4, 4, 1.5, 4, 4 → 3.50; Chorus 3.40.
    expect(rows.nth(0)).to_contain_text("Gong")
    expect(rows.nth(0)).to_contain_text("3.50")
    expect(rows.nth(1)).to_contain_text("Chorus")
    expect(rows.nth(1)).to_contain_text("3.40")
    gong_cells = rows.nth(0).locator("td")
    expect(gong_cells.nth(2)).to_have_text("4.0 ±2")  # fit: 5 and 3
    expect(gong_cells.nth(4)).to_have_text("1.5 ±1")  # budget: 1 and 2
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("3.0 ±0")
    expect(consultant.get_by_role("heading", name="How sensitive is the winner?")).to_be_visible()
    expect(
        consultant.get_by_role("listitem").filter(has_text="Budget (total cost of ownership)")
    ).to_have_text(
        "Budget (total cost of ownership) would have to move from 20.0% to 22.2% of the weight "
        "(+2.2 points) for Chorus to overtake Gong."
    )
