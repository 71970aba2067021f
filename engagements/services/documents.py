"""Versioned PDF documents of every registered kind (`engagements.registry.DocumentKind`): one
pipeline for requesting a version, rendering it in the background, sending it and delivering
the emails, and the reads the pages and the portal share.

A kind's model is a DocumentVersion (`engagements.models.documents`) with an `engagement`.

Deliveries are OutboundEmail rows whose dedupe key is the version's prefix (its kind's
namespace, e.g. "report:<public id>:") followed by the recipient's address: one row per person
and version, written before anything is sent, so neither a second send nor a retried task sends
twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.urls import reverse

from engagements import registry
from engagements.errors import ApplicationError
from engagements.models import (
    DocumentVersion,
    EmailStatus,
    Engagement,
    OutboundEmail,
    Stakeholder,
    User,
)
from engagements.registry import DocumentKind
from engagements.services import email_deliver, email_write
from engagements.services.jobs import (
    job_create,
    job_enqueue,
    job_fail,
    job_progress,
    job_requeue,
    job_retry_allowed,
    job_start,
    job_succeed,
)
from engagements.services.signoffs import phase_edit, signoff_refresh_staleness
from engagements.taskpolicy import enqueue_on_commit

logger = logging.getLogger(__name__)

EMAIL_TEMPLATE = "emails/document"


def _render_later(kind: DocumentKind, version: DocumentVersion) -> None:
    """Remember how to render the version (the watchdog re-queues a stalled one) and queue it
    once this transaction commits."""
    from engagements.tasks import render_document

    job_enqueue(
        job=version.job, task=render_document, args=(kind.slug, version.pk, version.firm_id)
    )


def document_request(*, kind: DocumentKind, engagement: Engagement, actor: User) -> Any:
    """Create the next version (v1, v2, …) with its job record, and render it in the background
    once this transaction commits. The engagement row is locked, so two requests at once get
    distinct numbers; a signed-off phase refuses (see `phase_edit`)."""
    with phase_edit(engagement=engagement, phase=kind.phase, actor=actor) as locked:
        last = kind.model.objects.filter(engagement=locked).order_by("-number").first()
        version = kind.model.objects.create(
            firm=locked.firm,
            engagement=locked,
            number=(last.number if last else 0) + 1,
            requested_by=actor,
            job=job_create(engagement=locked, kind=kind.render_job_kind),
        )
        _render_later(kind, version)
    return version


def document_retry(*, kind: DocumentKind, version: Any) -> Any:
    """Queue a failed render again. A stored or still running version is refused."""
    if version.is_ready:
        raise ApplicationError(f"{kind.label} v{version.number} is already rendered.")
    if not job_retry_allowed(job=version.job):
        raise ApplicationError(f"{kind.label} v{version.number} is still rendering.")
    job_requeue(job=version.job)
    _render_later(kind, version)
    return version


def document_render(*, kind: DocumentKind, version_id: int) -> Any:
    """Render one version to PDF and store it. Safe to run again: a stored version is kept as
    it is. A failure is written to the job record, not raised."""
    from engagements.pdf import document_pdf

    version = kind.model.objects.select_related("engagement", "job").get(pk=version_id)
    if version.is_ready:
        return version
    job = version.job
    engagement = version.engagement
    job_start(job=job)
    try:
        pdf, pages = document_pdf(
            kind,
            engagement,
            version_number=version.number,
            progress=lambda percent, step: job_progress(job=job, percent=percent, step=step),
        )
        job_progress(job=job, percent=95, step="Storing the PDF")
        name = default_storage.save(
            f"{kind.storage_folder}/{engagement.public_id}/"
            f"v{version.number}-{uuid.uuid4().hex[:8]}.pdf",
            ContentFile(pdf),
        )
    except (OperationalError, InterfaceError):
        raise  # the connection was lost: the task policy retries, or fails the job
    except Exception as error:
        # The job record is what the consultant sees: it shows the error and offers a retry.
        # Rendering errors usually come from the data, so nothing retries on its own.
        logger.exception("Rendering %s v%s failed", kind.label, version.number)
        job_fail(job=job, error=f"{type(error).__name__}: {error}")
        return version
    kind.model.objects.filter(pk=version.pk).update(
        file=name, digest=hashlib.sha256(pdf).hexdigest(), size=len(pdf), page_count=pages
    )
    job_succeed(job=job, step=f"{pages} page{'' if pages == 1 else 's'}")
    version.refresh_from_db()
    return version


def document_send(
    *,
    kind: DocumentKind,
    version: Any,
    actor: User,
    recipients: Sequence[Stakeholder],
) -> list[OutboundEmail]:
    """Write one delivery record per recipient now, then send them in the background.

    A recipient who already has this version (sent or queued) is not written again, so
    sending twice, or a retried job, never sends the same version to the same person twice.
    The PDF is attached when it is under REPORT_ATTACHMENT_MAX_BYTES; the link to the phase's
    portal page is always in the email.
    """
    from engagements.tasks import deliver_document

    if not version.is_ready:
        raise ApplicationError("This version has not been rendered yet.")
    if not recipients:
        raise ApplicationError(
            "Choose at least one stakeholder to send this version to.", field="recipients"
        )
    attach = version.size <= settings.REPORT_ATTACHMENT_MAX_BYTES
    spec = registry.spec_for(kind.phase)
    if spec is None:  # a kind is registered by its phase's app, right after the phase
        raise LookupError(f"{kind.label}: its phase has not registered.")
    link = settings.SITE_URL + reverse(spec.portal_url_name, args=[version.engagement.public_id])
    rows = []
    with phase_edit(engagement=version.engagement, phase=kind.phase, actor=actor):
        for stakeholder in recipients:
            email, _ = email_write(
                firm=version.firm,
                dedupe_key=f"{kind.delivery_prefix(version)}{stakeholder.email}",
                to=stakeholder.email,
                template=EMAIL_TEMPLATE,
                context={
                    "document": kind,
                    "phase_label": kind.phase.label,
                    "version": version,
                    "engagement": version.engagement,
                    "sender": actor,
                    "recipient": stakeholder,
                    "link": link,
                    "attached": attach,
                },
                attachment=version.file if attach else "",
                attachment_name=version.filename if attach else "",
            )
            rows.append(email)
        # If the broker is down the rows wait, queued; the outbox sweeper sends them.
        enqueue_on_commit(deliver_document, (kind.slug, version.pk, version.firm_id))
    return rows


def document_deliver(*, kind: DocumentKind, version_id: int) -> None:
    """Send every pending delivery of a version; sent ones are skipped, so a retry after a
    failure part-way sends only to those who have not received it. One refused recipient does
    not hold up the others: the first failure is raised after everyone else was tried."""
    version = kind.model.objects.select_related("engagement").get(pk=version_id)
    pending = (
        OutboundEmail.objects.filter(dedupe_key__startswith=kind.delivery_prefix(version))
        .exclude(status=EmailStatus.SENT)
        .order_by("id")
    )
    failures = []
    for email in pending:
        try:
            email_deliver(outbound_email_id=email.pk)
        except OSError as error:
            failures.append(error)
    # Sending makes this the latest sent version: the phase's snapshot may have changed.
    signoff_refresh_staleness(engagement=version.engagement, actor=None)
    if failures:
        raise failures[0]


# --- reads ------------------------------------------------------------------------------------


def _deliveries_by_prefix(
    prefixes: Iterable[str], **filters: Any
) -> dict[str, list[OutboundEmail]]:
    """The delivery rows of each prefix, in one query."""
    prefixes = set(prefixes)
    if not prefixes:
        return {}
    rows = OutboundEmail.objects.filter(
        reduce(or_, (Q(dedupe_key__startswith=prefix) for prefix in prefixes)), **filters
    ).order_by("to")
    # Prefixes are matched whole (an address may contain ":"); they come in few lengths.
    lengths = {len(prefix) for prefix in prefixes}
    found: dict[str, list[OutboundEmail]] = {}
    for row in rows:
        for length in lengths:
            if row.dedupe_key[:length] in prefixes:
                found.setdefault(row.dedupe_key[:length], []).append(row)
                break
    return found


def with_deliveries(kind: DocumentKind, versions: list[Any]) -> list[Any]:
    """Attach each version's delivery records (one query for all) as `delivery_list`."""
    found = _deliveries_by_prefix(kind.delivery_prefix(v) for v in versions)
    for version in versions:
        version.delivery_list = found.get(kind.delivery_prefix(version), [])
    return versions


def document_version_list(*, kind: DocumentKind, engagement: Engagement) -> list[Any]:
    """Every version with its job and its deliveries, newest first (two queries)."""
    versions = list(
        kind.model.objects.filter(engagement=engagement).select_related("job", "requested_by")
    )
    return with_deliveries(kind, versions)


def document_shared_list(*, kind: DocumentKind, engagement: Engagement) -> list[Any]:
    """Rendered versions that reached at least one recipient, newest first: what the client may
    download in the portal, and what a phase's gate counts as sent (two queries)."""
    rendered = list(kind.model.objects.filter(engagement=engagement).exclude(file=""))
    found = _deliveries_by_prefix(
        (kind.delivery_prefix(v) for v in rendered), status=EmailStatus.SENT
    )
    return [v for v in rendered if kind.delivery_prefix(v) in found]


def document_shared_by_phase(
    *, engagement: Engagement, phase: str
) -> list[tuple[DocumentKind, list]]:
    """The portal's view of a phase's documents: each kind shown there, with its sent versions."""
    return [
        (kind, document_shared_list(kind=kind, engagement=engagement))
        for kind in registry.document_kinds(phase=phase)
        if kind.in_portal
    ]
