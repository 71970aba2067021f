"""The Launch page of the client portal: what a client user sees, and reporting an incident."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse

from launch import services
from launch.models import Communication, Incident, LaunchPlan, WaveStatus
from tests.conftest import World, signed_in
from tests.launch.test_services import REPORTED, a_wave, an_incident, decide, enter_launch

INCIDENT = {
    "title": "Quotes will not send",
    "description": "The Send button spins forever on every quote.",
    "category": "automation",
    "severity": "sev2",
}


@pytest.fixture
def launch(firm_a_scope) -> World:
    return enter_launch(firm_a_scope)


def _url(world: World, name: str = "portal_launch") -> str:
    return reverse(name, args=[world.engagement.public_id])


def _visible(response) -> str:
    """The page's text without tags, whitespace collapsed: what a reader sees."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_page_shows_the_cutover_the_waves_mine_and_the_communications_sent(launch):
    services.plan_update(
        engagement=launch.engagement,
        actor=launch.consultant,
        cutover_start=REPORTED,
        cutover_end=REPORTED + timedelta(hours=6),
    )
    pilot = a_wave(launch, members=[launch.approver_stakeholder])
    a_wave(launch, "Wave 2", members=[launch.rep_stakeholder])
    decide(launch, pilot)
    services.item_save(
        engagement=launch.engagement, actor=launch.consultant, model=Communication,
        audience_roles=["rep"], subject="Go-live on Monday", message="Hi", send_at=REPORTED,
    )  # fmt: skip
    services.item_save(
        engagement=launch.engagement, actor=launch.consultant, model=Communication,
        audience_roles=["rep"], subject="Not yet sent", message="Hi", send_at=REPORTED,
        channel="meeting",
    )  # fmt: skip
    services.communications_send_due(now=REPORTED)

    response = signed_in(launch.approver).get(_url(launch))

    assert response.status_code == 200
    text = _visible(response)
    assert "Phase 5 · Launch & Deployment" in text
    assert "Monday 2 Jun 2025, 09:00" in text and "15:00" in text
    assert re.search(r"You are in Pilot ?\.", text)
    assert re.search(r"Pilot Your wave 2 Jun 2025 – 8 Jun 2025 Go", text)
    assert re.search(r"Wave 2 2 Jun 2025 – 8 Jun 2025 Planned", text)
    assert "Go-live on Monday" in text and "Not yet sent" not in text
    assert "You have not reported an incident." in text
    assert 'id="signoff-heading"' in response.content.decode()


def test_the_page_says_what_is_not_planned_yet(launch):
    text = _visible(signed_in(launch.approver).get(_url(launch)))

    assert "The cutover window is not set yet." in text
    assert "No rollout waves are planned yet." in text
    assert "No launch communications have been sent yet." in text


def test_a_client_user_reports_an_incident_and_sees_it_under_their_incidents(launch):
    as_approver = signed_in(launch.approver)

    response = as_approver.post(_url(launch, "portal_incident_report"), INCIDENT)

    assert response.status_code == 302 and response.url == _url(launch)
    incident = Incident.objects.get()
    assert (incident.title, incident.reported_by, incident.severity, incident.status) == (
        "Quotes will not send",
        launch.approver,
        "sev2",
        "open",
    )
    text = _visible(as_approver.get(response.url))
    assert "your incident is reported" in text
    assert re.search(r"Your incidents Quotes will not send Sev 2 — major", text)
    assert "Status: open." in text


def test_the_page_lists_only_the_incidents_i_reported_with_their_status(launch):
    mine = an_incident(launch, title="Login loops", reporter=launch.approver)
    services.incident_update(incident=mine, actor=launch.consultant, status="responded")
    an_incident(launch, title="Consultant's own finding", reporter=launch.consultant)

    text = _visible(signed_in(launch.approver).get(_url(launch)))

    assert "Login loops" in text and "Status: responded." in text
    assert "Consultant's own finding" not in text


def test_a_report_without_a_title_is_refused_and_keeps_what_was_typed(launch):
    response = signed_in(launch.approver).post(
        _url(launch, "portal_incident_report"), {**INCIDENT, "title": ""}
    )

    assert response.status_code == 400
    assert "This field is required." in _visible(response)
    assert "The Send button spins forever on every quote." in response.content.decode()
    assert not Incident.objects.exists()


def test_reporting_needs_a_post(launch):
    response = signed_in(launch.approver).get(_url(launch, "portal_incident_report"))

    assert response.status_code == 405


def test_another_clients_user_gets_404_and_reports_nothing(launch):
    as_other = signed_in(launch.other_client_user)

    assert as_other.get(_url(launch)).status_code == 404
    assert as_other.post(_url(launch, "portal_incident_report"), INCIDENT).status_code == 404
    assert not Incident.objects.exists()


@pytest.mark.parametrize("persona", ["owner", "consultant", "consultant_b"])
def test_firm_users_get_404_on_the_portal_page(launch, persona):
    as_firm_user = signed_in(getattr(launch, persona))

    assert as_firm_user.get(_url(launch)).status_code == 404
    assert as_firm_user.post(_url(launch, "portal_incident_report"), INCIDENT).status_code == 404
    assert not Incident.objects.exists()


def test_a_visitor_is_sent_to_sign_in(launch):
    response = signed_in(None).get(_url(launch))

    assert response.status_code == 302 and "login" in response.url


def test_the_wave_status_shown_is_the_current_one(launch):
    pilot = a_wave(launch, members=[launch.approver_stakeholder])
    services.wave_set_status(wave=pilot, actor=launch.consultant, status=WaveStatus.CANCELLED)

    assert "Cancelled" in _visible(signed_in(launch.approver).get(_url(launch)))
    assert LaunchPlan.objects.count() == 0
