"""One error path: a service's refusal is shown where the user acted, never a server error —
on a page (with what was typed kept when there is a form) and in the API (a problem body)."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from engagements.errors import ApplicationError
from engagements.models import SignoffRequest, Stakeholder
from engagements.phases import Phase
from engagements.services import signoffs
from engagements.tenancy import tenant_scope
from tests.builders import ready_charter


@pytest.fixture
def decided(world) -> Stakeholder:
    """The approver has rejected Phase 1's sign-off request."""
    ready_charter(world)
    with tenant_scope(world.firm_a):
        request = signoffs.signoff_request_create(
            engagement=world.engagement, phase=Phase.ONBOARDING, actor=world.consultant
        )
        signoffs.signoff_decide(
            request=request,
            stakeholder=world.approver_stakeholder,
            decision="reject",
            reviewed_digest=SignoffRequest.objects.get(pk=request.pk).digest,
            comment="The metrics need baselines.",
        )
    return world.approver_stakeholder


def delete_url(world, stakeholder: Stakeholder) -> str:
    return reverse("stakeholder_delete", args=[world.engagement.public_id, stakeholder.public_id])


def test_removing_a_stakeholder_who_decided_on_a_sign_off_shows_the_services_refusal(
    world, as_consultant, decided
):
    detail = reverse("engagement_detail", args=[world.engagement.public_id])

    response = as_consultant.post(
        delete_url(world, decided), HTTP_REFERER=f"http://testserver{detail}", follow=True
    )

    assert response.redirect_chain == [(f"http://testserver{detail}", 302)]
    assert "Vera Vice has decided on a sign-off, and that record must stay." in (
        response.content.decode()
    )
    assert Stakeholder.unscoped.filter(pk=decided.pk).exists()


def test_an_htmx_refusal_reloads_the_page_which_shows_the_reason(world, as_consultant, decided):
    response = as_consultant.post(delete_url(world, decided), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response.headers["HX-Refresh"] == "true"
    page = as_consultant.get(reverse("engagement_detail", args=[world.engagement.public_id]))
    assert "has decided on a sign-off" in page.content.decode()
    assert Stakeholder.unscoped.filter(pk=decided.pk).exists()


def test_without_a_referer_a_refusal_goes_back_to_the_engagement(world, as_consultant, decided):
    response = as_consultant.post(delete_url(world, decided))

    assert response.status_code == 302
    assert response.url == reverse("engagement_detail", args=[world.engagement.public_id])


def test_a_referer_of_another_site_is_not_followed(world, as_consultant, decided):
    response = as_consultant.post(
        delete_url(world, decided), HTTP_REFERER="https://evil.example/phish"
    )

    assert response.url == reverse("engagement_detail", args=[world.engagement.public_id])


def test_a_refused_form_is_shown_again_with_what_was_typed_and_the_reason(world, as_consultant):
    # A second stakeholder with the approver's address: the service refuses, the form stays.
    response = as_consultant.post(
        reverse("stakeholder_add", args=[world.engagement.public_id]),
        {"name": "Vera Twice", "email": world.approver.email.upper(), "role": "leadership"},
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert 'value="Vera Twice"' in text
    assert Stakeholder.unscoped.filter(engagement=world.engagement).count() == 2


class Refusing(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request, *args, **kwargs):
        raise ApplicationError("Send at most 5,000 events per request.", field="events")


def test_the_api_answers_a_refusal_with_a_problem_document():
    response = Refusing.as_view()(APIRequestFactory().post("/api/v1/anything/"))
    response.render()

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.content) == {
        "type": "about:blank",
        "title": "The request was refused.",
        "status": 400,
        "detail": "Send at most 5,000 events per request.",
        "field": "events",
    }
