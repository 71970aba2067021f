"""Builders for states that take several service calls to reach."""

from datetime import date
from decimal import Decimal

from engagements.phases import WORKING_PHASES
from engagements.services import charter as charter_services
from engagements.tenancy import tenant_scope
from tests.conftest import World


def ready_charter(world: World) -> None:
    """Give firm A's engagement a charter that passes every readiness check, through the
    services a consultant's edits go through."""

    def add(section: str, **data) -> None:
        charter_services.charter_item_create(
            engagement=world.engagement, actor=world.consultant, section=section, data=data
        )

    with tenant_scope(world.firm_a):
        add("metrics", name="Win rate", unit="%", baseline=Decimal("18"), target=Decimal("25"))
        for role in ("leadership", "manager", "ops"):
            add("roles-out-of-scope", role=role, reason=f"No {role} in this project.")
        for number, phase in enumerate(WORKING_PHASES, start=1):
            add(
                "milestones",
                phase=phase.value,
                title=f"{phase.label} done",
                due_date=date(2030, number, 1),
            )
        add(
            "meetings",
            name="Weekly steering",
            attendee_roles=["rep"],
            cadence="weekly",
            channel="Zoom",
        )
