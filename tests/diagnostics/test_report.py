"""The diagnostic report: rendered to PDF by its job, retried after a crash, and delivered by
real SMTP to each recipient exactly once; and, through the broker, by a real worker."""

import hashlib
import io
import re
import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from diagnostics import services
from diagnostics.documents import REPORT
from diagnostics.models import (
    ProcessView,
    ReportVersion,
    WorkshopGroup,
)
from engagements.errors import ApplicationError
from engagements.models import (
    EmailStatus,
    Engagement,
    JobStatus,
    OutboundEmail,
    Stakeholder,
    StakeholderRole,
)
from engagements.phases import Phase
from engagements.services import documents
from engagements.services.charter import charter_item_create
from engagements.tenancy import tenant_scope
from tests.factories import StakeholderFactory

TOOLS = {  # name: (category, value, complexity)
    "Salesforce Sales Cloud": ("crm", 4, 4),
    "Outreach": ("engagement", 2, 4),
    "Pipeline Sheets": ("spreadsheet", 3, 1),
}
FINDINGS = {  # title: (category, severity, tools)
    "Reps re-key every deal into a spreadsheet": ("process", "high", ["Pipeline Sheets"]),
    "Managers cannot see next quarter's pipeline": ("visibility", "critical", []),
    "Duplicate accounts split the activity history": ("data", "medium", ["Outreach"]),
}
RECOMMENDATIONS = ["Retire the pipeline spreadsheet", "Give managers a forecast dashboard"]
WORKSHOP = "Rep pipeline deep-dive"
PLANNED_WORKSHOP = "Leadership metrics review"


# --- content -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _reports_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def fill_the_diagnostic(world) -> None:
    """A diagnostic with every section of the report filled, through the consultant's services.
    The caller holds firm A's tenant scope."""
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.DIAGNOSTIC)
    world.engagement.refresh_from_db()
    engagement, actor = world.engagement, world.consultant
    tools = {}
    for name, (category, value, complexity) in TOOLS.items():
        tools[name] = charter_item_create(
            engagement=engagement,
            actor=actor,
            section="tools",
            data={"name": name, "category": category, "monthly_cost": 1200, "seats": 40},
        )
        services.tool_assessment_save(
            tool=tools[name], actor=actor, value=value, complexity=complexity, active_seats=30
        )
    services.data_source_save(
        engagement=engagement,
        actor=actor,
        system="Salesforce",
        objects_held="accounts, deals",
        owner="Sales ops",
        record_count=48000,
    )
    workshop = services.workshop_create(
        engagement=engagement,
        actor=actor,
        title=WORKSHOP,
        group=WorkshopGroup.REP,
        objective="Walk through the last five deals.",
        attendees=[world.rep_stakeholder],
    )
    first_prompt = workshop.prompts.first()
    services.workshop_capture(
        workshop=workshop,
        actor=actor,
        notes="Everyone keeps a private spreadsheet.",
        decisions="Audit the spreadsheets.",
        answers={first_prompt.pk: "Approvals wait two days for a manager."},
        complete=True,
    )
    services.workshop_create(
        engagement=engagement,
        actor=actor,
        title=PLANNED_WORKSHOP,
        group=WorkshopGroup.LEADERSHIP,
        objective="Agree the metrics that matter.",
    )
    findings = [
        services.finding_create(
            engagement=engagement,
            actor=actor,
            title=title,
            category=category,
            severity=severity,
            quote=f"Quote for {title.lower()}.",
            workshop=workshop,
            affected_roles=["rep"],
            affected_tools=[tools[name] for name in names],
            process_view=ProcessView.ACTUAL,
        )
        for title, (category, severity, names) in FINDINGS.items()
    ]
    for title, linked in zip(RECOMMENDATIONS, [findings[:1], findings[1:]], strict=True):
        services.recommendation_save(
            engagement=engagement, actor=actor, title=title, detail="Detail.", findings=linked
        )
    services.report_draft_update(
        engagement=engagement,
        actor=actor,
        executive_summary="The team sells around its tools.",
        current_state="Three tools, one spreadsheet.",
        gaps="No shared forecast.",
    )


@pytest.fixture
def diag(firm_a_scope):
    fill_the_diagnostic(firm_a_scope)
    return firm_a_scope


def request_render(world, committed) -> ReportVersion:
    with committed():
        version = documents.document_request(
            kind=REPORT, engagement=world.engagement, actor=world.consultant
        )
    version.refresh_from_db()
    return version


def stored_bytes(version: ReportVersion) -> bytes:
    with default_storage.open(version.file, "rb") as stored:
        return stored.read()


def flat(text: str) -> str:
    return " ".join(text.split())


def recipients(world, count: int) -> list[Stakeholder]:
    return [
        StakeholderFactory(
            engagement=world.engagement,
            name=f"Person {n}",
            email=f"person{n}@xylo.example",
            role=StakeholderRole.MANAGER,
        )
        for n in range(1, count + 1)
    ]


# --- rendering ---------------------------------------------------------------------------------


