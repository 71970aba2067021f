"""The pages every document kind shares: after sign-off a phase's documents can no longer be
rendered or sent, and trying says why instead of failing."""

import pytest
from django.urls import reverse
from django.utils import timezone

from engagements import registry
from engagements.models import Engagement, PhaseState, PhaseStatus
from tests.conftest import signed_in

KINDS = [kind.slug for kind in registry.document_kinds()]


def signed_off(world, kind) -> None:
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=kind.phase)
    PhaseState.unscoped.update_or_create(
        engagement=world.engagement,
        phase=kind.phase,
        defaults={"status": PhaseStatus.SIGNED_OFF, "signed_off_at": timezone.now()},
        create_defaults={"firm": world.firm_a, "status": PhaseStatus.SIGNED_OFF},
    )


def test_every_phase_with_a_document_registers_its_kind():
    assert KINDS == ["charter", "report", "blueprint", "launch-plan", "handoff-pack"]


@pytest.mark.parametrize("slug", KINDS)
def test_a_signed_off_phase_offers_no_render_and_refuses_one_in_words(world, slug):
    kind = registry.document_kind(slug)
    signed_off(world, kind)
    http = signed_in(world.consultant)
    page = reverse(kind.page_url_name, args=[world.engagement.public_id])

    assert "Render a new version" not in http.get(page).content.decode()
    response = http.post(
        reverse("document_render", args=[world.engagement.public_id, slug]),
        HTTP_REFERER=f"http://testserver{page}",
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"http://testserver{page}"
    assert "is signed off and read-only" in response.content.decode()
    assert not kind.model.unscoped.filter(engagement=world.engagement).exists()


@pytest.mark.parametrize("slug", KINDS)
def test_an_open_phase_offers_a_render(world, slug):
    kind = registry.document_kind(slug)
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=kind.phase)
    page = reverse(kind.page_url_name, args=[world.engagement.public_id])

    assert "Render a new version" in signed_in(world.consultant).get(page).content.decode()
