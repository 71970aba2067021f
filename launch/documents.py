"""Phase 5's document: the launch plan, declared for the shared pipeline
(`engagements.registry.DocumentKind`)."""

from engagements.phases import Phase
from engagements.registry import DocumentKind
from launch.models import LaunchPlanVersion
from launch.plan_pdf import launch_plan_context

LAUNCH_PLAN = DocumentKind(
    slug="launch-plan",
    label="Launch plan",
    noun="launch plan",
    phase=Phase.LAUNCH,
    model=LaunchPlanVersion,
    template="launch/pdf/launch_plan.html",
    context=launch_plan_context,
    page_url_name="launch",
    anchor="launch-plan-pdf",
    summary="the cutover window and its runbook, who is told what and when, what we watch, "
    "when and how we roll back, and the rollout waves with their go criteria.",
    folder="launch-plans",
    job_kind="launch_plan",
)
