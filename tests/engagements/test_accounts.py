import re

from django.core import mail
from django.urls import reverse

from tests.conftest import signed_in
from tests.factories import PASSWORD


def _sign_in(browser, email: str, password: str):
    return browser.post(reverse("login"), {"username": email, "password": password})


def test_a_consultant_signs_in_and_lands_on_the_workspace(world):
    browser = signed_in(None)
    response = _sign_in(browser, world.consultant.email, PASSWORD)
    assert response.status_code == 302
    assert browser.get("/", follow=True).redirect_chain[-1][0] == reverse("dashboard")


def test_a_client_approver_signs_in_and_lands_on_the_portal(world):
    browser = signed_in(None)
    _sign_in(browser, world.approver.email, PASSWORD)
    assert browser.get("/", follow=True).redirect_chain[-1][0] == reverse("portal_home")


def test_a_wrong_password_is_refused_and_the_email_is_kept(world):
    response = _sign_in(signed_in(None), world.consultant.email, "wrong")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please enter a correct email and password" in body
    assert f'value="{world.consultant.email}"' in body


def test_repeated_failed_sign_ins_lock_the_account_out(world, settings):
    browser = signed_in(None)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(browser, world.consultant.email, "wrong")
    locked = _sign_in(browser, world.consultant.email, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert browser.get(reverse("dashboard")).url.startswith(reverse("login"))


def test_other_accounts_are_not_locked_by_someone_elses_failures(world, settings):
    browser = signed_in(None)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(browser, world.consultant.email, "wrong")
    assert _sign_in(browser, world.owner.email, PASSWORD).status_code == 302


def test_signing_out_ends_the_session(as_consultant):
    as_consultant.post(reverse("logout"))
    assert as_consultant.get(reverse("dashboard")).status_code == 302


def test_password_reset_by_email_lets_the_user_choose_a_new_password(world):
    browser = signed_in(None)
    browser.post(reverse("password_reset"), {"email": world.consultant.email})
    assert mail.outbox[-1].to == [world.consultant.email]
    path = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = browser.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = browser.post(
        set_url, {"new_password1": "brand-new-phrase-1", "new_password2": "brand-new-phrase-1"}
    )
    assert done.status_code == 302
    assert (
        _sign_in(signed_in(None), world.consultant.email, "brand-new-phrase-1").status_code == 302
    )


def test_password_reset_for_an_unknown_email_reveals_nothing(db):
    response = signed_in(None).post(
        reverse("password_reset"), {"email": "nobody@nowhere.example"}, follow=True
    )
    assert "If an account exists" in response.content.decode()
    assert mail.outbox == []


def test_a_reused_reset_link_is_refused_with_a_clear_message(world):
    browser = signed_in(None)
    browser.post(reverse("password_reset"), {"email": world.consultant.email})
    path = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    set_url = browser.get(path, follow=True).redirect_chain[-1][0]
    browser.post(
        set_url, {"new_password1": "brand-new-phrase-1", "new_password2": "brand-new-phrase-1"}
    )
    again = signed_in(None).get(path, follow=True)
    assert "This link cannot be used" in again.content.decode()
