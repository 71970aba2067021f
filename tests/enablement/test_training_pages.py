"""Phase 6 training in the workspace: the training page, one module, the quiz editor and the
matrix — empty states, bad input shown on the form with what was typed, confirmation before
deletes, and query counts that do not grow with the rows."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enablement.models import (
    EnablementSettings,
    QuizQuestion,
    TrainingAssignment,
    TrainingAttachment,
    TrainingModule,
)
from enablement.services import training as services
from engagements.models import StakeholderRole
from engagements.tenancy import tenant_scope
from tests.conftest import signed_in
from tests.enablement.training_builders import (
    answers,
    client_user,
    in_enablement,
    module_with_quiz,
)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def http(world):
    in_enablement(world)
    return signed_in(world.consultant)


def url(world, name: str, *args) -> str:
    return reverse(name, args=[world.engagement.public_id, *args])


def text(response) -> str:
    return response.content.decode()


def test_the_training_page_starts_empty_and_offers_the_suggested_modules(http, world):
    response = http.get(url(world, "enablement"))

    assert response.status_code == 200
    body = text(response)
    assert "No training is assigned yet" in body
    assert "No rep modules yet" in body
    assert "Manage your pipeline" in body and "Run the forecast" in body
    assert "Maintain the configuration" in body
    assert 'aria-current="page">Training<' in body
    assert "Assign training to every role" in body  # the gate panel says what is missing


def test_adding_a_suggested_module_opens_it_and_takes_it_off_the_suggestions(http, world):
    response = http.post(url(world, "training_suggestion_add", "rep-pipeline"), follow=True)

    body = text(response)
    assert "“Manage your pipeline” added" in body
    assert "<h2>Why it matters</h2>" in body  # rendered Markdown, as the client sees it
    assert "When do you move a deal to the next stage?" in body
    page = text(http.get(url(world, "enablement")))
    assert "training_suggestion_add" not in page
    assert "suggestions/rep-pipeline/" not in page


def test_a_module_without_a_title_is_shown_again_with_what_was_typed(http, world):
    response = http.post(
        url(world, "enablement"),
        {
            "module-role": "rep",
            "module-title": "",
            "module-minutes": "25",
            "module-pass_mark": "80",
            "module-content": "## My draft\nKeep me",
        },
    )

    assert response.status_code == 400
    body = text(response)
    assert "This field is required" in body
    assert "## My draft\nKeep me" in body
    assert 'value="25"' in body
    with tenant_scope(world.firm_a):
        assert not TrainingModule.objects.exists()


def test_a_duplicate_title_is_said_on_the_title_field(http, world):
    with tenant_scope(world.firm_a):
        module_with_quiz(world, title="Pipeline")

    response = http.post(
        url(world, "enablement"),
        {"module-role": "rep", "module-title": "pipeline", "module-minutes": "10",
         "module-pass_mark": "80", "module-content": "Typed"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "already has a module called “pipeline”" in text(response)
    assert 'id="id_module-title_error"' in text(response)


def test_a_question_with_one_answer_keeps_what_was_typed(http, world):
    with tenant_scope(world.firm_a):
        module = module_with_quiz(world, questions=0)

    response = http.post(
        url(world, "training_question_add", module.public_id),
        {"question-text": "Which stage first?", "question-choice_0": "Discovery",
         "question-correct": "0"},
    )  # fmt: skip

    assert response.status_code == 400
    body = text(response)
    assert 'value="Which stage first?"' in body
    assert 'value="Discovery"' in body
    assert "<details open>" in body
    with tenant_scope(world.firm_a):
        assert not QuizQuestion.objects.exists()


def test_a_question_is_added_with_its_correct_answer_marked(http, world):
    with tenant_scope(world.firm_a):
        module = module_with_quiz(world, questions=0)

    response = http.post(
        url(world, "training_question_add", module.public_id),
        {"question-text": "Which stage first?", "question-choice_0": "Contract",
         "question-choice_1": "Discovery", "question-correct": "1"},
        follow=True,
    )  # fmt: skip

    body = text(response)
    assert "Question added" in body
    assert '✓ <span class="visually-hidden">correct:</span> Discovery' in body


def test_deleting_a_module_asks_first_and_says_what_is_lost(http, world):
    with tenant_scope(world.firm_a):
        module = module_with_quiz(world)
        services.training_assign(engagement=world.engagement, actor=world.consultant, module=module)
    delete = url(world, "training_module_delete", module.public_id)

    confirm = http.get(delete)

    assert confirm.status_code == 200
    assert "Delete “Manage your pipeline”?" in text(confirm)
    assert "2 assignment(s)" in text(confirm)
    with tenant_scope(world.firm_a):
        assert TrainingModule.objects.exists()
    response = http.post(delete, follow=True)
    assert "“Manage your pipeline” deleted" in text(response)
    with tenant_scope(world.firm_a):
        assert not TrainingModule.objects.exists()
        assert not TrainingAssignment.objects.exists()


def test_an_attachment_is_uploaded_downloaded_and_removed_after_confirmation(http, world):
    with tenant_scope(world.firm_a):
        module = module_with_quiz(world)

    http.post(
        url(world, "training_attachment_add", module.public_id),
        {"attachment-file": SimpleUploadedFile("cheat-sheet.pdf", b"%PDF-1.4 sheet")},
    )
    with tenant_scope(world.firm_a):
        attachment = TrainingAttachment.objects.get()
    download = http.get(
        url(world, "training_attachment_download", module.public_id, attachment.public_id)
    )
    assert b"".join(download.streaming_content) == b"%PDF-1.4 sheet"
    assert "cheat-sheet.pdf" in download["Content-Disposition"]
    remove = url(world, "training_attachment_delete", module.public_id, attachment.public_id)
    assert "Remove “cheat-sheet.pdf”?" in text(http.get(remove))
    http.post(remove)
    with tenant_scope(world.firm_a):
        assert not TrainingAttachment.objects.exists()


def test_a_wrong_attachment_type_is_said_on_the_form(http, world):
    with tenant_scope(world.firm_a):
        module = module_with_quiz(world)

    response = http.post(
        url(world, "training_attachment_add", module.public_id),
        {"attachment-file": SimpleUploadedFile("virus.exe", b"MZ")},
    )

    assert response.status_code == 400
    assert "“virus.exe” cannot be attached" in text(response)


def test_assigning_a_role_without_stakeholders_is_said_on_the_page(http, world):
    with tenant_scope(world.firm_a):
        module_with_quiz(world, role=StakeholderRole.OPS, title="Ops basics")

    response = http.post(url(world, "training_assign"), {"assign-role": "ops"})

    assert response.status_code == 400
    assert "No stakeholder has the ops role" in text(response)


@pytest.mark.parametrize("module_id", ["not-a-uuid", "   ", "6f1c0e9e-0000-4000-8000-000000000000"])
def test_assigning_a_malformed_or_unknown_module_is_not_found(http, world, module_id):
    with tenant_scope(world.firm_a):
        module_with_quiz(world, title="Pipeline basics")

    response = http.post(url(world, "training_assign"), {"module": module_id, "assign-role": "rep"})

    assert response.status_code == 404
    with tenant_scope(world.firm_a):
        assert not TrainingAssignment.objects.exists()


def test_assigning_another_engagements_module_is_not_found(http, world):
    with tenant_scope(world.firm_a):
        module_with_quiz(world, title="Pipeline basics")
        other = TrainingModule.objects.create(
            firm=world.firm_a, engagement=world.engagement_y, role=StakeholderRole.REP,
            title="Yonder module",
        )  # fmt: skip

    response = http.post(url(world, "training_assign"), {"module": str(other.public_id)})

    assert response.status_code == 404
    with tenant_scope(world.firm_a):
        assert not TrainingAssignment.objects.exists()


def test_the_threshold_is_saved_and_a_bad_one_is_refused(http, world):
    bad = http.post(url(world, "enablement_settings"), {"settings-completion_threshold": "120"})
    assert bad.status_code == 400
    assert 'value="120"' in text(bad)

    http.post(url(world, "enablement_settings"), {"settings-completion_threshold": "60"})

    with tenant_scope(world.firm_a):
        assert EnablementSettings.objects.get().completion_threshold == 60


def test_the_matrix_shows_who_completed_what(http, world):
    with tenant_scope(world.firm_a):
        module = module_with_quiz(world, questions=2, pass_mark=100)
        services.training_assign(engagement=world.engagement, actor=world.consultant, module=module)
        assignment = TrainingAssignment.objects.get(stakeholder=world.approver_stakeholder)
        services.quiz_submit(
            assignment=assignment, user=world.approver, answers=answers(module, right=2)
        )

    body = text(http.get(url(world, "training_matrix")))

    assert "Rep: 1 of 2 assignments completed (50%, below the 80% required)." in body
    assert '<span class="visually-hidden">Completed</span>' in body
    assert '<span class="visually-hidden">Not started</span>' in body
    assert "Training completion by role" in body  # the chart


def _queries(http, page: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = http.get(page)
        assert response.status_code == 200
    return len(captured)


def _grow(world, n: int) -> None:
    """`n` more reps and managers with portal access, each role `n` more modules (with a quiz
    and an attachment), assigned, some completed, some failed."""
    with tenant_scope(world.firm_a):
        start = TrainingModule.objects.count()
        for i in range(start, start + n):
            client_user(world, name=f"Rep {i}", email=f"rep{i}@xylo.example")
            client_user(world, name=f"Manager {i}", email=f"mgr{i}@xylo.example", role="manager")
            client_user(
                world, name=f"Ops {i}", email=f"ops{i}@xylo.example", role="ops", portal=False
            )
            for role in ("rep", "manager"):
                module = module_with_quiz(world, title=f"{role} module {i}", role=role)
                services.attachment_add(
                    module=module, actor=world.consultant,
                    upload=SimpleUploadedFile(f"sheet{i}.pdf", b"%PDF"),
                )  # fmt: skip
                services.training_assign(
                    engagement=world.engagement, actor=world.consultant, module=module
                )
                first, *others = TrainingAssignment.objects.filter(module=module)
                services.quiz_submit(
                    assignment=first, user=world.consultant, answers=answers(module, right=2)
                )
                for other in others[:1]:
                    services.quiz_submit(
                        assignment=other, user=world.consultant, answers=answers(module, right=0)
                    )


@pytest.mark.parametrize("page", ["enablement", "training_matrix"])
def test_the_training_pages_run_the_same_queries_however_many_rows(http, world, page):
    _grow(world, 1)
    few = _queries(http, url(world, page))

    _grow(world, 4)
    many = _queries(http, url(world, page))

    assert many == few


def test_the_module_page_runs_the_same_queries_however_many_questions_and_assignees(http, world):
    with tenant_scope(world.firm_a):
        module = module_with_quiz(world, questions=1)
        services.training_assign(engagement=world.engagement, actor=world.consultant, module=module)
    few = _queries(http, url(world, "training_module", module.public_id))

    with tenant_scope(world.firm_a):
        for n in range(5):
            services.question_add(
                module=module,
                actor=world.consultant,
                text=f"More {n}?",
                choices=["A", "B"],
                correct=0,
            )
            client_user(world, name=f"Rep {n}", email=f"rep{n}@xylo.example")
        services.training_assign(engagement=world.engagement, actor=world.consultant, module=module)
    many = _queries(http, url(world, "training_module", module.public_id))

    assert many == few
