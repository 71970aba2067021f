"""The handoff pack PDF: its versions (rendered in the background, v1, v2, …) and their sends by
email, bound to the shared pipeline in `engagements.services.documents`. The views call only
these functions."""

from django.conf import settings
from django.urls import reverse

from enablement.models import HandoffPackVersion
from engagements.models import Engagement, OutboundEmail, Stakeholder, User
from engagements.phases import Phase
from engagements.services import documents

ENABLEMENT = Phase.ENABLEMENT
FOLDER = "handoff-packs"
EMAIL_TEMPLATE = "emails/handoff_pack"


def handoff_pack_delivery_prefix(version: HandoffPackVersion) -> str:
    return f"handoff-pack:{version.public_id}:"


def handoff_pack_version_request(*, engagement: Engagement, actor: User) -> HandoffPackVersion:
    """Queue a new version (v1, v2, …) for rendering after this transaction commits."""
    from enablement.tasks import render_handoff_pack

    return documents.document_request(
        model=HandoffPackVersion, engagement=engagement, phase=ENABLEMENT, actor=actor,
        kind="handoff_pack", task=render_handoff_pack,
    )  # fmt: skip


def handoff_pack_version_retry(*, version: HandoffPackVersion) -> HandoffPackVersion:
    from enablement.tasks import render_handoff_pack

    return documents.document_retry(version=version, task=render_handoff_pack)


def handoff_pack_version_render(*, version_id: int) -> HandoffPackVersion:
    """Render one version to PDF and store it. Safe to run again: a stored version is kept."""
    from enablement.handoff_pdf import render_handoff_pack_pdf

    version = HandoffPackVersion.objects.select_related("engagement", "job").get(pk=version_id)
    return documents.document_render(
        version=version,
        render_pdf=lambda engagement, number, progress: render_handoff_pack_pdf(
            engagement, version_number=number, progress=progress
        ),
        folder=FOLDER,
    )


def handoff_pack_version_send(
    *, version: HandoffPackVersion, actor: User, recipients: list[Stakeholder]
) -> list[OutboundEmail]:
    """Write one delivery record per recipient now and send them in the background; nobody
    receives the same version twice."""
    from enablement.tasks import deliver_handoff_pack

    return documents.document_send(
        version=version,
        phase=ENABLEMENT,
        actor=actor,
        recipients=recipients,
        template=EMAIL_TEMPLATE,
        link=settings.SITE_URL + reverse("portal_enablement", args=[version.engagement.public_id]),
        prefix=handoff_pack_delivery_prefix(version),
        deliver_task=deliver_handoff_pack,
    )


def handoff_pack_version_deliver(*, version_id: int) -> None:
    version = HandoffPackVersion.objects.select_related("engagement").get(pk=version_id)
    documents.document_deliver(version=version, prefix=handoff_pack_delivery_prefix(version))


def handoff_pack_versions(*, engagement: Engagement) -> list[HandoffPackVersion]:
    """Every version with its job and its deliveries, newest first (three queries)."""
    versions = list(
        HandoffPackVersion.objects.filter(engagement=engagement).select_related(
            "job", "requested_by"
        )
    )
    return documents.with_deliveries(versions, handoff_pack_delivery_prefix)


def shared_handoff_pack_versions(*, engagement: Engagement) -> list[HandoffPackVersion]:
    """Rendered versions sent to at least one stakeholder, newest first: what the client may
    download in the portal (two queries)."""
    return documents.sent_versions(
        HandoffPackVersion.objects.filter(engagement=engagement), handoff_pack_delivery_prefix
    )
