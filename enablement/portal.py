"""Client portal pages of Phase 6: my training (progress, taking a module, its quiz), the
handoff (support model, the handoff pack), and the sign-off panel."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from enablement.charts import completion_chart_svg
from enablement.models import QuizAttempt, SupportPlan, TrainingAttachment
from enablement.selectors import training as selectors
from enablement.services import training as services
from enablement.views.adoption import portal_adoption_context
from enablement.views.training import attachment_response
from engagements import selectors as engagement_selectors
from engagements.access import portal_view
from engagements.errors import ApplicationError
from engagements.models import Engagement, Stakeholder
from engagements.phases import Phase
from engagements.portal import portal_engagement_or_404, render_portal_phase

ENABLEMENT = Phase.ENABLEMENT


def portal_context(engagement: Engagement, me: Stakeholder) -> dict:
    """What the Enablement page shows a client stakeholder: their modules and progress, the
    support model and the handoff pack; approvers also see the team's completion by role,
    which they sign off. A fixed number of queries."""
    mine = selectors.my_assignments(engagement=engagement, stakeholder=me)
    done = sum(1 for a in mine if a.completed_at)
    completion = selectors.completion_summary(engagement=engagement) if me.is_approver else []
    return {
        "my_assignments": mine,
        "my_completed": done,
        "my_percent": selectors.percent(done, len(mine)),
        "my_minutes_left": sum(a.module.minutes for a in mine if not a.completed_at),
        "team_completion": completion,
        "chart": completion_chart_svg(completion),
        "support": SupportPlan.objects.filter(engagement=engagement).first(),
    }


@portal_view
def portal_enablement(request: HttpRequest, public_id) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    return render_portal_phase(request, engagement, ENABLEMENT)


def _me(request: HttpRequest, engagement: Engagement) -> Stakeholder:
    return engagement_selectors.portal_stakeholder_for(
        membership=request.membership, engagement=engagement
    )


def _my_assignment(request: HttpRequest, public_id, module_id):
    """(engagement, me, my assignment of the module) — 404 unless the module is assigned to me."""
    engagement = portal_engagement_or_404(request, public_id)
    me = _me(request, engagement)
    assignment = selectors.my_assignment(
        engagement=engagement, stakeholder=me, module_public_id=module_id
    )
    if assignment is None:
        raise Http404
    return engagement, me, assignment


@portal_view
@require_http_methods(["GET", "POST"])
def portal_training_module(request: HttpRequest, public_id, module_id) -> HttpResponse:
    """Take a module: read it, open its attachments, then answer its quiz (`action=quiz`) or,
    without a quiz, mark it completed (`action=complete`). A rejected quiz keeps the answers."""
    engagement, me, assignment = _my_assignment(request, public_id, module_id)
    module = selectors.module_detail(engagement=engagement, public_id=module_id)
    questions = list(module.questions.all())
    error = ""
    answers: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        answers = {
            str(q.public_id): request.POST.get(f"question-{q.public_id}", "") for q in questions
        }
        try:
            if action == "quiz":
                attempt = services.quiz_submit(
                    assignment=assignment, user=request.user, answers=answers
                )
                if attempt.passed:
                    messages.success(
                        request,
                        f"You passed with {attempt.score}% — “{module.title}” is completed.",
                    )
                else:
                    messages.warning(
                        request,
                        f"You scored {attempt.score}%; the pass mark is {attempt.pass_mark}%. "
                        "Read the module again, then retake the quiz.",
                    )
            elif action == "complete":
                services.assignment_complete(assignment=assignment, user=request.user)
                messages.success(request, f"“{module.title}” is completed. Well done.")
            else:
                raise ApplicationError("Choose what to do: answer the quiz, or mark it completed.")
        except ApplicationError as failure:
            error = failure.message
        else:
            here = reverse("portal_training_module", args=[engagement.public_id, module.public_id])
            return redirect(f"{here}#result")
    attempts = selectors.attempt_list(assignment=assignment)
    last: QuizAttempt | None = attempts[0] if attempts else None
    wrong = []
    if last is not None:
        # Which questions the last attempt got wrong, by number: what to read again. The right
        # answers are not shown, so a retake still tests something.
        correct_ids = {str(c.public_id) for q in questions for c in q.choices.all() if c.is_correct}
        wrong = [
            number
            for number, q in enumerate(questions, start=1)
            if str(q.public_id) in last.answers
            and last.answers[str(q.public_id)] not in correct_ids
        ]
    mine = selectors.my_assignments(engagement=engagement, stakeholder=me)
    position = next((i for i, a in enumerate(mine) if a.pk == assignment.pk), 0)
    context = {
        "engagement": engagement,
        "me": me,
        "assignment": assignment,
        "module": module,
        "content_html": selectors.render_markdown(module.content),
        "attachments": list(module.attachments.all()),
        "questions": [
            {
                "question": q,
                "number": number,
                "choices": list(q.choices.all()),
                "answer": answers.get(str(q.public_id), ""),
                "missing": bool(error)
                and request.method == "POST"
                and not answers.get(str(q.public_id)),
            }
            for number, q in enumerate(questions, start=1)
        ],
        "attempts": attempts,
        "last_attempt": last,
        "wrong": wrong,
        "error": error,
        "position": position + 1,
        "total": len(mine),
        "next_assignment": next(
            (a for a in mine[position + 1 :] + mine[:position] if not a.completed_at), None
        ),
        "closed_reason": services.training_closed_reason(engagement=engagement),
    }
    return render(request, "enablement/portal_module.html", context, status=400 if error else 200)


@portal_view
@require_GET
def portal_training_attachment(request: HttpRequest, public_id, module_id, attachment_id):
    """An attachment of a module assigned to me."""
    _, _, assignment = _my_assignment(request, public_id, module_id)
    attachment = get_object_or_404(
        TrainingAttachment.objects, module=assignment.module, public_id=attachment_id
    )
    return attachment_response(attachment)


@portal_view
@require_GET
def portal_adoption(request: HttpRequest, public_id) -> HttpResponse:
    """The adoption dashboard for the client (built by the adoption part, views/adoption.py):
    approvers, managers and leadership see the team; everyone else their own figures."""
    engagement = portal_engagement_or_404(request, public_id)
    context = portal_adoption_context(request, engagement, _me(request, engagement))
    return render(request, "enablement/portal_adoption.html", context)
