"""Phase 3's document: the architecture blueprint, declared for the shared pipeline
(`engagements.registry.DocumentKind`)."""

from architecture.blueprint import blueprint_context
from architecture.models import BlueprintVersion
from engagements.phases import Phase
from engagements.registry import DocumentKind

BLUEPRINT = DocumentKind(
    slug="blueprint",
    label="Architecture blueprint",
    noun="blueprint",
    phase=Phase.ARCHITECTURE,
    model=BlueprintVersion,
    template="architecture/pdf/blueprint.html",
    context=blueprint_context,
    page_url_name="blueprint",
    anchor="blueprint-pdf",
    summary="what happens to every tool, how data will flow from first touch to renewal, where "
    "the dashboards get their numbers, and the vendors we recommend.",
    folder="blueprints",
    job_kind="architecture_blueprint",
)
