"""Client portal pages of Phase 4: sprint progress, acceptance testing (running the scenarios
assigned to my role and filing feedback), and sign-off."""

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from engagements import selectors as engagement_selectors
from engagements.access import portal_view
from engagements.errors import ApplicationError
from engagements.forms import ShapeOnlyModelForm
from engagements.models import Engagement, Stakeholder
from engagements.pages import refusal_on
from engagements.phases import Phase
from engagements.portal import (
    portal_engagement_or_404,
    portal_phase_context,
    render_portal_phase,
)
from sprints import services
from sprints.models import (
    CheckIn,
    DeliverableStatus,
    Feedback,
    RunOutcome,
    Scenario,
    ScenarioStep,
    Sprint,
    TestRun,
    UatRound,
)


class FeedbackForm(ShapeOnlyModelForm):
    # A plain choice over the round's (already fetched) scenarios, not a ModelChoiceField: that
    # would query again for every round's form on the page.
    scenario = forms.ChoiceField(label="Which scenario (optional)", required=False)

    class Meta:
        model = Feedback
        fields = ["category", "severity", "location", "description", "expected"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "expected": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, uat_round: UatRound, scenarios: list[Scenario], **kwargs) -> None:
        # Several rounds' forms can share a page: ids carry the round so every label is unique.
        kwargs.setdefault("auto_id", f"feedback-{uat_round.public_id}-%s")
        super().__init__(*args, **kwargs)
        self._scenarios = {str(s.public_id): s for s in scenarios}
        self.fields["scenario"].choices = [("", "Not about one scenario")] + [
            (key, s.title) for key, s in self._scenarios.items()
        ]

    def clean_scenario(self) -> Scenario | None:
        return self._scenarios.get(self.cleaned_data.get("scenario") or "")


# --- what the page shows ------------------------------------------------------------------------


def _sprint_progress(engagement: Engagement) -> list[Sprint]:
    """Every sprint with its deliverables done and in scope (deferred ones are out of scope, as
    in the burn-up) and its check-ins, newest first."""
    return list(
        Sprint.objects.filter(engagement=engagement)
        .annotate(
            deliverables_done=Count(
                "deliverables", filter=Q(deliverables__status=DeliverableStatus.DONE)
            ),
            deliverables_total=Count(
                "deliverables", filter=~Q(deliverables__status=DeliverableStatus.DEFERRED)
            ),
        )
        .prefetch_related(Prefetch("check_ins", queryset=CheckIn.objects.order_by("-date", "-id")))
    )


def _my_open_rounds(engagement: Engagement, me: Stakeholder) -> list[dict]:
    rounds = list(
        UatRound.objects.filter(
            engagement=engagement, is_open=True, participants=me
        ).prefetch_related(
            Prefetch("scenarios", queryset=Scenario.objects.prefetch_related("steps"))
        )
    )
    latest: dict[tuple[int, int], TestRun] = {}
    for run in TestRun.objects.filter(run_by_id=me.user_id, uat_round__in=rounds).order_by(
        "-created_at", "-id"
    ):
        latest.setdefault((run.uat_round_id, run.scenario_id), run)
    items = []
    for uat_round in rounds:
        scenarios = list(uat_round.scenarios.all())
        # The rule of services.assigned_scenarios, applied to the prefetched rows so the page
        # costs the same queries however many rounds and scenarios there are.
        assigned = [s for s in scenarios if any(step.role == me.role for step in s.steps.all())]
        items.append(
            {
                "round": uat_round,
                "scenarios": [
                    {
                        "scenario": s,
                        "my_steps": sum(1 for step in s.steps.all() if step.role == me.role),
                        "last_run": latest.get((uat_round.pk, s.pk)),
                    }
                    for s in assigned
                ],
                "feedback_form": FeedbackForm(uat_round=uat_round, scenarios=scenarios),
            }
        )
    return items


def _my_feedback(engagement: Engagement, me: Stakeholder) -> list[Feedback]:
    return list(
        Feedback.objects.filter(engagement=engagement, reporter=me).select_related(
            "uat_round", "scenario", "deliverable__sprint", "duplicate_of__deliverable__sprint"
        )
    )


def portal_context(engagement: Engagement, me: Stakeholder) -> dict:
    """What the Build page shows a client stakeholder: every sprint's progress, the open test
    rounds they take part in with the scenarios for their role, and the outcome of their
    feedback. A fixed number of queries, however many rows."""
    return {
        "sprints": _sprint_progress(engagement),
        "uat_rounds": _my_open_rounds(engagement, me),
        "my_feedback": _my_feedback(engagement, me),
    }


