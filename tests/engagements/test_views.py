from datetime import date

from django.urls import reverse

from engagements.models import ActivityEvent, Client, Engagement, Stakeholder
from engagements.phases import Phase
from tests.factories import EngagementFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _detail(world) -> str:
    return reverse("engagement_detail", args=[world.engagement.public_id])


# --- dashboard -------------------------------------------------------------------------------


def test_the_dashboard_lists_engagements_with_their_phase_progress(as_consultant, world):
    body = as_consultant.get(reverse("dashboard")).content.decode()
    assert "Xylo sales system" in body and "Yonder rollout" in body
    assert 'aria-current="step"' in body
    assert "Beta secret deal" not in body


def test_the_dashboard_filters_by_client_and_phase(as_consultant, world):
    EngagementFactory(client=world.client_x, name="Xylo launch", current_phase=Phase.LAUNCH)
    by_client = as_consultant.get(reverse("dashboard"), {"client": world.client_y.public_id})
    assert "Yonder rollout" in by_client.content.decode()
    assert "Xylo sales system" not in by_client.content.decode()
    by_phase = as_consultant.get(reverse("dashboard"), {"phase": "launch"})
    assert "Xylo launch" in by_phase.content.decode()
    assert "Xylo sales system" not in by_phase.content.decode()


