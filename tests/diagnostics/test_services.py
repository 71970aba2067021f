"""Phase 2 rules through its services: the gate's readiness and snapshot, capture sheets copied
from the library, pre-work, findings from notes, recommendations, and read-only after sign-off."""

import contextlib

import pytest

from diagnostics import gate, services
from diagnostics.documents import REPORT
from diagnostics.models import (
    Finding,
    FindingCategory,
    FindingSeverity,
    PreworkAnswer,
    PromptTemplate,
    Recommendation,
    ReportVersion,
    Workshop,
    WorkshopGroup,
    WorkshopStatus,
)
from engagements.errors import ApplicationError
from engagements.models import Decision, Engagement, PhaseStatus, StakeholderRole
from engagements.phases import Phase
from engagements.services import documents, signoffs
from engagements.services.charter import charter_item_create
from engagements.snapshots import snapshot_digest
from tests.factories import StakeholderFactory

DIAGNOSTIC = Phase.DIAGNOSTIC
REPORT_TODO = "Render the diagnostic report and send it"


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _reports_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def diag(firm_a_scope):
    """Firm A's engagement, moved on to the diagnostic phase, with one stakeholder per role."""
    world = firm_a_scope
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=DIAGNOSTIC)
    world.engagement.refresh_from_db()
    for name, role in [
        ("Mia Manager", StakeholderRole.MANAGER),
        ("Oli Ops", StakeholderRole.OPS),
        ("Lea Leader", StakeholderRole.LEADERSHIP),
    ]:
        StakeholderFactory(engagement=world.engagement, name=name, role=role)
    return world


def person(world, name: str):
    return world.engagement.stakeholders.get(name=name)


def plan(world, group: str, *, title: str = "", attendees=()) -> Workshop:
    return services.workshop_create(
        engagement=world.engagement,
        actor=world.consultant,
        title=title or f"{group} session",
        group=group,
        objective="Hear how the work is really done.",
        attendees=list(attendees),
    )


def hold(world, workshop: Workshop, notes: str = "We heard a lot.") -> Workshop:
    return services.workshop_capture(
        workshop=workshop,
        actor=world.consultant,
        notes=notes,
        decisions="",
        answers={},
        complete=True,
    )


def hold_all_roles(world) -> None:
    for group in (WorkshopGroup.REP, WorkshopGroup.MANAGER, WorkshopGroup.OPS):
        hold(world, plan(world, group))
    hold(world, plan(world, WorkshopGroup.LEADERSHIP))


def failing_todos(world) -> list[str]:
    return [check.todo for check in gate.readiness(world.engagement) if not check.passed]


def render(world, committed) -> ReportVersion:
    with committed():
        version = documents.document_request(
            kind=REPORT, engagement=world.engagement, actor=world.consultant
        )
    version.refresh_from_db()
    assert version.is_ready, version.job.error
    return version


def send(world, version, committed, *recipients) -> None:
    with committed():
        documents.document_send(
            kind=REPORT,
            version=version,
            actor=world.consultant,
            recipients=list(recipients) or [world.approver_stakeholder],
        )


def a_finding(world, title: str = "Forecasts are rebuilt by hand", engagement=None) -> Finding:
    return services.finding_create(
        engagement=engagement or world.engagement,
        actor=world.consultant,
        title=title,
        category=FindingCategory.METRICS,
        severity=FindingSeverity.HIGH,
    )