# --- views --------------------------------------------------------------------------------------


@portal_view
def portal_build(request: HttpRequest, public_id) -> HttpResponse:
    engagement = portal_engagement_or_404(request, public_id)
    return render_portal_phase(request, engagement, Phase.BUILD)


def _my_round_or_404(engagement: Engagement, me: Stakeholder, round_id) -> UatRound:
    return get_object_or_404(
        UatRound.objects, engagement=engagement, participants=me, public_id=round_id
    )


def _build_url(engagement: Engagement, anchor: str = "") -> str:
    return reverse("portal_build", args=[engagement.public_id]) + anchor


@portal_view
@require_http_methods(["GET", "POST"])
def portal_uat_run(request: HttpRequest, public_id, round_id, scenario_id) -> HttpResponse:
    """A participant runs one of the round's scenarios assigned to their role, step by step."""
    engagement = portal_engagement_or_404(request, public_id)
    me = engagement_selectors.portal_stakeholder_for(
        membership=request.membership, engagement=engagement
    )
    uat_round = _my_round_or_404(engagement, me, round_id)
    scenario = next(
        (
            s
            for s in services.assigned_scenarios(uat_round=uat_round, stakeholder=me)
            if s.public_id == scenario_id
        ),
        None,
    )
    if scenario is None:
        raise Http404
    if not uat_round.is_open:
        messages.info(request, f"{uat_round.name} is closed: thank you, no more runs are needed.")
        return redirect("portal_build", engagement.public_id)
    steps: list[ScenarioStep] = list(scenario.steps.all())
    error = ""
    if request.method == "POST":
        results = {
            step.pk: {
                "status": request.POST.get(f"status-{step.public_id}", ""),
                "notes": request.POST.get(f"notes-{step.public_id}", "").strip(),
                "evidence": request.FILES.get(f"evidence-{step.public_id}"),
            }
            for step in steps
        }
        try:
            run = services.run_record(
                scenario=scenario, runner=request.user, results=results, uat_round=uat_round
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                f"Thank you — your run of “{scenario.title}” is recorded: "
                f"{run.get_outcome_display().lower()}. If anything was confusing, slow or wrong, "
                "tell us below with “File feedback”.",
            )
            return redirect(_build_url(engagement, f"#round-{uat_round.public_id}"))
    rows = [
        {
            "step": step,
            "is_mine": step.role == me.role,
            "status": request.POST.get(f"status-{step.public_id}", ""),
            "notes": request.POST.get(f"notes-{step.public_id}", ""),
        }
        for step in steps
    ]
    context = {
        "engagement": engagement,
        "me": me,
        "uat_round": uat_round,
        "scenario": scenario,
        "rows": rows,
        "outcomes": RunOutcome.choices,
        "error": error,
        "had_uploads": bool(error and request.FILES),
    }
    return render(request, "sprints/portal_run.html", context, status=400 if error else 200)


@portal_view
@require_POST
def portal_feedback(request: HttpRequest, public_id, round_id) -> HttpResponse:
    """A participant files feedback on the round; the reporter later sees how it was triaged."""
    engagement = portal_engagement_or_404(request, public_id)
    me = engagement_selectors.portal_stakeholder_for(
        membership=request.membership, engagement=engagement
    )
    uat_round = _my_round_or_404(engagement, me, round_id)
    form = FeedbackForm(
        request.POST, uat_round=uat_round, scenarios=list(uat_round.scenarios.all())
    )
    if form.is_valid():
        with refusal_on(form):
            services.feedback_file(uat_round=uat_round, reporter=me, **form.cleaned_data)
            messages.success(
                request,
                "Thank you — your feedback is filed. Your consultant triages it; its outcome "
                "shows under “Your feedback”.",
            )
            return redirect(_build_url(engagement, "#my-feedback"))
    context = {**portal_phase_context(request, engagement, Phase.BUILD), "feedback_form": form}
    shown = next((i for i in context["uat_rounds"] if i["round"].pk == uat_round.pk), None)
    if shown is None:
        # A closed round is not on the page, so its form cannot show the error there.
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()) or "Not filed.")
        return redirect("portal_build", engagement.public_id)
    shown["feedback_form"] = form
    return render(request, "sprints/portal.html", context, status=400)
