import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from engagements.models import (
    ActivityEvent,
    ActivityKind,
    Invitation,
    Membership,
    Role,
    Stakeholder,
)
from tests.conftest import signed_in


def _link_in_last_email() -> str:
    return re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _invite_rep(as_consultant, world, committed) -> str:
    url = reverse(
        "stakeholder_invite", args=[world.engagement.public_id, world.rep_stakeholder.public_id]
    )
    with committed():
        response = as_consultant.post(url)
    assert response.status_code == 302
    return _link_in_last_email()


def test_a_consultant_invites_a_stakeholder_who_sets_a_password_and_reaches_the_portal(
    as_consultant, world, committed
):
    link = _invite_rep(as_consultant, world, committed)
    assert mail.outbox[-1].to == [world.rep_stakeholder.email]
    assert link.startswith("http://127.0.0.1:8000/invitations/")
    browser = signed_in(None)
    form = browser.get(_path(link))
    assert "Ray Rep" in form.content.decode()  # the name is suggested
    response = browser.post(
        _path(link),
        {
            "full_name": "Ray Rep",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("portal_home")
    assert "Xylo sales system" in response.content.decode()
    membership = Membership.unscoped.get(user__email=world.rep_stakeholder.email)
    assert (membership.role, membership.client) == (Role.CLIENT, world.client_x)
    stakeholder = Stakeholder.unscoped.get(pk=world.rep_stakeholder.pk)
    assert stakeholder.user == membership.user and stakeholder.has_portal_access
    assert ActivityEvent.unscoped.filter(
        engagement=world.engagement, kind=ActivityKind.PORTAL_INVITATION_ACCEPTED
    ).exists()


def test_a_used_invitation_link_is_refused_with_a_clear_message(as_consultant, world, committed):
    link = _invite_rep(as_consultant, world, committed)
    data = {
        "full_name": "Ray",
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
    }
    signed_in(None).post(_path(link), data)
    again = signed_in(None).post(_path(link), data)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert Membership.unscoped.filter(user__email=world.rep_stakeholder.email).count() == 1


def test_an_expired_invitation_link_is_refused_with_a_clear_message(
    as_consultant, world, committed
):
    link = _invite_rep(as_consultant, world, committed)
    with freeze_time(timezone.now() + timedelta(days=8)):
        response = signed_in(None).get(_path(link))
    assert response.status_code == 410
    assert "has expired" in response.content.decode()


def test_a_made_up_invitation_link_is_refused(db):
    response = signed_in(None).get("/invitations/not-a-real-token/")
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_inviting_again_retires_the_earlier_link(as_consultant, world, committed):
    first = _invite_rep(as_consultant, world, committed)
    second = _invite_rep(as_consultant, world, committed)
    assert first != second
    assert signed_in(None).get(_path(first)).status_code == 410
    assert signed_in(None).get(_path(second)).status_code == 200


def test_mismatched_or_weak_passwords_keep_the_typed_name_and_explain(
    as_consultant, world, committed
):
    link = _invite_rep(as_consultant, world, committed)
    mismatch = signed_in(None).post(
        _path(link),
        {"full_name": "Raymond R", "password1": "a-long-pass-phrase", "password2": "other"},
    )
    assert mismatch.status_code == 400
    assert "do not match" in mismatch.content.decode()
    assert 'value="Raymond R"' in mismatch.content.decode()
    weak = signed_in(None).post(
        _path(link), {"full_name": "Raymond R", "password1": "123", "password2": "123"}
    )
    assert weak.status_code == 400
    assert "too short" in weak.content.decode()
    assert not Membership.unscoped.filter(user__email=world.rep_stakeholder.email).exists()


def test_the_owner_invites_a_consultant_who_then_reaches_the_workspace(as_owner, world, committed):
    with committed():
        response = as_owner.post(reverse("team"), {"email": "new.consultant@alpha.example"})
    assert response.status_code == 302
    link = _link_in_last_email()
    assert "as a consultant" in mail.outbox[-1].body
    browser = signed_in(None)
    browser.post(
        _path(link),
        {
            "full_name": "Nia New",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert browser.get(reverse("dashboard")).status_code == 200
    assert (
        Membership.unscoped.get(user__email="new.consultant@alpha.example").role == Role.CONSULTANT
    )


def test_inviting_someone_who_already_has_an_account_is_refused_in_place(as_owner, world):
    response = as_owner.post(reverse("team"), {"email": world.consultant_b.email})
    assert response.status_code == 400
    assert "already has a Waypoint account" in response.content.decode()
    assert not Invitation.unscoped.filter(email=world.consultant_b.email).exists()


def test_an_invalid_email_is_refused_and_kept(as_owner, world):
    response = as_owner.post(reverse("team"), {"email": "not-an-email"})
    assert response.status_code == 400
    assert 'value="not-an-email"' in response.content.decode()


def test_only_a_digest_of_the_token_is_stored(as_consultant, world, committed):
    link = _invite_rep(as_consultant, world, committed)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.unscoped.get()
    assert invitation.token_digest != token
    assert len(invitation.token_digest) == 64
