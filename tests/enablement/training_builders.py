"""Builders for Phase 6 training and handoff tests: the engagement in the enablement phase,
client users of each role with portal access, modules with a quiz, and an engagement whose
every readiness check passes. They go through the services a consultant's edits go through."""

from __future__ import annotations

from datetime import date

from enablement.models import OpenItemStatus, SupportModel, TrainingModule
from enablement.services import handoff as handoff_services
from enablement.services import training as services
from engagements.models import (
    Engagement,
    PhaseState,
    PhaseStatus,
    Role,
    Stakeholder,
    StakeholderRole,
    User,
)
from engagements.phases import WORKING_PHASES, Phase
from tests.conftest import World
from tests.factories import MembershipFactory, StakeholderFactory

PASSWORD = "a-long-client-passphrase"


def in_enablement(world: World) -> Engagement:
    """Firm A's engagement moved on to Phase 6, the five earlier phases signed off."""
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.ENABLEMENT)
    for phase in WORKING_PHASES[:-1]:
        PhaseState.unscoped.update_or_create(
            engagement=world.engagement,
            phase=phase,
            defaults={"status": PhaseStatus.SIGNED_OFF},
            create_defaults={"firm": world.firm_a, "status": PhaseStatus.SIGNED_OFF},
        )
    world.engagement.refresh_from_db()
    return world.engagement


def client_user(
    world: World, *, name: str, email: str, role: str = StakeholderRole.REP, portal: bool = True
) -> tuple[User | None, Stakeholder]:
    """A stakeholder of firm A's engagement; with `portal`, also a client user who can sign in
    with PASSWORD."""
    user = None
    if portal:
        user = MembershipFactory(
            firm=world.firm_a, role=Role.CLIENT, client=world.client_x,
            user__email=email, user__full_name=name,
        ).user  # fmt: skip
        user.set_password(PASSWORD)
        user.save()
    stakeholder = StakeholderFactory(
        engagement=world.engagement, name=name, email=email, user=user, role=role,
        has_portal_access=portal,
    )  # fmt: skip
    return user, stakeholder


def module_with_quiz(
    world: World, *, title: str = "Manage your pipeline", role: str = StakeholderRole.REP,
    pass_mark: int = 50, questions: int = 2,
) -> TrainingModule:  # fmt: skip
    """A module of `role` whose quiz has `questions` questions; the correct answer is always
    the first choice, "Right n"."""
    module = services.module_create(
        engagement=world.engagement, actor=world.consultant, role=role, title=title,
        content="## Stages\nMove a deal when its **exit criteria** are met.", minutes=15,
        pass_mark=pass_mark,
    )  # fmt: skip
    for n in range(1, questions + 1):
        services.question_add(
            module=module, actor=world.consultant, text=f"Question {n}?",
            choices=[f"Right {n}", f"Wrong {n}", f"Also wrong {n}"], correct=0,
        )  # fmt: skip
    return module


def answers(module: TrainingModule, *, right: int) -> dict[str, str]:
    """Answers to a module's quiz: the first `right` questions right, the others wrong."""
    result = {}
    for index, question in enumerate(module.questions.prefetch_related("choices")):
        choices = list(question.choices.all())
        pick = next(c for c in choices if c.is_correct == (index < right))
        result[str(question.public_id)] = str(pick.public_id)
    return result


def ready_enablement(world: World) -> None:
    """Every readiness check of Phase 6 passes: the approver (a rep) and Ray Rep have their
    module and completed it, documentation and access are transferred, the open item is
    handed over, and a retainer is agreed. Call inside firm A's tenant scope."""
    in_enablement(world)
    module = services.module_create(
        engagement=world.engagement, actor=world.consultant, role=StakeholderRole.REP,
        title="Log your activities", content="Log every call.",
    )  # fmt: skip
    for assignment in services.training_assign(
        engagement=world.engagement, actor=world.consultant, role=StakeholderRole.REP
    ):
        services.assignment_complete(assignment=assignment, user=world.consultant)
    del module
    today = date.today()
    handoff_services.handoff_item_save(
        engagement=world.engagement, actor=world.consultant,
        model=handoff_services.DocumentTransfer, title="Admin guide",
        location="SharePoint/CRM", recipient="Olga Ops", transferred_on=today,
    )  # fmt: skip
    handoff_services.handoff_item_save(
        engagement=world.engagement, actor=world.consultant,
        model=handoff_services.AccessTransfer, system="HubSpot", account="Super admin",
        previous_owner="Bob (Alpha)", new_owner="Olga Ops", moved_on=today,
    )  # fmt: skip
    handoff_services.handoff_item_save(
        engagement=world.engagement, actor=world.consultant, model=handoff_services.OpenItem,
        title="Quote template", owner="Olga Ops", status=OpenItemStatus.HANDED_OVER,
        resolution="Olga finishes it in Q3.",
    )  # fmt: skip
    handoff_services.support_plan_save(
        engagement=world.engagement, actor=world.consultant, model=SupportModel.RETAINER,
        retainer_hours=10,
    )  # fmt: skip
