"""Phase 2 pages run the same number of queries however many rows they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diagnostics.models import (
    AgendaItem,
    DataSource,
    Finding,
    FindingTool,
    PreworkAnswer,
    Recommendation,
    RecommendationFinding,
    ReportVersion,
    ToolAssessment,
    ToolOverlap,
    Workshop,
    WorkshopAttendee,
    WorkshopPrompt,
    WorkshopStatus,
)
from engagements.models import EmailStatus, Engagement, Job, JobStatus, OutboundEmail, Tool
from engagements.phases import Phase
from tests.conftest import World

GROUPS = ("rep", "manager", "ops", "leadership", "mixed")


def _queries(http, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def diag(world) -> World:
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.DIAGNOSTIC)
    world.engagement.refresh_from_db()
    return world


def _grow(world: World, rows: int) -> None:
    """`rows` more of each: workshops (the approver invited, with a prompt, its pre-work answer
    and an agenda item; every other one held), findings from them naming a tool, assessed tools
    overlapping another, data sources, recommendations behind a finding, and report versions
    (every other one rendered and sent to the approver, the rest still rendering)."""
    firm, engagement = world.firm_a, world.engagement
    for _ in range(rows):
        n = Workshop.unscoped.filter(engagement=engagement).count() + 1
        workshop = Workshop.unscoped.create(
            firm=firm,
            engagement=engagement,
            title=f"Session {n}",
            group=GROUPS[n % len(GROUPS)],
            objective="Hear how the work is done.",
            status=WorkshopStatus.COMPLETED if n % 2 else WorkshopStatus.PLANNED,
            notes="We heard a lot.",
        )
        for stakeholder in (world.approver_stakeholder, world.rep_stakeholder):
            WorkshopAttendee.unscoped.create(firm=firm, workshop=workshop, stakeholder=stakeholder)
        prompt = WorkshopPrompt.unscoped.create(
            firm=firm, workshop=workshop, group="rep", text=f"Question {n}?", answer="An answer."
        )
        PreworkAnswer.unscoped.create(
            firm=firm, prompt=prompt, stakeholder=world.approver_stakeholder, text=f"Pre {n}"
        )
        AgendaItem.unscoped.create(firm=firm, workshop=workshop, title=f"Item {n}", minutes=30)
        tool = Tool.unscoped.create(
            firm=firm, engagement=engagement, name=f"Tool {n}", category="crm", monthly_cost=100
        )
        other = Tool.unscoped.create(
            firm=firm, engagement=engagement, name=f"Other tool {n}", category="other"
        )
        assessment = ToolAssessment.unscoped.create(
            firm=firm, engagement=engagement, tool=tool, value=1 + n % 5, complexity=1 + n % 3,
            active_seats=5,
        )  # fmt: skip
        ToolOverlap.unscoped.create(firm=firm, assessment=assessment, tool=other)
        finding = Finding.unscoped.create(
            firm=firm, engagement=engagement, title=f"Finding {n}", category="process",
            severity="high", quote="A quote.", workshop=workshop, affected_roles=["rep"],
        )  # fmt: skip
        FindingTool.unscoped.create(firm=firm, finding=finding, tool=tool)
        DataSource.unscoped.create(
            firm=firm, engagement=engagement, system=f"System {n}", objects_held="deals"
        )
        recommendation = Recommendation.unscoped.create(
            firm=firm, engagement=engagement, title=f"Recommendation {n}", position=n
        )
        RecommendationFinding.unscoped.create(
            firm=firm, recommendation=recommendation, finding=finding
        )
        rendered = n % 2 == 0
        job = Job.unscoped.create(
            firm=firm,
            engagement=engagement,
            kind="diagnostic_report",
            status=JobStatus.SUCCEEDED if rendered else JobStatus.RUNNING,
            progress=100 if rendered else 40,
        )
        version = ReportVersion.unscoped.create(
            firm=firm, engagement=engagement, number=n, job=job, requested_by=world.consultant,
            file=f"reports/v{n}.pdf" if rendered else "", size=1000 if rendered else 0,
            page_count=3 if rendered else 0,
        )  # fmt: skip
        if rendered:
            OutboundEmail.unscoped.create(
                firm=firm, dedupe_key=f"report:{version.public_id}:{world.approver.email}",
                to=world.approver.email, subject=f"Report v{n}", body_text="Here it is.",
                status=EmailStatus.SENT, sent_at=timezone.now(),
            )  # fmt: skip


def _assert_does_not_grow(http, world: World, url: str, shows: str) -> None:
    _grow(world, 2)
    http.get(url)  # anything a first view sets up
    few = _queries(http, url)
    _grow(world, 10)
    many = _queries(http, url)
    assert shows in http.get(url).content.decode()
    assert many == few


def test_the_workshops_page_query_count_does_not_grow_with_workshops(as_consultant, diag):
    url = reverse("diagnostic", args=[diag.engagement.public_id])
    _assert_does_not_grow(as_consultant, diag, url, shows="Session 12")


def test_the_findings_page_query_count_does_not_grow_with_findings(as_consultant, diag):
    url = reverse("findings", args=[diag.engagement.public_id])
    _assert_does_not_grow(as_consultant, diag, url, shows="Finding 12")


def test_the_landscape_page_query_count_does_not_grow_with_assessments(as_consultant, diag):
    url = reverse("landscape", args=[diag.engagement.public_id])
    _assert_does_not_grow(as_consultant, diag, url, shows="System 12")


def test_the_report_page_query_count_does_not_grow_with_recommendations_and_versions(
    as_consultant, diag
):
    url = reverse("report", args=[diag.engagement.public_id])
    _assert_does_not_grow(as_consultant, diag, url, shows="Recommendation 12")


def test_the_portal_diagnostic_page_query_count_does_not_grow_with_rows(as_approver, diag):
    url = reverse("portal_diagnostic", args=[diag.engagement.public_id])
    _assert_does_not_grow(as_approver, diag, url, shows="Finding 12")


def _render_unsent_versions(world: World, count: int) -> None:
    """`count` more versions rendered but not sent (yet) to anyone."""
    firm, engagement = world.firm_a, world.engagement
    for _ in range(count):
        n = ReportVersion.unscoped.filter(engagement=engagement).count() + 100
        job = Job.unscoped.create(
            firm=firm, engagement=engagement, kind="diagnostic_report", status=JobStatus.SUCCEEDED
        )
        ReportVersion.unscoped.create(
            firm=firm, engagement=engagement, number=n, job=job, file=f"reports/v{n}.pdf",
            size=1000, page_count=3,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("url_name", "persona"),
    [
        ("diagnostic", "as_consultant"),
        ("findings", "as_consultant"),
        ("landscape", "as_consultant"),
        ("report", "as_consultant"),
        ("portal_diagnostic", "as_approver"),
    ],
)
def test_the_phase_pages_query_counts_do_not_grow_with_versions_rendered_but_not_sent(
    request, diag, url_name, persona
):
    http = request.getfixturevalue(persona)
    url = reverse(url_name, args=[diag.engagement.public_id])
    _grow(diag, 2)
    http.get(url)
    few = _queries(http, url)
    _render_unsent_versions(diag, 10)
    assert _queries(http, url) == few
