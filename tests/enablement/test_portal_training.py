"""A client user takes their training in the portal: their modules and progress, one module's
content and attachments, its quiz as accessible radio groups, a rejected quiz that keeps the
answers given, attempts kept, completion recorded — and nobody else's modules."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enablement.models import QuizAttempt, TrainingAssignment
from enablement.services import training as services
from engagements.models import PhaseState, PhaseStatus
from engagements.phases import Phase
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
def rita(world):
    """Rita, a rep with portal access, with a two-question module and a module to read."""
    in_enablement(world)
    with tenant_scope(world.firm_a):
        user, stakeholder = client_user(world, name="Rita Rep", email="rita@xylo.example")
        world.quiz_module = module_with_quiz(world, title="Manage your pipeline", pass_mark=100)
        world.read_module = services.module_create(
            engagement=world.engagement, actor=world.consultant, role="rep",
            title="Find what you need", content="Use **global search**.", minutes=10,
        )  # fmt: skip
        services.training_assign(engagement=world.engagement, actor=world.consultant, role="rep")
    world.rita, world.rita_stakeholder = user, stakeholder
    return world


def portal(world, name: str, *args) -> str:
    return reverse(name, args=[world.engagement.public_id, *args])


def text(response) -> str:
    return response.content.decode()


def test_a_rep_sees_their_modules_and_progress(rita):
    body = text(signed_in(rita.rita).get(portal(rita, "portal_enablement")))

    assert "0 of 2 modules completed · about 25 minutes left" in body
    assert "Manage your pipeline" in body and "Find what you need" in body
    assert "Your team's training" not in body  # only approvers see the team's completion


def test_a_rep_without_assignments_is_told_what_to_expect(rita):
    user, _ = client_user(rita, name="Manny", email="manny@xylo.example", role="manager")

    body = text(signed_in(user).get(portal(rita, "portal_enablement")))

    assert "No training is assigned to you yet" in body


def test_the_quiz_is_a_radio_group_per_question_with_a_legend(rita):
    body = text(
        signed_in(rita.rita).get(portal(rita, "portal_training_module", rita.quiz_module.public_id))
    )

    assert body.count('<fieldset class="quiz-question') == 2
    assert (
        '<legend><span class="question-number">Question 1 of 2:</span> Question 1?</legend>' in body
    )
    with tenant_scope(rita.firm_a):
        first = rita.quiz_module.questions.first()
    assert 'type="radio" id="choice-' in body
    assert f'name="question-{first.public_id}"' in body
    assert "<h2>Stages</h2>" in body  # the module's Markdown, rendered


def test_an_incomplete_quiz_is_refused_and_keeps_the_answer_given(rita):
    http = signed_in(rita.rita)
    module = rita.quiz_module
    with tenant_scope(rita.firm_a):
        first, second = module.questions.all()
        picked = answers(module, right=2)[str(first.public_id)]

    response = http.post(
        portal(rita, "portal_training_module", module.public_id),
        {"action": "quiz", f"question-{first.public_id}": picked},
    )

    assert response.status_code == 400
    body = text(response)
    assert "question 2 is not answered yet" in body
    assert f'value="{picked}" checked' in body
    assert f'id="question-{second.public_id}" aria-invalid="true"' in body
    assert not QuizAttempt.unscoped.exists()


def test_a_failed_quiz_says_what_to_review_and_a_passed_one_completes_the_module(rita):
    http = signed_in(rita.rita)
    module = rita.quiz_module
    url = portal(rita, "portal_training_module", module.public_id)
    with tenant_scope(rita.firm_a):
        wrong = {f"question-{k}": v for k, v in answers(module, right=1).items()}
        right = {f"question-{k}": v for k, v in answers(module, right=2).items()}

    failed = text(http.post(url, {"action": "quiz", **wrong}, follow=True))
    assert "You scored 50%; the pass mark is 100%" in failed
    assert "Read the module again for question 2, then retake the quiz." in failed

    passed = text(http.post(url, {"action": "quiz", **right}, follow=True))
    assert "You passed with 100% — “Manage your pipeline” is completed." in passed
    assert "Next: <a" in passed and "Find what you need" in passed

    assignment = TrainingAssignment.unscoped.get(module=module, stakeholder=rita.rita_stakeholder)
    assert assignment.completed_at is not None
    assert QuizAttempt.unscoped.filter(assignment=assignment).count() == 2
    assert "1 of 2 modules completed" in text(http.get(portal(rita, "portal_enablement")))


def test_a_module_without_quiz_is_marked_completed(rita):
    http = signed_in(rita.rita)
    url = portal(rita, "portal_training_module", rita.read_module.public_id)

    assert "Mark this module as completed" in text(http.get(url))
    body = text(http.post(url, {"action": "complete"}, follow=True))

    assert "“Find what you need” is completed" in body
    assert "Mark this module as completed" not in body


def test_a_module_not_assigned_to_me_is_404(rita):
    with tenant_scope(rita.firm_a):
        manager_module = module_with_quiz(rita, title="Forecasting", role="manager")
    http = signed_in(rita.rita)

    assert (
        http.get(portal(rita, "portal_training_module", manager_module.public_id)).status_code
        == 404
    )
    assert (
        http.post(
            portal(rita, "portal_training_module", manager_module.public_id), {"action": "complete"}
        ).status_code
        == 404
    )


def test_another_reps_module_cannot_be_answered_in_their_name(rita):
    """Vera has the same module; Rita's post reaches only her own assignment."""
    http = signed_in(rita.rita)
    module = rita.quiz_module
    with tenant_scope(rita.firm_a):
        right = {f"question-{k}": v for k, v in answers(module, right=2).items()}

    http.post(portal(rita, "portal_training_module", module.public_id), {"action": "quiz", **right})

    done = TrainingAssignment.unscoped.filter(module=module, completed_at__isnull=False)
    assert [a.stakeholder_id for a in done] == [rita.rita_stakeholder.pk]


