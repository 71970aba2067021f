"""Every write of Phase 6's training: the engagement's enablement settings, modules (from
scratch or from a suggestion), their attachments and quiz, assignment by role, and what a client
user does in the portal — completing a module, answering its quiz.

Every write runs inside `phase_edit`: training is part of the phase's artifacts (the sign-off
snapshot holds the modules and, per role, whether completion meets the threshold), so a
signed-off phase is read-only and an open sign-off request goes stale when they change. A client
user's completion or quiz attempt changes the snapshot only when it moves a role across the
threshold: the live counts are not in it.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from enablement.models import (
    EnablementSettings,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    TrainingAssignment,
    TrainingAttachment,
    TrainingModule,
)
from enablement.services.training_catalogue import suggestion
from engagements.errors import ApplicationError
from engagements.models import Engagement, PhaseStatus, Stakeholder, StakeholderRole, User
from engagements.phases import Phase
from engagements.services import email_queue
from engagements.services.signoffs import phase_edit, phase_is_open, phase_state_peek
from engagements.uploads import upload_name

ENABLEMENT = Phase.ENABLEMENT

ATTACHMENT_TYPES = (
    ".pdf", ".pptx", ".ppt", ".docx", ".doc", ".xlsx", ".xls", ".csv", ".txt", ".md",
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4",
)  # fmt: skip
ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024
MAX_CHOICES = 6


# --- settings ----------------------------------------------------------------------------------


def enablement_settings_update(
    *, engagement: Engagement, actor: User, completion_threshold: int
) -> EnablementSettings:
    if not 1 <= completion_threshold <= 100:
        raise ApplicationError(
            "The completion threshold is a percentage from 1 to 100.", field="completion_threshold"
        )
    with phase_edit(engagement=engagement, phase=ENABLEMENT, actor=actor) as locked:
        row, _ = EnablementSettings.objects.update_or_create(
            engagement=locked,
            defaults={"completion_threshold": completion_threshold},
            create_defaults={"firm": locked.firm, "completion_threshold": completion_threshold},
        )
    return row


# --- modules -----------------------------------------------------------------------------------


def _check_module(
    engagement: Engagement, role: str, title: str, *, exclude_id: int | None = None
) -> str:
    title = " ".join(title.split())
    if not title:
        raise ApplicationError("Give the module a title.", field="title")
    if role not in StakeholderRole.values:
        raise ApplicationError("Choose the role this module trains.", field="role")
    clash = TrainingModule.objects.filter(engagement=engagement, role=role, title__iexact=title)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise ApplicationError(
            f"The {StakeholderRole(role).label.lower()} training already has a module "
            f"called “{title}”.",
            field="title",
        )
    return title


def module_create(
    *,
    engagement: Engagement,
    actor: User,
    role: str,
    title: str,
    summary: str = "",
    content: str = "",
    minutes: int = 20,
    pass_mark: int = 80,
    suggestion_key: str = "",
) -> TrainingModule:
    with phase_edit(engagement=engagement, phase=ENABLEMENT, actor=actor) as locked:
        title = _check_module(locked, role, title)
        last = TrainingModule.objects.filter(engagement=locked, role=role).aggregate(
            last=Max("position")
        )["last"]
        return TrainingModule.objects.create(
            firm=locked.firm,
            engagement=locked,
            role=role,
            title=title,
            summary=summary.strip(),
            content=content,
            minutes=minutes,
            pass_mark=pass_mark,
            position=0 if last is None else last + 1,
            suggestion=suggestion_key,
        )


def module_update(*, module: TrainingModule, actor: User, **fields) -> TrainingModule:
    """Change a module's text, duration, pass mark or role. Completed assignments stay
    completed: a module is not re-taken because its wording was improved. A module that is
    assigned keeps its role: its assignees were chosen by that role."""
    with phase_edit(engagement=module.engagement, phase=ENABLEMENT, actor=actor) as locked:
        role = fields.get("role", module.role)
        if role != module.role and module.assignments.exists():
            raise ApplicationError(
                "This module is assigned to stakeholders of its role, so its role cannot change. "
                "Unassign it first, or add a new module for the other role.",
                field="role",
            )
        fields["title"] = _check_module(
            locked, role, fields.get("title", module.title), exclude_id=module.pk
        )
        for name, value in fields.items():
            setattr(module, name, value.strip() if name == "summary" else value)
        module.save()
    return module


def module_delete(*, module: TrainingModule, actor: User) -> None:
    """Delete a module with its quiz, attachments, assignments and attempts."""
    with phase_edit(engagement=module.engagement, phase=ENABLEMENT, actor=actor):
        names = list(module.attachments.values_list("file", flat=True))
        module.delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def module_add_suggested(*, engagement: Engagement, actor: User, key: str) -> TrainingModule:
    """Add a suggested module (content and quiz) to the engagement, to adapt from there."""
    suggested = suggestion(key)
    if suggested is None:
        raise ApplicationError("There is no such suggested module.")
    with transaction.atomic():
        module = module_create(
            engagement=engagement,
            actor=actor,
            role=suggested.role,
            title=suggested.title,
            summary=suggested.summary,
            content=suggested.content,
            minutes=suggested.minutes,
            suggestion_key=suggested.key,
        )
        for question in suggested.questions:
            question_add(
                module=module,
                actor=actor,
                text=question.text,
                choices=list(question.choices),
                correct=question.correct,
            )
    return module


# --- attachments -------------------------------------------------------------------------------


def _check_upload(upload: UploadedFile | None) -> None:
    if upload is None:
        raise ApplicationError("Choose a file to attach.", field="file")
    name = upload.name.lower()
    if not name.endswith(ATTACHMENT_TYPES):
        raise ApplicationError(
            f"“{upload.name}” cannot be attached: use a PDF, slide deck, document, spreadsheet, "
            "CSV, text, image or MP4 video.",
            field="file",
        )
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ApplicationError(
            f"“{upload.name}” is larger than {ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB.",
            field="file",
        )


def attachment_add(
    *, module: TrainingModule, actor: User, upload: UploadedFile | None
) -> TrainingAttachment:
    _check_upload(upload)
    base = upload_name(upload.name)
    stored = ""
    try:
        with phase_edit(engagement=module.engagement, phase=ENABLEMENT, actor=actor) as locked:
            stored = default_storage.save(
                f"training/{locked.public_id}/{module.public_id}/{base}", upload
            )
            return TrainingAttachment.objects.create(
                firm=locked.firm, module=module, file=stored, name=base, size=upload.size
            )
    except BaseException:
        # Nothing was recorded: storage keeps nothing the database does not know about.
        if stored:
            default_storage.delete(stored)
        raise


def attachment_delete(*, attachment: TrainingAttachment, actor: User) -> None:
    with phase_edit(engagement=attachment.module.engagement, phase=ENABLEMENT, actor=actor):
        name = attachment.file
        attachment.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


# --- quiz --------------------------------------------------------------------------------------


def question_add(
    *, module: TrainingModule, actor: User, text: str, choices: list[str], correct: int | None
) -> QuizQuestion:
    """Add a multiple-choice question: two to six answers, exactly one of them correct."""
    text = " ".join(text.split())
    if not text:
        raise ApplicationError("Write the question.", field="text")
    answers = [" ".join(choice.split()) for choice in choices]
    filled = [answer for answer in answers if answer]
    if len(filled) < 2:
        raise ApplicationError("Give at least two answers to choose from.", field="choices")
    if len(filled) > MAX_CHOICES:
        raise ApplicationError(f"Give at most {MAX_CHOICES} answers.", field="choices")
    if len({answer.casefold() for answer in filled}) != len(filled):
        raise ApplicationError(
            "Two answers are the same: make each one different.", field="choices"
        )
    if correct is None or not 0 <= correct < len(answers) or not answers[correct]:
        raise ApplicationError("Mark which answer is correct.", field="correct")
    with phase_edit(engagement=module.engagement, phase=ENABLEMENT, actor=actor) as locked:
        last = module.questions.aggregate(last=Max("position"))["last"]
        question = QuizQuestion.objects.create(
            firm=locked.firm, module=module, text=text, position=0 if last is None else last + 1
        )
        position = 0
        for index, answer in enumerate(answers):
            if not answer:
                continue
            QuizChoice.objects.create(
                firm=locked.firm,
                question=question,
                text=answer,
                position=position,
                is_correct=index == correct,
            )
            position += 1
    return question


def question_delete(*, question: QuizQuestion, actor: User) -> None:
    """Remove a question. Attempts already made keep their recorded score."""
    with phase_edit(engagement=question.module.engagement, phase=ENABLEMENT, actor=actor):
        question.delete()


# --- assignment --------------------------------------------------------------------------------


def training_assign(
    *, engagement: Engagement, actor: User, role: str = "", module: TrainingModule | None = None
) -> list[TrainingAssignment]:
    """Assign a module (or every module of a role) to every stakeholder of its role who does
    not have it yet, and tell each newly assigned stakeholder with portal access by email.
    Assigning again is harmless: only the missing assignments are made."""
    if module is None and role not in StakeholderRole.values:
        raise ApplicationError("Choose the role to assign training to.", field="role")
    with phase_edit(engagement=engagement, phase=ENABLEMENT, actor=actor) as locked:
        modules = (
            [module]
            if module is not None
            else list(TrainingModule.objects.filter(engagement=locked, role=role))
        )
        label = StakeholderRole(module.role if module else role).label.lower()
        if not modules:
            raise ApplicationError(
                f"There is no {label} module to assign yet: add one first.", field="role"
            )
        stakeholders = list(
            Stakeholder.objects.filter(engagement=locked, role__in={m.role for m in modules})
        )
        if not stakeholders:
            raise ApplicationError(
                f"No stakeholder has the {label} role: add them on the engagement first.",
                field="role",
            )
        existing = set(
            TrainingAssignment.objects.filter(module__in=modules).values_list(
                "module_id", "stakeholder_id"
            )
        )
        created = TrainingAssignment.objects.bulk_create(
            [
                TrainingAssignment(
                    firm=locked.firm,
                    engagement=locked,
                    module=m,
                    stakeholder=s,
                    assigned_by=actor,
                )
                for m in modules
                for s in stakeholders
                if s.role == m.role and (m.pk, s.pk) not in existing
            ]
        )
        _tell_assignees(locked, created)
    return created


def _tell_assignees(engagement: Engagement, created: list[TrainingAssignment]) -> None:
    """One email per stakeholder with portal access, listing the modules just assigned."""
    by_stakeholder: dict[int, list[TrainingAssignment]] = {}
    for assignment in created:
        by_stakeholder.setdefault(assignment.stakeholder_id, []).append(assignment)
    link = settings.SITE_URL + reverse("portal_enablement", args=[engagement.public_id])
    for assignments in by_stakeholder.values():
        stakeholder = assignments[0].stakeholder
        if not stakeholder.has_portal_access:
            continue
        email_queue(
            firm=engagement.firm,
            # The first new assignment names the batch: assigning again writes a new email
            # only for new modules.
            dedupe_key=f"training-assigned:{assignments[0].public_id}",
            to=stakeholder.email,
            template="emails/training_assigned",
            context={
                "engagement": engagement,
                "recipient": stakeholder,
                "modules": [a.module for a in assignments],
                "minutes": sum(a.module.minutes for a in assignments),
                "link": link,
            },
        )


def assignment_delete(*, assignment: TrainingAssignment, actor: User) -> None:
    """Unassign a module from one stakeholder; their attempts go with it."""
    with phase_edit(engagement=assignment.engagement, phase=ENABLEMENT, actor=actor):
        assignment.delete()


# --- taking a module in the portal -------------------------------------------------------------


def training_closed_reason(*, engagement: Engagement) -> str:
    """Why a client user cannot record training now, in their words; "" while they can.
    Said before phase_edit would refuse in a consultant's words."""
    if not phase_is_open(engagement=engagement, phase=ENABLEMENT):
        return "Training opens once the launch is signed off."
    if phase_state_peek(engagement=engagement, phase=ENABLEMENT).status == PhaseStatus.SIGNED_OFF:
        return "Training is closed: enablement is signed off. You can still read the module."
    return ""


