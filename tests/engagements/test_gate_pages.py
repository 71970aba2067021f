"""Due dates and chasing rules in the pages: the due date a consultant picks when requesting, the
firm owner's sign-off rules, and each person's choice of a daily digest."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from engagements.models import GateSettings, SignoffRequest
from engagements.services import signoffs
from engagements.tenancy import tenant_scope
from tests.conftest import signed_in
from tests.engagements.test_signoffs import make_ready


def _request_url(world) -> str:
    return reverse("signoff_request", args=[world.engagement.public_id, "onboarding"])


def _onboarding(world) -> str:
    return reverse("onboarding", args=[world.engagement.public_id])


def test_the_gate_panel_proposes_the_firms_default_due_date(firm_a_scope, as_consultant):
    make_ready(firm_a_scope)
    expected = signoffs.signoff_default_due_date(firm=firm_a_scope.firm_a)

    page = as_consultant.get(_onboarding(firm_a_scope)).content.decode()

    assert 'name="due_date"' in page
    assert f'value="{expected:%Y-%m-%d}"' in page
    assert '<label for="due-date-onboarding">Decision due by</label>' in page


def test_a_consultant_picks_the_due_date_and_both_panels_show_it(firm_a_scope, as_consultant):
    make_ready(firm_a_scope)
    due = timezone.localdate() + timedelta(days=9)

    response = as_consultant.post(_request_url(firm_a_scope), {"due_date": f"{due:%Y-%m-%d}"})

    assert response.status_code == 302
    request = SignoffRequest.objects.get()
    assert request.due_date == due
    workspace = as_consultant.get(_onboarding(firm_a_scope)).content.decode()
    portal = signed_in(firm_a_scope.approver).get(
        reverse("portal_onboarding", args=[firm_a_scope.engagement.public_id])
    )
    for page in (workspace, portal.content.decode()):
        assert f'<time datetime="{due:%Y-%m-%d}">{due.day} {due:%b %Y}</time>' in page


def test_a_due_date_in_the_past_is_refused_with_a_clear_message(firm_a_scope, as_consultant):
    make_ready(firm_a_scope)
    yesterday = timezone.localdate() - timedelta(days=1)

    response = as_consultant.post(
        _request_url(firm_a_scope), {"due_date": f"{yesterday:%Y-%m-%d}"}, follow=True
    )

    assert "The due date is in the past" in response.content.decode()
    assert not SignoffRequest.objects.exists()


def test_a_due_date_that_is_not_a_date_is_refused_and_named(firm_a_scope, as_consultant):
    make_ready(firm_a_scope)

    response = as_consultant.post(_request_url(firm_a_scope), {"due_date": "soon"}, follow=True)

    assert "“soon” is not a date" in response.content.decode()
    assert not SignoffRequest.objects.exists()


def test_an_overdue_request_says_so_in_words(firm_a_scope, as_consultant):
    make_ready(firm_a_scope)
    request = signoffs.signoff_request_create(
        engagement=firm_a_scope.engagement, phase="onboarding", actor=firm_a_scope.consultant
    )
    SignoffRequest.objects.filter(pk=request.pk).update(
        due_date=timezone.localdate() - timedelta(days=2)
    )

    page = as_consultant.get(_onboarding(firm_a_scope)).content.decode()

    assert "<strong>Overdue:</strong> was due" in page


def test_the_owner_tunes_the_sign_off_rules(world, as_owner):
    url = reverse("gate_settings")
    assert "Default time to decide (business days)" in as_owner.get(url).content.decode()

    response = as_owner.post(
        url,
        {
            "due_business_days": "8",
            "reminder_days_before": "2",
            "overdue_enabled": "on",
            "escalation_days_after_due": "4",
        },
    )

    assert response.status_code == 302
    with tenant_scope(world.firm_a):
        rules = GateSettings.objects.get()
    assert (rules.due_business_days, rules.reminder_enabled, rules.reminder_days_before) == (
        8,
        False,
        2,
    )
    assert (rules.overdue_enabled, rules.escalation_enabled) == (True, False)


def test_out_of_range_rules_are_refused_and_what_was_typed_is_kept(world, as_owner):
    response = as_owner.post(
        reverse("gate_settings"),
        {"due_business_days": "0", "reminder_days_before": "45", "escalation_days_after_due": "2"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is greater than or equal to 1." in page
    assert 'value="45"' in page
    with tenant_scope(world.firm_a):
        assert not GateSettings.objects.exists()


def test_a_consultant_cannot_change_the_rules(world, as_consultant):
    assert as_consultant.get(reverse("gate_settings")).status_code == 404


def test_a_client_chooses_the_daily_digest_in_the_portal(world, as_approver):
    url = reverse("portal_notification_settings")
    assert "One daily email of what waits on me" in as_approver.get(url).content.decode()

    assert as_approver.post(url, {"wants_daily_digest": "on"}).status_code == 302

    world.approver.refresh_from_db()
    assert world.approver.wants_daily_digest
    as_approver.post(url, {})
    world.approver.refresh_from_db()
    assert not world.approver.wants_daily_digest


def test_a_consultant_chooses_the_daily_digest_in_the_workspace(world, as_consultant):
    assert (
        as_consultant.post(
            reverse("notification_settings"), {"wants_daily_digest": "on"}
        ).status_code
        == 302
    )

    world.consultant.refresh_from_db()
    assert world.consultant.wants_daily_digest
