"""What a consultant sees of background work: a stalled render offers a retry like a failed
one, and each delivery's state is in words, with a resend button once it has failed."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from diagnostics.documents import REPORT
from engagements.models import EmailStatus, Job, JobStatus, OutboundEmail
from engagements.services import documents
from tests.conftest import signed_in
from tests.diagnostics.test_report import fill_the_diagnostic, recipients, request_render


def _report_page(world) -> str:
    url = reverse("report", args=[world.engagement.public_id])
    response = signed_in(world.consultant).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_stalled_render_says_so_and_offers_a_retry_that_renders_it(firm_a_scope, committed):
    world = firm_a_scope
    fill_the_diagnostic(world)
    version = documents.document_request(
        kind=REPORT, engagement=world.engagement, actor=world.consultant
    )
    # Its worker was lost: running, and nothing has reported for longer than JOB_STALE_AFTER.
    Job.objects.filter(pk=version.job_id).update(
        status=JobStatus.RUNNING,
        progress=35,
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER + 60),
    )

    page = _report_page(world)

    assert "Rendering has stalled: no worker has reported on it since" in page
    assert "Retry rendering" in page
    retry = reverse(
        "document_retry", args=[world.engagement.public_id, "report", version.public_id]
    )
    with committed():
        response = signed_in(world.consultant).post(retry)
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.is_ready
    assert Job.objects.get(pk=version.job_id).status == JobStatus.SUCCEEDED


def test_a_render_in_progress_offers_no_retry(firm_a_scope):
    world = firm_a_scope
    fill_the_diagnostic(world)
    documents.document_request(kind=REPORT, engagement=world.engagement, actor=world.consultant)

    page = _report_page(world)

    assert "Retry rendering" not in page
    assert "stalled" not in page


def test_deliveries_read_as_queued_sending_sent_retrying_and_failed_with_a_resend(
    firm_a_scope, committed
):
    world = firm_a_scope
    fill_the_diagnostic(world)
    version = request_render(world, committed)
    people = recipients(world, 5)
    documents.document_send(kind=REPORT, version=version, actor=world.consultant, recipients=people)
    rows = {row.to: row for row in OutboundEmail.objects.filter(dedupe_key__startswith="report:")}
    later = timezone.now() + timedelta(minutes=15)
    states = {
        "person2@xylo.example": {"status": EmailStatus.SENDING},
        "person3@xylo.example": {"status": EmailStatus.SENT, "sent_at": timezone.now()},
        "person4@xylo.example": {
            "status": EmailStatus.RETRYING,
            "attempts": 2,
            "next_attempt_at": later,
            "last_error": "SMTPServerDisconnected: Connection unexpectedly closed",
        },
        "person5@xylo.example": {
            "status": EmailStatus.FAILED,
            "attempts": 9,
            "last_error": "Gave up after 9 attempts over 16 hours: ConnectionRefusedError",
        },
    }
    for to, fields in states.items():
        OutboundEmail.objects.filter(pk=rows[to].pk).update(**fields)

    page = _report_page(world)

    assert "Queued" in page
    assert "Sending…" in page
    assert "Sent " in page
    assert f"Retrying at {timezone.localtime(later):%-d %b, %H:%M}" in page
    assert "attempt 2 failed: SMTPServerDisconnected" in page
    assert "Failed: Gave up after 9 attempts over 16 hours" in page
    resend = reverse("email_resend", args=[rows["person5@xylo.example"].public_id])
    assert page.count('/resend/"') == 1
    assert f'action="{resend}"' in page

    with committed():
        response = signed_in(world.consultant).post(resend, {"next": "/evil.example/x"})

    assert response.status_code == 302
    failed = OutboundEmail.objects.get(pk=rows["person5@xylo.example"].pk)
    assert failed.status == EmailStatus.SENT
    assert failed.message_id == rows["person5@xylo.example"].message_id


def test_resend_goes_back_to_the_page_it_came_from_and_never_elsewhere(firm_a_scope):
    world = firm_a_scope
    email = OutboundEmail.objects.create(
        firm=world.firm_a,
        dedupe_key="x",
        message_id="<x@waypoint>",
        to="a@xylo.example",
        subject="S",
        body_text="B",
        status=EmailStatus.FAILED,
    )
    url = reverse("email_resend", args=[email.public_id])
    http = signed_in(world.consultant)

    assert http.post(url, {"next": "https://evil.example/"})["Location"] == reverse("dashboard")
    OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED)
    back = reverse("report", args=[world.engagement.public_id])
    assert http.post(url, {"next": back})["Location"] == back
