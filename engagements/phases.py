"""The six phases of the framework, in order, then closed."""

from django.db import models


class Phase(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding & Alignment"
    DIAGNOSTIC = "diagnostic", "Diagnostic Workshops"
    ARCHITECTURE = "architecture", "Systems Architecture"
    BUILD = "build", "Build, Test & Optimize"
    LAUNCH = "launch", "Launch & Deployment"
    ENABLEMENT = "enablement", "Enablement & Ongoing Support"
    CLOSED = "closed", "Closed"


WORKING_PHASES: tuple[Phase, ...] = tuple(p for p in Phase if p is not Phase.CLOSED)


def phase_steps(current: str) -> list[dict]:
    """Each working phase with its state relative to `current` (done, current or upcoming),
    whether its app has registered, and its page names in the workspace and the portal."""
    from engagements import registry

    order = list(Phase)
    current_index = order.index(Phase(current))
    steps = []
    for index, phase in enumerate(WORKING_PHASES):
        if index < current_index:
            state = "done"
        elif index == current_index:
            state = "current"
        else:
            state = "upcoming"
        spec = registry.spec_for(phase)
        steps.append(
            {
                "phase": phase,
                "number": index + 1,
                "label": phase.label,
                "state": state,
                "available": spec is not None,
                "workspace_url_name": spec.workspace_url_name if spec else None,
                "portal_url_name": spec.portal_url_name if spec else None,
            }
        )
    return steps