def test_attachments_download_in_the_portal(rita):
    with tenant_scope(rita.firm_a):
        attachment = services.attachment_add(
            module=rita.quiz_module, actor=rita.consultant,
            upload=SimpleUploadedFile("cheat.pdf", b"%PDF cheat"),
        )  # fmt: skip
    url = portal(
        rita, "portal_training_attachment", rita.quiz_module.public_id, attachment.public_id
    )

    response = signed_in(rita.rita).get(url)

    assert b"".join(response.streaming_content) == b"%PDF cheat"
    outsider, _ = client_user(rita, name="Manny", email="manny@xylo.example", role="manager")
    assert signed_in(outsider).get(url).status_code == 404


def test_after_sign_off_the_module_can_be_read_but_not_taken(rita):
    PhaseState.unscoped.create(
        firm=rita.firm_a, engagement=rita.engagement, phase=Phase.ENABLEMENT,
        status=PhaseStatus.SIGNED_OFF,
    )  # fmt: skip
    http = signed_in(rita.rita)
    url = portal(rita, "portal_training_module", rita.quiz_module.public_id)

    body = text(http.get(url))
    assert "Training is closed: enablement is signed off" in body
    assert "Submit my answers" not in body
    response = http.post(url, {"action": "quiz"})
    assert response.status_code == 400
    assert not QuizAttempt.unscoped.exists()


def test_the_approver_sees_the_teams_completion(rita):
    body = text(signed_in(rita.approver).get(portal(rita, "portal_enablement")))

    assert "Your team's training" in body
    assert "Rep: 0% (0 of 6 modules completed)" in body


@pytest.mark.parametrize(("who", "scope"), [("rita", "for your role and for you"),
                                            ("approver", "for the whole team")])  # fmt: skip
def test_the_page_leads_to_the_adoption_dashboard(rita, who, scope):
    http = signed_in(getattr(rita, who))
    body = text(http.get(portal(rita, "portal_enablement")))

    assert scope in body
    assert f'href="{portal(rita, "portal_adoption")}"' in body
    assert http.get(portal(rita, "portal_adoption")).status_code == 200


def _queries(http, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["rita", "approver"])
def test_the_portal_page_runs_the_same_queries_however_many_modules(rita, who):
    http = signed_in(getattr(rita, who))
    url = portal(rita, "portal_enablement")
    few = _queries(http, url)

    with tenant_scope(rita.firm_a):
        for n in range(5):
            module = module_with_quiz(rita, title=f"More {n}")
            client_user(rita, name=f"Rep {n}", email=f"rep{n}@xylo.example")
            services.training_assign(
                engagement=rita.engagement, actor=rita.consultant, module=module
            )
            for assignment in TrainingAssignment.objects.filter(module=module)[:2]:
                services.quiz_submit(
                    assignment=assignment,
                    user=rita.consultant,
                    answers=answers(module, right=n % 3),
                )
    many = _queries(http, url)

    assert many == few


def test_the_module_page_runs_the_same_queries_however_many_questions_and_attempts(rita):
    http = signed_in(rita.rita)
    module = rita.quiz_module
    url = portal(rita, "portal_training_module", module.public_id)
    few = _queries(http, url)

    with tenant_scope(rita.firm_a):
        for n in range(5):
            services.question_add(
                module=module,
                actor=rita.consultant,
                text=f"Extra {n}?",
                choices=["A", "B", "C"],
                correct=1,
            )
            services.attachment_add(
                module=module,
                actor=rita.consultant,
                upload=SimpleUploadedFile(f"f{n}.pdf", b"%PDF"),
            )
        assignment = TrainingAssignment.objects.get(
            module=module, stakeholder=rita.rita_stakeholder
        )
        for _ in range(3):
            services.quiz_submit(
                assignment=assignment, user=rita.rita, answers=answers(module, right=1)
            )
    many = _queries(http, url)

    assert many == few