def _check_can_take(assignment: TrainingAssignment) -> None:
    reason = training_closed_reason(engagement=assignment.engagement)
    if reason:
        raise ApplicationError(reason)


def assignment_complete(*, assignment: TrainingAssignment, user: User) -> TrainingAssignment:
    """A client user marks a module without a quiz as done. A module with a quiz is completed
    by passing it."""
    _check_can_take(assignment)
    if assignment.module.questions.exists():
        raise ApplicationError("This module ends with a quiz: pass it to complete the module.")
    with phase_edit(engagement=assignment.engagement, phase=ENABLEMENT, actor=user):
        updated = TrainingAssignment.objects.filter(
            pk=assignment.pk, completed_at__isnull=True
        ).update(completed_at=timezone.now(), updated_at=timezone.now())
    assignment.refresh_from_db()
    if not updated:
        raise ApplicationError("You have already completed this module.")
    return assignment


def quiz_submit(
    *, assignment: TrainingAssignment, user: User, answers: Mapping[str, str]
) -> QuizAttempt:
    """Score one attempt at a module's quiz and keep it. `answers` maps each question's public
    id to the chosen answer's public id. Every question must be answered; nothing is recorded
    otherwise. Passing (score ≥ the module's pass mark) completes the module; a later failed
    attempt does not undo that."""
    _check_can_take(assignment)
    module = assignment.module
    questions = list(module.questions.prefetch_related("choices"))
    if not questions:
        raise ApplicationError("This module has no quiz.")
    unanswered = [
        str(number)
        for number, question in enumerate(questions, start=1)
        if not answers.get(str(question.public_id))
    ]
    if unanswered:
        raise ApplicationError(
            "Answer every question before you submit: " + _not_answered(unanswered) + "."
        )
    chosen: dict[str, str] = {}
    correct = 0
    for question in questions:
        answer = str(answers[str(question.public_id)])
        choice = next((c for c in question.choices.all() if str(c.public_id) == answer), None)
        if choice is None:
            raise ApplicationError("One of the answers is not a choice of this quiz: try again.")
        chosen[str(question.public_id)] = answer
        correct += choice.is_correct
    score = round(100 * correct / len(questions))
    passed = score >= module.pass_mark
    with phase_edit(engagement=assignment.engagement, phase=ENABLEMENT, actor=user) as locked:
        attempt = QuizAttempt.objects.create(
            firm=locked.firm,
            assignment=assignment,
            submitted_by=user,
            answers=chosen,
            correct=correct,
            total=len(questions),
            score=score,
            pass_mark=module.pass_mark,
            passed=passed,
        )
        row = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
        row.best_score = max(score, row.best_score or 0)
        if passed and row.completed_at is None:
            row.completed_at = attempt.created_at
        row.save(update_fields=["best_score", "completed_at", "updated_at"])
    assignment.refresh_from_db()
    return attempt


def _not_answered(numbers: list[str]) -> str:
    if len(numbers) == 1:
        return f"question {numbers[0]} is not answered yet"
    return f"questions {', '.join(numbers[:-1])} and {numbers[-1]} are not answered yet"
