"""Phase 6 training, through its services: modules (written or suggested), their quiz and
attachments, assignment by role, and what a client user records — completing a module, quiz
attempts — with every refusal said in words and nothing half-recorded."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from enablement.models import (
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    TrainingAssignment,
    TrainingAttachment,
    TrainingModule,
)
from enablement.selectors.training import (
    render_markdown,
    training_completion_by_role,
    training_matrix,
)
from enablement.services import training as services
from enablement.services.training_catalogue import SUGGESTED_MODULES
from engagements.errors import ApplicationError
from engagements.models import (
    Engagement,
    OutboundEmail,
    PhaseState,
    PhaseStatus,
    StakeholderRole,
)
from engagements.phases import Phase
from tests.enablement.training_builders import (
    answers,
    client_user,
    in_enablement,
    module_with_quiz,
)

REP, MANAGER = StakeholderRole.REP, StakeholderRole.MANAGER


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(firm_a_scope):
    in_enablement(firm_a_scope)
    return firm_a_scope


def refused(call, words: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    assert words in caught.value.message
    return caught.value


def assign_reps(world) -> list[TrainingAssignment]:
    return services.training_assign(engagement=world.engagement, actor=world.consultant, role=REP)


# --- modules -----------------------------------------------------------------------------------


def test_a_suggested_module_is_added_with_its_content_and_quiz(world):
    suggestion = next(s for s in SUGGESTED_MODULES if s.key == "manager-forecast")

    module = services.module_add_suggested(
        engagement=world.engagement, actor=world.consultant, key="manager-forecast"
    )

    assert (module.role, module.title, module.suggestion) == (
        "manager",
        "Run the forecast",
        "manager-forecast",
    )
    assert "Commit" in module.content
    questions = list(module.questions.prefetch_related("choices"))
    assert [q.text for q in questions] == [q.text for q in suggestion.questions]
    correct = [next(c.text for c in q.choices.all() if c.is_correct) for q in questions]
    assert correct == ["Commit", "A note explaining it"]


def test_every_role_of_the_framework_has_suggested_modules():
    roles = {s.role for s in SUGGESTED_MODULES}

    assert roles == {"rep", "manager", "ops", "leadership"}
    assert len({s.key for s in SUGGESTED_MODULES}) == len(SUGGESTED_MODULES)


def test_a_suggestion_already_added_is_refused_by_its_title(world):
    services.module_add_suggested(
        engagement=world.engagement, actor=world.consultant, key="rep-find"
    )

    refused(
        lambda: services.module_add_suggested(
            engagement=world.engagement, actor=world.consultant, key="rep-find"
        ),
        "already has a module called “Find what you need”",
    )
    assert TrainingModule.objects.count() == 1
    assert QuizQuestion.objects.count() == 0


def test_an_unknown_suggestion_is_refused(world):
    refused(
        lambda: services.module_add_suggested(
            engagement=world.engagement, actor=world.consultant, key="bogus"
        ),
        "no such suggested module",
    )


def test_module_titles_are_unique_per_role_whatever_their_case(world):
    services.module_create(
        engagement=world.engagement, actor=world.consultant, role=REP, title="Pipeline"
    )

    error = refused(
        lambda: services.module_create(
            engagement=world.engagement, actor=world.consultant, role=REP, title="  pipeline "
        ),
        "already has a module called",
    )
    assert error.field == "title"
    services.module_create(
        engagement=world.engagement, actor=world.consultant, role=MANAGER, title="Pipeline"
    )
    assert TrainingModule.objects.count() == 2


def test_a_module_needs_a_title(world):
    error = refused(
        lambda: services.module_create(
            engagement=world.engagement, actor=world.consultant, role=REP, title="   "
        ),
        "Give the module a title",
    )
    assert error.field == "title"


def test_an_assigned_module_keeps_its_role(world):
    module = module_with_quiz(world)
    assign_reps(world)

    error = refused(
        lambda: services.module_update(module=module, actor=world.consultant, role=MANAGER),
        "cannot change",
    )

    assert error.field == "role"
    module.refresh_from_db()
    assert module.role == REP


def test_editing_a_module_keeps_the_completions_already_made(world):
    module = services.module_create(
        engagement=world.engagement, actor=world.consultant, role=REP, title="Read me"
    )
    (assignment, *_) = assign_reps(world)
    services.assignment_complete(assignment=assignment, user=world.approver)

    services.module_update(
        module=module, actor=world.consultant, title="Read me, revised", content="New text"
    )

    assignment.refresh_from_db()
    assert assignment.completed_at is not None
    assert TrainingModule.objects.get().title == "Read me, revised"


def test_modules_cannot_be_written_before_the_phase_opens(world):
    Engagement.objects.filter(pk=world.engagement.pk).update(current_phase=Phase.LAUNCH)
    world.engagement.refresh_from_db()

    refused(
        lambda: services.module_create(
            engagement=world.engagement, actor=world.consultant, role=REP, title="Early"
        ),
        "has not started yet",
    )


def test_a_signed_off_phase_is_read_only(world):
    PhaseState.objects.create(
        firm=world.firm_a, engagement=world.engagement, phase=Phase.ENABLEMENT,
        status=PhaseStatus.SIGNED_OFF,
    )  # fmt: skip

    refused(
        lambda: services.module_create(
            engagement=world.engagement, actor=world.consultant, role=REP, title="Late"
        ),
        "signed off and read-only",
    )


# --- the quiz ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "choices", "correct", "field", "words"),
    [
        ("  ", ["A", "B"], 0, "text", "Write the question"),
        ("Q?", ["A", "  ", ""], 0, "choices", "at least two answers"),
        ("Q?", ["Same", "same "], 0, "choices", "Two answers are the same"),
        ("Q?", ["A", "B"], None, "correct", "Mark which answer is correct"),
        ("Q?", ["A", "B", ""], 2, "correct", "Mark which answer is correct"),
        ("Q?", [str(n) for n in range(7)], 0, "choices", "at most 6 answers"),
    ],
)
def test_a_question_needs_text_two_different_answers_and_one_correct(
    world, text, choices, correct, field, words
):
    module = module_with_quiz(world, questions=0)

    error = refused(
        lambda: services.question_add(
            module=module, actor=world.consultant, text=text, choices=choices, correct=correct
        ),
        words,
    )

    assert error.field == field
    assert not QuizQuestion.objects.exists()


def test_blank_answer_boxes_are_skipped_and_the_marked_one_is_correct(world):
    module = module_with_quiz(world, questions=0)

    question = services.question_add(
        module=module, actor=world.consultant, text="Which stage?",
        choices=["Discovery", "", "Contract", ""], correct=2,
    )  # fmt: skip

    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        ("Discovery", False),
        ("Contract", True),
    ]


# --- assignment --------------------------------------------------------------------------------


def test_assigning_a_role_gives_each_of_its_stakeholders_every_module_of_the_role(world):
    _, manager = client_user(world, name="Mona Manager", email="mona@xylo.example", role=MANAGER)
    rep_modules = [module_with_quiz(world, title=f"Rep module {n}") for n in (1, 2)]
    manager_module = module_with_quiz(world, title="Forecasting", role=MANAGER)

    created = assign_reps(world)

    assert {(a.module_id, a.stakeholder_id) for a in created} == {
        (m.pk, s.pk)
        for m in rep_modules
        for s in (world.approver_stakeholder, world.rep_stakeholder)
    }
    assert not TrainingAssignment.objects.filter(module=manager_module).exists()
    assert not TrainingAssignment.objects.filter(stakeholder=manager).exists()
    assert all(a.firm_id == world.firm_a.pk for a in created)


def test_assigning_again_adds_only_what_is_missing_and_emails_only_about_it(
    world, committed, mailoutbox
):
    module_with_quiz(world, title="First")
    with committed():
        assign_reps(world)
    with committed():
        assert assign_reps(world) == []
    module_with_quiz(world, title="Second")
    with committed():
        created = assign_reps(world)

    assert [a.module.title for a in created] == ["Second", "Second"]
    # The approver has portal access; Ray Rep has none, so is not emailed.
    assert [m.to for m in mailoutbox] == [["vp@xylo.example"], ["vp@xylo.example"]]
    assert "First" in mailoutbox[0].body and "Second" in mailoutbox[1].body
    assert "First" not in mailoutbox[1].body
    assert "/portal/" in mailoutbox[0].body
    assert OutboundEmail.objects.filter(dedupe_key__startswith="training-assigned:").count() == 2


def test_assigning_a_role_without_modules_or_stakeholders_is_refused(world):
    error = refused(lambda: assign_reps(world), "There is no rep module to assign yet")
    assert error.field == "role"
    module_with_quiz(world, role=StakeholderRole.OPS, title="Ops")
    refused(
        lambda: services.training_assign(
            engagement=world.engagement, actor=world.consultant, role=StakeholderRole.OPS
        ),
        "No stakeholder has the ops role",
    )
    assert not TrainingAssignment.objects.exists()


def test_one_module_can_be_assigned_alone(world):
    first = module_with_quiz(world, title="First")
    module_with_quiz(world, title="Second")

    created = services.training_assign(
        engagement=world.engagement, actor=world.consultant, module=first
    )

    assert {a.module_id for a in created} == {first.pk}


# --- taking a module ---------------------------------------------------------------------------


def _assignment(world, module) -> TrainingAssignment:
    services.training_assign(engagement=world.engagement, actor=world.consultant, module=module)
    return TrainingAssignment.objects.get(module=module, stakeholder=world.approver_stakeholder)


def test_a_quiz_with_an_unanswered_question_records_nothing_and_names_the_question(world):
    module = module_with_quiz(world, questions=3)
    assignment = _assignment(world, module)
    given = answers(module, right=3)
    second, third = list(module.questions.all())[1:]
    del given[str(second.public_id)]
    given[str(third.public_id)] = ""

    refused(
        lambda: services.quiz_submit(assignment=assignment, user=world.approver, answers=given),
        "questions 2 and 3 are not answered yet",
    )

    assert not QuizAttempt.objects.exists()


def test_a_failed_attempt_is_kept_and_does_not_complete_the_module(world):
    module = module_with_quiz(world, questions=3, pass_mark=80)
    assignment = _assignment(world, module)

    attempt = services.quiz_submit(
        assignment=assignment, user=world.approver, answers=answers(module, right=2)
    )

    assert (attempt.correct, attempt.total, attempt.score, attempt.passed) == (2, 3, 67, False)
    assert attempt.pass_mark == 80
    assignment.refresh_from_db()
    assert assignment.completed_at is None
    assert assignment.best_score == 67


def test_passing_completes_the_module_and_a_later_failure_does_not_undo_it(world):
    module = module_with_quiz(world, questions=2, pass_mark=100)
    assignment = _assignment(world, module)

    services.quiz_submit(
        assignment=assignment, user=world.approver, answers=answers(module, right=1)
    )
    passed = services.quiz_submit(
        assignment=assignment, user=world.approver, answers=answers(module, right=2)
    )
    services.quiz_submit(
        assignment=assignment, user=world.approver, answers=answers(module, right=0)
    )

    assignment.refresh_from_db()
    assert assignment.completed_at == passed.created_at
    assert assignment.best_score == 100
    assert [a.score for a in QuizAttempt.objects.order_by("id")] == [50, 100, 0]
    assert training_completion_by_role(engagement=world.engagement) == {"rep": (1, 2)}


def test_an_answer_from_another_question_is_refused(world):
    module = module_with_quiz(world, questions=2)
    assignment = _assignment(world, module)
    first, second = module.questions.all()
    given = answers(module, right=2)
    given[str(first.public_id)] = str(QuizChoice.objects.filter(question=second).first().public_id)

    refused(
        lambda: services.quiz_submit(assignment=assignment, user=world.approver, answers=given),
        "not a choice of this quiz",
    )
    assert not QuizAttempt.objects.exists()


def test_a_module_without_quiz_is_completed_once_by_its_reader(world):
    module = services.module_create(
        engagement=world.engagement, actor=world.consultant, role=REP, title="Read me"
    )
    assignment = _assignment(world, module)

    services.assignment_complete(assignment=assignment, user=world.approver)
    first = assignment.completed_at

    refused(
        lambda: services.assignment_complete(assignment=assignment, user=world.approver),
        "already completed",
    )
    assignment.refresh_from_db()
    assert assignment.completed_at == first is not None


def test_a_module_with_a_quiz_is_completed_only_by_passing_it(world):
    assignment = _assignment(world, module_with_quiz(world))

    refused(
        lambda: services.assignment_complete(assignment=assignment, user=world.approver),
        "pass it to complete the module",
    )


def test_training_after_sign_off_is_refused_in_a_clients_words(world):
    module = module_with_quiz(world)
    assignment = _assignment(world, module)
    PhaseState.objects.create(
        firm=world.firm_a, engagement=world.engagement, phase=Phase.ENABLEMENT,
        status=PhaseStatus.SIGNED_OFF,
    )  # fmt: skip

    refused(
        lambda: services.quiz_submit(
            assignment=assignment, user=world.approver, answers=answers(module, right=2)
        ),
        "Training is closed: enablement is signed off",
    )
    assert not QuizAttempt.objects.exists()


def test_training_before_the_phase_opens_is_refused_in_a_clients_words(world):
    module = module_with_quiz(world)
    assignment = _assignment(world, module)
    Engagement.objects.filter(pk=world.engagement.pk).update(current_phase=Phase.LAUNCH)
    assignment.engagement.refresh_from_db()

    refused(
        lambda: services.quiz_submit(
            assignment=assignment, user=world.approver, answers=answers(module, right=2)
        ),
        "Training opens once the launch is signed off",
    )


# --- completion and the matrix -----------------------------------------------------------------


def test_completion_by_role_counts_completed_and_assigned_per_role(world):
    client_user(world, name="Mona Manager", email="mona@xylo.example", role=MANAGER)
    rep_module = services.module_create(
        engagement=world.engagement, actor=world.consultant, role=REP, title="R"
    )
    services.module_create(
        engagement=world.engagement, actor=world.consultant, role=MANAGER, title="M"
    )
    assign_reps(world)
    services.training_assign(engagement=world.engagement, actor=world.consultant, role=MANAGER)
    services.assignment_complete(
        assignment=TrainingAssignment.objects.get(
            module=rep_module, stakeholder=world.rep_stakeholder
        ),
        user=world.consultant,
    )

    assert training_completion_by_role(engagement=world.engagement) == {
        "rep": (1, 2),
        "manager": (0, 1),
    }


def test_the_matrix_shows_each_stakeholder_against_each_module_of_their_role(world):
    module = module_with_quiz(world, questions=2, pass_mark=100)
    other = services.module_create(
        engagement=world.engagement, actor=world.consultant, role=REP, title="Other"
    )
    services.training_assign(engagement=world.engagement, actor=world.consultant, module=module)
    assignment = TrainingAssignment.objects.get(stakeholder=world.approver_stakeholder)
    services.quiz_submit(
        assignment=assignment, user=world.approver, answers=answers(module, right=1)
    )

    (section,) = training_matrix(engagement=world.engagement)

    assert section.role == "rep"
    assert [m.title for m in section.modules] == [module.title, other.title]
    states = {row.stakeholder.name: [c.state for c in row.cells] for row in section.rows}
    assert states == {"Ray Rep": ["pending", "unassigned"], "Vera Vice": ["failed", "unassigned"]}
    assert (section.completion.completed, section.completion.assigned) == (0, 2)


# --- attachments and content -------------------------------------------------------------------


def test_an_attachment_is_stored_and_removed_with_the_module(world, committed):
    module = module_with_quiz(world)

    attachment = services.attachment_add(
        module=module, actor=world.consultant,
        upload=SimpleUploadedFile("cheat-sheet.pdf", b"%PDF-1.4 cheat sheet"),
    )  # fmt: skip

    assert (attachment.name, attachment.size) == ("cheat-sheet.pdf", 20)
    assert default_storage.exists(attachment.file)
    with committed():
        services.module_delete(module=module, actor=world.consultant)
    assert not default_storage.exists(attachment.file)
    assert not TrainingAttachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "size", "words"),
    [
        ("run-me.exe", 10, "cannot be attached"),
        ("huge.pdf", services.ATTACHMENT_MAX_BYTES + 1, "larger than 25 MB"),
    ],
)
def test_an_attachment_of_the_wrong_type_or_size_is_refused(world, name, size, words):
    module = module_with_quiz(world)
    upload = SimpleUploadedFile(name, b"x")
    upload.size = size

    error = refused(
        lambda: services.attachment_add(module=module, actor=world.consultant, upload=upload), words
    )

    assert error.field == "file"
    assert not TrainingAttachment.objects.exists()


def test_markdown_content_is_rendered_and_stripped_of_scripts():
    html = render_markdown(
        "## Pipeline\n**Move** deals. <script>alert(1)</script>\n\n"
        "[docs](https://example.com) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
        "| Stage | Exit |\n| --- | --- |\n| Discovery | Budget known |"
    )

    assert "<h2>Pipeline</h2>" in html
    assert "<strong>Move</strong>" in html
    assert "<table>" in html and "<td>Budget known</td>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert 'href="https://example.com"' in html
