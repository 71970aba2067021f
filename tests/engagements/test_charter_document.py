"""The Phase 1 alignment charter PDF: what it holds, and the shared document pipeline serving it
(render in the background, send once, download in the portal)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from engagements.charter_document import CHARTER, charter_context
from engagements.models import CharterVersion, JobStatus, OutboundEmail, RaciAssignment
from engagements.pdf import document_html, document_pdf
from engagements.phases import Phase
from engagements.services import charter as charter_services
from engagements.tenancy import tenant_scope
from tests.builders import ready_charter
from tests.conftest import signed_in


@pytest.fixture
def chartered(world):
    ready_charter(world)
    with tenant_scope(world.firm_a):
        charter_services.charter_summary_update(
            engagement=world.engagement,
            actor=world.consultant,
            goals="Shorter sales cycles and a forecast leadership trusts.",
            project_purpose="Redesigning how the team sells, not fixing the CRM.",
            scope_in="Pipeline stages, forecasting, rep onboarding.",
            scope_out="Marketing automation.",
            current_process="Deals live in spreadsheets until they close.",
            sales_motion="outbound",
        )
        RaciAssignment.objects.create(
            firm=world.firm_a,
            engagement=world.engagement,
            stakeholder=world.approver_stakeholder,
            phase=Phase.ONBOARDING,
            responsibility="A",
        )
    return world


def test_the_charter_holds_goals_metrics_scope_people_rhythm_and_milestones(chartered):
    with tenant_scope(chartered.firm_a):
        html = document_html(CHARTER, chartered.engagement, version_number=2)
        pdf, pages = document_pdf(CHARTER, chartered.engagement, version_number=2)

    for words in [
        "Alignment charter", "v2", "Shorter sales cycles", "Redesigning how the team sells",
        "Win rate", "18 %", "25 %", "Marketing automation", "Vera Vice", "Weekly steering",
        f"{Phase.DIAGNOSTIC.label} done", "Approver",
    ]:  # fmt: skip
        assert words in html
    assert pdf.startswith(b"%PDF")
    assert pages >= 3
    text = " ".join(page.extract_text() for page in PdfReader(_bytes_io(pdf)).pages)
    assert "Win rate" in text
    assert "Sign-off" in text


def test_the_charter_context_is_read_in_a_fixed_number_of_queries(
    chartered, django_assert_max_num_queries
):
    with tenant_scope(chartered.firm_a), django_assert_max_num_queries(11):
        charter_context(chartered.engagement, version_number=1)


def test_the_charter_renders_is_sent_once_and_is_downloaded_in_the_portal(
    chartered, committed, mailoutbox
):
    consultant = signed_in(chartered.consultant)
    args = [chartered.engagement.public_id, "charter"]

    with committed():
        consultant.post(reverse("document_render", args=args))
    version = CharterVersion.unscoped.select_related("job").get()
    assert version.job.status == JobStatus.SUCCEEDED
    page = consultant.get(reverse("onboarding", args=[chartered.engagement.public_id]))
    assert "Alignment charter v1" in page.content.decode()

    approver = signed_in(chartered.approver)
    portal_download = reverse("portal_document_download", args=[*args, version.public_id])
    assert approver.get(portal_download).status_code == 404

    send = reverse("document_send", args=[*args, version.public_id])
    for _ in range(2):
        with committed():
            consultant.post(send, {"send-recipients": [chartered.approver_stakeholder.pk]})

    assert [m.to for m in mailoutbox] == [["vp@xylo.example"]]
    assert mailoutbox[0].subject == "Alignment charter v1: Xylo sales system"
    assert "As an approver, you will be asked to sign off" in mailoutbox[0].body
    assert mailoutbox[0].attachments[0][0] == "alignment-charter-v1.pdf"
    assert OutboundEmail.unscoped.filter(dedupe_key__startswith="charter:").count() == 1
    download = approver.get(portal_download)
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    portal = approver.get(reverse("portal_onboarding", args=[chartered.engagement.public_id]))
    assert "Download the charter v1" in portal.content.decode()


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def test_a_metric_without_a_baseline_is_shown_as_missing(chartered):
    with tenant_scope(chartered.firm_a):
        charter_services.charter_item_create(
            engagement=chartered.engagement,
            actor=chartered.consultant,
            section="metrics",
            data={"name": "Forecast accuracy", "unit": "%", "target": Decimal("90")},
        )
        html = document_html(CHARTER, chartered.engagement, version_number=1)

    assert 'class="num missing">—</td>' in html
