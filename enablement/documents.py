"""Phase 6's document: the handoff pack, declared for the shared pipeline
(`engagements.registry.DocumentKind`)."""

from enablement.handoff_pdf import handoff_pack_context
from enablement.models import HandoffPackVersion
from engagements.phases import Phase
from engagements.registry import DocumentKind

HANDOFF_PACK = DocumentKind(
    slug="handoff-pack",
    label="Handoff pack",
    noun="handoff pack",
    phase=Phase.ENABLEMENT,
    model=HandoffPackVersion,
    template="enablement/pdf/handoff_pack.html",
    context=handoff_pack_context,
    page_url_name="handoff",
    anchor="handoff-pack",
    summary="how each role was trained, the documentation and admin access now in your hands, "
    "what is still open and who owns it, and the support agreed from here on.",
    folder="handoff-packs",
    job_kind="handoff_pack",
)