def test_the_dashboard_filter_answers_htmx_with_only_the_results(as_consultant, world):
    response = as_consultant.get(reverse("dashboard"), {"phase": "onboarding"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="engagement-results"')
    assert "<nav" not in body


def test_a_filter_that_matches_nothing_says_so(as_consultant, world):
    body = as_consultant.get(reverse("dashboard"), {"phase": "closed"}).content.decode()
    assert "No engagement matches these filters" in body


def test_an_empty_firm_sees_how_to_start(world):
    from tests.conftest import signed_in

    body = signed_in(world.consultant_b).get(reverse("dashboard")).content.decode()
    assert "Beta secret deal" in body  # firm B has one engagement
    Engagement.unscoped.filter(firm=world.firm_b).delete()
    body = signed_in(world.consultant_b).get(reverse("dashboard")).content.decode()
    assert "No engagements yet" in body


def test_the_dashboard_paginates(as_consultant, world):
    EngagementFactory.create_batch(25, client=world.client_x)
    first = as_consultant.get(reverse("dashboard")).content.decode()
    assert "Page 1 of 2" in first
    second = as_consultant.get(reverse("dashboard"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in second


# --- clients ---------------------------------------------------------------------------------


def test_a_consultant_adds_a_client(as_consultant, world):
    response = as_consultant.post(reverse("client_list"), {"name": "Zeta Labs", "industry": "SaaS"})
    assert response.status_code == 302
    assert Client.unscoped.get(name="Zeta Labs").firm == world.firm_a


def test_a_duplicate_client_name_is_refused_and_the_input_kept(as_consultant, world):
    response = as_consultant.post(
        reverse("client_list"), {"name": "xylo corp", "industry": "Retail"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "already exists" in body
    assert 'value="Retail"' in body
    assert Client.unscoped.filter(firm=world.firm_a).count() == 2


def test_a_client_name_is_required(as_consultant, world):
    response = as_consultant.post(reverse("client_list"), {"name": "", "website": "nope"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required" in body and "Enter a valid URL" in body


def test_the_same_client_name_may_exist_in_another_firm(world):
    from tests.conftest import signed_in

    response = signed_in(world.consultant_b).post(reverse("client_list"), {"name": "Xylo Corp"})
    assert response.status_code == 302


# --- engagements -----------------------------------------------------------------------------


def test_a_consultant_creates_an_engagement_and_it_is_on_the_timeline(as_consultant, world):
    response = as_consultant.post(
        reverse("engagement_create"),
        {
            "client": world.client_x.pk,
            "name": "New CRM",
            "status": "active",
            "start_date": "2026-12-01",
        },
    )
    engagement = Engagement.unscoped.get(name="New CRM")
    assert response.url == reverse("engagement_detail", args=[engagement.public_id])
    assert (engagement.firm, engagement.current_phase) == (world.firm_a, Phase.ONBOARDING)
    assert ActivityEvent.unscoped.filter(engagement=engagement, kind="engagement_created").exists()


def test_a_target_before_the_start_is_refused_and_the_input_kept(as_consultant, world):
    response = as_consultant.post(
        reverse("engagement_create"),
        {
            "client": world.client_x.pk,
            "name": "Backwards",
            "status": "active",
            "start_date": "2026-12-01",
            "target_date": "2026-11-01",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot be before the start date" in body
    assert 'value="Backwards"' in body and 'value="2026-11-01"' in body
    assert not Engagement.unscoped.filter(name="Backwards").exists()


def test_an_engagement_cannot_be_given_another_firms_client(as_consultant, world):
    other_client = Client.unscoped.filter(firm=world.firm_b).first()
    response = as_consultant.post(
        reverse("engagement_create"),
        {"client": other_client.pk, "name": "Sneaky", "status": "active"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_with_no_clients_the_new_engagement_page_says_to_add_one_first(world):
    from tests.conftest import signed_in

    Engagement.unscoped.filter(firm=world.firm_b).delete()
    Client.unscoped.filter(firm=world.firm_b).delete()
    body = signed_in(world.consultant_b).get(reverse("engagement_create")).content.decode()
    assert "Add a client first" in body


def test_editing_an_engagement_records_what_changed(as_consultant, world):
    url = reverse("engagement_edit", args=[world.engagement.public_id])
    response = as_consultant.post(
        url,
        {
            "client": world.client_x.pk,
            "name": "Renamed",
            "status": "on_hold",
            "target_date": "2027-06-30",
        },
    )
    assert response.status_code == 302
    engagement = Engagement.unscoped.get(pk=world.engagement.pk)
    assert (engagement.name, engagement.status, engagement.target_date) == (
        "Renamed",
        "on_hold",
        date(2027, 6, 30),
    )
    event = ActivityEvent.unscoped.filter(engagement=engagement, kind="engagement_updated").get()
    assert "name" in event.message and "status" in event.message


# --- stakeholders inline ---------------------------------------------------------------------


def _stakeholder_data(**overrides) -> dict:
    return {
        "name": "Olga Ops",
        "email": "olga@xylo.example",
        "title": "RevOps",
        "role": "ops",
        **overrides,
    }


def test_adding_a_stakeholder_with_htmx_returns_the_section_with_the_new_row(as_consultant, world):
    url = reverse("stakeholder_add", args=[world.engagement.public_id])
    response = as_consultant.post(url, _stakeholder_data(), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="stakeholders"')
    assert "olga@xylo.example" in body
    stakeholder = Stakeholder.unscoped.get(email="olga@xylo.example")
    assert stakeholder.firm == world.firm_a and stakeholder.engagement == world.engagement


def test_a_duplicate_stakeholder_email_is_shown_in_place_with_the_input_kept(as_consultant, world):
    url = reverse("stakeholder_add", args=[world.engagement.public_id])
    data = _stakeholder_data(email=world.rep_stakeholder.email.upper(), name="Typed Name")
    response = as_consultant.post(url, data, **HTMX)
    body = response.content.decode()
    assert "is already a stakeholder on this engagement" in body
    assert 'value="Typed Name"' in body
    assert "<details open" in body
    assert Stakeholder.unscoped.filter(engagement=world.engagement).count() == 2


def test_a_stakeholder_without_htmx_gets_the_full_page_with_errors(as_consultant, world):
    url = reverse("stakeholder_add", args=[world.engagement.public_id])
    response = as_consultant.post(url, _stakeholder_data(email="not-an-email", role="astronaut"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address" in body and "Select a valid choice" in body
    assert "<html" in body


def test_an_approver_always_has_portal_access(as_consultant, world):
    url = reverse("stakeholder_add", args=[world.engagement.public_id])
    as_consultant.post(url, _stakeholder_data(is_approver="on"))
    assert Stakeholder.unscoped.get(email="olga@xylo.example").has_portal_access


def test_editing_a_stakeholder_inline_returns_the_form_row_then_the_saved_row(as_consultant, world):
    url = reverse(
        "stakeholder_edit", args=[world.engagement.public_id, world.rep_stakeholder.public_id]
    )
    form_row = as_consultant.get(url, **HTMX).content.decode()
    assert form_row.lstrip().startswith("<tr") and 'value="Ray Rep"' in form_row
    saved = as_consultant.post(
        url, _stakeholder_data(name="Ray Renamed", email="ray@xylo.example"), **HTMX
    )
    assert "Ray Renamed" in saved.content.decode() and "<form" in saved.content.decode()
    assert Stakeholder.unscoped.get(pk=world.rep_stakeholder.pk).name == "Ray Renamed"


def test_an_invalid_inline_edit_keeps_the_typed_input(as_consultant, world):
    url = reverse(
        "stakeholder_edit", args=[world.engagement.public_id, world.rep_stakeholder.public_id]
    )
    response = as_consultant.post(
        url, _stakeholder_data(name="Kept", email=world.approver.email), **HTMX
    )
    body = response.content.decode()
    assert "is already a stakeholder" in body and 'value="Kept"' in body
    assert Stakeholder.unscoped.get(pk=world.rep_stakeholder.pk).name == "Ray Rep"


def test_removing_a_stakeholder_asks_first_then_removes(as_consultant, world):
    url = reverse(
        "stakeholder_delete", args=[world.engagement.public_id, world.rep_stakeholder.public_id]
    )
    confirm = as_consultant.get(url)
    assert "Remove Ray Rep?" in confirm.content.decode()
    assert Stakeholder.unscoped.filter(pk=world.rep_stakeholder.pk).exists()
    as_consultant.post(url)
    assert not Stakeholder.unscoped.filter(pk=world.rep_stakeholder.pk).exists()
    assert ActivityEvent.unscoped.filter(
        engagement=world.engagement, kind="stakeholder_removed"
    ).exists()


def test_the_remove_button_asks_for_confirmation_in_the_browser(as_consultant, world):
    body = as_consultant.get(_detail(world)).content.decode()
    assert 'hx-confirm="Remove Ray Rep from this engagement?"' in body


def test_inviting_a_stakeholder_who_already_joined_is_refused_with_a_message(as_consultant, world):
    url = reverse(
        "stakeholder_invite",
        args=[world.engagement.public_id, world.approver_stakeholder.public_id],
    )
    response = as_consultant.post(url, follow=True)
    assert "already has portal access" in response.content.decode()


# --- portal ----------------------------------------------------------------------------------


def test_the_portal_shows_the_client_their_engagements_with_the_six_phases(as_approver, world):
    body = as_approver.get(reverse("portal_home")).content.decode()
    assert "Xylo sales system" in body
    for label in (
        "Onboarding &amp; Alignment",
        "Diagnostic Workshops",
        "Enablement &amp; Ongoing Support",
    ):
        assert label in body


def test_the_portal_engagement_page_shows_the_client_their_role(as_approver, world):
    body = as_approver.get(
        reverse("portal_engagement", args=[world.engagement.public_id])
    ).content.decode()
    assert "you approve each phase" in body
    assert "Ray Rep" in body


def test_a_client_user_with_no_engagements_sees_an_empty_state(world):
    from tests.conftest import signed_in

    Stakeholder.unscoped.filter(user=world.other_client_user).delete()
    body = signed_in(world.other_client_user).get(reverse("portal_home")).content.decode()
    assert "You are not on any engagement yet" in body


def test_an_unknown_page_shows_a_clear_404(as_consultant):
    response = as_consultant.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
