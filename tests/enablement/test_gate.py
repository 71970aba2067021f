"""Phase 6's gate: readiness (training completion per role against the threshold, no open
critical adoption alert, the handoff checklist complete, a support model chosen), the sign-off
snapshot, and the whole close: sign-off requested, approved in the portal, the engagement closed
and shown closed in the workspace."""

from datetime import date

import pytest
from django.urls import reverse

from enablement import gate
from enablement.models import (
    AccessTransfer,
    OpenItem,
    OpenItemStatus,
    SupportPlan,
    TrainingAssignment,
)
from enablement.selectors.training import completion_summary
from enablement.services import handoff as handoff_services
from enablement.services import training as services
from engagements import registry
from engagements.errors import ApplicationError
from engagements.models import (
    Engagement,
    EngagementStatus,
    OutboundEmail,
    PhaseState,
    PhaseStatus,
    RequestStatus,
    SignoffRequest,
    StakeholderRole,
)
from engagements.phases import Phase
from engagements.services import signoffs
from engagements.tenancy import tenant_scope
from tests.conftest import signed_in
from tests.enablement.training_builders import (
    answers,
    client_user,
    module_with_quiz,
    ready_enablement,
)


@pytest.fixture
def ready(firm_a_scope):
    ready_enablement(firm_a_scope)
    return firm_a_scope


def failing(engagement: Engagement) -> list[str]:
    return [check.todo for check in gate.readiness(engagement) if check.blocks]


def test_phase_6_is_registered_with_its_pages():
    spec = registry.spec_for(Phase.ENABLEMENT)

    assert spec is gate.SPEC
    assert (spec.workspace_url_name, spec.portal_url_name) == ("enablement", "portal_enablement")


def test_an_empty_phase_says_every_thing_left_to_do(firm_a_scope):
    todo = failing(firm_a_scope.engagement)

    assert todo == [
        "Assign training to every role: none yet for rep.",
        "Get training completion to 80% for each role.",
        "Transfer the documentation to the client (list what is handed over first).",
        "Move every admin credential and account owner to the client "
        "(record each system's admin accounts first).",
        "Choose the ongoing support model agreed with the client.",
    ]


def test_a_ready_phase_passes_every_check(ready):
    checks = gate.readiness(ready.engagement)

    assert [c.label for c in checks if c.blocks] == []
    assert "No open critical adoption alert." in [c.label for c in checks]


def test_completion_must_reach_the_threshold_in_every_role(ready):
    _, manager = client_user(ready, name="Mona Manager", email="mona@xylo.example", role="manager")
    module = module_with_quiz(ready, role=StakeholderRole.MANAGER, title="Forecasting")
    services.training_assign(engagement=ready.engagement, actor=ready.consultant, module=module)

    assert failing(ready.engagement) == [
        "Get training completion to 80% for each role: now manager 0% (0 of 1)."
    ]

    assignment = TrainingAssignment.objects.get(stakeholder=manager)
    services.quiz_submit(assignment=assignment, user=manager.user, answers=answers(module, right=2))
    assert failing(ready.engagement) == []


def test_the_threshold_is_the_engagements_own(ready):
    rep_module = module_with_quiz(ready, title="Second rep module")
    services.training_assign(engagement=ready.engagement, actor=ready.consultant, module=rep_module)
    # 2 of 4 rep assignments completed: 50%.
    assert "now rep 50% (2 of 4)" in failing(ready.engagement)[0]

    services.enablement_settings_update(
        engagement=ready.engagement, actor=ready.consultant, completion_threshold=50
    )

    assert failing(ready.engagement) == []


def test_a_role_with_stakeholders_but_no_training_blocks(ready):
    client_user(ready, name="Otto Ops", email="otto@xylo.example", role="ops", portal=False)

    assert failing(ready.engagement) == ["Assign training to every role: none yet for ops."]


def test_leadership_is_not_required_to_train(ready):
    client_user(ready, name="Lea Lead", email="lea@xylo.example", role="leadership")

    assert failing(ready.engagement) == []


def test_every_checklist_item_must_be_done(ready):
    handoff_services.handoff_item_save(
        engagement=ready.engagement, actor=ready.consultant, model=AccessTransfer,
        system="Gong", account="Admin", previous_owner="Alpha", new_owner="Olga",
    )  # fmt: skip
    handoff_services.handoff_item_save(
        engagement=ready.engagement, actor=ready.consultant, model=OpenItem, title="Fix SSO"
    )

    assert failing(ready.engagement) == [
        "Move every admin credential and account owner to the client: not yet Gong — Admin.",
        "Resolve or hand over the open items: Fix SSO.",
    ]