def test_a_requested_version_is_rendered_stored_and_fingerprinted(diag, committed):
    version = request_render(diag, committed)

    assert version.is_ready
    pdf = stored_bytes(version)
    assert pdf.startswith(b"%PDF-")
    assert version.digest == hashlib.sha256(pdf).hexdigest()
    assert version.size == len(pdf)
    assert version.page_count > 3
    assert version.page_count == len(PdfReader(io.BytesIO(pdf)).pages)
    job = version.job
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == (JobStatus.SUCCEEDED, 100, "")
    assert job.step == f"{version.page_count} pages"


def test_versions_are_numbered_in_order_and_each_keeps_its_own_file(diag, committed):
    v1 = request_render(diag, committed)
    v2 = request_render(diag, committed)

    assert (v1.number, v2.number) == (1, 2)
    assert [v.number for v in ReportVersion.objects.filter(engagement=diag.engagement)] == [2, 1]
    assert v1.file != v2.file
    assert v2.filename == "diagnostic-report-v2.pdf"
    assert stored_bytes(v1) != stored_bytes(v2)


def test_the_pdf_reads_as_the_report_with_every_finding_recommendation_tool_and_session(
    diag, committed
):
    version = request_render(diag, committed)
    pages = [
        flat(page.extract_text()) for page in PdfReader(io.BytesIO(stored_bytes(version))).pages
    ]
    text = " ".join(pages)

    assert "Xylo sales system" in pages[0]  # the cover
    assert "Diagnostic report v1" in text
    for title in [*FINDINGS, *RECOMMENDATIONS, *TOOLS]:
        assert title in text, title
    appendix = text[text.rindex("Appendix: workshop sessions") :]
    assert WORKSHOP in appendix
    assert PLANNED_WORKSHOP in appendix
    assert "Approvals wait two days for a manager." in appendix
    assert all(page.strip() for page in pages), "a page of the PDF has no text"


