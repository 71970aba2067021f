"""Every write of Phase 4. Edits go through `phase_edit` (read-only once signed off; an open
sign-off request goes stale when they change)."""

from datetime import date

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from engagements.errors import ApplicationError
from engagements.models import Engagement, Stakeholder, User
from engagements.phases import Phase
from engagements.services.signoffs import phase_edit
from engagements.uploads import upload_name
from sprints.models import (
    CheckIn,
    Deliverable,
    DeliverableStatus,
    Feedback,
    RunOutcome,
    Scenario,
    ScenarioStep,
    Sprint,
    StepResult,
    TestRun,
    Triage,
    UatRound,
)

BUILD = Phase.BUILD
EVIDENCE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".csv", ".xlsx", ".txt"}
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024


def _own(engagement: Engagement, objects, what: str, field: str | None = None) -> None:
    if any(obj is not None and obj.engagement_id != engagement.pk for obj in objects):
        raise ApplicationError(f"{what} must belong to this engagement.", field=field)


# --- sprints ----------------------------------------------------------------------------------


def sprint_save(
    *, engagement: Engagement, actor: User, sprint: Sprint | None = None, **fields
) -> Sprint:
    with phase_edit(engagement=engagement, phase=BUILD, actor=actor) as locked:
        if fields["end_date"] < fields["start_date"]:
            raise ApplicationError("A sprint cannot end before it starts.", field="end_date")
        sprint = sprint or Sprint(firm=locked.firm, engagement=locked)
        for key, value in fields.items():
            setattr(sprint, key, value)
        sprint.save()
    return sprint


def deliverable_save(
    *, sprint: Sprint, actor: User, deliverable: Deliverable | None = None, **fields
) -> Deliverable:
    with phase_edit(engagement=sprint.engagement, phase=BUILD, actor=actor) as locked:
        _own(locked, [fields.get("stage"), fields.get("integration"), fields.get("reporting_item")],
             "The blueprint item")  # fmt: skip
        deliverable = deliverable or Deliverable(firm=locked.firm, engagement=locked, sprint=sprint)
        for key, value in fields.items():
            setattr(deliverable, key, value)
        _stamp_done(deliverable)
        deliverable.save()
    return deliverable


def _stamp_done(deliverable: Deliverable) -> None:
    if deliverable.status == DeliverableStatus.DONE and deliverable.done_at is None:
        deliverable.done_at = timezone.localdate()
    elif deliverable.status != DeliverableStatus.DONE:
        deliverable.done_at = None


def deliverable_move(*, deliverable: Deliverable, actor: User, status: str) -> Deliverable:
    """Move a card on the board."""
    if status not in DeliverableStatus.values:
        raise ApplicationError("Unknown status.")
    with phase_edit(engagement=deliverable.engagement, phase=BUILD, actor=actor):
        deliverable.status = status
        _stamp_done(deliverable)
        deliverable.save(update_fields=["status", "done_at", "updated_at"])
    return deliverable


def check_in_add(*, sprint: Sprint, actor: User, **fields) -> CheckIn:
    with phase_edit(engagement=sprint.engagement, phase=BUILD, actor=actor):
        return CheckIn.objects.create(firm=sprint.firm, sprint=sprint, **fields)


def burn_up(*, sprint: Sprint, today: date | None = None) -> list[tuple[date, int, int]]:
    """(day, deliverables done by then, scope) for each day of the sprint up to today."""
    deliverables = list(sprint.deliverables.all())
    scope = len([d for d in deliverables if d.status != DeliverableStatus.DEFERRED])
    last = min(sprint.end_date, today or timezone.localdate())
    days = []
    day = sprint.start_date
    while day <= last:
        done = len([d for d in deliverables if d.done_at and d.done_at <= day])
        days.append((day, done, scope))
        day = date.fromordinal(day.toordinal() + 1)
    return days


# --- scenarios and runs -----------------------------------------------------------------------


def scenario_save(
    *, engagement: Engagement, actor: User, scenario: Scenario | None = None, **fields
) -> Scenario:
    with phase_edit(engagement=engagement, phase=BUILD, actor=actor) as locked:
        scenario = scenario or Scenario(firm=locked.firm, engagement=locked)
        for key, value in fields.items():
            setattr(scenario, key, value)
        scenario.changed_at = timezone.now()
        scenario.save()
    return scenario


def step_add(*, scenario: Scenario, actor: User, **fields) -> ScenarioStep:
    with phase_edit(engagement=scenario.engagement, phase=BUILD, actor=actor) as locked:
        _own(locked, [fields.get("stage"), fields.get("integration")], "The blueprint item")
        step = ScenarioStep.objects.create(
            firm=locked.firm, scenario=scenario, position=scenario.steps.count(), **fields
        )
        _touch(scenario)
    return step


def step_delete(*, step: ScenarioStep, actor: User) -> None:
    scenario = step.scenario
    with phase_edit(engagement=scenario.engagement, phase=BUILD, actor=actor):
        step.delete()
        _touch(scenario)


def _touch(scenario: Scenario) -> None:
    # A changed scenario needs a new passing run before the gate counts it again.
    Scenario.objects.filter(pk=scenario.pk).update(changed_at=timezone.now())


def _check_evidence(upload: UploadedFile | None) -> None:
    if upload is None:
        return
    name = upload.name.lower()
    if not any(name.endswith(ext) for ext in EVIDENCE_TYPES):
        raise ApplicationError(
            f"“{upload.name}” is not a screenshot or an export: use PNG, JPEG, GIF, WebP, PDF, "
            "CSV, XLSX or TXT.",
            field="evidence",
        )
    if upload.size > EVIDENCE_MAX_BYTES:
        raise ApplicationError(f"“{upload.name}” is larger than 5 MB.", field="evidence")


