"""The daily digest: one morning email of what waits on a person who chose it, once a day."""

import pytest
from django.core import mail
from freezegun import freeze_time

from engagements.services import signoffs
from engagements.tasks import send_daily_digests
from tests.engagements.test_signoffs import make_ready


@pytest.fixture
def requested(firm_a_scope, committed):
    make_ready(firm_a_scope)
    with freeze_time("2026-12-07 09:00"), committed():
        signoffs.signoff_request_create(
            engagement=firm_a_scope.engagement, phase="onboarding", actor=firm_a_scope.consultant
        )
    mail.outbox.clear()
    return firm_a_scope


def digests_on(day: str, committed) -> list:
    before = len(mail.outbox)
    with freeze_time(f"{day} 07:00"), committed():
        send_daily_digests()
    return [m for m in mail.outbox[before:] if "waiting on you" in m.subject]


def choose_digest(user) -> None:
    user.wants_daily_digest = True
    user.save()


def test_an_approver_who_chose_it_gets_one_digest_a_day_with_the_decision(requested, committed):
    choose_digest(requested.approver)

    [digest] = digests_on("2026-12-09", committed)

    assert digest.to == ["vp@xylo.example"]
    assert digest.subject == "1 thing waiting on you in Waypoint — Wednesday 9 December"
    assert "Xylo sales system, Onboarding & Alignment (due 14 Dec)" in digest.body
    html = digest.alternatives[0][0]
    assert "/portal/engagements/" in html and "/portal/notifications/" in html
    assert digests_on("2026-12-09", committed) == []
    assert len(digests_on("2026-12-10", committed)) == 1


def test_an_overdue_item_says_so(requested, committed):
    choose_digest(requested.approver)

    [digest] = digests_on("2026-12-16", committed)

    assert "(overdue: was due 14 Dec)" in digest.body


def test_nobody_who_did_not_choose_it_gets_one(requested, committed):
    assert digests_on("2026-12-09", committed) == []


def test_no_digest_is_sent_when_nothing_waits(requested, committed):
    choose_digest(requested.approver)
    from tests.engagements.test_signoffs import approve

    with freeze_time("2026-12-08 10:00"):
        approve(signoffs.open_request(engagement=requested.engagement, phase="onboarding"),
                requested.approver_stakeholder)  # fmt: skip

    assert digests_on("2026-12-09", committed) == []


def test_the_lead_consultant_gets_the_open_request_waiting_on_the_client(requested, committed):
    choose_digest(requested.consultant)

    [digest] = digests_on("2026-12-09", committed)

    assert digest.to == ["bob@alpha.example"]
    assert "Xylo sales system" in digest.body
    assert "/workspace/me/notifications/" in digest.body


def test_another_firms_people_get_nothing_of_firm_a(requested, committed):
    choose_digest(requested.consultant_b)

    assert digests_on("2026-12-09", committed) == []