def test_a_crashed_render_shows_the_error_and_a_retry_renders_it(diag, committed, monkeypatch):
    def crash(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr("engagements.pdf.document_pdf", crash)
    version = request_render(diag, committed)

    assert not version.is_ready
    assert (version.file, version.digest, version.page_count) == ("", "", 0)
    assert version.job.status == JobStatus.FAILED
    assert "boom" in version.job.error
    assert not default_storage.exists("reports")

    monkeypatch.undo()
    with committed():
        documents.document_retry(kind=REPORT, version=version)
    version.refresh_from_db()

    assert version.is_ready
    assert version.digest == hashlib.sha256(stored_bytes(version)).hexdigest()
    assert (version.job.status, version.job.error, version.job.attempts) == (
        JobStatus.SUCCEEDED,
        "",
        2,
    )


def test_a_rendered_version_is_not_rendered_again(diag, committed):
    version = request_render(diag, committed)
    with pytest.raises(ApplicationError, match="already rendered"):
        documents.document_retry(kind=REPORT, version=version)
    assert documents.document_render(kind=REPORT, version_id=version.pk).file == version.file


def test_a_version_still_waiting_for_its_render_cannot_be_retried(diag):
    version = documents.document_request(
        kind=REPORT, engagement=diag.engagement, actor=diag.consultant
    )
    # Its render is queued for after the commit, which this test never lets happen.
    assert version.job.status == JobStatus.QUEUED
    with pytest.raises(ApplicationError, match="still rendering"):
        documents.document_retry(kind=REPORT, version=version)


# --- delivery by real SMTP ---------------------------------------------------------------------


@dataclass
class Inbox:
    """An SMTP server's handler: keeps what it accepts, refuses the addresses in `refuse`."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "451 try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        yield inbox
    finally:
        controller.stop()


def attachments(message: EmailMessage) -> list:
    return list(message.iter_attachments())


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def statuses(version: ReportVersion) -> dict[str, str]:
    (version,) = documents.with_deliveries(REPORT, [version])
    return {row.to: row.status for row in version.delivery_list}


def portal_link(world) -> str:
    return f"http://127.0.0.1:8000/portal/engagements/{world.engagement.public_id}/diagnostic/"


def test_each_recipient_gets_the_pdf_attached_and_a_portal_link(diag, committed, smtp):
    version = request_render(diag, committed)
    people = recipients(diag, 3)

    with committed():
        documents.document_send(
            kind=REPORT, version=version, actor=diag.consultant, recipients=people
        )

    assert sorted(m["To"] for m in smtp.messages) == sorted(p.email for p in people)
    for message in smtp.messages:
        assert message["Subject"] == "Diagnostic report v1: Xylo sales system"
        [pdf] = attachments(message)
        assert pdf.get_filename() == "diagnostic-report-v1.pdf"
        assert pdf.get_content_type() == "application/pdf"
        assert pdf.get_content() == stored_bytes(version)
        assert "The report is attached as a PDF" in body(message)
        assert re.search(r"https?://[^/\s]+/portal/engagements/\S+/diagnostic/", body(message))
        assert portal_link(diag) in body(message)
    assert statuses(version) == {p.email: EmailStatus.SENT for p in people}


def test_a_report_too_large_to_attach_is_linked_instead(diag, committed, smtp, settings):
    settings.REPORT_ATTACHMENT_MAX_BYTES = 10
    version = request_render(diag, committed)

    with committed():
        documents.document_send(
            kind=REPORT,
            version=version,
            actor=diag.consultant,
            recipients=[diag.approver_stakeholder],
        )

    [message] = smtp.messages
    assert attachments(message) == []
    assert "too large to attach" in body(message)
    assert portal_link(diag) in body(message)
    assert statuses(version) == {diag.approver_stakeholder.email: EmailStatus.SENT}


def test_a_delivery_that_fails_part_way_is_finished_by_a_retry_without_sending_twice(
    diag, committed, smtp
):
    version = request_render(diag, committed)
    people = recipients(diag, 5)
    # The rows are written now; the delivery job is left to run by hand below.
    documents.document_send(kind=REPORT, version=version, actor=diag.consultant, recipients=people)
    smtp.refuse = {p.email for p in people[2:]}  # the server refuses 3 to 5, this time

    documents.document_deliver(kind=REPORT, version_id=version.pk)

    assert sorted(m["To"] for m in smtp.messages) == [people[0].email, people[1].email]
    sent = [email for email, status in statuses(version).items() if status == EmailStatus.SENT]
    assert sorted(sent) == [people[0].email, people[1].email]
    refused = OutboundEmail.objects.get(to=people[2].email)
    assert (refused.status, refused.next_attempt_at is not None) == (EmailStatus.RETRYING, True)
    assert "try later" in refused.last_error

    smtp.refuse = set()
    documents.document_deliver(
        kind=REPORT, version_id=version.pk
    )  # not due yet: nothing is sent early
    assert len(smtp.messages) == 2
    OutboundEmail.objects.filter(status=EmailStatus.RETRYING).update(next_attempt_at=timezone.now())
    documents.document_deliver(kind=REPORT, version_id=version.pk)

    assert sorted(m["To"] for m in smtp.messages) == sorted(p.email for p in people)
    assert statuses(version) == {p.email: EmailStatus.SENT for p in people}

    with committed():
        documents.document_send(
            kind=REPORT, version=version, actor=diag.consultant, recipients=people
        )
    documents.document_deliver(kind=REPORT, version_id=version.pk)
    assert len(smtp.messages) == 5


def test_a_refused_recipient_does_not_hold_back_the_others(diag, committed, smtp):
    version = request_render(diag, committed)
    people = recipients(diag, 5)
    documents.document_send(kind=REPORT, version=version, actor=diag.consultant, recipients=people)
    smtp.refuse = {p.email for p in people[2:]}

    documents.document_deliver(kind=REPORT, version_id=version.pk)

    assert statuses(version) == {
        **{p.email: EmailStatus.SENT for p in people[:2]},
        **{p.email: EmailStatus.RETRYING for p in people[2:]},
    }


def test_sending_a_version_again_to_the_same_people_sends_nothing_new(diag, committed, smtp):
    version = request_render(diag, committed)
    people = recipients(diag, 2)
    with committed():
        first = documents.document_send(
            kind=REPORT, version=version, actor=diag.consultant, recipients=people
        )
    with committed():
        again = documents.document_send(
            kind=REPORT, version=version, actor=diag.consultant, recipients=people
        )

    assert [row.pk for row in again] == [row.pk for row in first]
    assert len(smtp.messages) == 2


def test_a_version_is_sent_only_once_it_is_rendered(diag, committed, monkeypatch):
    def crash(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr("engagements.pdf.document_pdf", crash)
    version = request_render(diag, committed)
    with pytest.raises(ApplicationError, match="not been rendered yet"):
        documents.document_send(
            kind=REPORT,
            version=version,
            actor=diag.consultant,
            recipients=[diag.approver_stakeholder],
        )
    assert not OutboundEmail.objects.filter(dedupe_key__startswith="report:").exists()


# --- a real worker ---------------------------------------------------------------------------


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_real_worker_renders_the_report_and_delivers_it(celery_worker_thread, world):
    with tenant_scope(world.firm_a):
        fill_the_diagnostic(world)
        version = documents.document_request(
            kind=REPORT, engagement=world.engagement, actor=world.consultant
        )

        def rendered() -> bool:
            version.refresh_from_db()
            version.job.refresh_from_db()
            return version.is_ready and version.job.status == JobStatus.SUCCEEDED

        assert _wait_for(rendered), f"not rendered: {version.job.status} {version.job.error}"
        assert version.digest == hashlib.sha256(stored_bytes(version)).hexdigest()
        assert version.job.progress == 100

        documents.document_send(
            kind=REPORT,
            version=version,
            actor=world.consultant,
            recipients=[world.approver_stakeholder],
        )
        assert _wait_for(lambda: len(mail.outbox) == 1), "the worker never sent the report"
        [message] = mail.outbox
        assert message.to == [world.approver_stakeholder.email]
        assert message.attachments[0][0] == "diagnostic-report-v1.pdf"
        assert _wait_for(lambda: statuses(version) == {message.to[0]: EmailStatus.SENT}, 10)
