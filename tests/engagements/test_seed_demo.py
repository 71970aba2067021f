from django.core.management import call_command

from engagements.management.commands.seed_demo import (
    APPROVER_EMAIL,
    CONSULTANT_EMAIL,
    DEMO_PASSWORD,
)
from engagements.models import Engagement, Firm, Stakeholder, User
from tests.conftest import signed_in


def _counts() -> tuple[int, ...]:
    return (
        Firm.objects.count(),
        User.objects.count(),
        Engagement.unscoped.count(),
        Stakeholder.unscoped.count(),
    )


def test_seed_demo_creates_a_firm_with_three_engagements_at_different_phases(db, capsys):
    call_command("seed_demo")
    engagements = Engagement.unscoped.all()
    assert engagements.count() == 3
    assert len({e.current_phase for e in engagements}) == 3
    for engagement in engagements:
        stakeholders = Stakeholder.unscoped.filter(engagement=engagement)
        assert stakeholders.count() == 6
        assert stakeholders.filter(is_approver=True).count() == 1
    out = capsys.readouterr().out
    assert CONSULTANT_EMAIL in out and APPROVER_EMAIL in out and DEMO_PASSWORD in out


def test_running_seed_demo_again_creates_nothing_new(db, capsys):
    call_command("seed_demo")
    before = _counts()
    call_command("seed_demo")
    assert _counts() == before
    assert "nothing created" in capsys.readouterr().out


def test_the_printed_demo_accounts_can_sign_in_to_their_pages(db):
    call_command("seed_demo")
    consultant, approver = signed_in(None), signed_in(None)
    for browser, email in ((consultant, CONSULTANT_EMAIL), (approver, APPROVER_EMAIL)):
        signed = browser.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})
        assert signed.status_code == 302
    assert "Sales system redesign" in consultant.get("/workspace/").content.decode()
    assert "Sales system redesign" in approver.get("/portal/").content.decode()