def refused(call, *words: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    for word in words:
        assert word in caught.value.message
    return caught.value


def live_digest(world) -> str:
    return signoffs.live_snapshot(engagement=world.engagement, phase=DIAGNOSTIC)[1]


# --- readiness ---------------------------------------------------------------------------------


def test_readiness_lists_every_role_in_scope_that_has_no_completed_workshop(diag):
    assert failing_todos(diag) == [
        "Complete at least one workshop with leadership, managers, reps, ops.",
        "Render the diagnostic report and send it to the stakeholders.",
    ]
    plan(diag, WorkshopGroup.MANAGER)  # planned, not held: does not count
    reps = plan(diag, WorkshopGroup.REP)
    assert "with leadership, managers, reps, ops." in failing_todos(diag)[0]

    hold(diag, reps)

    assert (
        failing_todos(diag)[0] == "Complete at least one workshop with leadership, managers, ops."
    )


def test_a_cancelled_workshop_does_not_cover_its_role(diag):
    ops = plan(diag, WorkshopGroup.OPS)
    services.workshop_update(workshop=ops, actor=diag.consultant, status=WorkshopStatus.CANCELLED)
    assert "ops." in failing_todos(diag)[0]


def test_a_role_left_out_of_scope_in_phase_one_needs_no_workshop(diag):
    charter_item_create(
        engagement=diag.engagement,
        actor=diag.consultant,
        section="roles-out-of-scope",
        data={"role": StakeholderRole.OPS, "reason": "Ops is outsourced."},
    )
    assert (
        failing_todos(diag)[0] == "Complete at least one workshop with leadership, managers, reps."
    )

    for group in (WorkshopGroup.REP, WorkshopGroup.MANAGER, WorkshopGroup.LEADERSHIP):
        hold(diag, plan(diag, group))

    assert failing_todos(diag) == [f"{REPORT_TODO} to the stakeholders."]


def test_a_mixed_workshop_covers_the_roles_of_its_attendees(diag):
    mixed = plan(
        diag, WorkshopGroup.MIXED, attendees=[person(diag, "Mia Manager"), person(diag, "Oli Ops")]
    )
    hold(diag, mixed)
    assert failing_todos(diag)[0] == "Complete at least one workshop with leadership, reps."


def test_a_mixed_workshop_without_attendees_covers_no_role(diag):
    hold(diag, plan(diag, WorkshopGroup.MIXED))
    assert "leadership, managers, reps, ops." in failing_todos(diag)[0]


def test_the_report_check_passes_only_once_a_version_is_rendered_and_sent(diag, committed):
    hold_all_roles(diag)
    assert failing_todos(diag) == [f"{REPORT_TODO} to the stakeholders."]

    version = render(diag, committed)
    assert failing_todos(diag) == [f"{REPORT_TODO} to the stakeholders."]  # rendered, not sent

    documents.document_send(
        kind=REPORT,  # written, but its delivery has not run yet
        version=version,
        actor=diag.consultant,
        recipients=[diag.approver_stakeholder],
    )
    assert failing_todos(diag) == [f"{REPORT_TODO} to the stakeholders."]

    documents.document_deliver(kind=REPORT, version_id=version.pk)
    assert failing_todos(diag) == []
    assert gate.latest_sent_version(diag.engagement) == version


# --- the sign-off snapshot ---------------------------------------------------------------------


def test_the_snapshot_names_the_sent_version_and_carries_its_digest(diag, committed):
    assert gate.snapshot(diag.engagement)["report"] == []
    version = render(diag, committed)
    assert gate.snapshot(diag.engagement)["report"] == []  # rendered but not sent

    send(diag, version, committed)

    assert gate.snapshot(diag.engagement)["report"] == [
        {"id": str(version.public_id), "label": "Report v1", "digest": version.digest}
    ]


def test_a_later_version_changes_the_snapshot_only_once_it_is_sent(diag, committed):
    send(diag, render(diag, committed), committed)
    digest_v1 = live_digest(diag)

    v2 = render(diag, committed)
    assert live_digest(diag) == digest_v1

    send(diag, v2, committed)

    [item] = gate.snapshot(diag.engagement)["report"]
    assert (item["label"], item["digest"]) == ("Report v2", v2.digest)
    assert live_digest(diag) != digest_v1
    assert live_digest(diag) == snapshot_digest(gate.snapshot(diag.engagement))


# --- capture sheets ----------------------------------------------------------------------------


def test_a_session_copies_its_groups_prompts_from_the_library(diag):
    workshop = plan(diag, WorkshopGroup.REP)
    library = list(PromptTemplate.objects.filter(group=WorkshopGroup.REP).values_list("text"))
    assert [(p.text,) for p in workshop.prompts.all()] == library
    assert len(library) == 3
    assert {p.group for p in workshop.prompts.all()} == {WorkshopGroup.REP}


def test_a_later_library_edit_does_not_change_a_planned_session(diag):
    workshop = plan(diag, WorkshopGroup.MANAGER)
    asked = [p.text for p in workshop.prompts.all()]
    first = PromptTemplate.objects.filter(group=WorkshopGroup.MANAGER).first()

    services.prompt_template_update(prompt=first, text="A reworded question?", is_active=True)
    services.prompt_template_create(
        firm=diag.firm_a, group=WorkshopGroup.MANAGER, text="A brand-new question?"
    )

    assert [p.text for p in workshop.prompts.all()] == asked
    later = plan(diag, WorkshopGroup.MANAGER, title="Second manager session")
    assert [p.text for p in later.prompts.all()] == [
        "A reworded question?",
        *asked[1:],
        "A brand-new question?",
    ]


def test_a_retired_library_prompt_is_not_copied(diag):
    services.prompt_library_ensure(firm=diag.firm_a)
    retired = PromptTemplate.objects.filter(group=WorkshopGroup.OPS).first()
    services.prompt_template_update(prompt=retired, text=retired.text, is_active=False)
    workshop = plan(diag, WorkshopGroup.OPS)
    assert retired.text not in [p.text for p in workshop.prompts.all()]
    assert workshop.prompts.count() == 2


def test_a_mixed_session_gets_the_prompts_of_every_group(diag):
    workshop = plan(diag, WorkshopGroup.MIXED)
    groups = [p.group for p in workshop.prompts.all()]
    assert sorted(set(groups)) == sorted(["rep", "manager", "ops", "leadership"])
    assert len(groups) == PromptTemplate.objects.count() == 12


def test_a_session_can_only_invite_this_engagements_stakeholders(diag):
    stranger = StakeholderFactory(engagement=diag.engagement_y, name="Yves Yonder")
    refused(
        lambda: plan(diag, WorkshopGroup.REP, attendees=[stranger]),
        "Attendees must be stakeholders of this engagement",
    )
    assert not Workshop.objects.exists()


# --- pre-work in the portal --------------------------------------------------------------------


def test_an_invited_attendee_answers_their_roles_prompts_and_can_change_the_answer(diag):
    workshop = plan(diag, WorkshopGroup.REP, attendees=[diag.rep_stakeholder])
    prompt = workshop.prompts.first()

    services.prework_answer_save(prompt=prompt, stakeholder=diag.rep_stakeholder, text=" Slow. ")
    services.prework_answer_save(prompt=prompt, stakeholder=diag.rep_stakeholder, text="Slower.")

    [answer] = PreworkAnswer.objects.filter(prompt=prompt)
    assert (answer.stakeholder, answer.text) == (diag.rep_stakeholder, "Slower.")


def test_a_stakeholder_who_is_not_invited_cannot_answer(diag):
    workshop = plan(diag, WorkshopGroup.REP, attendees=[diag.rep_stakeholder])
    refused(
        lambda: services.prework_answer_save(
            prompt=workshop.prompts.first(), stakeholder=diag.approver_stakeholder, text="Me too"
        ),
        "You are not invited to this workshop.",
    )
    assert not PreworkAnswer.objects.exists()


def test_an_attendee_cannot_answer_another_roles_prompt(diag):
    manager = person(diag, "Mia Manager")
    workshop = plan(diag, WorkshopGroup.REP, attendees=[diag.rep_stakeholder, manager])
    refused(
        lambda: services.prework_answer_save(
            prompt=workshop.prompts.first(), stakeholder=manager, text="Not my question"
        ),
        "This question is for another role.",
    )
    assert not PreworkAnswer.objects.exists()


@pytest.mark.parametrize("status", [WorkshopStatus.COMPLETED, WorkshopStatus.CANCELLED])
def test_answers_close_once_the_session_is_no_longer_planned(diag, status):
    workshop = plan(diag, WorkshopGroup.REP, attendees=[diag.rep_stakeholder])
    services.workshop_update(workshop=workshop, actor=diag.consultant, status=status)
    refused(
        lambda: services.prework_answer_save(
            prompt=workshop.prompts.first(), stakeholder=diag.rep_stakeholder, text="Too late"
        ),
        "answers are closed",
    )
    assert not PreworkAnswer.objects.exists()


# --- capture and findings ----------------------------------------------------------------------


def test_a_session_is_marked_held_only_with_some_output(diag):
    workshop = plan(diag, WorkshopGroup.REP)
    refused(
        lambda: services.workshop_capture(
            workshop=workshop,
            actor=diag.consultant,
            notes=" ",
            decisions="Go",
            answers={},
            complete=True,
        ),
        "needs its output",
    )
    prompt = workshop.prompts.first()
    services.workshop_capture(
        workshop=workshop,
        actor=diag.consultant,
        notes="",
        decisions="",
        answers={prompt.pk: "We re-key every deal."},
        complete=True,
    )
    workshop.refresh_from_db()
    prompt.refresh_from_db()
    assert (workshop.status, prompt.answer) == (WorkshopStatus.COMPLETED, "We re-key every deal.")


def test_a_long_note_becomes_a_finding_titled_with_an_ellipsis_and_quoted_in_full(diag):
    workshop = plan(diag, WorkshopGroup.MIXED, attendees=[diag.rep_stakeholder])
    text = (
        "Every Friday the reps copy their pipeline from the CRM into a spreadsheet because the "
        "forecast view does not show next-quarter deals, which takes about two hours each week."
    )
    assert len(text) > 120

    finding = services.finding_from_notes(workshop=workshop, actor=diag.consultant, text=text)

    assert finding.title.endswith("…")
    assert len(finding.title) <= 120
    assert text.startswith(finding.title.removesuffix("…"))
    assert not finding.title.removesuffix("…").endswith(" ")  # cut between words
    assert text[len(finding.title) - 1] == " "
    assert finding.quote == text
    assert finding.workshop == workshop
    assert finding.affected_roles == ["rep"]
    assert (finding.category, finding.severity) == ("process", "medium")


def test_a_short_note_becomes_the_findings_title_as_it_is(diag):
    workshop = plan(diag, WorkshopGroup.OPS)
    finding = services.finding_from_notes(
        workshop=workshop, actor=diag.consultant, text="  Integrations break silently.  "
    )
    assert finding.title == finding.quote == "Integrations break silently."
    assert finding.affected_roles == ["ops"]


def test_blank_text_does_not_become_a_finding(diag):
    workshop = plan(diag, WorkshopGroup.OPS)
    refused(
        lambda: services.finding_from_notes(workshop=workshop, actor=diag.consultant, text=" \n"),
        "no text",
    )
    assert not Finding.objects.exists()


# --- recommendations ---------------------------------------------------------------------------


def test_a_recommendation_needs_the_findings_behind_it(diag):
    refused(
        lambda: services.recommendation_save(
            engagement=diag.engagement,
            actor=diag.consultant,
            title="Automate the forecast",
            detail="",
            findings=[],
        ),
        "Link the recommendation to the findings behind it.",
    )
    assert not Recommendation.objects.exists()


def test_a_recommendation_cannot_cite_another_engagements_finding(diag):
    Engagement.unscoped.filter(pk=diag.engagement_y.pk).update(current_phase=DIAGNOSTIC)
    diag.engagement_y.refresh_from_db()
    elsewhere = a_finding(diag, "Yonder's problem", engagement=diag.engagement_y)
    refused(
        lambda: services.recommendation_save(
            engagement=diag.engagement,
            actor=diag.consultant,
            title="Automate the forecast",
            detail="",
            findings=[a_finding(diag), elsewhere],
        ),
        "Linked findings must belong to this engagement.",
    )
    assert not Recommendation.objects.exists()


def test_recommendations_keep_their_findings_and_their_order(diag):
    first, second = a_finding(diag), a_finding(diag, "Nobody owns data quality")
    one = services.recommendation_save(
        engagement=diag.engagement,
        actor=diag.consultant,
        title="Automate the forecast",
        detail="Build it in the CRM.",
        findings=[first],
    )
    two = services.recommendation_save(
        engagement=diag.engagement,
        actor=diag.consultant,
        title="Name a data owner",
        detail="",
        findings=[first, second],
    )
    assert list(Recommendation.objects.filter(engagement=diag.engagement)) == [one, two]
    assert set(two.findings.all()) == {first, second}


# --- after sign-off ----------------------------------------------------------------------------


@pytest.fixture
def signed_off(diag, committed):
    hold_all_roles(diag)
    version = render(diag, committed)
    send(diag, version, committed)
    request = signoffs.signoff_request_create(
        engagement=diag.engagement, phase=DIAGNOSTIC, actor=diag.consultant
    )
    signoffs.signoff_decide(
        request=request,
        stakeholder=diag.approver_stakeholder,
        decision=Decision.APPROVE,
        reviewed_digest=live_digest(diag),
        typed_name=diag.approver_stakeholder.name,
    )
    state = signoffs.phase_state(engagement=diag.engagement, phase=DIAGNOSTIC)
    assert state.status == PhaseStatus.SIGNED_OFF
    request.refresh_from_db()
    diag.request = request
    return diag


def test_a_signed_off_diagnostic_is_read_only(signed_off):
    world = signed_off
    workshop = Workshop.objects.first()
    before = live_digest(world)
    edits = {
        "plan a session": lambda: plan(world, WorkshopGroup.REP),
        "capture": lambda: services.workshop_capture(
            workshop=workshop,
            actor=world.consultant,
            notes="Changed",
            decisions="",
            answers={},
        ),
        "add a finding": lambda: a_finding(world),
        "note to finding": lambda: services.finding_from_notes(
            workshop=workshop, actor=world.consultant, text="A late thought"
        ),
        "recommend": lambda: services.recommendation_save(
            engagement=world.engagement,
            actor=world.consultant,
            title="Late",
            detail="",
            findings=list(Finding.objects.all()[:1]),
        ),
        "synthesis": lambda: services.report_draft_update(
            engagement=world.engagement, actor=world.consultant, gaps="More gaps"
        ),
    }
    for name, edit in edits.items():
        error = refused(edit, "signed off and read-only")
        assert "Reopen" in error.message, name
    assert live_digest(world) == before == world.request.approved_digest
    assert Workshop.objects.count() == 4


def test_sending_a_new_version_after_sign_off_does_not_change_what_was_signed_off(
    signed_off, committed
):
    world = signed_off
    with contextlib.suppress(ApplicationError):
        send(world, render(world, committed), committed)
    assert live_digest(world) == world.request.approved_digest


def test_sending_a_new_version_under_an_open_request_makes_it_stale(diag, committed):
    hold_all_roles(diag)
    send(diag, render(diag, committed), committed)
    request = signoffs.signoff_request_create(
        engagement=diag.engagement, phase=DIAGNOSTIC, actor=diag.consultant
    )

    send(diag, render(diag, committed), committed)

    assert live_digest(diag) != request.digest
    request.refresh_from_db()
    assert request.is_stale
