"""The waiting cards across tenants and people: with one item of every kind waiting on firm A's
approver and consultant, nobody else's portal home, portal engagement page or My work shows
any of them."""

import pytest
from django.urls import reverse

from engagements.models import Role
from engagements.phases import Phase
from tests.conftest import signed_in
from tests.engagements.test_waiting_query_counts import loaded
from tests.factories import MembershipFactory, StakeholderFactory

CLIENT_ITEMS = ("Sign off", "Module 0", "Workshop 0", "Test 1 scenario", "Score the vendors")
STAFF_ITEMS = ("Waiting on Vera Vice", "Step 0", "Incident 0", "Alert 0")


@pytest.fixture
def everything_waits(world):
    loaded(world, Phase.LAUNCH, engagement=world.engagement)
    return world


def _body(user, url: str) -> str:
    response = signed_in(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_approver_and_the_lead_consultant_see_their_items(everything_waits):
    world = everything_waits
    home = _body(world.approver, reverse("portal_home"))
    # Phase 6 is not reached: its training waits on nobody yet.
    for words in ("Sign off", "Workshop 0", "Test 1 scenario", "Score the vendors"):
        assert words in home
    work = _body(world.consultant, reverse("my_work"))
    for words in STAFF_ITEMS:
        assert words in work


def test_another_clients_user_sees_none_of_them(everything_waits):
    world = everything_waits
    home = _body(world.other_client_user, reverse("portal_home"))
    for words in (*CLIENT_ITEMS, "Xylo sales system"):
        assert words not in home


def test_another_stakeholder_of_the_same_engagement_sees_none_of_the_approvers(everything_waits):
    world = everything_waits
    rita = MembershipFactory(
        firm=world.firm_a, role=Role.CLIENT, client=world.client_x, user__email="rita@xylo.example"
    ).user
    StakeholderFactory(
        engagement=world.engagement, email=rita.email, user=rita, has_portal_access=True
    )
    for url in (
        reverse("portal_home"),
        reverse("portal_engagement", args=[world.engagement.public_id]),
    ):
        body = _body(rita, url)
        for words in CLIENT_ITEMS:
            assert words not in body


def test_another_firms_consultant_sees_none_of_them(everything_waits):
    world = everything_waits
    body = _body(world.consultant_b, reverse("my_work"))
    for words in (*STAFF_ITEMS, "Xylo sales system"):
        assert words not in body


def test_a_consultant_who_does_not_lead_it_sees_them_on_its_overview_only(everything_waits):
    world = everything_waits
    colleague = MembershipFactory(firm=world.firm_a, user__email="cleo@alpha.example").user
    work = _body(colleague, reverse("my_work"))
    for words in STAFF_ITEMS:
        assert words not in work
    overview = _body(colleague, reverse("engagement_detail", args=[world.engagement.public_id]))
    for words in STAFF_ITEMS:
        assert words in overview
