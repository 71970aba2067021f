"""The launch plan PDF: its versions (rendered in the background, v1, v2, …).

The pipeline itself is shared with the diagnostic report (`engagements.services.documents`);
these functions bind it to the launch plan, and the views call only these.
"""

from engagements.models import Engagement, User
from engagements.phases import Phase
from engagements.services import documents
from launch.models import LaunchPlanVersion

LAUNCH = Phase.LAUNCH
FOLDER = "launch-plans"


def launch_plan_delivery_prefix(version: LaunchPlanVersion) -> str:
    return f"launch-plan:{version.public_id}:"


def launch_plan_version_request(*, engagement: Engagement, actor: User) -> LaunchPlanVersion:
    """Queue a new version (v1, v2, …) for rendering after this transaction commits."""
    from launch.tasks import render_launch_plan

    return documents.document_request(
        model=LaunchPlanVersion, engagement=engagement, phase=LAUNCH, actor=actor,
        kind="launch_plan", task=render_launch_plan,
    )  # fmt: skip


def launch_plan_version_render(*, version_id: int) -> LaunchPlanVersion:
    """Render one version to PDF and store it. Safe to run again: a stored version is kept."""
    from launch.plan_pdf import render_launch_plan_pdf

    version = LaunchPlanVersion.objects.select_related("engagement", "job").get(pk=version_id)
    return documents.document_render(
        version=version,
        render_pdf=lambda engagement, number, progress: render_launch_plan_pdf(
            engagement, version_number=number, progress=progress
        ),
        folder=FOLDER,
    )


def launch_plan_versions(*, engagement: Engagement) -> list[LaunchPlanVersion]:
    """Every version with its job, newest first (one query)."""
    return list(
        LaunchPlanVersion.objects.filter(engagement=engagement).select_related(
            "job", "requested_by"
        )
    )