def test_an_open_critical_adoption_alert_blocks(ready):
    alert_model = pytest.importorskip("enablement.models").AdoptionAlert
    monday = date(2030, 1, 7)
    alert_model.objects.create(
        firm=ready.firm_a, engagement=ready.engagement, subject="role:rep", role="rep",
        metric="login", severity="critical", title="Reps stopped logging in",
        threshold=3, value=0, weeks_below=3, first_week=monday, last_week=monday,
    )  # fmt: skip

    assert failing(ready.engagement) == [
        "Resolve the open critical adoption alerts: Reps stopped logging in."
    ]


def test_the_snapshot_holds_modules_completion_checklist_and_support(ready):
    snapshot = gate.snapshot(ready.engagement)

    assert [m["title"] for m in snapshot["modules"]] == ["Log your activities"]
    assert snapshot["completion_by_role"] == [
        {"id": "rep", "label": "Rep", "met": True, "threshold": 80}
    ]
    assert snapshot["documentation"][0]["title"] == "Admin guide"
    assert snapshot["access"][0]["new_owner"] == "Olga Ops"
    assert snapshot["open_items"][0]["status"] == "Handed over to the client"
    assert snapshot["support"][0]["label"] == "Retainer for continued optimisation"
    assert snapshot["support"][0]["retainer_hours"] == 10


def test_a_completion_that_leaves_each_role_on_its_side_of_the_threshold_keeps_the_request_fresh(
    ready,
):
    # Reps hold 2 of 4 assignments completed: 50%, at a 50% threshold.
    module = module_with_quiz(ready, title="Late module", pass_mark=50)
    services.training_assign(engagement=ready.engagement, actor=ready.consultant, module=module)
    services.enablement_settings_update(
        engagement=ready.engagement, actor=ready.consultant, completion_threshold=50
    )
    _, lea = client_user(ready, name="Lea Lead", email="lea@xylo.example", role="leadership")
    lea.is_approver = True
    lea.save(update_fields=["is_approver"])
    request = signoffs.signoff_request_create(
        engagement=ready.engagement, phase=Phase.ENABLEMENT, actor=ready.consultant
    )
    signoffs.signoff_decide(
        request=request, stakeholder=lea, decision="approve", reviewed_digest=request.digest,
        typed_name="Lea Lead",
    )  # fmt: skip
    reviewed_by_vera = request.digest  # Vera opens the request and starts reading.

    # While the approvers review, Vera passes her quiz: reps 3 of 4, still above 50%.
    assignment = TrainingAssignment.objects.get(
        module=module, stakeholder=ready.approver_stakeholder
    )
    services.quiz_submit(
        assignment=assignment, user=ready.approver, answers=answers(module, right=2)
    )

    request.refresh_from_db()
    assert not request.is_stale
    assert not OutboundEmail.objects.filter(dedupe_key__startswith="stale:").exists()
    # The pages still show the live count.
    (rep,) = completion_summary(engagement=ready.engagement)
    assert (rep.completed, rep.assigned) == (3, 4)
    # Vera's review still holds, and Lea's earlier approval still counts: the phase is signed off.
    signoffs.signoff_decide(
        request=request, stakeholder=ready.approver_stakeholder, decision="approve",
        reviewed_digest=reviewed_by_vera, typed_name="Vera Vice",
    )  # fmt: skip
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_a_completion_that_moves_a_role_across_the_threshold_changes_what_approvers_review(
    ready,
):
    module = module_with_quiz(ready, title="Late module", pass_mark=50)
    request = signoffs.signoff_request_create(
        engagement=ready.engagement, phase=Phase.ENABLEMENT, actor=ready.consultant
    )
    # The consultant assigns one more rep module: reps 2 of 4, below 80%.
    services.training_assign(engagement=ready.engagement, actor=ready.consultant, module=module)
    request.refresh_from_db()
    assert request.is_stale
    _, below = signoffs.live_snapshot(engagement=ready.engagement, phase=Phase.ENABLEMENT)
    vera = TrainingAssignment.objects.get(module=module, stakeholder=ready.approver_stakeholder)
    ray = TrainingAssignment.objects.get(module=module, stakeholder=ready.rep_stakeholder)

    # 3 of 4 (75%): still below, so what the approvers review is unchanged.
    services.quiz_submit(assignment=vera, user=ready.approver, answers=answers(module, right=2))
    assert signoffs.live_snapshot(engagement=ready.engagement, phase=Phase.ENABLEMENT)[1] == below

    # 4 of 4: the reps cross the threshold, which the approvers must see.
    services.quiz_submit(assignment=ray, user=ready.consultant, answers=answers(module, right=2))
    snapshot, crossed = signoffs.live_snapshot(engagement=ready.engagement, phase=Phase.ENABLEMENT)
    assert crossed != below
    assert snapshot["completion_by_role"] == [
        {"id": "rep", "label": "Rep", "met": True, "threshold": 80}
    ]
    with pytest.raises(ApplicationError, match="changed while you were reviewing"):
        signoffs.signoff_decide(
            request=request, stakeholder=ready.approver_stakeholder, decision="approve",
            reviewed_digest=below, typed_name="Vera Vice",
        )  # fmt: skip
    # Over the threshold again, the phase is what sign-off was requested for: fresh again.
    request.refresh_from_db()
    assert crossed == request.digest and not request.is_stale


