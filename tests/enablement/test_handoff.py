"""Phase 6's handoff: the checklist's rules, the support model with what it needs, the pages
(bad input kept, confirmation before removing), and the handoff pack PDF through the shared
document pipeline — rendered, downloaded, emailed once, shared in the portal."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from enablement.documents import HANDOFF_PACK
from enablement.models import (
    AccessTransfer,
    DocumentTransfer,
    HandoffPackVersion,
    OpenItem,
    OpenItemStatus,
    SupportModel,
    SupportPlan,
)
from enablement.services import handoff as services
from engagements.errors import ApplicationError
from engagements.models import JobStatus, OutboundEmail
from engagements.pdf import document_html, document_pdf
from engagements.tenancy import tenant_scope
from tests.conftest import signed_in
from tests.enablement.training_builders import in_enablement, ready_enablement

TOMORROW = date.today() + timedelta(days=1)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scoped(firm_a_scope):
    in_enablement(firm_a_scope)
    return firm_a_scope


def refused(call, words: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    assert words in caught.value.message
    return caught.value


def save(world, model, **fields):
    return services.handoff_item_save(
        engagement=world.engagement, actor=world.consultant, model=model, **fields
    )


# --- the checklist's rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields", "field", "words"),
    [
        (DocumentTransfer, {"title": "Guide", "transferred_on": TOMORROW, "recipient": "Olga"},
         "transferred_on", "cannot be in the future"),
        (DocumentTransfer, {"title": "Guide", "transferred_on": date.today(), "recipient": " "},
         "recipient", "Say who at the client received it"),
        (AccessTransfer, {"system": "HubSpot", "account": "Admin", "previous_owner": "Bob",
                          "new_owner": "bob ", "moved_on": None},
         "new_owner", "must be someone at the client"),
        (AccessTransfer, {"system": "HubSpot", "account": "Admin", "previous_owner": "Bob",
                          "new_owner": "Olga", "moved_on": TOMORROW},
         "moved_on", "cannot be in the future"),
        (OpenItem, {"title": "SSO", "status": OpenItemStatus.RESOLVED, "resolution": ""},
         "resolution", "Say how it was resolved"),
        (OpenItem, {"title": "SSO", "status": OpenItemStatus.HANDED_OVER, "resolution": "Later",
                    "owner": ""},
         "owner", "Name the client owner"),
    ],
)  # fmt: skip
def test_each_checklist_item_is_checked_before_it_is_saved(scoped, model, fields, field, words):
    error = refused(lambda: save(scoped, model, **fields), words)

    assert error.field == field
    assert not model.objects.exists()


def test_a_checklist_item_gets_its_firm_from_the_engagement(scoped):
    item = save(scoped, AccessTransfer, system=" Gong ", account="Admin", previous_owner="Bob",
                new_owner="Olga")  # fmt: skip

    assert (item.firm_id, item.engagement_id, item.system) == (
        scoped.firm_a.pk,
        scoped.engagement.pk,
        "Gong",
    )


# --- the support model -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field", "words"),
    [
        (SupportModel.RETAINER, "retainer_hours", "how many hours a month"),
        (SupportModel.HEALTH_CHECKS, "cadence", "how often the health checks happen"),
        (SupportModel.SELF_SERVICE, "client_owner", "who at the client owns the system"),
        ("", "model", "Choose the support model"),
    ],
)
def test_each_support_model_needs_its_own_detail(scoped, model, field, words):
    error = refused(
        lambda: services.support_plan_save(
            engagement=scoped.engagement, actor=scoped.consultant, model=model
        ),
        words,
    )

    assert error.field == field
    assert not SupportPlan.objects.exists()


def test_changing_the_support_model_drops_the_details_of_the_old_one(scoped):
    services.support_plan_save(
        engagement=scoped.engagement, actor=scoped.consultant, model=SupportModel.RETAINER,
        retainer_hours=12,
    )  # fmt: skip

    plan = services.support_plan_save(
        engagement=scoped.engagement, actor=scoped.consultant, model=SupportModel.HEALTH_CHECKS,
        retainer_hours=12, cadence="quarterly",
    )  # fmt: skip

    assert SupportPlan.objects.count() == 1
    assert (plan.model, plan.retainer_hours, plan.cadence) == ("health_checks", None, "quarterly")


# --- pages -------------------------------------------------------------------------------------


def handoff_url(world, name: str = "handoff", *args) -> str:
    return reverse(name, args=[world.engagement.public_id, *args])


def pack_url(world, name: str, *args) -> str:
    return reverse(name, args=[world.engagement.public_id, "handoff-pack", *args])


def test_the_handoff_page_starts_empty(world):
    in_enablement(world)

    body = signed_in(world.consultant).get(handoff_url(world)).content.decode()

    assert "Nothing on the checklist yet" in body
    assert "No documentation listed" in body
    assert "Not chosen yet" in body
    assert "No version rendered yet" in body


def test_a_rejected_checklist_item_keeps_what_was_typed(world):
    in_enablement(world)

    response = signed_in(world.consultant).post(
        handoff_url(world, "handoff_item_add", "access"),
        {"access-system": "HubSpot", "access-account": "Super admin",
         "access-previous_owner": "Bob", "access-new_owner": "Bob", "access-notes": "Keep me"},
    )  # fmt: skip

    assert response.status_code == 400
    body = response.content.decode()
    assert "must be someone at the client" in body
    assert 'value="Super admin"' in body and 'value="Keep me"' in body
    assert not AccessTransfer.unscoped.exists()


def test_a_support_model_without_its_detail_is_said_on_the_field(world):
    in_enablement(world)

    response = signed_in(world.consultant).post(
        handoff_url(world), {"support-model": "retainer", "support-details": "Fortnightly calls"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "how many hours a month" in body
    assert "Fortnightly calls" in body


def test_an_item_is_edited_and_removed_after_confirmation(world):
    in_enablement(world)
    http = signed_in(world.consultant)
    http.post(
        handoff_url(world, "handoff_item_add", "open-items"),
        {"open-items-title": "Fix SSO", "open-items-status": "open"},
    )
    item = OpenItem.unscoped.get()

    http.post(
        handoff_url(world, "handoff_item_edit", "open-items", item.public_id),
        {"edit-title": "Fix SSO", "edit-status": "resolved", "edit-resolution": "Done by IT"},
    )
    item.refresh_from_db()
    assert (item.status, item.resolution) == ("resolved", "Done by IT")

    remove = handoff_url(world, "handoff_item_delete", "open-items", item.public_id)
    assert "Remove “Fix SSO”?" in http.get(remove).content.decode()
    assert OpenItem.unscoped.exists()
    http.post(remove)
    assert not OpenItem.unscoped.exists()


def test_an_unknown_checklist_kind_is_404(world):
    in_enablement(world)

    response = signed_in(world.consultant).post(handoff_url(world, "handoff_item_add", "bogus"))

    assert response.status_code == 404


# --- the handoff pack --------------------------------------------------------------------------


def test_the_handoff_pack_holds_training_the_checklist_and_support(scoped):
    ready_enablement(scoped)

    html = document_html(HANDOFF_PACK, scoped.engagement, version_number=3)
    pdf, pages = document_pdf(HANDOFF_PACK, scoped.engagement, version_number=3)

    for words in [
        "Handoff pack", "v3", "Retainer for continued optimisation", "Log your activities",
        "Admin guide", "Super admin", "Quote template", "Handed over to the client",
        "Training completion by role", "Vera Vice",
    ]:  # fmt: skip
        assert words in html
    assert pdf.startswith(b"%PDF")
    assert pages >= 2


def test_a_version_renders_in_the_background_is_emailed_once_and_shared_in_the_portal(
    world, committed, mailoutbox
):
    with tenant_scope(world.firm_a):
        ready_enablement(world)
    http = signed_in(world.consultant)

    with committed():
        http.post(pack_url(world, "document_render"))
    version = HandoffPackVersion.unscoped.select_related("job").get()
    assert version.job.status == JobStatus.SUCCEEDED
    assert version.is_ready and version.page_count >= 2
    download = http.get(pack_url(world, "document_download", version.public_id))
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    # Not sent yet: the portal does not offer it.
    approver = signed_in(world.approver)
    portal_download = pack_url(world, "portal_document_download", version.public_id)
    assert approver.get(portal_download).status_code == 404

    send = pack_url(world, "document_send", version.public_id)
    for _ in range(2):
        with committed():
            http.post(send, {"send-recipients": [world.approver_stakeholder.pk]})

    assert [m.to for m in mailoutbox] == [["vp@xylo.example"]]
    assert mailoutbox[0].subject == "Handoff pack v1: Xylo sales system"
    assert mailoutbox[0].attachments[0][0] == "handoff-pack-v1.pdf"
    assert OutboundEmail.unscoped.filter(dedupe_key__startswith="handoff-pack:").count() == 1
    assert (
        "Download the handoff pack v1"
        in approver.get(
            reverse("portal_enablement", args=[world.engagement.public_id])
        ).content.decode()
    )
    assert b"".join(approver.get(portal_download).streaming_content).startswith(b"%PDF")


def test_a_failed_render_is_shown_and_can_be_retried(world, committed, monkeypatch):
    in_enablement(world)
    http = signed_in(world.consultant)

    def broken(*args, **kwargs):
        raise ValueError("broken chart")

    monkeypatch.setattr("engagements.pdf.document_pdf", broken)
    with committed():
        http.post(pack_url(world, "document_render"))
    version = HandoffPackVersion.unscoped.select_related("job").get()
    assert version.job.status == JobStatus.FAILED
    assert (
        "Rendering failed: ValueError: broken chart"
        in http.get(handoff_url(world)).content.decode()
    )

    monkeypatch.undo()
    with committed():
        http.post(pack_url(world, "document_retry", version.public_id))
    version.refresh_from_db()
    assert version.is_ready