def run_record(
    *,
    scenario: Scenario,
    runner: User,
    results: dict[int, dict],
    uat_round: UatRound | None = None,
) -> TestRun:
    """Record a run: `results` maps each step's id to {"status", "notes", "evidence" (upload)}.
    Every step must have a status; every upload is checked before anything is stored, so a
    rejected file leaves no half-saved run."""
    steps = list(scenario.steps.all())
    if not steps:
        raise ApplicationError("This scenario has no steps to run yet.")
    for step in steps:
        result = results.get(step.pk)
        if not result or result.get("status") not in RunOutcome.values:
            raise ApplicationError(
                f"Step {step.position + 1} needs a result: passed, failed or blocked."
            )
        _check_evidence(result.get("evidence"))
    statuses = {results[step.pk]["status"] for step in steps}
    outcome = (
        RunOutcome.FAILED if RunOutcome.FAILED in statuses
        else RunOutcome.BLOCKED if RunOutcome.BLOCKED in statuses
        else RunOutcome.PASSED
    )  # fmt: skip
    stored: list[str] = []
    try:
        with phase_edit(engagement=scenario.engagement, phase=BUILD, actor=runner) as locked:
            run = TestRun.objects.create(
                firm=locked.firm,
                scenario=scenario,
                run_by=runner,
                uat_round=uat_round,
                outcome=outcome,
            )
            for step in steps:
                result = results[step.pk]
                upload = result.get("evidence")
                name = ""
                shown = upload_name(upload.name) if upload is not None else ""
                if upload is not None:
                    name = default_storage.save(
                        f"evidence/{scenario.engagement.public_id}/{shown}", upload
                    )
                    stored.append(name)
                StepResult.objects.create(
                    firm=locked.firm, run=run, step=step, status=result["status"],
                    notes=result.get("notes", ""), evidence=name, evidence_name=shown,
                )  # fmt: skip
    except Exception:
        for name in stored:  # the transaction rolled back: leave no orphaned files either
            default_storage.delete(name)
        raise
    return run


# --- user acceptance testing ------------------------------------------------------------------


def uat_round_create(
    *, engagement: Engagement, actor: User, name: str, participants: list[Stakeholder],
    scenarios: list[Scenario],
) -> UatRound:  # fmt: skip
    with phase_edit(engagement=engagement, phase=BUILD, actor=actor) as locked:
        _own(locked, [*participants, *scenarios], "Participants and scenarios")
        if not participants or not scenarios:
            raise ApplicationError(
                "Invite at least one stakeholder and choose at least one scenario."
            )
        if any(not s.has_portal_access for s in participants):
            raise ApplicationError(
                "Participants test in the portal: give them portal access first."
            )
        uat_round = UatRound.objects.create(firm=locked.firm, engagement=locked, name=name.strip())
        uat_round.participants.set(participants, through_defaults={"firm": locked.firm})
        uat_round.scenarios.set(scenarios, through_defaults={"firm": locked.firm})
    return uat_round


def assigned_scenarios(*, uat_round: UatRound, stakeholder: Stakeholder) -> list[Scenario]:
    """The round's scenarios with at least one step for the stakeholder's role."""
    return [
        s for s in uat_round.scenarios.prefetch_related("steps")
        if any(step.role == stakeholder.role for step in s.steps.all())
    ]  # fmt: skip


def feedback_file(*, uat_round: UatRound, reporter: Stakeholder, **fields) -> Feedback:
    if not uat_round.is_open:
        raise ApplicationError("This test round is closed.")
    if not uat_round.participants.filter(pk=reporter.pk).exists():
        raise ApplicationError("You are not part of this test round.")
    scenario = fields.get("scenario")
    if scenario is not None and not uat_round.scenarios.filter(pk=scenario.pk).exists():
        raise ApplicationError("Choose one of this round's scenarios.", field="scenario")
    with phase_edit(engagement=uat_round.engagement, phase=BUILD, actor=reporter.user) as locked:
        return Feedback.objects.create(
            firm=locked.firm, engagement=locked, uat_round=uat_round, reporter=reporter, **fields
        )


def feedback_triage(
    *,
    feedback: Feedback,
    actor: User,
    triage: str,
    sprint: Sprint | None = None,
    reason: str = "",
    duplicate_of: Feedback | None = None,
) -> Feedback:
    """Accept into a sprint (as a new deliverable), won't fix (with a reason), or duplicate."""
    with phase_edit(engagement=feedback.engagement, phase=BUILD, actor=actor) as locked:
        if feedback.triage != Triage.OPEN:
            raise ApplicationError("This item is already triaged.")
        if triage == Triage.ACCEPTED:
            _own(locked, [sprint], "The sprint", field="sprint")
            if sprint is None:
                raise ApplicationError("Choose the sprint that takes it.", field="sprint")
            feedback.deliverable = Deliverable.objects.create(
                firm=locked.firm, engagement=locked, sprint=sprint,
                title=f"UAT: {feedback.get_category_display()} — {feedback.location}"[:200],
                acceptance_criteria=feedback.expected,
            )  # fmt: skip
        elif triage == Triage.WONT_FIX:
            if not reason.strip():
                raise ApplicationError(
                    "Say why it won't be fixed; the reporter sees it.", field="reason"
                )
        elif triage == Triage.DUPLICATE:
            if duplicate_of is None or duplicate_of.pk == feedback.pk:
                raise ApplicationError("Choose the item it duplicates.", field="duplicate_of")
            _own(locked, [duplicate_of], "The original item", field="duplicate_of")
            feedback.duplicate_of = duplicate_of
        else:
            raise ApplicationError("Choose accept, won't fix or duplicate.")
        feedback.triage = triage
        feedback.triage_reason = reason.strip()
        feedback.save()
    return feedback