def test_the_engagement_closes_once_the_approver_signs_off_the_last_phase(world):
    with tenant_scope(world.firm_a):
        ready_enablement(world)
    consultant, approver = signed_in(world.consultant), signed_in(world.approver)
    engagement_id = world.engagement.public_id

    # The consultant asks for sign-off from the enablement page's gate panel.
    page = consultant.get(reverse("enablement", args=[engagement_id])).content.decode()
    assert "Request sign-off" in page
    consultant.post(reverse("signoff_request", args=[engagement_id, Phase.ENABLEMENT]))

    # The approver reviews Phase 6 in the portal and approves with their typed name.
    portal = approver.get(reverse("portal_enablement", args=[engagement_id]))
    assert "Type your full name to approve" in portal.content.decode()
    with tenant_scope(world.firm_a):
        digest = SignoffRequest.objects.get(phase=Phase.ENABLEMENT).digest
    decided = approver.post(
        reverse("portal_signoff_decide", args=[engagement_id, Phase.ENABLEMENT]),
        {
            "decision": "approve",
            "approve-typed_name": "Vera Vice",
            "approve-reviewed_digest": digest,
        },
        follow=True,
    )
    assert "You approved Enablement &amp; Ongoing Support" in decided.content.decode()
    with tenant_scope(world.firm_a):
        state = PhaseState.objects.get(engagement=world.engagement, phase=Phase.ENABLEMENT)
    assert state.status == PhaseStatus.SIGNED_OFF

    # The approval itself closes the engagement: nothing is left for the consultant to move on.
    engagement = Engagement.unscoped.get(pk=world.engagement.pk)
    assert (engagement.current_phase, engagement.status) == (
        Phase.CLOSED,
        EngagementStatus.COMPLETED,
    )
    detail = consultant.get(reverse("engagement_detail", args=[engagement_id])).content.decode()
    assert "Completed" in detail
    assert "Move the engagement on" not in detail
    # Phase 6 is read-only now, in the workspace and for the client's training.
    page = consultant.get(reverse("enablement", args=[engagement_id])).content.decode()
    assert "Signed off — read-only" in page
    assert "Write a module" not in page
    with tenant_scope(world.firm_a):
        assert SupportPlan.objects.get().model == "retainer"
        assert OpenItem.objects.get().status == OpenItemStatus.HANDED_OVER


def test_reopening_the_handoff_of_a_closed_engagement_makes_it_active_again(world):
    with tenant_scope(world.firm_a):
        ready_enablement(world)
        request = signoffs.signoff_request_create(
            engagement=world.engagement, phase=Phase.ENABLEMENT, actor=world.consultant
        )
        signoffs.signoff_decide(
            request=request,
            stakeholder=world.approver_stakeholder,
            decision="approve",
            reviewed_digest=request.digest,
            typed_name="Vera Vice",
        )
        assert Engagement.objects.get(pk=world.engagement.pk).status == EngagementStatus.COMPLETED

        signoffs.phase_reopen(
            engagement=world.engagement,
            phase=Phase.ENABLEMENT,
            actor=world.consultant,
            reason="The client asked for one more ops module",
        )

        engagement = Engagement.objects.get(pk=world.engagement.pk)
    assert (engagement.current_phase, engagement.status) == (
        Phase.ENABLEMENT,
        EngagementStatus.ACTIVE,
    )
